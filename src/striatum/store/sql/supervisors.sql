-- name: get_supervision
-- A run's supervision row, without locking.
SELECT * FROM striatumd.run_supervisors WHERE run_id = %(run_id)s

-- name: lock_supervision
-- A run's supervision row, locked (taken after the run's row: the fixed lock order).
SELECT * FROM striatumd.run_supervisors WHERE run_id = %(run_id)s FOR UPDATE

-- name: record_launch
-- `run start` launches a supervisor (or not, --no-supervise: then none is expected): whether
-- the run is supervised, from which host; the supervisor registers itself when it is up.
INSERT INTO striatumd.run_supervisors AS s (run_id, supervised, host, state)
VALUES (%(run_id)s, %(supervised)s, %(host)s,
        CASE WHEN %(supervised)s THEN 'launching' ELSE 'left' END)
ON CONFLICT (run_id) DO UPDATE
SET supervised = EXCLUDED.supervised, host = EXCLUDED.host, state = EXCLUDED.state, pid = NULL,
    identity = NULL, generation = s.generation + 1, resumes = s.resumes + %(resumed)s, changed_at = clock_timestamp()
RETURNING *

-- name: register_supervisor
-- A supervisor holds the run: its host, pid, identity and session (a run never started with
-- a supervisor stays unsupervised: it is not resumed by itself).
INSERT INTO striatumd.run_supervisors AS s
    (run_id, supervised, host, state, pid, identity, session_id)
VALUES (%(run_id)s, false, %(host)s, 'supervising', %(pid)s, %(identity)s, %(session_id)s)
ON CONFLICT (run_id) DO UPDATE
SET host = EXCLUDED.host, state = 'supervising', pid = EXCLUDED.pid,
    identity = EXCLUDED.identity, session_id = EXCLUDED.session_id,
    generation = s.generation + 1, changed_at = clock_timestamp()
RETURNING *

-- name: supervisor_left
-- The registered supervisor ended (only that one: a later one may hold the run already).
UPDATE striatumd.run_supervisors
SET state = 'left', pid = NULL, identity = NULL, generation = generation + 1,
    changed_at = clock_timestamp()
WHERE run_id = %(run_id)s AND state = 'supervising' AND pid = %(pid)s AND host = %(host)s
RETURNING *

-- name: claim_relaunch
-- A resumer takes the run over from a gone supervisor: only if nothing changed since it
-- looked (the generation it saw), so two resumers cannot both relaunch. The gone one's
-- session stays: the next supervisor ends the leases it left. The streak starts again when
-- the gone supervisor had held the run for `stable_s` seconds.
UPDATE striatumd.run_supervisors
SET state = 'launching', pid = NULL, identity = NULL, generation = generation + 1,
    resumes = resumes + 1, changed_at = clock_timestamp(),
    streak = CASE
        WHEN state <> 'launching' AND registered_at IS NOT NULL
             AND clock_timestamp() - registered_at >= make_interval(secs => %(stable_s)s)
        THEN 1 ELSE streak + 1 END
WHERE run_id = %(run_id)s AND generation = %(generation)s AND host = %(host)s
RETURNING *

-- name: supervised_on_host
-- The supervised running runs one host's daemon watches over.
SELECT s.*, r.state AS run_state
FROM striatumd.run_supervisors s
JOIN striatumd.runs r ON r.run_id = s.run_id
WHERE s.supervised AND s.host = %(host)s AND r.state = 'running'
ORDER BY s.run_id
LIMIT 100

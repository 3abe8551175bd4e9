-- name: insert_repository
-- Register a repository, or bring a removed one back; returns its row (its path: where it
-- was first adopted). The first root commit known is kept.
INSERT INTO striatumd.repositories (repo_id, path, name, root_commit)
VALUES (%(repo_id)s, %(path)s, %(name)s, %(root_commit)s)
ON CONFLICT (repo_id) DO UPDATE
SET removed_at = NULL,
    root_commit = coalesce(striatumd.repositories.root_commit, EXCLUDED.root_commit)
RETURNING repo_id, path, name, notify_command, created_at, removed_at, root_commit;

-- name: insert_checkout
-- Record where a repository is checked out on a host (nothing when it is already).
INSERT INTO striatumd.checkouts (repo_id, host, path)
VALUES (%(repo_id)s, %(host)s, %(path)s)
ON CONFLICT DO NOTHING;

-- name: drop_checkout
-- Forget a host's checkout at a path (its repository was removed; the path joins another).
DELETE FROM striatumd.checkouts WHERE host = %(host)s AND path = %(path)s;

-- name: find_by_path
-- The repository checked out at a path on a host, with that path.
SELECT p.repo_id, c.path, p.name, p.notify_command, p.created_at, p.removed_at, p.root_commit
FROM striatumd.checkouts c
JOIN striatumd.repositories p ON p.repo_id = c.repo_id
WHERE c.host = %(host)s AND c.path = %(path)s;

-- name: share_by_path
-- The same, share-locked for a new run: `repo remove` (which locks it FOR UPDATE) waits for
-- the run's transaction, or the run waits and sees the mark.
SELECT p.repo_id, c.path, p.name, p.notify_command, p.created_at, p.removed_at, p.root_commit
FROM striatumd.checkouts c
JOIN striatumd.repositories p ON p.repo_id = c.repo_id
WHERE c.host = %(host)s AND c.path = %(path)s
FOR KEY SHARE OF p;

-- name: lock_repository
-- The same, locked for `repo remove`: a new run's transaction holds a share lock on it
-- (share_by_path, and the run's foreign key), so the runs read next include every new one.
SELECT p.repo_id, c.path, p.name, p.notify_command, p.created_at, p.removed_at, p.root_commit
FROM striatumd.checkouts c
JOIN striatumd.repositories p ON p.repo_id = c.repo_id
WHERE c.host = %(host)s AND c.path = %(path)s
FOR UPDATE OF p;

-- name: find_by_id
-- A repository by its id, with its checkout on a host (else the path it was first adopted
-- at) and whether that checkout exists (`here`).
SELECT p.repo_id, coalesce(c.path, p.path) AS path, p.name, p.notify_command, p.created_at,
       p.removed_at, p.root_commit, c.path IS NOT NULL AS here
FROM striatumd.repositories p
LEFT JOIN striatumd.checkouts c ON c.repo_id = p.repo_id AND c.host = %(host)s
WHERE p.repo_id = %(repo_id)s;

-- name: by_root_commit
-- The repositories (not removed) whose first commit is this one, each with this host's
-- checkout if it has one (`here`): those without are what `adopt --join auto` may join.
SELECT p.repo_id, coalesce(c.path, p.path) AS path, p.name, p.notify_command, p.created_at,
       p.removed_at, p.root_commit, c.path IS NOT NULL AS here
FROM striatumd.repositories p
LEFT JOIN striatumd.checkouts c ON c.repo_id = p.repo_id AND c.host = %(host)s
WHERE p.root_commit = %(root_commit)s AND p.removed_at IS NULL
ORDER BY p.created_at;

-- name: list_repositories
-- The registered repositories (the removed ones too when asked), each with its path on this
-- host (else where it was first adopted) and the hosts that have a checkout of it.
SELECT p.repo_id, coalesce(c.path, p.path) AS path, p.name, p.notify_command, p.created_at,
       p.removed_at, p.root_commit, c.path IS NOT NULL AS here,
       ARRAY(SELECT a.host FROM striatumd.checkouts a WHERE a.repo_id = p.repo_id
             ORDER BY a.created_at, a.host) AS hosts
FROM striatumd.repositories p
LEFT JOIN striatumd.checkouts c ON c.repo_id = p.repo_id AND c.host = %(host)s
WHERE %(include_removed)s OR p.removed_at IS NULL
ORDER BY p.created_at;

-- name: set_notify
-- Set (or clear) a repository's notification command.
UPDATE striatumd.repositories SET notify_command = %(notify_command)s WHERE repo_id = %(repo_id)s;

-- name: mark_removed
-- Unregister a repository: only the mark; every row that names it stays.
UPDATE striatumd.repositories SET removed_at = clock_timestamp() WHERE repo_id = %(repo_id)s;

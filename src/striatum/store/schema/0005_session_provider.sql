-- 0005: who actually did the work. A session may declare the provider (and model label) it
-- is; each attempt records the provider that did it — the session's declared one, else the
-- lane's — so verdicts and the co-blindness check compare what happened, not the lanes.

ALTER TABLE striatumd.sessions ADD COLUMN provider text
    CHECK (provider IN ('claude_code', 'codex', 'gemini', 'command', 'human'));
ALTER TABLE striatumd.sessions ADD COLUMN model text;

ALTER TABLE striatumd.job_attempts ADD COLUMN provider text;
ALTER TABLE striatumd.job_attempts ADD COLUMN model text;
ALTER TABLE striatumd.job_attempts ADD COLUMN provider_source text
    CHECK (provider_source IN ('session', 'lane'));

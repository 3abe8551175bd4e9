-- name: insert_repository
-- Register a repository (idempotent on its path; a removed one comes back); returns its row.
INSERT INTO striatumd.repositories (repo_id, path, name)
VALUES (%(repo_id)s, %(path)s, %(name)s)
ON CONFLICT (path) DO UPDATE SET name = striatumd.repositories.name, removed_at = NULL
RETURNING repo_id, path, name, notify_command, created_at, removed_at;

-- name: find_by_path
-- The repository registered at a path.
SELECT repo_id, path, name, notify_command, created_at, removed_at
FROM striatumd.repositories
WHERE path = %(path)s;

-- name: share_by_path
-- The repository registered at a path, share-locked for a new run: `repo remove` (which
-- locks it FOR UPDATE) waits for the run's transaction, or the run waits and sees the mark.
SELECT repo_id, path, name, notify_command, created_at, removed_at
FROM striatumd.repositories
WHERE path = %(path)s
FOR KEY SHARE;

-- name: list_repositories
-- The registered repositories (the removed ones too when asked).
SELECT repo_id, path, name, notify_command, created_at, removed_at
FROM striatumd.repositories
WHERE %(include_removed)s OR removed_at IS NULL
ORDER BY created_at;

-- name: set_notify
-- Set (or clear) a repository's notification command.
UPDATE striatumd.repositories SET notify_command = %(notify_command)s WHERE repo_id = %(repo_id)s;

-- name: lock_repository
-- One repository, locked for `repo remove`: a new run's transaction holds a share lock on it
-- (share_by_path, and the run's foreign key), so the runs read next include every new one.
SELECT repo_id, path, name, notify_command, created_at, removed_at
FROM striatumd.repositories
WHERE path = %(path)s
FOR UPDATE;

-- name: mark_removed
-- Unregister a repository: only the mark; every row that names it stays.
UPDATE striatumd.repositories SET removed_at = clock_timestamp() WHERE repo_id = %(repo_id)s;

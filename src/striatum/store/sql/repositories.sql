-- name: insert_repository
-- Register a repository (idempotent on its path); returns its row.
INSERT INTO striatumd.repositories (repo_id, path, name)
VALUES (%(repo_id)s, %(path)s, %(name)s)
ON CONFLICT (path) DO UPDATE SET name = striatumd.repositories.name
RETURNING repo_id, path, name, notify_command, created_at;

-- name: find_by_path
-- The repository registered at a path.
SELECT repo_id, path, name, notify_command, created_at FROM striatumd.repositories
WHERE path = %(path)s;

-- name: list_repositories
-- Every registered repository.
SELECT repo_id, path, name, notify_command, created_at FROM striatumd.repositories
ORDER BY created_at;

-- name: set_notify
-- Set (or clear) a repository's notification command.
UPDATE striatumd.repositories SET notify_command = %(notify_command)s WHERE repo_id = %(repo_id)s;

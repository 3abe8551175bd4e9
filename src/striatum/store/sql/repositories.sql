-- name: insert_repository
-- Register a repository (idempotent on its path); returns its row.
INSERT INTO striatumd.repositories (repo_id, path, name)
VALUES (%(repo_id)s, %(path)s, %(name)s)
ON CONFLICT (path) DO UPDATE SET name = striatumd.repositories.name
RETURNING repo_id, path, name;

-- name: insert_token
-- Store a new token (its secret only as a SHA-256).
INSERT INTO striatumd.tokens (token_id, role, label, secret_sha256, expires_at, lease_id)
VALUES (%(token_id)s, %(role)s, %(label)s, %(secret_sha256)s, %(expires_at)s, %(lease_id)s)
RETURNING token_id, role, label, created_at, expires_at, revoked_at, lease_id;

-- name: find_for_request
-- A request's token (by its secret's digest) and the database clock, in one trip.
SELECT clock_timestamp() AS now, t.token_id, t.role, t.label, t.created_at, t.expires_at,
       t.revoked_at, t.lease_id
FROM (SELECT 1) AS one
LEFT JOIN striatumd.tokens t ON t.secret_sha256 = %(secret_sha256)s;

-- name: list_tokens
-- Tokens, newest first; live ones only unless all is true.
SELECT token_id, role, label, created_at, expires_at, revoked_at, lease_id
FROM striatumd.tokens
WHERE %(all)s OR (revoked_at IS NULL AND (expires_at IS NULL OR expires_at > clock_timestamp()))
ORDER BY created_at DESC, token_id;

-- name: lock_token
-- One token, locked for a change.
SELECT token_id, role, label, created_at, expires_at, revoked_at, lease_id
FROM striatumd.tokens WHERE token_id = %(token_id)s FOR UPDATE;

-- name: revoke_token
-- Mark a token revoked.
UPDATE striatumd.tokens SET revoked_at = clock_timestamp() WHERE token_id = %(token_id)s
RETURNING token_id, role, label, created_at, expires_at, revoked_at, lease_id;

-- name: now
-- The database clock, which every daemon sharing the database agrees on.
SELECT clock_timestamp() AS now;

-- name: revoke_by_label
-- Revoke the live tokens of one role and label (a host token being replaced).
UPDATE striatumd.tokens SET revoked_at = clock_timestamp()
WHERE role = %(role)s AND label = %(label)s AND revoked_at IS NULL
RETURNING token_id;

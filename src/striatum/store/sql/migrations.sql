-- name: lock_migrations
-- Serialize migration runners across processes and hosts (released at session end).
SELECT pg_advisory_lock(hashtext('striatumd.migrations'));

-- name: unlock_migrations
-- Release the migration lock.
SELECT pg_advisory_unlock(hashtext('striatumd.migrations'));

-- name: applied_migrations
-- Every applied migration with the SHA-256 recorded when it ran.
SELECT version, name, sha256 FROM striatumd.schema_migrations ORDER BY version;

-- name: record_migration
-- Record one migration as applied, in the same transaction as its DDL.
INSERT INTO striatumd.schema_migrations (version, name, sha256)
VALUES (%(version)s, %(name)s, %(sha256)s);

-- name: become_owner
-- Create migrated objects as the schema owner, for this transaction only.
SET LOCAL ROLE striatumd_owner;

-- name: name_host
-- The host migrating, for a migration that must name one (0014: the checkouts of repositories
-- adopted before it), for this transaction only.
SELECT set_config('striatumd.host', %(host)s, true);

-- name: server_version
-- The server's version number (e.g. 150018) and display string.
SELECT current_setting('server_version_num')::int AS num, current_setting('server_version') AS text;

-- name: schema_exists
-- Whether the striatumd schema and its ledger exist.
SELECT to_regclass('striatumd.schema_migrations') IS NOT NULL AS present;

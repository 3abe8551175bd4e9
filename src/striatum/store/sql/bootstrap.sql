-- name: create_roles
-- The schema owner (runs migrations) and the daemon's runtime role; idempotent.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'striatumd_owner') THEN
        CREATE ROLE striatumd_owner NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'striatumd_runtime') THEN
        CREATE ROLE striatumd_runtime LOGIN;
    END IF;
END;
$$;

-- name: grant_owner_to_admin
-- Lets the connecting admin SET ROLE to the owner, so migrated objects belong to it.
GRANT striatumd_owner TO CURRENT_USER;

-- name: grant_runtime_to_admin
-- Lets a daemon that connects with one URL drop to the runtime role with SET ROLE.
GRANT striatumd_runtime TO CURRENT_USER;

-- name: create_schema
-- The schema and the migration ledger.
CREATE SCHEMA IF NOT EXISTS striatumd AUTHORIZATION striatumd_owner;
CREATE TABLE IF NOT EXISTS striatumd.schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    sha256     text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
ALTER TABLE striatumd.schema_migrations OWNER TO striatumd_owner;

-- name: database_exists
-- Whether a database of this name exists in the cluster.
SELECT 1 AS present FROM pg_database WHERE datname = %(name)s;

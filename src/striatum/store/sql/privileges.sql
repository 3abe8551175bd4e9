-- name: runtime_table_privileges
-- What the runtime role may do to each striatumd table.
SELECT c.relname AS table_name,
       has_table_privilege('striatumd_runtime', c.oid, 'SELECT') AS can_select,
       has_table_privilege('striatumd_runtime', c.oid, 'INSERT') AS can_insert,
       has_table_privilege('striatumd_runtime', c.oid, 'UPDATE') AS can_update,
       has_table_privilege('striatumd_runtime', c.oid, 'DELETE') AS can_delete,
       has_table_privilege('striatumd_runtime', c.oid, 'TRUNCATE') AS can_truncate
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'striatumd' AND c.relkind = 'r'
ORDER BY c.relname;

-- name: runtime_role_attributes
-- The runtime role must not be a superuser, own the schema, or be able to create roles.
SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls,
       pg_has_role('striatumd_runtime', 'striatumd_owner', 'USAGE') AS is_owner_member,
       has_schema_privilege('striatumd_runtime', 'striatumd', 'CREATE') AS can_create
FROM pg_roles r WHERE r.rolname = 'striatumd_runtime';

-- name: append_only_triggers
-- Enabled triggers guarding the append-only tables.
SELECT c.relname AS table_name, t.tgname AS trigger_name, t.tgenabled <> 'D' AS enabled
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'striatumd' AND NOT t.tgisinternal
ORDER BY c.relname, t.tgname;

-- name: session_identity
-- Who this session logged in as, and whom it acts as now.
SELECT session_user::text AS session_user, current_user::text AS current_user;

-- name: database_identity
-- What outside anchors key a database by: its instance row and the cluster's system identifier
-- (from the control file; no SQL can change it).
SELECT (SELECT instance_id FROM striatumd.instance LIMIT 1) AS instance_id,
       (SELECT system_identifier::text FROM pg_control_system()) AS system_identifier;

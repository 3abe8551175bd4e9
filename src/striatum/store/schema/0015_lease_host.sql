-- 0015: which host holds each lease (docs/MULTI_HOST.md): the host of the daemon that granted
-- it (a claim) or last handed it over (a transfer), so `status` can say where each job runs
-- when several hosts share the database. Null on leases granted before this migration.
ALTER TABLE striatumd.leases ADD COLUMN host text;

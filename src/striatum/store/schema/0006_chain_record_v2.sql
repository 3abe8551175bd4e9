-- 0006: chain records v2 (docs/SPEC.md §4). New rows hash the SHA-256 of their body (an
-- event's payload, an audit row's params) instead of the body, and the host that wrote them;
-- `host` repeats that for queries. Rows written before stay v1 (host null) and verifiable.

ALTER TABLE striatumd.events ADD COLUMN host text;
ALTER TABLE striatumd.audit_log ADD COLUMN host text;

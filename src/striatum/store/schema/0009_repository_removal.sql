-- 0009: `repo remove` unregisters a repository without deleting anything: its chain, anchors,
-- runs and artifacts are provenance and outlive it. A removed repository is hidden from
-- `list repos` and refused by new runs; adopting its path again clears the mark.

ALTER TABLE striatumd.repositories ADD COLUMN removed_at timestamptz;

-- 0014: one repository, many checkouts (docs/MULTI_HOST.md). A repository's identity is its
-- repo_id, the same for every clone that joined it (`adopt --join`); where it lives on disk is
-- a property of a checkout, one per host. `repositories.path` stays as the path it was first
-- adopted at (shown where no checkout of this host is known); it is no longer unique: two
-- hosts may each have an unrelated repository at one path. `root_commit` is the first commit
-- of the adopting clone (the least root commit of HEAD), what `adopt --join auto` matches.
CREATE TABLE striatumd.checkouts (
    repo_id    text NOT NULL REFERENCES striatumd.repositories,
    host       text NOT NULL CHECK (host <> ''),
    path       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (host, path),
    UNIQUE (repo_id, host)
);

ALTER TABLE striatumd.repositories DROP CONSTRAINT repositories_path_key;
ALTER TABLE striatumd.repositories ADD COLUMN root_commit text
    CHECK (root_commit ~ '^[0-9a-f]{40,64}$');
CREATE INDEX repositories_by_root_commit ON striatumd.repositories (root_commit)
    WHERE root_commit IS NOT NULL;

-- The repositories adopted before: each is a checkout of the host that adopted it, as its
-- latest `repo.adopted` event names it (v2 records carry the writer's host), else the host
-- migrating the database (the migration runner sets striatumd.host).
INSERT INTO striatumd.checkouts (repo_id, host, path, created_at)
SELECT p.repo_id,
       coalesce(
           (SELECT e.host FROM striatumd.events e
            WHERE e.repo_id = p.repo_id AND e.type = 'repo.adopted' AND coalesce(e.host, '') <> ''
            ORDER BY e.seq DESC LIMIT 1),
           nullif(current_setting('striatumd.host', true), ''),
           'localhost'
       ),
       p.path,
       p.created_at
FROM striatumd.repositories p;

GRANT SELECT, INSERT, DELETE ON striatumd.checkouts TO striatumd_runtime;

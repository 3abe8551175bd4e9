"""A unified diff becomes files of classed lines; binaries are named, long files are cut."""

from __future__ import annotations

from striatum.web import diff_view

PATCH = """diff --git a/src/app.py b/src/app.py
new file mode 100644
index 0000000..1111111
--- /dev/null
+++ b/src/app.py
@@ -0,0 +1,2 @@
+x = 1
+-- not a header
diff --git a/old.txt b/old.txt
--- a/old.txt
+++ b/old.txt
@@ -1,2 +1,1 @@
 kept
-gone
diff --git a/blob.bin b/blob.bin
new file mode 100644
Binary files /dev/null and b/blob.bin differ
"""


def test_lines_are_classed_per_file_and_binaries_only_named() -> None:
    app, old, blob = diff_view.parse(PATCH)
    assert (app.path, app.added, app.removed) == ("src/app.py", 2, 0)
    assert [kind for kind, _ in app.lines] == ["meta", "meta", "meta", "meta", "hunk", "add", "add"]
    assert [kind for kind, _ in old.lines][-2:] == ["context", "del"] and old.removed == 1
    assert blob.binary and blob.path == "blob.bin"


def test_a_long_file_keeps_its_first_lines_and_counts_the_rest() -> None:
    lines = "\n".join(f"+{n}" for n in range(diff_view.MAX_FILE_LINES + 50))
    (found,) = diff_view.parse(f"diff --git a/x b/x\n@@ -0,0 +1 @@\n{lines}\n")
    assert len(found.lines) == diff_view.MAX_FILE_LINES
    assert found.hidden == 51 and found.added == diff_view.MAX_FILE_LINES + 50

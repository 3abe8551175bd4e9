"""Installing, reinstalling and checking skill bundles on a real filesystem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from striatum import __version__, errors
from striatum.skills import install
from striatum.skills.plan import decide


def test_the_plan_tells_ours_from_edits() -> None:
    desired = {"a": "A2", "b": "B1", "c": "C1", "d": "D1"}
    current = {"a": "A1", "b": "B1", "c": None, "d": "user", "old": "O1", "gone": "user"}
    recorded = {"a": "A1", "b": "B1", "d": "D0", "old": "O1", "gone": "G1"}
    plan = decide(desired, current, recorded, force=False)
    assert plan.write == ("a", "c") and plan.unchanged == ("b",)
    assert plan.conflicts == ("d",) and plan.remove == ("old",) and plan.kept == ("gone",)
    forced = decide(desired, current, recorded, force=True)
    assert forced.write == ("a", "c", "d") and forced.conflicts == ()


def _all_files(base: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(base)): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()
    }


def test_installing_twice_changes_nothing(tmp_path: Path) -> None:
    first = install.install("all", tmp_path)
    assert [sorted(d["written"]) != [] for d in first["directories"]] == [True, True]
    before = _all_files(tmp_path)
    second = install.install("all", tmp_path)
    assert all(not d["changed"] and not d["written"] for d in second["directories"])
    assert _all_files(tmp_path) == before
    manifest = json.loads((tmp_path / ".agents/skills" / install.MANIFEST).read_text())
    assert manifest["profiles"] == ["codex", "gemini"] and manifest["version"] == __version__


def test_an_edited_skill_is_refused_unless_forced(tmp_path: Path) -> None:
    install.install("claude_code", tmp_path)
    edited = tmp_path / ".claude/skills/striatum-review/SKILL.md"
    edited.write_text(edited.read_text() + "\nMy team's extra rule.\n")
    mine = tmp_path / ".claude/skills/my-own-skill/SKILL.md"
    mine.parent.mkdir()
    mine.write_text("---\nname: my-own-skill\ndescription: mine\n---\n")
    before = _all_files(tmp_path)
    with pytest.raises(errors.Conflict) as refused:
        install.install("claude_code", tmp_path, force=False)
    assert str(edited) in refused.value.message and "--force" in (refused.value.hint or "")
    assert _all_files(tmp_path) == before  # nothing written
    [check] = install.check(tmp_path)
    assert check["state"] == "edited" and check["edited"] == ["striatum-review/SKILL.md"]
    assert check["fix"] == (
        f"striatum --repo {tmp_path} skills install --profile claude_code --project --force"
    )
    install.install("claude_code", tmp_path, force=True)
    assert "My team's extra rule" not in edited.read_text()
    assert mine.read_text().startswith("---\nname: my-own-skill")  # not ours: untouched
    assert install.check(tmp_path)[0]["state"] == "current"


def test_a_foreign_file_or_symlink_in_our_place_is_a_conflict(tmp_path: Path) -> None:
    target = tmp_path / ".agents/skills/striatum-recover/SKILL.md"
    target.parent.mkdir(parents=True)
    outside = tmp_path / "outside.md"
    outside.write_text("precious")
    target.symlink_to(outside)
    with pytest.raises(errors.Conflict):
        install.install("codex", tmp_path)
    assert outside.read_text() == "precious" and target.is_symlink()


def test_check_flags_outdated_and_missing_bundles(tmp_path: Path) -> None:
    assert install.check(tmp_path) == []  # nothing installed: nothing to flag
    install.install("gemini", tmp_path)
    manifest_path = tmp_path / ".agents/skills" / install.MANIFEST
    manifest = json.loads(manifest_path.read_text())
    old = {
        **manifest,
        "version": "0.0.1",
        "files": {**manifest["files"], "striatum-review/SKILL.md": "0" * 64},
    }
    manifest_path.write_text(json.dumps(old))
    (tmp_path / ".agents/skills/striatum-review/SKILL.md").write_text("x")  # as 0.0.1 wrote
    [report] = install.check(tmp_path)
    assert report["state"] == "edited"  # its bytes do not match the record
    manifest_path.write_text(json.dumps({**manifest, "version": "0.0.1"}))
    install.install("gemini", tmp_path, force=True)
    manifest_path.write_text(json.dumps({**manifest, "version": "0.0.1"}))
    [report] = install.check(tmp_path)
    assert report["state"] == "outdated" and report["version"] == "0.0.1"
    assert report["fix"].endswith("skills install --profile gemini --project")
    (tmp_path / ".agents/skills/striatum-escalate/SKILL.md").unlink()
    assert install.check(tmp_path)[0]["state"] == "missing_files"
    install.install("gemini", tmp_path)
    assert install.check(tmp_path)[0]["state"] == "current"


def test_an_unknown_profile_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(errors.UsageError):
        install.install("cursor", tmp_path)


def test_a_manifest_cannot_point_outside_its_directory(tmp_path: Path) -> None:
    """The manifest is in the repository: a hostile one must not get files removed."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    digest = install.sha256(victim.read_bytes())
    skills = tmp_path / "repo" / ".claude" / "skills"
    skills.mkdir(parents=True)
    (skills / install.MANIFEST).write_text(
        json.dumps(
            {
                "version": "0",
                "profiles": [],
                "files": {"../../../victim.txt": digest, str(victim): digest},
            }
        )
    )
    result = install.install("claude_code", tmp_path / "repo")
    assert victim.read_text() == "precious"
    assert result["directories"][0]["removed"] == []

"""The package's metadata: the license it declares ships as a file, every data file in the
package is declared so it ships in the wheel, and what a wheel build leaves in the checkout
(`pip wheel .`) is ignored by git."""

from __future__ import annotations

import subprocess
import tomllib
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[2]


def test_the_declared_apache_license_ships_in_full() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text and "APPENDIX" in text


def test_every_data_file_of_the_package_is_declared_package_data() -> None:
    """A file setuptools is not told about (say `model/prices.json`) is missing from the wheel
    although every test run from the checkout finds it."""
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    patterns = [PurePosixPath(p).parts for p in tool["setuptools"]["package-data"]["striatum"]]
    tracked = subprocess.run(
        ["git", "ls-files", "src/striatum"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    data = [PurePosixPath(p).relative_to("src/striatum").parts for p in tracked]
    undeclared = [
        "/".join(parts)
        for parts in data
        if not parts[-1].endswith(".py")
        and not any(len(parts) == len(glob) and all(map(fnmatch, parts, glob)) for glob in patterns)
    ]
    assert "model/prices.json" in ["/".join(parts) for parts in data]
    assert undeclared == []


def test_what_a_wheel_build_leaves_behind_is_ignored_by_git() -> None:
    left = ["build/lib/striatum/errors.py", "src/striatum.egg-info/PKG-INFO", "dist/x.whl"]
    ignored = subprocess.run(
        ["git", "check-ignore", *left],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ignored.stdout.split() == left

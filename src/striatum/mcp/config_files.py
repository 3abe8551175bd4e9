"""Reading and atomically replacing an agent CLI's project config file (JSON or TOML)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from striatum import atomic, errors


def read_text(config: Path) -> str:
    try:
        return config.read_text("utf-8") if config.exists() else ""
    except (OSError, UnicodeDecodeError) as error:
        raise _unreadable(config, error) from None


def read_json(config: Path) -> dict[str, Any]:
    """The file's object ({} when absent); an unreadable file is a ValidationError (exit 3)."""
    try:
        data = json.loads(read_text(config) or "{}")
    except ValueError as error:
        raise _unreadable(config, error) from None
    return _object(config, data)


def read_toml(text: str, config: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except ValueError as error:
        raise _unreadable(config, error) from None


def table(config: Path, data: dict[str, Any], key: str) -> dict[str, Any]:
    """`data[key]` as an object ({} when absent)."""
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise errors.ValidationError(f"{config}: {key} is not an object", path=str(config))
    return value


def write_json(config: Path, data: dict[str, Any]) -> None:
    replace(config, json.dumps(data, indent=2) + "\n")


def replace(path: Path, text: str) -> None:
    atomic.write_text(path, text)


def _object(config: Path, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise errors.ValidationError(
            f"{config}: expected an object at the top level", path=str(config)
        )
    return data


def _unreadable(config: Path, error: Exception) -> errors.ValidationError:
    return errors.ValidationError(
        f"{config}: cannot read it ({error}); fix or move it, then adopt again", path=str(config)
    )

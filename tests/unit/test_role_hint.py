"""The command a role refusal suggests: the same line, its --as replaced, shell-quoted."""

from __future__ import annotations

import pytest

from striatum.cli import role_hint


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["run", "cancel", "run_1"], "striatum run cancel run_1 --as principal"),
        (["--as", "operator", "token", "list"], "striatum token list --as principal"),
        (["token", "list", "--as=operator", "--json"], "striatum token list --json --as principal"),
        (
            ["run", "cancel", "r", "--reason", "two words"],
            "striatum run cancel r --reason 'two words' --as principal",
        ),
    ],
)
def test_the_suggested_command_is_the_same_line_with_the_role(
    argv: list[str], command: str
) -> None:
    assert role_hint.corrected_command(argv, "principal") == command

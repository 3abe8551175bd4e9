"""The scripted model server over raw HTTP: each API's wire shapes, failures, the lane script."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.agents.scripted_model import (
    Failure,
    Final,
    McpCall,
    Reply,
    ScriptedModel,
    Shell,
    Turn,
    WriteFile,
    free_port,
    lane_script,
    parse_lane_prompt,
)

pytestmark = [pytest.mark.agents, pytest.mark.timeout(30)]

LANE_PROMPT = """You review the draft.

## This job
- Run: `run_1`; job: `review` (review), attempt 1 of 3
- Lease: `lse_42` (also in $STRIATUM_LEASE)

## Context
- `docs/striatum/run_1/draft/attempt-1/draft.md`

## Write
- `docs/striatum/run_1/review/attempt-1/review.md` (required)
- `docs/striatum/run_1/review/attempt-1/notes.md`

## Verdict
Start `docs/striatum/run_1/review/attempt-1/review.md` with this front matter, choosing one value:
---
verdict: accept | needs_revision | reject
---
"""


class Recorder:
    """A script that answers from a list and keeps every turn it saw."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.turns: list[Turn] = []

    def __call__(self, turn: Turn) -> Reply:
        self.turns.append(turn)
        return self.replies.pop(0)


@pytest.fixture
def model_for() -> Iterator[Any]:
    started: list[ScriptedModel] = []

    def start(script: Recorder, failure: Failure | None = None) -> ScriptedModel:
        started.append(ScriptedModel(script, failure=failure).start())
        return started[-1]

    yield start
    for model in started:
        model.down()


def post(model: ScriptedModel, path: str, body: dict[str, Any]) -> tuple[int, bytes]:
    request = urllib.request.Request(
        model.url + path,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as failed:
        return failed.code, failed.read()


def sse(data: bytes) -> list[dict[str, Any]]:
    lines = data.decode().splitlines()
    return [json.loads(line.removeprefix("data: ")) for line in lines if line.startswith("data: ")]


def claude_body(cwd: Path, *extra: dict[str, Any]) -> dict[str, Any]:
    first = {
        "role": "user",
        "content": [
            {"type": "text", "text": "<system-reminder>\ncontext\n</system-reminder>\n"},
            {"type": "text", "text": "write the file"},
        ],
    }
    return {
        "model": "claude-sonnet-4-5",
        "stream": True,
        "system": [{"type": "text", "text": f" - Primary working directory: {cwd}\n"}],
        "tools": [{"name": "Write"}, {"name": "Read"}, {"name": "Bash"}],
        "messages": [first, *extra],
    }


def test_anthropic_turn_strips_reminders_and_finds_the_cwd(model_for: Any, tmp_path: Path) -> None:
    script = Recorder([WriteFile("a.txt", "hi")])
    status, data = post(model_for(script), "/v1/messages?beta=true", claude_body(tmp_path))
    turn = script.turns[0]
    assert (status, turn.api, turn.prompt, turn.cwd) == (
        200,
        "anthropic",
        "write the file",
        str(tmp_path),
    )
    assert (turn.number, turn.tools) == (0, ("Write", "Read", "Bash"))
    events = sse(data)
    assert events[0]["message"]["model"] == "claude-sonnet-4-5"
    use = events[1]["content_block"]
    assert (use["type"], use["name"]) == ("tool_use", "Write")
    assert json.loads(events[2]["delta"]["partial_json"]) == {
        "file_path": str(tmp_path / "a.txt"),
        "content": "hi",
    }
    assert events[-2]["delta"]["stop_reason"] == "tool_use"
    assert events[-2]["usage"]["output_tokens"] > 0


def test_anthropic_reads_an_existing_file_before_writing_it(model_for: Any, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("old")
    script = Recorder([WriteFile("a.txt", "new")], Final("done"))
    model = model_for(script)
    read = sse(post(model, "/v1/messages", claude_body(tmp_path))[1])[1]["content_block"]
    assert read["name"] == "Read"
    answered = [
        {"role": "assistant", "content": [dict(read, input={})]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": read["id"], "content": "old"}],
        },
    ]
    write = sse(post(model, "/v1/messages", claude_body(tmp_path, *answered))[1])[1]
    assert write["content_block"]["name"] == "Write"
    assert len(script.turns) == 1, "the look-up is the harness's, not the script's"


def test_anthropic_tool_results_reach_the_script(model_for: Any, tmp_path: Path) -> None:
    script = Recorder(Final("done"))
    history = [
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {}}],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_1",
                    "is_error": True,
                    "content": [{"type": "text", "text": "denied"}],
                }
            ],
        },
    ]
    _status, data = post(model_for(script), "/v1/messages", claude_body(tmp_path, *history))
    turn = script.turns[0]
    assert turn.number == 1
    assert [(r.tool, r.text, r.is_error) for r in turn.tool_results] == [("Bash", "denied", True)]
    assert sse(data)[-2]["delta"]["stop_reason"] == "end_turn"


def test_anthropic_start_up_calls_are_answered(model_for: Any) -> None:
    model = model_for(Recorder())
    status, data = post(model, "/v1/messages/count_tokens", {"messages": []})
    assert status == 200 and json.loads(data)["input_tokens"] > 0
    with urllib.request.urlopen(model.url + "/v1/models", timeout=10) as listing:
        assert json.loads(listing.read())["data"][0]["type"] == "model"
    status, data = post(
        model, "/v1/messages", {"model": "m", "messages": [{"role": "user", "content": "title?"}]}
    )
    assert json.loads(data)["content"][0]["text"] == "ok"


def codex_body(cwd: Path, *extra: dict[str, Any]) -> dict[str, Any]:
    context = f"<environment_context>\n  <cwd>{cwd}</cwd>\n</environment_context>"
    return {
        "model": "gpt-5.5",
        "stream": True,
        "instructions": "be codex",
        "tools": [
            {"type": "custom", "name": "apply_patch"},
            {"type": "function", "name": "exec_command"},
            {"type": "tool_search", "execution": "client"},
        ],
        "input": [
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": context}],
            },
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "write the file\n"}],
            },
            *extra,
        ],
    }


def test_openai_write_becomes_an_apply_patch(model_for: Any, tmp_path: Path) -> None:
    script = Recorder([WriteFile("a.txt", "one\ntwo\n"), Shell("ls")])
    _status, data = post(model_for(script), "/v1/responses", codex_body(tmp_path))
    turn = script.turns[0]
    assert (turn.prompt, turn.cwd, turn.system) == ("write the file", str(tmp_path), "be codex")
    events = sse(data)
    assert events[0]["type"] == "response.created"
    done = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert done[0]["type"] == "custom_tool_call"
    assert done[0]["input"] == "*** Begin Patch\n*** Add File: a.txt\n+one\n+two\n*** End Patch\n"
    assert (done[1]["name"], json.loads(done[1]["arguments"])["cmd"]) == ("exec_command", "ls")
    completed = events[-1]["response"]
    assert (completed["model"], completed["status"]) == ("gpt-5.5", "completed")
    assert completed["usage"]["total_tokens"] > 0


def test_openai_searches_for_mcp_tools_first(model_for: Any, tmp_path: Path) -> None:
    script = Recorder([McpCall("claim_next", {"lane": "a"})])
    model = model_for(script)
    search = next(
        e["item"]
        for e in sse(post(model, "/v1/responses", codex_body(tmp_path))[1])
        if e["type"] == "response.output_item.done"
    )
    assert search["type"] == "tool_search_call"
    found = [search, {"type": "tool_search_output", "call_id": search["call_id"], "tools": []}]
    body = codex_body(tmp_path, *found)
    body["tools"].append(
        {
            "type": "namespace",
            "name": "mcp__striatum",
            "tools": [{"type": "function", "name": "claim_next"}],
        }
    )
    call = next(
        e["item"]
        for e in sse(post(model, "/v1/responses", body)[1])
        if e["type"] == "response.output_item.done"
    )
    assert (call["namespace"], call["name"]) == ("mcp__striatum", "claim_next")
    assert len(script.turns) == 1


def gemini_body(cwd: Path, *extra: dict[str, Any]) -> dict[str, Any]:
    context = f"<session_context>\n- **Workspace Directories:**\n  - {cwd}\n</session_context>"
    return {
        "systemInstruction": {"parts": [{"text": "be gemini"}]},
        "tools": [{"functionDeclarations": [{"name": "write_file"}, {"name": "read_file"}]}],
        "contents": [
            {"role": "user", "parts": [{"text": context}, {"text": "write the file"}]},
            *extra,
        ],
    }


def test_gemini_write_becomes_write_file(model_for: Any, tmp_path: Path) -> None:
    script = Recorder([WriteFile("a.txt", "hi")])
    path = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    _status, data = post(model_for(script), path, gemini_body(tmp_path))
    turn = script.turns[0]
    assert (turn.prompt, turn.cwd, turn.tools) == (
        "write the file",
        str(tmp_path),
        ("write_file", "read_file"),
    )
    answer = sse(data)[0]
    call = answer["candidates"][0]["content"]["parts"][0]["functionCall"]
    assert (call["name"], call["args"]["file_path"]) == ("write_file", str(tmp_path / "a.txt"))
    assert answer["modelVersion"] == "gemini-2.5-flash"
    assert answer["usageMetadata"]["totalTokenCount"] > 0


def test_gemini_error_responses_are_flagged(model_for: Any, tmp_path: Path) -> None:
    script = Recorder(Final("done"))
    history = [
        {"role": "model", "parts": [{"functionCall": {"name": "run_shell_command"}}]},
        {
            "role": "user",
            "parts": [
                {
                    "functionResponse": {
                        "name": "run_shell_command",
                        "response": {"error": "not found"},
                    }
                }
            ],
        },
    ]
    path = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    post(model_for(script), path, gemini_body(tmp_path, *history))
    result = script.turns[0].tool_results[0]
    assert (result.tool, result.text, result.is_error) == ("run_shell_command", "not found", True)
    assert script.turns[0].number == 1


@pytest.mark.parametrize("status", [500, 429])
def test_failure_mode_answers_every_api_with_its_error(model_for: Any, status: int) -> None:
    model = model_for(Recorder(), Failure(status=status))
    for path in ("/v1/messages", "/v1/responses", "/v1beta/models/g:streamGenerateContent"):
        code, data = post(model, path, {"model": "m"})
        assert code == status and "error" in json.loads(data)


def test_down_refuses_connections(model_for: Any) -> None:
    model = model_for(Recorder())
    model.down()
    with pytest.raises(urllib.error.URLError):
        post(model, "/v1/messages", {})
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{free_port()}/", timeout=5)


def test_requests_are_logged_with_their_prompt(model_for: Any, tmp_path: Path) -> None:
    model = model_for(Recorder(Final("done")))
    post(model, "/v1/messages?beta=true", claude_body(tmp_path))
    logged = model.requests[0]
    assert (logged.api, logged.path, logged.prompt) == (
        "anthropic",
        "/v1/messages?beta=true",
        "write the file",
    )


def test_a_crashing_script_answers_500_and_is_recorded(model_for: Any, tmp_path: Path) -> None:
    model = model_for(Recorder())
    status, _ = post(model, "/v1/messages", claude_body(tmp_path))
    assert status == 500 and "IndexError" in model.errors[0]


def test_lane_prompt_parser_reads_writes_verdict_and_lease() -> None:
    lane = parse_lane_prompt(LANE_PROMPT)
    assert [(f.path, f.required) for f in lane.writes] == [
        ("docs/striatum/run_1/review/attempt-1/review.md", True),
        ("docs/striatum/run_1/review/attempt-1/notes.md", False),
    ]
    assert (lane.wants_verdict, lane.lease) == (True, "lse_42")
    assert lane.verdict_path == "docs/striatum/run_1/review/attempt-1/review.md"


def test_lane_prompt_parser_tolerates_free_text() -> None:
    lane = parse_lane_prompt("# Just a task\n\nDo things.\n## Other\n- `x.md`\n")
    assert (lane.writes, lane.wants_verdict, lane.lease) == ((), False, None)


def lane_turn(prompt: str, number: int = 0) -> Turn:
    return Turn(
        api="anthropic",
        model="m",
        system="",
        prompt=prompt,
        tool_results=(),
        tools=(),
        cwd="/w",
        number=number,
    )


def test_lane_script_takes_verdicts_in_order_then_repeats_the_last() -> None:
    script = lane_script(verdicts=["needs_revision", "accept"])
    verdicts = []
    for _ in range(3):
        reply = script(lane_turn(LANE_PROMPT))
        assert isinstance(reply, list) and isinstance(reply[0], WriteFile)
        verdicts.append(reply[0].content.split("\n")[1])
        assert reply[0].content.startswith("---\nverdict: ")
        assert not reply[1].content.startswith("---")
    assert verdicts == ["verdict: needs_revision", "verdict: accept", "verdict: accept"]
    assert isinstance(script(lane_turn(LANE_PROMPT, number=1)), Final)


def test_lane_script_adds_edits_to_task_jobs_only() -> None:
    task = "## Write\n- `docs/draft.md` (required)\n"
    script = lane_script(edits={"src/app.py": "print(1)\n"})
    assert script(lane_turn(task)) == [
        WriteFile("docs/draft.md", "# draft.md\n\nWritten by the scripted model.\n"),
        WriteFile("src/app.py", "print(1)\n"),
    ]
    review = script(lane_turn(LANE_PROMPT))
    assert isinstance(review, list) and len(review) == 2

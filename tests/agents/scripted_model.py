"""A model server on loopback for the real agent CLIs, answering from a test's script.

    with ScriptedModel(lane_script(verdicts=["accept"])) as model:
        env = clis.lane_env("claude", home, model.port)

It speaks Anthropic Messages (Claude Code), OpenAI Responses (Codex) and Gemini
generateContent (Gemini CLI), streaming each as its CLI expects. Stdlib only.
"""

from __future__ import annotations

import json
import socket
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Literal
from urllib.parse import unquote, urlsplit

from tests.agents.model_wire import anthropic, gemini, openai, sse
from tests.agents.model_wire.lane_prompt import LanePrompt, lane_script, parse_lane_prompt
from tests.agents.model_wire.turns import (
    Final,
    HeldReplies,
    Ids,
    JsonObject,
    McpCall,
    Parsed,
    Reply,
    Script,
    Shell,
    ToolResult,
    Turn,
    WriteFile,
)

__all__ = [
    "Failure",
    "Final",
    "LanePrompt",
    "LoggedRequest",
    "McpCall",
    "Reply",
    "Script",
    "ScriptedModel",
    "Shell",
    "ToolResult",
    "Turn",
    "WriteFile",
    "free_port",
    "lane_script",
    "parse_lane_prompt",
]


@dataclass(frozen=True, kw_only=True)
class LoggedRequest:
    """One request the server received (`api` is "other" for start-up look-ups)."""

    api: str
    method: str
    path: str
    prompt: str


@dataclass(frozen=True, kw_only=True)
class Failure:
    """How model requests fail: an HTTP status, or (`in_stream`) a 200 carrying an error event."""

    status: int = 500
    in_stream: bool = False
    message: str = "scripted model failure"


class ScriptedModel:
    """The server; start it with `with` (or `start()`), read `port`, `requests`, `errors`.

    `failure` may be set or cleared while it runs; `down()` closes the listening socket.
    """

    def __init__(self, script: Script, *, failure: Failure | None = None) -> None:
        self.script = script
        self.failure = failure
        self.ids = Ids()
        self.held = HeldReplies()
        self._lock = threading.Lock()
        self._log: list[LoggedRequest] = []
        self._errors: list[str] = []
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._http.daemon_threads = True
        self._http.model = self  # type: ignore[attr-defined]
        self.port: int = self._http.server_address[1]
        self._thread = threading.Thread(target=self._http.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def requests(self) -> list[LoggedRequest]:
        """Every request so far, oldest first."""
        with self._lock:
            return list(self._log)

    @property
    def errors(self) -> list[str]:
        """Tracebacks of script or server failures (each also answered with HTTP 500)."""
        with self._lock:
            return list(self._errors)

    def start(self) -> ScriptedModel:
        self._thread.start()
        return self

    def down(self) -> None:
        """Stop listening: the port then refuses connections (nothing else binds it soon)."""
        if self._thread.is_alive():
            self._http.shutdown()
        self._http.server_close()

    def __enter__(self) -> ScriptedModel:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.down()

    def record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._log.append(entry)

    def record_error(self, text: str) -> None:
        with self._lock:
            self._errors.append(text)

    def answer(self, parsed: Parsed) -> Reply:
        """The held reply a finished look-up was waiting for, else the script's reply."""
        if parsed.resume is not None:
            held = self.held.release(parsed.resume)
            if held is not None:
                return held
        return self.script(parsed.turn)


def free_port() -> int:
    """A loopback port nothing listens on (for the endpoint-down case)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


Api = Literal["anthropic", "openai", "gemini", "other"]
_ErrorShape = Callable[[int, str], JsonObject]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "scripted-model/1"

    @property
    def model(self) -> ScriptedModel:
        found: ScriptedModel = self.server.model  # type: ignore[attr-defined]
        return found

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the request log is `ScriptedModel.requests`."""

    def do_HEAD(self) -> None:
        self._send(200, b"", "text/plain")

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.model.record(LoggedRequest(api="other", method="GET", path=self.path, prompt=""))
        if path.startswith("/v1/models"):
            self._json(200, anthropic.models("claude-scripted"))
        elif path.startswith("/v1beta/models"):
            self._json(200, {"models": [{"name": "models/gemini-2.5-flash"}]})
        else:
            self._json(404, {"error": {"message": f"no route {path}"}})

    def do_POST(self) -> None:
        body = self._body()
        try:
            self._route(urlsplit(self.path).path, body)
        except Exception:
            self.model.record_error(traceback.format_exc())
            self._json(500, {"error": {"type": "api_error", "message": "scripted model crashed"}})

    def _route(self, path: str, body: JsonObject) -> None:
        if path == "/v1/messages/count_tokens":
            self._log("anthropic", "")
            self._json(200, {"input_tokens": max(1, len(json.dumps(body)) // 4)})
        elif path == "/v1/messages":
            self._anthropic(body)
        elif path == "/v1/responses":
            self._openai(body)
        elif path.startswith("/v1beta/models/"):
            model, _, method = unquote(path.removeprefix("/v1beta/models/")).partition(":")
            self._gemini(body, model, method)
        else:
            self._log("other", "")
            self._json(404, {"error": {"message": f"no route {path}"}})

    def _anthropic(self, body: JsonObject) -> None:
        parsed = anthropic.parse(body)
        self._log("anthropic", parsed.turn.prompt if parsed else "")
        if self._failed("anthropic", anthropic.error, str(body.get("model"))):
            return
        if parsed is None:
            message = anthropic.side_message(body, self.model.ids)
        else:
            reply = self.model.answer(parsed)
            resumed = parsed.resume is not None
            message = anthropic.render(
                reply, parsed.turn, self.model.ids, self.model.held, resumed=resumed
            )
        if body.get("stream"):
            self._send(200, anthropic.stream(message), "text/event-stream")
        else:
            self._json(200, message)

    def _openai(self, body: JsonObject) -> None:
        parsed = openai.parse(body)
        self._log("openai", parsed.turn.prompt)
        if self._failed("openai", openai.error, parsed.turn.model):
            return
        reply = self.model.answer(parsed)
        response = openai.render(
            reply, parsed.turn, self.model.ids, self.model.held, resumed=parsed.resume is not None
        )
        self._send(200, openai.stream(response), "text/event-stream")

    def _gemini(self, body: JsonObject, model: str, method: str) -> None:
        if method == "countTokens":
            self._log("gemini", "")
            self._json(200, gemini.count(body))
            return
        parsed = gemini.parse(body, model)
        self._log("gemini", parsed.turn.prompt)
        if self._failed("gemini", gemini.error, model):
            return
        if method != "streamGenerateContent":
            self._json(200, gemini.side_answer(body, model, self.model.ids))
            return
        answer = gemini.render(self.model.answer(parsed), parsed.turn, self.model.ids)
        self._send(200, b"data: " + json.dumps(answer).encode() + b"\r\n\r\n", "text/event-stream")

    def _failed(self, api: Api, shape: _ErrorShape, model: str) -> bool:
        failure = self.model.failure
        if failure is None:
            return False
        if not failure.in_stream:
            self._json(
                failure.status,
                shape(failure.status, failure.message),
                {"retry-after": "0"} if failure.status == 429 else {},
            )
            return True
        self._send(200, _error_stream(api, failure, model), "text/event-stream")
        return True

    def _log(self, api: Api, prompt: str) -> None:
        self.model.record(LoggedRequest(api=api, method="POST", path=self.path, prompt=prompt))

    def _body(self) -> JsonObject:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            data = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            return {}
        return data if isinstance(data, dict) else {}

    def _json(
        self, status: int, payload: JsonObject, headers: dict[str, str] | None = None
    ) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", headers)

    def _send(
        self, status: int, data: bytes, kind: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _error_stream(api: Api, failure: Failure, model: str) -> bytes:
    if api == "anthropic":
        # As the API does when it fails mid-stream: the message starts, then an error event.
        turn = Turn(
            api="anthropic",
            model=model,
            system="",
            prompt="",
            tool_results=(),
            tools=(),
            cwd=None,
            number=0,
        )
        start = anthropic.render(Final(""), turn, Ids(), HeldReplies(), resumed=True)
        opening = {"type": "message_start", "message": dict(start, content=[], stop_reason=None)}
        event = anthropic.error(failure.status, failure.message)
        return sse.named_events([opening, event])
    if api == "openai":
        event = openai.failed(failure.status, failure.message, model)
        return f"event: response.failed\ndata: {json.dumps(event)}\n\n".encode()
    return f"data: {json.dumps(gemini.error(failure.status, failure.message))}\r\n\r\n".encode()

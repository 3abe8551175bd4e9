"""`striatum serve --web --allow-mutations` on a free port, and Debian's chromium through
Playwright: what the browser tests share."""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

from tests.support.daemons import BIN
from tests.support.waiting import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@contextlib.contextmanager
def serving(env: dict[str, str]) -> Iterator[str]:
    """The web UI with mutations allowed, run with `env`; its base URL. Stopped on leaving."""
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "striatum"), "serve", "--web", "--allow-mutations", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_listening(port, server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A headless chromium (the caller skips where CHROMIUM is None)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield launched
        finally:
            launched.close()


def _wait_listening(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, "striatum serve exited early"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("striatum serve did not start listening")

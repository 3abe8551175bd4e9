"""Web UI fixtures: a real daemon, a scripted operator, and Starlette test clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from striatum.web import confirm
from striatum.web.app import WebConfig, create_app
from tests.support import rpc
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, new_repo

PORT = 8765
ORIGIN = f"http://127.0.0.1:{PORT}"
SECRET = "test-secret-0123456789"


@pytest.fixture
def operator(daemon: DaemonUnderTest, tmp_path: Path) -> Iterator[Operator]:
    """A scripted operator, with this process's client aimed at the daemon too."""
    with rpc.aimed_at(daemon):
        yield Operator(daemon=daemon, repo=new_repo(tmp_path))


def client(*, allow_mutations: bool) -> TestClient:
    app = create_app(WebConfig(port=PORT, allow_mutations=allow_mutations, secret=SECRET))
    return TestClient(app, base_url=ORIGIN, follow_redirects=False)


@pytest.fixture
def reader(operator: Operator) -> Iterator[TestClient]:
    """The default server: read-only."""
    with client(allow_mutations=False) as found:
        yield found


@pytest.fixture
def principal(operator: Operator) -> Iterator[TestClient]:
    """A server started with --allow-mutations."""
    with client(allow_mutations=True) as found:
        yield found


def form(**fields: str) -> dict[str, str]:
    """A mutation form as the UI renders it (secret included)."""
    return {"secret": SECRET, **fields}


def confirmed(path: str, **fields: str) -> dict[str, str]:
    """The form of an action's confirmation page (the second, acting POST)."""
    return form(confirm=confirm.token(SECRET, path), **fields)


SAME_ORIGIN = {"origin": ORIGIN}

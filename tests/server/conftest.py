"""A real server for the tests: uvicorn on a free loopback port, in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

pytest.importorskip("fastapi", reason="the server tests need inpaintkit[server]")

import uvicorn

from inpaintkit.server import ServerSettings, create_app


@contextmanager
def running_server(settings: ServerSettings | None = None) -> Iterator[str]:
    """Start the app with ``settings`` on a free port of 127.0.0.1; yield its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings or ServerSettings()), host="127.0.0.1", port=port, log_level="error"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """A server with default settings (no token), shared by a test module."""
    with running_server() as url:
        yield url


@pytest.fixture
def start_server() -> Iterator[Callable[..., str]]:
    """Start servers with custom settings: ``url = start_server(token="t")``."""
    with_stack: list = []

    def start(**settings: object) -> str:
        context = running_server(ServerSettings(**settings))  # type: ignore[arg-type]
        url = context.__enter__()
        with_stack.append(context)
        return url

    yield start
    for context in reversed(with_stack):
        context.__exit__(None, None, None)

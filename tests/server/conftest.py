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
        create_app(settings or ServerSettings()),
        host="127.0.0.1",
        port=port,
        log_level="error",
        timeout_graceful_shutdown=2,  # an event stream left open must not hold the exit
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


@pytest.fixture
def gate_engine() -> Iterator[object]:
    """Register the ``test-gate`` engine (tests/server/gate.py) for one test; the gate is
    opened at the end so no worker thread is left waiting."""
    from inpaintkit.engines.base import Capabilities
    from inpaintkit.engines.options import OptionTable
    from inpaintkit.engines.registry import ENGINES, EngineEntry
    from tests.server import gate

    gate.reset()
    ENGINES[gate.NAME] = EngineEntry(
        gate.NAME,
        "tests.server.gate:GateEngine",
        Capabilities(description="test engine held at a gate"),
        OptionTable(),
    )
    try:
        yield gate
    finally:
        gate.gate.set()
        del ENGINES[gate.NAME]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve_subprocess(*arguments: str) -> Iterator[tuple[str, int]]:
    """``python -m inpaintkit serve`` as its own process on a free loopback port: yields
    (base URL, process id), for measuring the server's own memory."""
    import os
    import subprocess
    import sys

    import httpx

    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k != "INPAINTKIT_TOKEN"}
    process = subprocess.Popen(
        [sys.executable, "-m", "inpaintkit", "serve", "--port", str(port), *arguments],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited: {process.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start in 60 s")
            time.sleep(0.1)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rss_bytes(pid: int) -> int:
    """Resident memory of process ``pid``, from /proc (Linux)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/PID/status")

"""A real browser on the real server: Playwright driving Debian's Chromium against
uvicorn on a free loopback port (``running_server`` from the server tests).

Every test module here skips itself with a reason when Chromium or Playwright is
missing. Screenshots are kept in ``tests/browser/artifacts/`` (ignored by git).
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

CHROMIUM = shutil.which("chromium")
SKIP_REASON = (
    "the browser tests need Debian's chromium on PATH (apt-get install -y chromium); "
    "`.ci/run` installs it"
)
ROOT = Path(__file__).resolve().parents[2]
PHOTO = ROOT / "examples" / "photo.png"
ARTIFACTS = Path(__file__).parent / "artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

try:
    from playwright import sync_api
except ImportError:  # the dev extra is not installed
    sync_api = None

from tests.server.conftest import (  # noqa: E402
    gate_engine,
    running_server,
    server_url,
    start_server,
)

__all__ = ["Editor", "gate_engine", "running_server", "server_url", "start_server"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium per test process; skips with the reason when it is missing."""
    if CHROMIUM is None:
        pytest.skip(SKIP_REASON)
    if sync_api is None:
        pytest.skip("the browser tests need playwright: pip install -e '.[dev]'")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
        )
        yield launched
        launched.close()


class Editor:
    """The editor page, driven the way a person would: files, mouse, keys, buttons."""

    def __init__(self, page: Any, url: str, name: str) -> None:
        self.page = page
        self.url = url
        self.name = name
        self.console: list[str] = []
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))

    def open(self) -> Editor:
        self.page.goto(self.url + "/")
        self.page.wait_for_function("document.body.dataset.state !== undefined")
        return self

    def load_photo(self, path: Path = PHOTO) -> None:
        self.page.set_input_files("#photo-input", str(path))
        self.page.wait_for_function(
            "document.getElementById('photo-name').textContent.includes('×')"
        )

    def to_page(self, x: float, y: float) -> tuple[float, float]:
        """Where the photo's pixel (x, y) is on the page, by the view's transform."""
        box = self.page.locator("#canvas").bounding_box()
        view = self.page.eval_on_selector(
            "#canvas", "c => ({s: +c.dataset.scale, x: +c.dataset.x, y: +c.dataset.y})"
        )
        return box["x"] + view["x"] + x * view["s"], box["y"] + view["y"] + y * view["s"]

    def drag(self, points: list[tuple[float, float]], *, steps: int = 4) -> None:
        """Press at the first photo point, move through the others, release."""
        mouse = self.page.mouse
        mouse.move(*self.to_page(*points[0]))
        mouse.down()
        for point in points[1:]:
            mouse.move(*self.to_page(*point), steps=steps)
        mouse.up()

    def set_size(self, size: int) -> None:
        self.set_range("#size", size)

    def set_range(self, selector: str, value: float) -> None:
        self.page.eval_on_selector(
            selector,
            "(e, v) => { e.value = String(v);"
            " e.dispatchEvent(new Event('input', {bubbles: true})); }",
            value,
        )

    def choose_tool(self, name: str) -> None:
        self.page.click(f".tool[data-tool={name}]")

    def run(self, *, timeout_s: float = 90) -> str:
        """Press Run, wait until the page says done, failed or cancelled; answer which."""
        self.page.click("#run")
        self.page.wait_for_function(
            "['done', 'failed', 'cancelled'].includes(document.body.dataset.state)",
            timeout=timeout_s * 1000,
        )
        return self.page.evaluate("document.body.dataset.state")

    def download(self, selector: str) -> bytes:
        with self.page.expect_download() as info:
            self.page.click(selector)
        path = info.value.path()
        return Path(path).read_bytes()

    def mask(self) -> np.ndarray:
        data = self.download("#download-mask")
        image = Image.open(io.BytesIO(data))
        assert image.mode == "L", image.mode
        return np.asarray(image)

    def result_bytes(self) -> bytes:
        return self.download("#download-result")

    def error(self) -> str:
        locator = self.page.locator("#error")
        locator.wait_for(state="visible")
        return self.page.inner_text("#error-text")

    def screenshot(self, step: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{self.name}-{step}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def open_editor(browser: Any, request: pytest.FixtureRequest) -> Iterator[Callable[..., Editor]]:
    """``editor = open_editor(url)``: a fresh browser context (empty localStorage) on the
    editor at ``url``, 1280×800."""
    contexts: list[Any] = []
    editors: list[Editor] = []
    name = re.sub(r"[^\w.-]+", "-", request.node.name.removeprefix("test_")).strip("-")

    def open_(url: str) -> Editor:
        context = browser.new_context(
            viewport={"width": 1280, "height": 800}, accept_downloads=True
        )
        contexts.append(context)
        editor = Editor(context.new_page(), url, name + (f"-{len(editors)}" if editors else ""))
        editors.append(editor)
        return editor.open()

    yield open_
    for editor in editors:
        errors = [line for line in editor.console if line.startswith("pageerror")]
        assert not errors, errors
    for context in contexts:
        context.close()


def load_png(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))

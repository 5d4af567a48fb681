"""The editor against servers set up differently: limits, a token, the engine list."""

from __future__ import annotations

import json
import re

import httpx
import numpy as np
import pytest

from tests.browser.conftest import PHOTO, load_png

pytestmark = pytest.mark.browser


def _server_says(url: str, **headers: str) -> str:
    """What the server itself answers to the photo with a small mask."""
    import io

    from PIL import Image

    mask = io.BytesIO()
    Image.new("L", (600, 400)).save(mask, "PNG")
    answer = httpx.post(
        f"{url}/v1/jobs",
        files={"image": PHOTO.read_bytes(), "mask": mask.getvalue()},
        data={"engine": "auto"},
        headers=headers,
        timeout=30,
    )
    assert answer.status_code >= 400
    return answer.json()["error"]["message"]


@pytest.mark.parametrize("limit", ["max_pixels", "max_upload_bytes"])
def test_an_oversized_photo_shows_the_servers_message(open_editor, start_server, limit):
    url = start_server(**{limit: 100_000})
    expected = _server_says(url)
    assert "100,000" in expected
    editor = open_editor(url)
    editor.load_photo()
    editor.drag([(100.0, 100.0), (200.0, 100.0)])
    assert editor.run() == "failed"
    shown = editor.error()
    if limit == "max_upload_bytes":  # the message names the request's own size
        shown, expected = (
            re.sub(r"request is [\d,]+", "request is N", t) for t in (shown, expected)
        )
    assert shown == expected
    editor.screenshot("error")


def test_a_token_is_asked_for_stored_and_used(open_editor, start_server):
    url = start_server(token="s3cret")
    editor = open_editor(url)
    refused = editor.error()  # the engine list needs the token: the server's 401 message
    assert "token" in refused and refused == _server_says(url)
    editor.load_photo()
    editor.drag([(100.0, 100.0), (200.0, 130.0)])
    assert editor.run() == "failed"
    assert editor.error() == refused
    editor.screenshot("refused")

    editor.page.fill("#token", "s3cret")
    editor.page.press("#token", "Enter")
    editor.page.locator("#error").wait_for(state="hidden")
    editor.page.wait_for_function("document.querySelectorAll('#engine option').length > 1")
    assert editor.run() == "done", editor.page.inner_text("#error-text")
    result = load_png(editor.result_bytes())  # job, events (?token=) and result all passed
    assert result.shape == (400, 600, 3)
    editor.screenshot("with-token")

    editor.page.reload()  # kept in this browser
    assert editor.page.input_value("#token") == "s3cret"
    editor.page.wait_for_function("document.querySelectorAll('#engine option').length > 1")
    assert editor.page.locator("#error").is_hidden()


def test_the_engine_form_follows_the_servers_schema(open_editor, server_url):
    engines = httpx.get(f"{server_url}/v1/engines").json()
    # A prompt-driven engine that is ready here, as a server with a model would list it.
    engines["diffusion"]["ready"] = True
    engines["diffusion"]["reason"] = "ready"
    editor = open_editor(server_url)
    page = editor.page
    page.route(
        "**/v1/engines",
        lambda route: route.fulfill(content_type="application/json", body=json.dumps(engines)),
    )
    page.reload()
    page.wait_for_function("document.querySelectorAll('#engine option').length > 1")
    options = page.eval_on_selector_all(
        "#engine option", "os => os.map(o => [o.value, o.disabled])"
    )
    assert [name for name, _ in options] == list(engines)
    assert {name: not disabled for name, disabled in options} == {
        name: engine["ready"] for name, engine in engines.items()
    }
    assert page.input_value("#engine") == "auto"
    assert page.locator("#engine-options textarea").count() == 0  # no prompt for auto

    page.select_option("#engine", "telea")
    radius = page.locator("#engine-options input[name=radius]")
    schema = engines["telea"]["options"]["properties"]["radius"]
    assert radius.input_value() == str(schema["default"])
    assert radius.get_attribute("min") == str(schema["minimum"])
    assert radius.get_attribute("max") == str(schema["maximum"])

    page.select_option("#engine", "diffusion")
    assert page.locator("#engine-options textarea[name=prompt]").is_visible()
    assert page.locator("#engine-options textarea[name=negative_prompt]").is_visible()
    scheduler = page.locator("#engine-options select[name=scheduler]")
    choices = scheduler.evaluate("s => [...s.options].map(o => o.value)")
    enum = engines["diffusion"]["options"]["properties"]["scheduler"]["enum"]
    assert choices == ["" if c is None else c for c in enum]
    steps = page.locator("#engine-options input[name=steps]")
    assert steps.input_value() == "30"
    editor.screenshot("diffusion-form")

    # What the page sends: the engine's options as a JSON object, typed.
    page.fill("#engine-options textarea[name=prompt]", "a wooden table")
    page.fill("#engine-options input[name=steps]", "4")
    sent: list[dict] = []

    def capture(route):
        body = route.request.post_data_buffer or b""
        sent.append({"body": body})
        route.fulfill(
            status=409,
            content_type="application/json",
            body=json.dumps({"error": {"type": "X", "message": "no model here", "status": 409}}),
        )

    page.route("**/v1/jobs", capture)
    editor.load_photo()
    editor.drag([(100.0, 100.0), (200.0, 100.0)])
    assert editor.run() == "failed"
    assert editor.error() == "no model here"
    body = sent[0]["body"]
    start = body.index(b'name="options"')
    options_json = body[body.index(b"\r\n\r\n", start) + 4 :].split(b"\r\n--")[0]
    sent_options = json.loads(options_json)
    assert sent_options["prompt"] == "a wooden table" and sent_options["steps"] == 4
    assert "model" not in sent_options  # empty nullable fields are left to the default
    assert b'name="engine"\r\n\r\ndiffusion' in body
    mask_part = body[body.index(b'name="mask"') :]
    assert b"\x89PNG" in mask_part[:400]


def test_progress_while_running_and_cancel(open_editor, server_url, gate_engine):
    editor = open_editor(server_url)  # the engine list now has the test engine
    page = editor.page
    page.select_option("#engine", gate_engine.NAME)
    editor.load_photo()
    editor.drag([(100.0, 100.0), (220.0, 140.0)])
    page.click("#run")
    assert gate_engine.entered.wait(20)  # the job is in the engine, held at the gate
    assert page.locator("#progress-box").is_visible()
    page.wait_for_function("!document.getElementById('cancel').disabled")
    page.wait_for_function("document.getElementById('progress-text').textContent === 'engine…'")
    editor.screenshot("running")
    page.click("#cancel")
    page.wait_for_function("document.body.dataset.state === 'cancelled'")
    assert "cancelled" in page.inner_text("#notice")
    assert page.locator("#error").is_hidden() and page.locator("#result-box").is_hidden()

    gate_engine.gate.set()  # the next run goes through; its steps arrive as progress
    assert editor.run() == "done", page.inner_text("#error-text")
    mask = editor.mask()
    result = load_png(editor.result_bytes())
    photo = load_png(PHOTO.read_bytes())
    assert np.array_equal(result[mask == 0], photo[mask == 0])
    assert (result[mask == 255] == 128).all()  # the test engine fills with grey 0.5

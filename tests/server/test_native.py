"""The native API under /v1, over a real server on a loopback port."""

from __future__ import annotations

import threading

import httpx
import numpy as np
import pytest

from tests.server.images import (
    b64,
    box_mask,
    data_url,
    photo,
    png,
    png_header_only,
    read_png,
)

JSON = {"Accept": "application/json"}


def _error(answer: httpx.Response, status: int) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()["error"]
    assert body["status"] == status and body["message"]
    return body["message"]


# --- inpaint ----------------------------------------------------------------------------


def test_multipart_inpaint_keeps_every_pixel_outside_the_mask(server_url):
    image, mask = photo(), box_mask()
    answer = httpx.post(
        f"{server_url}/v1/inpaint",
        files={"image": ("photo.png", png(image)), "mask": ("mask.png", png(mask))},
        data={"engine": "telea", "radius": "5", "seed": "7"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "image/png"
    assert answer.headers["x-inpaintkit-seed"] == "7"
    assert answer.headers["x-inpaintkit-engine"] == "telea"
    assert float(answer.headers["x-inpaintkit-seam-score"]) >= 0
    result = read_png(answer.content)
    assert result.shape == image.shape and result.dtype == np.uint8
    assert np.array_equal(result[mask == 0], image[mask == 0])
    assert not np.array_equal(result[mask > 0], image[mask > 0])
    assert b"inpaintkit" in answer.content  # the recipe travels in the PNG


def test_json_with_base64_and_data_urls_answers_json(server_url):
    image, mask = photo(), box_mask()
    answer = httpx.post(
        f"{server_url}/v1/inpaint",
        json={"image": b64(png(image)), "mask": data_url(png(mask)), "engine": "telea", "seed": 3},
        headers=JSON,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {"image", "seed", "engine", "seam_score", "plan", "findings", "warnings"} <= set(body)
    assert {"timings", "details"} <= set(body)
    assert body["seed"] == 3 and body["engine"] == "telea"
    assert body["plan"]["regions"] and isinstance(body["findings"], list)
    import base64

    result = read_png(base64.b64decode(body["image"]))
    assert np.array_equal(result[mask == 0], image[mask == 0])


def test_mask_box_and_options_object_in_a_form(server_url):
    image = photo()
    answer = httpx.post(
        f"{server_url}/v1/inpaint",
        files={"image": ("p.png", png(image))},
        data={"mask_box": "4,4,12,10", "engine": "telea", "options": '{"radius": 2}'},
    )
    assert answer.status_code == 200, answer.text
    result = read_png(answer.content)
    outside = np.ones(image.shape[:2], bool)
    outside[4:10, 4:12] = False
    assert np.array_equal(result[outside], image[outside])


def test_the_same_seed_gives_the_same_png(server_url):
    body = {"image": data_url(png(photo())), "mask_box": "4,4,20,14", "seed": 11}
    first = httpx.post(f"{server_url}/v1/inpaint", json=body)
    second = httpx.post(f"{server_url}/v1/inpaint", json=body)
    assert first.status_code == 200 and first.content == second.content


def test_16_bit_photo_comes_back_16_bit_and_exact_outside(server_url):
    rng = np.random.default_rng(1)
    image = rng.integers(0, 65536, (20, 24, 3), dtype=np.uint16)
    mask = box_mask(20, 24, (6, 5, 14, 12))
    answer = httpx.post(
        f"{server_url}/v1/inpaint",
        files={"image": ("p.png", png(image)), "mask": ("m.png", png(mask))},
        data={"engine": "telea"},
    )
    assert answer.status_code == 200, answer.text
    result = read_png(answer.content)
    assert result.dtype == np.uint16 and result.shape == image.shape
    assert np.array_equal(result[mask == 0], image[mask == 0])


def test_rgba_photo_keeps_its_alpha(server_url):
    image = np.dstack([photo(), np.linspace(0, 255, 24 * 32).reshape(24, 32).astype(np.uint8)])
    mask = box_mask()
    answer = httpx.post(
        f"{server_url}/v1/inpaint",
        json={"image": b64(png(image)), "mask": b64(png(mask)), "engine": "telea"},
    )
    assert answer.status_code == 200, answer.text
    result = read_png(answer.content)
    assert result.shape == (24, 32, 4)
    assert np.array_equal(result[mask == 0], image[mask == 0])
    assert np.array_equal(result[..., 3], image[..., 3])


def test_several_images_come_back_in_json(server_url):
    answer = httpx.post(
        f"{server_url}/v1/inpaint",
        json={"image": b64(png(photo())), "mask_box": "4,4,20,14", "seed": 5, "num_images": 2},
        headers=JSON,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["seed"] == 5 and [v["seed"] for v in body["variants"]] == [6]
    assert answer.headers["x-inpaintkit-images"] == "2"


# --- outpaint ---------------------------------------------------------------------------


def test_outpaint_adds_the_border_and_keeps_the_photo(server_url):
    image = photo()
    answer = httpx.post(
        f"{server_url}/v1/outpaint",
        files={"image": ("p.png", png(image))},
        data={"left": "4", "bottom": "6", "engine": "telea", "fill": "mirror"},
    )
    assert answer.status_code == 200, answer.text
    result = read_png(answer.content)
    assert result.shape == (30, 36, 3)
    assert np.array_equal(result[:24, 4:], image)


def test_outpaint_needs_a_side(server_url):
    answer = httpx.post(f"{server_url}/v1/outpaint", json={"image": b64(png(photo()))})
    message = _error(answer, 400)
    assert '"left": 256' in message


# --- errors -----------------------------------------------------------------------------


def test_size_mismatch_names_the_json_field(server_url):
    answer = httpx.post(
        f"{server_url}/v1/inpaint",
        json={"image": b64(png(photo())), "mask": b64(png(box_mask(12, 16, (2, 2, 6, 6))))},
    )
    message = _error(answer, 400)
    assert '"mask_resize": true' in message and "--mask-resize" not in message
    fixed = httpx.post(
        f"{server_url}/v1/inpaint",
        json={
            "image": b64(png(photo())),
            "mask": b64(png(box_mask(12, 16, (2, 2, 6, 6)))),
            "mask_resize": True,
            "engine": "telea",
        },
    )
    assert fixed.status_code == 200, fixed.text


IMAGE = b64(png(photo()))
BOX = {"image": IMAGE, "mask_box": "2,2,9,9"}


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"mask_box": "1,1,4,4"}, ['no "image"']),
        ({"image": IMAGE}, ['no "mask"', '"mask_box"']),
        ({"image": "bm90IGFuIGltYWdl", "mask_box": "1,1,4,4"}, ["not an image"]),
        ({"image": IMAGE, "mask_box": "../../etc/passwd"}, ['"mask_box"', "x0,y0,x1,y1"]),
        ({**BOX, "mask": "1,1,2,2"}, ["both"]),
        ({**BOX, "grow": -1}, ['"grow"', "greater than or equal to 0"]),
        ({**BOX, "engine": "nope"}, ["unknown engine", "telea"]),
        ({**BOX, "gorw": 2}, ['unknown field "gorw"', 'did you mean "grow"']),
        ({**BOX, "steps": 2}, ['"steps"', '"engine": "diffusion"']),
        ({**BOX, "engine": "telea", "radius": 0}, ['"radius"', "1 to 64"]),
        ({**BOX, "engine": "telea", "options": {"radius": 2}, "radius": 3}, ["twice"]),
        ({**BOX, "options": "[1, 2]"}, ['"options"', "JSON object"]),
        ({**BOX, "seam": "sideways"}, ['"seam"']),
        ({"image": IMAGE, "mask": "0,0,32,24", "invert_mask": True}, ['"invert_mask"']),
    ],
)
def test_bad_requests_are_400_in_json_terms(server_url, body, words):
    message = _error(httpx.post(f"{server_url}/v1/inpaint", json=body), 400)
    for word in words:
        assert word in message, message


def test_a_body_that_is_not_json_or_a_form_is_415(server_url):
    answer = httpx.post(
        f"{server_url}/v1/inpaint", content=b"\x89PNG", headers={"Content-Type": "image/png"}
    )
    assert "multipart/form-data" in _error(answer, 415)


def test_broken_json_is_400(server_url):
    answer = httpx.post(
        f"{server_url}/v1/inpaint",
        content=b'{"image": ',
        headers={"Content-Type": "application/json"},
    )
    assert "not valid JSON" in _error(answer, 400)


def test_a_field_sent_as_a_file_where_text_is_expected_is_400(server_url):
    answer = httpx.post(
        f"{server_url}/v1/inpaint",
        files={"image": ("p.png", png(photo())), "grow": ("g.txt", b"3")},
        data={"mask_box": "1,1,4,4"},
    )
    assert '"grow"' in _error(answer, 400)


def test_an_image_option_never_reads_a_server_file(server_url, tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(png(photo()))
    answer = httpx.post(
        f"{server_url}/v1/inpaint",
        json={
            "image": b64(png(photo())),
            "mask_box": "2,2,9,9",
            "engine": "diffusion",
            "control_image": str(secret),
        },
    )
    assert answer.status_code == 400, answer.text


def test_image_over_the_pixel_limit_is_413_from_its_header(start_server):
    url = start_server(max_pixels=10_000)
    # A header claiming 200×200 with no pixel data: refused before anything is decoded.
    answer = httpx.post(
        f"{url}/v1/inpaint",
        files={"image": ("big.png", png_header_only(200, 200))},
        data={"mask_box": "1,1,4,4"},
    )
    message = _error(answer, 413)
    assert "200×200" in message and "10,000" in message and "this server" in message
    # The client may lower the limit, not raise it past the server's.
    lowered = httpx.post(
        f"{url}/v1/inpaint",
        json={"image": b64(png(photo())), "mask_box": "1,1,4,4", "max_pixels": 100},
    )
    assert '"max_pixels"' in _error(lowered, 413)
    raised = httpx.post(
        f"{url}/v1/inpaint",
        json={"image": b64(png_header_only(200, 200)), "mask_box": "1,1,4,4", "max_pixels": 10**9},
    )
    assert "this server's limit of 10,000" in _error(raised, 413)


def test_upload_limit_holds_for_chunked_bodies_too(start_server):
    url = start_server(max_upload_bytes=2000)

    def chunks():
        for _ in range(10):
            yield b"x" * 500

    answer = httpx.post(
        f"{url}/v1/inpaint", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "2,000" in _error(answer, 413)


def test_the_api_needs_the_token(start_server):
    url = start_server(token="t0k")
    body = {"image": b64(png(photo())), "mask_box": "2,2,9,9", "engine": "telea"}
    assert httpx.post(f"{url}/v1/inpaint", json=body).status_code == 401
    allowed = httpx.post(f"{url}/v1/inpaint", json=body, headers={"Authorization": "Bearer t0k"})
    assert allowed.status_code == 200


def test_queue_full_is_429_and_the_server_keeps_answering(start_server, gate_engine):
    url = start_server(queue_size=0)
    body = {"image": b64(png(photo())), "mask_box": "2,2,9,9", "engine": gate_engine.NAME}
    first: dict[str, httpx.Response] = {}
    worker = threading.Thread(
        target=lambda: first.setdefault(
            "answer", httpx.post(f"{url}/v1/inpaint", json=body, timeout=60)
        )
    )
    worker.start()
    try:
        assert gate_engine.entered.wait(20), "the first request never reached the engine"
        refused = httpx.post(f"{url}/v1/inpaint", json=body)
        _error(refused, 429)
        assert int(refused.headers["retry-after"]) > 0
        assert httpx.get(f"{url}/healthz").status_code == 200
        # Another engine has its own queue.
        other = httpx.post(f"{url}/v1/inpaint", json={**body, "engine": "telea"})
        assert other.status_code == 200
    finally:
        gate_engine.gate.set()
        worker.join(30)
    assert first["answer"].status_code == 200
    assert httpx.post(f"{url}/v1/inpaint", json=body).status_code == 200


# --- engines and masks ------------------------------------------------------------------


def test_engines_list_readiness_and_option_schemas(server_url):
    engines = httpx.get(f"{server_url}/v1/engines").json()
    telea = engines["telea"]
    assert telea["ready"] is True and telea["reason"] == "ready"
    radius = telea["options"]["properties"]["radius"]
    assert radius["type"] == "integer" and radius["minimum"] == 1 and radius["default"] == 3
    assert engines["diffusion"]["ready"] is False
    assert '"model": "PATH"' in engines["diffusion"]["reason"]  # spelled as a JSON field
    assert "capabilities" in telea and "extra" in telea


def test_refine_answers_the_mask_png(server_url):
    mask = box_mask()
    answer = httpx.post(
        f"{server_url}/v1/masks/refine",
        files={"mask": ("m.png", png(mask))},
        data={"grow": "2"},
    )
    assert answer.status_code == 200, answer.text
    refined = read_png(answer.content)
    assert refined.shape == mask.shape and refined.dtype == np.uint8
    assert refined.sum() > mask.sum() and (refined[mask > 0] == 255).all()
    assert float(answer.headers["x-inpaintkit-coverage"]) > 0


def test_refine_json_with_box_image_and_preview(server_url):
    answer = httpx.post(
        f"{server_url}/v1/masks/refine",
        json={"mask_box": "4,4,12,12", "image": b64(png(photo())), "feather": 1.5, "preview": True},
        headers=JSON,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert 0 < body["coverage"] < 1 and isinstance(body["findings"], list)
    import base64

    assert read_png(base64.b64decode(body["mask"])).shape == (24, 32)
    assert read_png(base64.b64decode(body["preview"])).shape == (24, 32, 3)


def test_refine_errors_name_json_fields(server_url):
    answer = httpx.post(
        f"{server_url}/v1/masks/refine",
        json={"mask": b64(png(box_mask())), "threshold": 3},
    )
    assert '"threshold"' in _error(answer, 400)
    unknown = httpx.post(
        f"{server_url}/v1/masks/refine", json={"mask": b64(png(box_mask())), "grwo": 3}
    )
    assert '"grwo"' in _error(unknown, 400)
    boxed = httpx.post(f"{server_url}/v1/masks/refine", json={"mask_box": "1,1,3,3"})
    assert "image" in _error(boxed, 400)


def test_lint_reports_thin_strokes_for_a_latent_engine(server_url):
    line = np.zeros((64, 64), np.uint8)
    line[10:12, 4:60] = 255
    per_pixel = httpx.post(
        f"{server_url}/v1/masks/lint",
        files={"mask": ("m.png", png(line))},
        data={"engine": "telea"},
    )
    latent = httpx.post(
        f"{server_url}/v1/masks/lint", json={"mask": b64(png(line)), "engine": "diffusion"}
    )
    assert per_pixel.status_code == 200 and latent.status_code == 200
    assert "thin-stroke" not in [f["code"] for f in per_pixel.json()["findings"]]
    assert "thin-stroke" in [f["code"] for f in latent.json()["findings"]]


def test_lint_calls_an_empty_mask_a_finding(server_url):
    answer = httpx.post(
        f"{server_url}/v1/masks/lint", json={"mask": b64(png(np.zeros((8, 8), np.uint8)))}
    )
    assert answer.status_code == 200
    assert [f["code"] for f in answer.json()["findings"]] == ["empty"]


def test_every_route_has_a_summary_and_a_curl_example(server_url):
    spec = httpx.get(f"{server_url}/openapi.json").json()
    for path, methods in spec["paths"].items():
        if not path.startswith("/v1"):
            continue
        for method, operation in methods.items():
            assert operation.get("summary"), (method, path)
            assert "curl" in operation.get("description", ""), (method, path)


def test_a_photo_of_megabytes_in_json_round_trips(server_url):
    image = photo(720, 720, seed=9)  # noise: a PNG of about 1.5 MB, 2 MB as base64
    answer = httpx.post(
        f"{server_url}/v1/inpaint",
        json={"image": data_url(png(image)), "mask_box": "300,300,340,350", "engine": "telea"},
        headers=JSON,
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    import base64

    result = read_png(base64.b64decode(answer.json()["image"]))
    keep = np.ones(image.shape[:2], bool)
    keep[300:350, 300:340] = False
    assert np.array_equal(result[keep], image[keep])


def test_a_url_encoded_form_with_base64_images(server_url):
    answer = httpx.post(
        f"{server_url}/v1/inpaint",
        data={"image": b64(png(photo())), "mask_box": "2,2,9,9", "engine": "telea"},
    )
    assert answer.status_code == 200, answer.text


def test_cors_lets_a_page_read_the_result_headers(start_server):
    url = start_server(cors_origins=("http://editor.test",))
    answer = httpx.post(
        f"{url}/v1/inpaint",
        json={"image": b64(png(photo())), "mask_box": "2,2,9,9", "engine": "telea"},
        headers={"Origin": "http://editor.test"},
    )
    assert answer.headers["access-control-allow-origin"] == "http://editor.test"
    assert "x-inpaintkit-seed" in answer.headers["access-control-expose-headers"].lower()


def test_json_mask_box_may_be_a_list(server_url):
    answer = httpx.post(
        f"{server_url}/v1/inpaint",
        json={"image": b64(png(photo())), "mask_box": [2, 2, 9, 9], "engine": "telea"},
    )
    assert answer.status_code == 200, answer.text

"""The server's memory stays flat over hundreds of requests: nothing a request decodes,
runs or encodes outlives it. The server runs as its own process (``python -m inpaintkit
serve``), so its resident memory is measured alone."""

from __future__ import annotations

import sys

import httpx
import pytest

from tests.server.conftest import rss_bytes, serve_subprocess
from tests.server.images import b64, photo, png

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]

WARM_UP = 60
REQUESTS = 200
ALLOWED_GROWTH = 24 * 2**20


def test_memory_stays_flat_over_hundreds_of_requests():
    image = png(photo(96, 128, seed=3))
    body = {"image": b64(image), "mask_box": "30,20,70,60", "engine": "telea"}
    with serve_subprocess() as (url, pid), httpx.Client(timeout=60) as client:

        def one(number: int) -> None:
            if number % 4 == 0:  # a mix of routes and input forms
                answer = client.post(
                    f"{url}/v1/inpaint",
                    files={"image": ("p.png", image)},
                    data={"mask_box": "10,10,50,40", "seed": str(number)},
                )
            elif number % 4 == 1:
                answer = client.post(
                    f"{url}/v1/masks/refine",
                    json={"image": body["image"], "mask_box": "30,20,70,60", "grow": 3},
                )
            elif number % 4 == 2:
                answer = client.post(f"{url}/v1/inpaint", json={**body, "grow": -1})
                assert answer.status_code == 400
                return
            else:
                answer = client.post(
                    f"{url}/v1/inpaint", json=body, headers={"Accept": "application/json"}
                )
            assert answer.status_code == 200, answer.text

        for number in range(WARM_UP):
            one(number)
        before = rss_bytes(pid)
        for number in range(REQUESTS):
            one(number)
        after = rss_bytes(pid)
    growth = after - before
    assert growth < ALLOWED_GROWTH, f"RSS grew {growth / 2**20:.1f} MiB over {REQUESTS} requests"

"""Schemathesis over the app's own OpenAPI document, against the live server: whatever a
client sends, the answer is never a 5xx.

One test per operation. Cases come from the operation's schema in both of schemathesis'
modes (valid by the schema, and deliberately invalid) and from the schema's examples (a
tiny PNG with a box mask, so real runs happen too); bodies are multipart or JSON as the
operation declares. Only the loopback server is called. The default suite runs a few
examples per operation; ``-m slow`` runs 20 of each kind.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="needs the server's test extra")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from inpaintkit.server import create_app  # noqa: E402
from tests.server.conftest import running_server  # noqa: E402

SCHEMA = schemathesis.openapi.from_dict(create_app().openapi())
OPERATIONS = {
    operation.label: operation
    for operation in (result.ok() for result in SCHEMA.get_all_operations())
}


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    with running_server() as url:
        yield url


def _cases(label: str) -> st.SearchStrategy:
    operation = OPERATIONS[label]
    strategies = [
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        *SCHEMA.get_strategies_from_examples(operation),
    ]
    return st.one_of(strategies)


def _check(url: str, label: str, examples: int) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_cases(label))
    def never_a_server_error(case: schemathesis.Case) -> None:
        response = case.call(base_url=url, timeout=60)
        case.validate_response(response, checks=[not_a_server_error])

    never_a_server_error()


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_no_input_is_a_server_error(live_url, label):
    _check(live_url, label, examples=6)


@pytest.mark.slow
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_no_input_is_a_server_error_thorough(live_url, label):
    _check(live_url, label, examples=60)


# Schemathesis cannot make a valid image, so most of its bodies stop at decoding. Here
# the images are real (random sizes, modes and depths) and the other fields random,
# valid or not: the pipeline itself runs, and must still never answer 5xx.
FIELD_VALUES = {
    "engine": st.sampled_from(["telea", "navier-stokes", "structure", "auto", "lama", "x"]),
    "grow": st.one_of(st.integers(-2, 40), st.text(max_size=3)),
    "feather": st.one_of(st.floats(allow_nan=True), st.just("2.5")),
    "padding": st.one_of(st.none(), st.integers(-1, 100)),
    "seed": st.one_of(st.integers(-1, 2**63 + 1), st.just("x")),
    "seam": st.sampled_from(["none", "color", "poisson", "color+poisson", "bad"]),
    "mask_resize": st.one_of(st.booleans(), st.just("maybe")),
    "invert_mask": st.booleans(),
    "mask_alpha": st.sampled_from(["auto", "opaque", "transparent", "x"]),
    "num_images": st.integers(0, 3),
    "max_pixels": st.one_of(st.integers(-1, 400), st.just(10**12)),
    "radius": st.integers(-1, 70),
    "options": st.one_of(st.just({"radius": 2}), st.just({"{0:9999}": 1}), st.just([])),
}


@st.composite
def _valid_images(draw: st.DrawFn) -> tuple[bytes, bytes | str]:
    import numpy as np

    from tests.server.images import png

    height, width = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    channels = draw(st.sampled_from([0, 3, 4]))
    dtype = draw(st.sampled_from([np.uint8, np.uint16])) if channels == 3 else np.uint8
    shape = (height, width) if channels == 0 else (height, width, channels)
    seed = draw(st.integers(0, 1000))
    maximum = 65536 if dtype == np.uint16 else 256
    image = np.random.default_rng(seed).integers(0, maximum, shape).astype(dtype)
    if draw(st.booleans()):
        mask_h, mask_w = draw(st.integers(1, 12)), draw(st.integers(1, 12))
        mask = np.random.default_rng(seed + 1).integers(0, 2, (mask_h, mask_w)) * 255
        return png(image), png(mask.astype(np.uint8))
    x0, y0 = draw(st.integers(-2, 12)), draw(st.integers(-2, 12))
    return png(image), f"{x0},{y0},{x0 + draw(st.integers(0, 8))},{y0 + draw(st.integers(0, 8))}"


def _fuzz_pipeline(url: str, examples: int) -> None:
    import httpx

    from tests.server.images import b64

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        images=_valid_images(),
        fields=st.dictionaries(st.sampled_from(sorted(FIELD_VALUES)), st.none(), max_size=4),
        route=st.sampled_from(["inpaint", "outpaint", "jobs", "masks/refine", "masks/lint"]),
        data=st.data(),
    )
    def never_a_server_error(images, fields, route, data) -> None:
        image, mask = images
        body = {name: data.draw(FIELD_VALUES[name]) for name in fields}
        body["image"] = b64(image)
        body["mask" if isinstance(mask, bytes) else "mask_box"] = (
            b64(mask) if isinstance(mask, bytes) else mask
        )
        if route == "outpaint":
            body["right"] = data.draw(st.integers(-1, 8))
        if route.startswith("masks"):
            body = {k: v for k, v in body.items() if k in ("image", "mask", "mask_box", "grow")}
        answer = httpx.post(f"{url}/v1/{route}", json=body, timeout=60)
        assert answer.status_code < 500, (route, body, answer.text)
        if answer.status_code >= 400:
            assert answer.json()["error"]["message"]

    never_a_server_error()


def test_real_images_with_random_fields_are_never_a_server_error(live_url):
    _fuzz_pipeline(live_url, examples=40)


@pytest.mark.slow
def test_real_images_with_random_fields_are_never_a_server_error_thorough(live_url):
    _fuzz_pipeline(live_url, examples=400)

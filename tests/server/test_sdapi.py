"""The AUTOMATIC1111-compatible routes, against a real server: the unmodified `webuiapi`
client, and raw httpx for what that client cannot send."""

from __future__ import annotations

import base64
import io
import json
import threading
import time

import httpx
import numpy as np
import pytest
from PIL import Image

from inpaintkit import pipeline

webuiapi = pytest.importorskip("webuiapi")

HEIGHT, WIDTH = 48, 72


def make_photo() -> np.ndarray:
    """A smooth, textured RGB photo (uint8), the same every time."""
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    noise = np.random.default_rng(0).integers(0, 20, (HEIGHT, WIDTH, 3))
    return (np.dstack([xx * 3, yy * 4, xx + yy]) + noise).clip(0, 255).astype(np.uint8)


def make_mask() -> np.ndarray:
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    mask[14:30, 20:44] = 255
    return mask


def png_base64(array: np.ndarray, *, data_url: bool = False) -> str:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    text = base64.b64encode(buffer.getvalue()).decode()
    return "data:image/png;base64," + text if data_url else text


def decode(text: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(text))))


def changed(result: np.ndarray, photo: np.ndarray) -> np.ndarray:
    return (result != photo).any(axis=2)


def client(url: str, **auth: str) -> webuiapi.WebUIApi:
    port = int(url.rsplit(":", 1)[1])
    return webuiapi.WebUIApi(host="127.0.0.1", port=port, **auth)


def img2img(url: str, **fields: object) -> httpx.Response:
    body = {"init_images": [png_base64(make_photo())], "mask": png_base64(make_mask())}
    body.update(fields)
    return httpx.post(f"{url}/sdapi/v1/img2img", json=body, timeout=60)


def info_of(answer: httpx.Response) -> dict:
    assert answer.status_code == 200, answer.text
    return json.loads(answer.json()["info"])


def test_webuiapi_img2img_changes_only_the_masked_part(server_url):
    api = client(server_url)
    photo, mask = make_photo(), make_mask()
    result = api.img2img(
        images=[Image.fromarray(photo)],
        mask_image=Image.fromarray(mask),
        inpainting_fill=1,
        denoising_strength=0.75,
        prompt="a red house",
        seed=1234,
    )
    out = np.asarray(result.image)
    assert out.shape == photo.shape and result.image.mode == "RGB"
    assert not changed(out, photo)[mask == 0].any()
    assert changed(out, photo)[mask > 0].any()
    assert result.info["seed"] == 1234 and result.info["all_seeds"] == [1234]
    assert (result.info["width"], result.info["height"]) == (WIDTH, HEIGHT)
    ours = result.info["inpaintkit"]
    assert ours["engine"] == "auto"
    assert any("prompt ignored" in note for note in ours["notes"])
    assert any("photo's own size" in note for note in ours["notes"])
    assert "Seed: 1234" in result.info["infotexts"][0]
    assert "Seed: 1234" in result.image.info["parameters"]  # A1111's PNG text, too
    assert result.parameters["init_images"] is None  # include_init_images is false
    again = api.img2img(
        images=[Image.fromarray(photo)], mask_image=Image.fromarray(mask), seed=1234
    )
    assert np.array_equal(np.asarray(again.image), out)  # a fixed seed repeats


def test_webuiapi_models_options_samplers_progress_interrupt(start_server):
    url = start_server(models={"Tiny Inpaint": "/models/tiny-inpaint", "other": "/m/o.ckpt"})
    api = client(url)
    models = api.get_sd_models()
    assert [m["title"] for m in models] == ["Tiny Inpaint", "other"]
    assert models[0]["model_name"] == "tiny-inpaint"
    assert set(models[0]) == {"title", "model_name", "hash", "sha256", "filename", "config"}
    assert api.get_options()["sd_model_checkpoint"] is None
    api.util_set_model("tiny inpaint")  # webuiapi lower-cases, then finds the closest title
    assert api.util_get_current_model() == "Tiny Inpaint"
    api.set_options({"sd_model_checkpoint": "other", "jpeg_quality": 80})
    assert api.get_options() == {
        "sd_model_checkpoint": "other",
        "sd_checkpoint_hash": None,
        "jpeg_quality": 80,
    }
    refused = httpx.post(f"{url}/sdapi/v1/options", json={"sd_model_checkpoint": "nope"})
    assert refused.status_code == 400 and "'Tiny Inpaint'" in refused.json()["detail"]
    names = api.util_get_sampler_names()
    assert {"Euler a", "Euler", "DPM++ 2M", "DDIM", "UniPC", "LMS", "PLMS"} <= set(names)
    progress = api.get_progress()
    assert progress["progress"] == 0 and progress["state"]["job_count"] == 0
    assert progress["current_image"] is None
    assert api.interrupt() == {}
    assert api.get_progress()["state"]["interrupted"] is True
    assert api.get_sd_vae() == [] and api.get_upscalers() == []


def test_webuiapi_with_basic_auth(start_server):
    url = start_server(api_auth="me:pw")
    api = client(url)
    with pytest.raises(RuntimeError, match="401"):
        api.img2img(images=[Image.fromarray(make_photo())], mask_image=Image.fromarray(make_mask()))
    api.set_auth("me", "pw")
    result = api.img2img(
        images=[Image.fromarray(make_photo())], mask_image=Image.fromarray(make_mask()), seed=3
    )
    assert result.info["seed"] == 3


@pytest.mark.parametrize("mode", ["L", "RGBA", "I;16"])
def test_images_come_back_in_the_photos_own_mode(server_url, mode):
    photo = np.asarray(Image.fromarray(make_photo()).convert("RGBA" if mode == "RGBA" else "L"))
    if mode == "I;16":
        photo = photo.astype(np.uint16) * 257
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, format="PNG")
    answer = img2img(server_url, init_images=[base64.b64encode(buffer.getvalue()).decode()])
    out = Image.open(io.BytesIO(base64.b64decode(answer.json()["images"][0])))
    assert out.mode == mode
    kept = make_mask() == 0
    assert np.array_equal(np.asarray(out)[kept], photo[kept])


def test_data_url_and_raw_base64_give_the_same_picture(server_url):
    raw = img2img(server_url, seed=7)
    url = img2img(server_url, seed=7, init_images=[png_base64(make_photo(), data_url=True)])
    assert np.array_equal(decode(raw.json()["images"][0]), decode(url.json()["images"][0]))


def test_rgba_mask_is_read_by_its_alpha(server_url):
    photo = make_photo()
    # Red strokes, opaque where to regenerate, on transparent black: in colour, so only
    # its alpha makes it a mask (as in A1111).
    cutout = np.zeros((HEIGHT, WIDTH, 4), np.uint8)
    cutout[10:20, 10:30] = (255, 0, 0, 255)
    answer = img2img(server_url, mask=png_base64(cutout), seed=1)
    out = decode(answer.json()["images"][0])
    inside = cutout[..., 3] > 0
    assert not changed(out, photo)[~inside].any() and changed(out, photo)[inside].any()
    notes = info_of(answer)["inpaintkit"]["notes"]
    assert any("alpha" in note for note in notes)


def test_inpainting_mask_invert_regenerates_the_black_part(server_url):
    photo, mask = make_photo(), make_mask()
    answer = img2img(server_url, inpainting_mask_invert=1, seed=1)
    out = decode(answer.json()["images"][0])
    assert not changed(out, photo)[mask > 0].any()
    assert changed(out, photo)[mask == 0].any()


def test_seed_minus_one_is_a_random_seed_reported_in_info(server_url):
    first, second = info_of(img2img(server_url, seed=-1)), info_of(img2img(server_url))
    assert 0 <= first["seed"] < 2**32 and first["all_seeds"] == [first["seed"]]
    assert first["seed"] != second["seed"]
    assert first["subseed"] >= 0 and first["all_subseeds"] == [first["subseed"]]


def test_batch_size_gives_images_from_consecutive_seeds(server_url):
    answer = img2img(server_url, batch_size=2, seed=40)
    images = answer.json()["images"]
    info = info_of(answer)
    assert len(images) == 2 and info["all_seeds"] == [40, 41]
    single = img2img(server_url, seed=41).json()["images"][0]
    assert np.array_equal(decode(images[1]), decode(single))
    assert len(info["infotexts"]) == 2 and "Seed: 41" in info["infotexts"][1]
    too_many = img2img(server_url, batch_size=4, n_iter=5)
    assert too_many.status_code == 400 and "16" in too_many.json()["error"]["message"]


def test_unknown_fields_are_accepted_and_echoed(server_url):
    answer = img2img(
        server_url,
        seed=2,
        styles=[],
        restore_faces=True,
        script_args=[1, "x"],
        alwayson_scripts={"ControlNet": {"args": []}},
        override_settings={"CLIP_stop_at_last_layers": 2},
        something_new={"nested": [1, 2]},
        include_init_images=True,
    )
    body = answer.json()
    assert answer.status_code == 200
    assert body["parameters"]["something_new"] == {"nested": [1, 2]}
    assert body["parameters"]["init_images"]  # include_init_images echoes them
    notes = json.loads(body["info"])["inpaintkit"]["notes"]
    assert any("restore_faces" in note and "alwayson_scripts" in note for note in notes)


def test_whole_picture_mode_gives_the_engine_the_whole_photo(server_url):
    photo, mask = make_photo(), make_mask()
    answer = img2img(server_url, inpaint_full_res=False, seed=1)
    plan = info_of(answer)["inpaintkit"]["plan"]
    assert plan["regions"][0]["crop"] == [0, 0, WIDTH, HEIGHT]
    assert not changed(decode(answer.json()["images"][0]), photo)[mask == 0].any()
    cropped = info_of(img2img(server_url, inpaint_full_res_padding=4, seed=1))
    assert cropped["inpaintkit"]["plan"]["padding"] == 4


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"init_images": ["@@not base64@@"]}, 400, "init_images"),
        ({"mask": base64.b64encode(b"hello, not an image").decode()}, 400, "mask"),
        ({"init_images": []}, 400, "init_images"),
        ({"mask": None}, 400, "mask"),
        ({"mask_blur": -1}, 400, "mask_blur"),
        ({"inpainting_fill": 7}, 400, "inpainting_fill"),
        ({"seed": "soon"}, 422, "seed"),
    ],
)
def test_bad_requests_are_4xx_json_in_a1111_terms(server_url, fields, status, words):
    answer = img2img(server_url, **fields)
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert words in body["error"]["message"] and body["detail"] == body["error"]["message"]


def test_messages_name_the_a1111_fields(server_url):
    empty = img2img(server_url, mask=png_base64(np.zeros((HEIGHT, WIDTH), np.uint8)))
    assert empty.status_code == 400
    assert '"inpainting_mask_invert": 1' in empty.json()["detail"]
    wrong = img2img(server_url, inpaint_full_res_padding=99999)
    assert wrong.status_code == 400 and "inpaint_full_res_padding" in wrong.json()["detail"]


def test_an_oversized_photo_is_413_before_it_is_decoded(start_server):
    url = start_server(max_pixels=1000)
    answer = img2img(url)
    assert answer.status_code == 413 and "init_images" in answer.json()["detail"]


def test_txt2img_says_what_to_use_instead(server_url):
    answer = httpx.post(f"{server_url}/sdapi/v1/txt2img", json={"prompt": "a cat"})
    assert answer.status_code == 400
    assert "/sdapi/v1/img2img" in answer.json()["detail"]
    api = client(server_url)
    with pytest.raises(RuntimeError, match="400"):
        api.txt2img(prompt="a cat")


def test_samplers_are_checked_when_a_model_answers(start_server):
    url = start_server(models={"m": "/no/such/model"})
    answer = img2img(url, sampler_name="Heun", override_settings={"sd_model_checkpoint": "m"})
    assert answer.status_code == 400
    assert "'Euler a'" in answer.json()["detail"] and "sampler_name" in answer.json()["detail"]
    unknown = img2img(url, override_settings={"sd_model_checkpoint": "x"})
    assert unknown.status_code == 400 and "sd_model_checkpoint" in unknown.json()["detail"]


def test_progress_follows_the_run_and_interrupt_stops_a_batch(server_url, monkeypatch):
    """The pipeline is wrapped so that each image reports a step and then waits."""
    real_run = pipeline.run
    reached, release = threading.Event(), threading.Event()

    def paused_run(request, **kwargs):
        kwargs["progress"](1, 4)
        reached.set()
        assert release.wait(30)
        return real_run(request, **kwargs)

    monkeypatch.setattr(pipeline, "run", paused_run)
    answers: list[httpx.Response] = []
    worker = threading.Thread(
        target=lambda: answers.append(img2img(server_url, batch_size=3, seed=5))
    )
    worker.start()
    try:
        assert reached.wait(30)
        progress = httpx.get(f"{server_url}/sdapi/v1/progress").json()
        assert progress["state"]["job_count"] == 3 and progress["state"]["sampling_step"] == 1
        assert progress["progress"] == pytest.approx(0.25 / 3)
        assert progress["state"]["interrupted"] is False
        assert httpx.post(f"{server_url}/sdapi/v1/interrupt").json() == {}
        assert httpx.get(f"{server_url}/sdapi/v1/progress").json()["state"]["interrupted"]
    finally:
        release.set()
        worker.join(60)
    info = info_of(answers[0])
    assert len(answers[0].json()["images"]) == 1 and info["all_seeds"] == [5]
    assert any("interrupted: 1 of 3" in note for note in info["inpaintkit"]["notes"])
    deadline = time.monotonic() + 5
    while httpx.get(f"{server_url}/sdapi/v1/progress").json()["state"]["job_count"]:
        assert time.monotonic() < deadline


def test_diffusion_with_a_tiny_random_model(start_server, tmp_path):
    """Plumbing only: the model's weights are random, its pictures mean nothing."""
    pytest.importorskip("diffusers")
    torch = pytest.importorskip("torch")
    from tests.diffusion.tiny_models import build_sd

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        folder = build_sd(tmp_path / "tiny", in_channels=9)
        url = start_server(models={"tiny": str(folder)})
        api = client(url)
        api.util_set_model("tiny")
        photo, mask = make_photo(), make_mask()
        result = api.img2img(
            images=[Image.fromarray(photo)],
            mask_image=Image.fromarray(mask),
            inpainting_fill=2,
            prompt="a cat",
            steps=2,
            sampler_name="DPM++ 2M Karras",
            seed=9,
        )
    finally:
        torch.set_num_threads(threads)
    out = np.asarray(result.image)
    assert not changed(out, photo)[mask == 0].any()
    ours = result.info["inpaintkit"]
    assert ours["engine"] == "diffusion" and ours["model"] == "tiny"
    assert ours["details"]["scheduler"] == "DPMSolverMultistepScheduler"
    assert ours["details"]["masked_content"] == "latent-noise"
    assert result.info["sampler_name"] == "DPM++ 2M"
    assert any("Karras" in note for note in ours["notes"])
    assert result.info["infotexts"][0].startswith("a cat\nSteps: 2, Sampler: DPM++ 2M")

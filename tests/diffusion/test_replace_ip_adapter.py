"""IP-Adapter through ``replace`` on the tiny random SD inpainting model, with a tiny
random IP-Adapter built here (a CLIPVisionModelWithProjection and a state dict shaped for
the tiny UNet's cross-attention). Random weights: these tests check that the reference
reaches the UNet, that the adapter is gone again afterwards, the files, replay and the
errors — never what the picture looks like."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("diffusers")
torch = pytest.importorskip("torch")

import inpaintkit  # noqa: E402
from inpaintkit.apps import replace  # noqa: E402
from inpaintkit.cli import main  # noqa: E402
from inpaintkit.errors import InvalidInputError  # noqa: E402

EMBED_DIM = 16  # the tiny image encoder's projection size
TOKENS = 4  # image tokens the adapter adds, as IP-Adapter for SD 1.5


def build_ip_adapter(folder: Path, model: Path) -> Path:
    """``folder/ip-adapter.safetensors`` + ``folder/image_encoder/`` fitted to ``model``."""
    from diffusers import UNet2DConditionModel
    from safetensors.torch import save_file
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    unet = UNet2DConditionModel.from_pretrained(model, subfolder="unet")
    channels = list(unet.config.block_out_channels)
    cross = unet.config.cross_attention_dim
    generator = torch.Generator().manual_seed(0)

    def random(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=generator) * 0.2

    state = {
        "image_proj.proj.weight": random(cross * TOKENS, EMBED_DIM),
        "image_proj.proj.bias": torch.zeros(cross * TOKENS),
        "image_proj.norm.weight": torch.ones(cross),
        "image_proj.norm.bias": torch.zeros(cross),
    }
    key = 1  # diffusers numbers the cross-attention processors 1, 3, 5, ...
    for name in unet.attn_processors:
        if name.endswith("attn1.processor"):
            continue
        if name.startswith("mid_block"):
            hidden = channels[-1]
        elif name.startswith("up_blocks"):
            hidden = channels[::-1][int(name.split(".")[1])]
        else:
            hidden = channels[int(name.split(".")[1])]
        state[f"ip_adapter.{key}.to_k_ip.weight"] = random(hidden, cross)
        state[f"ip_adapter.{key}.to_v_ip.weight"] = random(hidden, cross)
        key += 2
    folder.mkdir(parents=True, exist_ok=True)
    save_file(state, str(folder / "ip-adapter.safetensors"))
    torch.manual_seed(0)
    encoder = CLIPVisionModelWithProjection(
        CLIPVisionConfig(
            hidden_size=32,
            intermediate_size=37,
            num_hidden_layers=2,
            num_attention_heads=4,
            image_size=32,
            patch_size=8,
            projection_dim=EMBED_DIM,
        )
    )
    encoder.save_pretrained(folder / "image_encoder")
    return folder / "ip-adapter.safetensors"


@pytest.fixture(scope="module")
def adapter(tmp_path_factory: pytest.TempPathFactory, tiny_sd_inpaint: Path) -> Path:
    return build_ip_adapter(tmp_path_factory.mktemp("ip_adapter"), tiny_sd_inpaint)


def photo() -> np.ndarray:
    rng = np.random.default_rng(6)
    picture = rng.integers(60, 200, (64, 64, 3)).astype(np.uint8)
    picture[16:48, 16:48] = (30, 60, 200)
    return picture


def box_mask() -> np.ndarray:
    mask = np.zeros((64, 64), np.float32)
    mask[16:48, 16:48] = 1
    return mask


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("references")
    red, stripes = folder / "red.png", folder / "stripes.png"
    Image.fromarray(np.full((40, 30, 3), (220, 20, 20), np.uint8)).save(red)
    lines = np.zeros((40, 30, 3), np.uint8)
    lines[::4] = 255
    Image.fromarray(lines).save(stripes)
    return red, stripes


def fill(model: Path, **options: object) -> np.ndarray:
    return replace(
        photo(), mask=box_mask(), prompt="a sweater", model=str(model), steps=2, seed=3,
        device="cpu", **options,
    ).image  # fmt: skip


def test_reference_steers_and_is_gone_afterwards(
    tiny_sd_inpaint: Path, adapter: Path, references: tuple[Path, Path]
) -> None:
    plain = fill(tiny_sd_inpaint)
    red = replace(
        photo(), mask=box_mask(), prompt="a sweater", model=str(tiny_sd_inpaint), steps=2,
        seed=3, device="cpu", reference=str(references[0]), ip_adapter=str(adapter),
    )  # fmt: skip
    striped = fill(tiny_sd_inpaint, reference=str(references[1]), ip_adapter=str(adapter))
    assert red.details["ip_adapter"] == {"scale": 0.6}
    kept = box_mask() == 0
    for image in (red.image, striped):
        assert np.array_equal(image[kept], photo()[kept])
    assert not np.array_equal(red.image, plain)  # the reference reached the UNet
    assert not np.array_equal(red.image, striped)  # and which reference matters
    weaker = fill(
        tiny_sd_inpaint, reference=str(references[0]), ip_adapter=str(adapter),
        ip_adapter_scale=0.0,
    )  # fmt: skip
    assert np.array_equal(weaker, plain)  # scale 0: the adapter adds nothing
    assert np.array_equal(fill(tiny_sd_inpaint), plain)  # the UNet is restored


@pytest.mark.parametrize(
    "options, words",
    [
        ({"reference": "r.png"}, "ip_adapter"),
        ({"ip_adapter": "a.safetensors"}, "reference"),
    ],
)
def test_reference_and_adapter_go_together(
    tiny_sd_inpaint: Path, options: dict, words: str
) -> None:
    with pytest.raises(InvalidInputError, match=words):
        fill(tiny_sd_inpaint, **options)


def test_bad_adapter_files_name_the_option(
    tiny_sd_inpaint: Path, adapter: Path, references: tuple[Path, Path], tmp_path: Path
) -> None:
    lonely = tmp_path / "lonely.safetensors"
    lonely.write_bytes(adapter.read_bytes())
    with pytest.raises(InvalidInputError, match="ip_adapter_encoder"):
        fill(tiny_sd_inpaint, reference=str(references[0]), ip_adapter=str(lonely))
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not weights")
    with pytest.raises(InvalidInputError, match="could not be read"):
        fill(tiny_sd_inpaint, reference=str(references[0]), ip_adapter=str(junk))
    assert np.array_equal(fill(tiny_sd_inpaint), fill(tiny_sd_inpaint))


def test_cli_replace_with_reference_replays(
    tiny_sd_inpaint: Path,
    adapter: Path,
    references: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    photo_path = tmp_path / "person.png"
    Image.fromarray(photo()).save(photo_path)
    argv = sys.argv
    sys.argv = [
        "inpaintkit", "replace", str(photo_path), "--mask", "16,16,48,48", "--prompt", "a top",
        "--model", str(tiny_sd_inpaint), "--steps", "2", "--seed", "1", "--device", "cpu",
        "--reference", str(references[0]), "--ip-adapter", str(adapter),
        "--ip-adapter-scale", "0.8",
    ]  # fmt: skip
    try:
        with pytest.raises(SystemExit) as done:
            main()
    finally:
        sys.argv = argv
    _, err = capsys.readouterr()
    assert done.value.code in (0, None), err
    result_path = tmp_path / "person.replaced.png"
    replayed = inpaintkit.replay(result_path)
    assert replayed.identical
    assert replayed.recipe["options"]["engine_params"]["ip_adapter_scale"] == 0.8

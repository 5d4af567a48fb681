"""Prompted masks through transformers: SAM from points/boxes, CLIPSeg from text.

The models are tiny and random-weight, built here and saved with ``save_pretrained``
(with a processor; CLIPSeg's CLIP tokenizer gets a made-up vocabulary). They test the
plumbing (loading, prompts, sizes, errors), never the quality of a mask.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from inpaintkit.errors import InvalidInputError, InvalidParameterError, UnreadableFileError
from inpaintkit.mask.auto import prompted_mask

torch = pytest.importorskip("torch", reason="the [segment] extra is not installed")
transformers = pytest.importorskip("transformers", reason="the [segment] extra is not installed")

PHOTO = np.random.default_rng(0).integers(0, 256, (90, 120, 3), dtype=np.uint8)


def _quiet() -> None:
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


@pytest.fixture(scope="module")
def sam_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transformers import SamConfig, SamImageProcessor, SamModel, SamProcessor

    _quiet()
    folder = tmp_path_factory.mktemp("sam")
    config = SamConfig(
        vision_config={
            "hidden_size": 16,
            "output_channels": 16,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "image_size": 64,
            "patch_size": 8,
            "window_size": 4,
            "global_attn_indexes": [1],
            "num_pos_feats": 8,
            "mlp_dim": 32,
        },
        prompt_encoder_config={
            "hidden_size": 16,
            "image_size": 64,
            "patch_size": 8,
            "mask_input_channels": 4,
        },
        mask_decoder_config={
            "hidden_size": 16,
            "mlp_dim": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "iou_head_hidden_dim": 16,
        },
    )
    torch.manual_seed(0)
    SamModel(config).save_pretrained(folder)
    images = SamImageProcessor(
        size={"longest_edge": 64},
        pad_size={"height": 64, "width": 64},
        mask_size={"longest_edge": 16},
        mask_pad_size={"height": 16, "width": 16},
    )
    SamProcessor(image_processor=images).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def clipseg_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from transformers import (
        CLIPSegConfig,
        CLIPSegForImageSegmentation,
        CLIPSegProcessor,
        CLIPTokenizer,
        ViTImageProcessor,
    )

    _quiet()
    folder = tmp_path_factory.mktemp("clipseg")
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for letter in "abcdefghijklmnopqrstuvwxyz":
        vocab[letter] = len(vocab)
        vocab[letter + "</w>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"))
    config = CLIPSegConfig(
        text_config={
            "vocab_size": len(vocab),
            "hidden_size": 16,
            "intermediate_size": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "max_position_embeddings": 16,
            "bos_token_id": 0,
            "eos_token_id": 1,
            "pad_token_id": 1,
        },
        vision_config={
            "hidden_size": 16,
            "intermediate_size": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "image_size": 32,
            "patch_size": 8,
        },
        projection_dim=16,
        extract_layers=[1],
        reduce_dim=8,
        decoder_num_attention_heads=2,
        decoder_intermediate_size=16,
    )
    torch.manual_seed(0)
    CLIPSegForImageSegmentation(config).save_pretrained(folder)
    images = ViTImageProcessor(
        size={"height": 32, "width": 32},
        image_mean=[0.485, 0.456, 0.406],
        image_std=[0.229, 0.224, 0.225],
    )
    CLIPSegProcessor(image_processor=images, tokenizer=tokenizer).save_pretrained(folder)
    return folder


def _probability_mask(folder: Path, **prompt: object) -> np.ndarray:
    """A mask at a threshold low enough that a random model selects something."""
    return prompted_mask(PHOTO, model=str(folder), threshold=0.01, **prompt)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "prompt",
    [
        {"points": [(30, 40)]},
        {"points": [(30, 40), (90, 20)], "negatives": [(5, 5)]},
        {"box": (10, 10, 80, 70)},
        {"box": (10, 10, 80, 70), "points": [(40, 40)]},
    ],
)
def test_sam_answers_points_and_boxes_with_a_mask_of_the_photo_size(sam_folder, prompt) -> None:
    mask = _probability_mask(sam_folder, **prompt)
    assert mask.shape == PHOTO.shape[:2] and mask.dtype == np.float32
    assert set(np.unique(mask)) <= {0.0, 1.0} and mask.any()


def test_clipseg_answers_text_with_a_mask_of_the_photo_size(clipseg_folder) -> None:
    mask = _probability_mask(clipseg_folder, text="a cat")
    assert mask.shape == PHOTO.shape[:2] and mask.dtype == np.float32
    assert set(np.unique(mask)) <= {0.0, 1.0} and mask.any()


def test_each_model_refuses_the_prompt_it_cannot_take(sam_folder, clipseg_folder) -> None:
    with pytest.raises(InvalidInputError, match="SAM model, which takes points or a box"):
        prompted_mask(PHOTO, model=str(sam_folder), text="a cat")
    with pytest.raises(InvalidInputError, match="give points on the object or a box"):
        prompted_mask(PHOTO, model=str(sam_folder))
    with pytest.raises(InvalidInputError, match="add a point on the object"):
        prompted_mask(PHOTO, model=str(sam_folder), negatives=[(5, 5)])
    with pytest.raises(InvalidInputError, match="CLIPSeg model, which takes a text prompt"):
        prompted_mask(PHOTO, model=str(clipseg_folder), points=[(5, 5)])
    with pytest.raises(InvalidInputError, match="takes only text"):
        prompted_mask(PHOTO, model=str(clipseg_folder), text="a cat", box=(1, 1, 50, 50))


def test_prompts_outside_the_photo_are_refused_before_loading(sam_folder) -> None:
    with pytest.raises(InvalidInputError, match="outside the 120×90 photo"):
        prompted_mask(PHOTO, model=str(sam_folder), points=[(200, 10)])
    with pytest.raises(InvalidInputError, match="lies outside"):
        prompted_mask(PHOTO, model=str(sam_folder), box=(200, 200, 300, 300))
    with pytest.raises(InvalidInputError, match="non-empty"):
        prompted_mask(PHOTO, model=str(sam_folder), text="  ")


def test_a_folder_that_is_not_a_model_says_so(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match=r"no config\.json"):
        prompted_mask(PHOTO, model=str(tmp_path), points=[(5, 5)])
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(InvalidParameterError, match="holds a bert model"):
        prompted_mask(PHOTO, model=str(tmp_path), points=[(5, 5)])
    with pytest.raises(UnreadableFileError, match="not found"):
        prompted_mask(PHOTO, model=str(tmp_path / "nowhere" / "deeper"), points=[(5, 5)])


def test_a_hub_id_not_in_the_cache_offline_says_how_to_get_it(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UnreadableFileError, match="hf download someone/sam-nowhere"):
        prompted_mask(PHOTO, model="someone/sam-nowhere", points=[(5, 5)])


def test_the_command_line_runs_sam_and_clipseg_quietly(
    sam_folder, clipseg_folder, tmp_path: Path, capsys
) -> None:
    from PIL import Image

    from tests.cli.test_cli import run_cli

    photo = tmp_path / "photo.png"
    Image.fromarray(PHOTO).save(photo)
    for folder, prompt in (
        (sam_folder, ["--point", "30,40"]),
        (clipseg_folder, ["--text", "a cat"]),
    ):
        out = tmp_path / f"{folder.name}.png"
        code, stdout, stderr = run_cli(
            "mask", "auto", photo, "--model", folder, *prompt, "--threshold", "0.01", "-o", out,
            capsys=capsys,
        )  # fmt: skip
        assert code == 0 and "wrote" in stdout and "transformers" not in stderr, stderr
        assert Image.open(out).size == (120, 90)
    code, _, stderr = run_cli(
        "mask", "auto", photo, "--model", sam_folder, "--text", "a cat", capsys=capsys
    )
    assert code == 2 and "SAM model, which takes points or a box" in stderr

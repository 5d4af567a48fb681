"""The learned half of :mod:`inpaintkit.mask.auto`: U²-Net-p (onnxruntime) and SAM /
CLIPSeg (transformers). Heavy imports happen here, on first use, never at import.

U²-Net-p is run as rembg runs it: the photo resized to 320×320 (Lanczos), divided by
its maximum, normalised with the ImageNet mean and standard deviation; the first output
(d1) is min-max normalised and resized back to the photo (Lanczos). Sessions are cached
per file (path, size, modification time).

SAM and CLIPSeg come from a folder saved with ``save_pretrained`` (model and processor
together) or a hub id; the kind is read from ``config.json``'s ``model_type``, never
from the name. A hub id is looked up in the local Hugging Face cache first, and only
then, unless ``HF_HUB_OFFLINE`` is set, on the hub. Loaded models are cached (two).
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from inpaintkit.errors import (
    InvalidInputError,
    InvalidParameterError,
    MissingExtraError,
    UnreadableFileError,
)
from inpaintkit.types import Box

__all__ = ["prompted_probability", "salient_probability"]

U2NET_SIZE = 320
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
PROMPTED_KINDS = ("sam", "clipseg")


# ---------------------------------------------------------------- U²-Net-p (onnxruntime)


def _onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError:
        raise MissingExtraError(
            "salient masks run U²-Net-p with onnxruntime, which is not installed: "
            "pip install 'inpaintkit[onnx]'",
            extra="onnx",
        ) from None
    return onnxruntime


@lru_cache(maxsize=2)
def _salient_session(path: str, size: int, modified_ns: int) -> Any:
    onnxruntime = _onnxruntime()
    try:
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own untyped errors for bad files
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UnreadableFileError(
            f"{path} is not an ONNX model onnxruntime can load ({reason[:160]}); pass "
            "u2netp.onnx (`inpaintkit models fetch u2netp`)"
        ) from None
    shape = session.get_inputs()[0].shape
    if len(shape) != 4 or shape[1] != 3:
        raise UnreadableFileError(
            f"{path} takes input {shape}, not an N×3×H×W image; pass a U²-Net ONNX model "
            "such as u2netp.onnx"
        )
    return session


def _salient_model_path(model: str | os.PathLike[str] | None) -> Path:
    if model is None:
        from inpaintkit.model_store import locate_model

        return locate_model("u2netp")
    path = Path(model).expanduser()
    if not path.is_file():
        raise UnreadableFileError(
            f"salient model {os.fspath(model)!r} is not a file; pass a U²-Net .onnx file, "
            "or leave the model out to use the fetched u2netp"
        )
    return path


def _u2net_input(pixels: np.ndarray) -> np.ndarray:
    """rembg's preprocessing: Lanczos to 320², divide by the maximum, ImageNet-normalise."""
    from PIL import Image

    small = np.asarray(
        Image.fromarray(pixels).resize((U2NET_SIZE, U2NET_SIZE), Image.Resampling.LANCZOS),
        dtype=np.float32,
    )
    small /= max(float(small.max()), 1e-6)
    mean, std = np.array(IMAGENET_MEAN, np.float32), np.array(IMAGENET_STD, np.float32)
    normalised = np.subtract(small, mean) / std
    return np.ascontiguousarray(normalised.transpose(2, 0, 1)[None], dtype=np.float32)


def salient_probability(image: Any, *, model: str | os.PathLike[str] | None = None) -> np.ndarray:
    """U²-Net-p's saliency of every pixel, float32 H×W in [0, 1] (min-max normalised)."""
    from PIL import Image

    from inpaintkit.mask.auto import _photo_uint8

    onnx_path = _salient_model_path(model)
    _onnxruntime()  # the missing extra before anything else
    pixels = _photo_uint8(image)
    height, width = pixels.shape[:2]
    stat = onnx_path.stat()
    session = _salient_session(str(onnx_path), stat.st_size, stat.st_mtime_ns)
    name = session.get_inputs()[0].name
    first = session.run(None, {name: _u2net_input(pixels)})[0]
    prediction = np.asarray(first, np.float32).reshape(first.shape[-2:])
    low, high = float(prediction.min()), float(prediction.max())
    prediction = (prediction - low) / (high - low) if high > low else np.zeros_like(prediction)
    full = Image.fromarray(prediction, mode="F").resize((width, height), Image.Resampling.LANCZOS)
    return np.clip(np.asarray(full, np.float32), 0.0, 1.0)


# ---------------------------------------------------------------- SAM and CLIPSeg (transformers)


@dataclass(frozen=True)
class _Prompted:
    kind: str  # "sam" or "clipseg"
    model: Any
    processor: Any
    device: str


def _segment_imports() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError as missing:
        raise MissingExtraError(
            f"prompted masks need {missing.name}, which is not installed: "
            "pip install 'inpaintkit[segment]'",
            extra="segment",
        ) from None
    return torch, transformers


@contextmanager
def _quietly() -> Iterator[None]:
    """transformers prints progress bars and notices (e.g. "requires torchvision") while
    loading; a library call should not write to the terminal."""
    import transformers.utils.logging as logging

    level = logging.get_verbosity()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.enable_progress_bar()
        logging.set_verbosity(level)


def _looks_like_hub_id(source: str) -> bool:
    parts = source.split("/")
    return len(parts) == 2 and all(parts) and not source.startswith((".", "~"))


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _kind_of(model_type: str, source: str) -> str:
    if model_type not in PROMPTED_KINDS:
        raise InvalidParameterError(
            f"{source} holds a {model_type or 'model of unknown type'} model; prompted masks "
            "take a SAM model (points, box) or a CLIPSeg model (text)"
        )
    return model_type


def _folder_kind(folder: Path) -> str:
    config = folder / "config.json"
    if not config.is_file():
        raise UnreadableFileError(
            f"{folder} is not a transformers model folder (no config.json); pass a folder "
            "saved with save_pretrained (model and processor), or a hub id like owner/name"
        )
    try:
        model_type = str(json.loads(config.read_text(encoding="utf-8")).get("model_type", ""))
    except (ValueError, OSError, AttributeError) as error:
        raise UnreadableFileError(f"{config} is not a valid model config: {error}") from None
    return _kind_of(model_type, str(folder))


def _classes(transformers: Any, kind: str) -> tuple[Any, Any]:
    if kind == "sam":
        return transformers.SamModel, transformers.SamProcessor
    return transformers.CLIPSegForImageSegmentation, transformers.CLIPSegProcessor


def _load_from(transformers: Any, source: str, kind: str, local_only: bool) -> tuple[Any, Any]:
    model_class, processor_class = _classes(transformers, kind)
    model = model_class.from_pretrained(source, local_files_only=local_only)
    processor = processor_class.from_pretrained(source, local_files_only=local_only)
    return model, processor


@lru_cache(maxsize=2)
def _load_prompted(source: str, stamp: float) -> _Prompted:
    torch, transformers = _segment_imports()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    folder = Path(source).expanduser()
    with _quietly():
        if folder.exists():
            if not folder.is_dir():
                raise UnreadableFileError(
                    f"{folder} is a file; pass the model's folder (saved with save_pretrained)"
                )
            kind = _folder_kind(folder)
            try:
                model, processor = _load_from(transformers, str(folder), kind, True)
            except (OSError, ValueError, TypeError) as error:
                raise UnreadableFileError(
                    f"could not load the {kind} model in {folder} ({type(error).__name__}: "
                    f"{str(error).strip().splitlines()[0][:160] if str(error).strip() else ''}); "
                    "save model and processor there with save_pretrained"
                ) from None
        elif _looks_like_hub_id(source):
            model, processor, kind = _load_hub(transformers, source)
        else:
            raise UnreadableFileError(
                f"model {source!r} not found: pass an existing folder saved with "
                "save_pretrained, or a hub id like owner/name"
            )
    model.eval().to(device)
    return _Prompted(kind, model, processor, device)


def _load_hub(transformers: Any, source: str) -> tuple[Any, Any, str]:
    attempts = (True,) if _offline() else (True, False)
    for local_only in attempts:
        try:
            config = transformers.AutoConfig.from_pretrained(source, local_files_only=local_only)
            kind = _kind_of(str(getattr(config, "model_type", "")), source)
            model, processor = _load_from(transformers, source, kind, local_only)
            return model, processor, kind
        except InvalidParameterError:
            raise
        except (OSError, ValueError):
            continue
    raise UnreadableFileError(
        f"could not load {source!r}: it is not in the local Hugging Face cache and this "
        "machine may be offline. Download it where there is a network (e.g. `hf download "
        f"{source} --local-dir DIR`) and pass the folder"
    )


def _stamp(source: str) -> float:
    config = Path(source).expanduser() / "config.json"
    try:
        return config.stat().st_mtime
    except OSError:
        return 0.0


def prompted_probability(
    pixels: np.ndarray,
    *,
    model: str,
    points: Sequence[tuple[int, int]],
    negatives: Sequence[tuple[int, int]],
    box: Box | None,
    text: str | None,
) -> np.ndarray:
    """The model's probability that each pixel is the prompted object, float32 H×W.

    ``pixels`` is uint8 RGB; the prompts are checked against its size by the caller.
    """
    if not isinstance(model, str | os.PathLike) or not os.fspath(model).strip():
        raise InvalidInputError(
            f"model must be a folder or a hub id, got {model!r}; e.g. ./models/sam-vit-base"
        )
    source = os.fspath(model)
    _segment_imports()
    loaded = _load_prompted(source, _stamp(source))
    if loaded.kind == "sam":
        if text is not None:
            raise InvalidInputError(
                f"{source} is a SAM model, which takes points or a box, not text; use a "
                "CLIPSeg model for text"
            )
        if not points and not negatives and box is None:
            raise InvalidInputError(
                f"{source} is a SAM model: give points on the object or a box around it"
            )
        if negatives and not points and box is None:
            raise InvalidInputError(
                "background points alone say nothing: add a point on the object"
            )
        return _sam_probability(loaded, pixels, points, negatives, box)
    if text is None:
        raise InvalidInputError(
            f'{source} is a CLIPSeg model, which takes a text prompt (e.g. "a dog"); use a '
            "SAM model for points and boxes"
        )
    if points or negatives or box is not None:
        raise InvalidInputError(
            f"{source} is a CLIPSeg model, which takes only text; leave out points and boxes"
        )
    return _clipseg_probability(loaded, pixels, text)


def _sam_probability(
    loaded: _Prompted,
    pixels: np.ndarray,
    points: Sequence[tuple[int, int]],
    negatives: Sequence[tuple[int, int]],
    box: Box | None,
) -> np.ndarray:
    import torch

    prompts: dict[str, Any] = {}
    clicks = [*points, *negatives]
    if clicks:
        prompts["input_points"] = [[[[float(x), float(y)] for x, y in clicks]]]
        prompts["input_labels"] = [[[1] * len(points) + [0] * len(negatives)]]
    if box is not None:
        prompts["input_boxes"] = [[[float(box.x0), float(box.y0), float(box.x1), float(box.y1)]]]
    with _quietly():
        inputs = loaded.processor(images=pixels, return_tensors="pt", **prompts)
        sizes = (inputs.pop("original_sizes"), inputs.pop("reshaped_input_sizes"))
        with torch.inference_mode():
            outputs = loaded.model(**inputs.to(loaded.device), multimask_output=False)
        logits = loaded.processor.image_processor.post_process_masks(
            outputs.pred_masks.float().cpu(), *sizes, binarize=False
        )[0]
    return torch.sigmoid(logits.reshape(logits.shape[-2:])).numpy().astype(np.float32)


def _clipseg_probability(loaded: _Prompted, pixels: np.ndarray, text: str) -> np.ndarray:
    import cv2
    import torch

    height, width = pixels.shape[:2]
    with _quietly():
        inputs = loaded.processor(
            text=[text], images=[pixels], padding=True, return_tensors="pt"
        ).to(loaded.device)
        with torch.inference_mode():
            logits = loaded.model(**inputs).logits
    grid = torch.sigmoid(logits.float().cpu()).numpy().astype(np.float32)
    grid = grid.reshape(grid.shape[-2:])
    return np.clip(cv2.resize(grid, (width, height), interpolation=cv2.INTER_LINEAR), 0.0, 1.0)

"""Tiny ONNX graphs with the input/output signatures of the published LaMa and MI-GAN
exports, for tests. Their "fill" is a constant colour, so every output is predictable;
they are stand-ins for loading and layout checks, never a real inpainting result.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# A colour no test photo has, with distinct channels so a swapped layout shows.
FILL = (1.0, 0.0, 0.5)
_OPSET = [helper.make_opsetid("", 17)]


def _dims(size: int | tuple[int, int] | None) -> tuple[int | str, int | str]:
    if size is None:
        return "height", "width"
    return (size, size) if isinstance(size, int) else size


def _save(graph: onnx.GraphProto, path: Path) -> Path:
    model = helper.make_model(graph, opset_imports=_OPSET, ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def _constant(name: str, values: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(values, name=name)


def save_lama(
    path: Path,
    *,
    size: int | tuple[int, int] | None = None,
    output_scale: float = 1.0,
    image_dtype: int = TensorProto.FLOAT,
) -> Path:
    """LaMa signature: image N×3×H×W, mask N×1×H×W float -> N×3×H×W.

    Output ``(image·(1 - mask) + FILL·mask) · output_scale``; ``size=None`` leaves H and W
    dynamic, an int fixes a square plane.
    """
    height, width = _dims(size)
    numpy_type = np.float16 if image_dtype == TensorProto.FLOAT16 else np.float32
    fill = np.array(FILL, numpy_type).reshape(1, 3, 1, 1)
    nodes = [
        helper.make_node("Sub", ["one", "mask"], ["keep"]),
        helper.make_node("Mul", ["image", "keep"], ["kept"]),
        helper.make_node("Mul", ["fill", "mask"], ["filled"]),
        helper.make_node("Add", ["kept", "filled"], ["unit"]),
        helper.make_node("Mul", ["unit", "scale"], ["output"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny-lama",
        [
            helper.make_tensor_value_info("image", image_dtype, ["batch", 3, height, width]),
            helper.make_tensor_value_info("mask", image_dtype, ["batch", 1, height, width]),
        ],
        [helper.make_tensor_value_info("output", image_dtype, ["batch", 3, height, width])],
        initializer=[
            _constant("one", np.ones(1, numpy_type)),
            _constant("fill", fill),
            _constant("scale", np.array([output_scale], numpy_type)),
        ],
    )
    return _save(graph, path)


def save_migan_pipeline(path: Path, *, size: int | None = None) -> Path:
    """MI-GAN pipeline signature: image uint8 N×3×H×W, mask uint8 N×1×H×W (255 = keep,
    0 = hole) -> uint8 N×3×H×W: the kept pixels, and FILL·255 (rounded) in the hole."""
    height, width = _dims(size)
    fill = np.rint(np.array(FILL, np.float32) * 255).reshape(1, 3, 1, 1)
    nodes = [
        helper.make_node("Cast", ["image"], ["image_f"], to=TensorProto.FLOAT),
        helper.make_node("Cast", ["mask"], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Div", ["mask_f", "levels"], ["keep"]),
        helper.make_node("Sub", ["one", "keep"], ["hole"]),
        helper.make_node("Mul", ["image_f", "keep"], ["kept"]),
        helper.make_node("Mul", ["fill", "hole"], ["filled"]),
        helper.make_node("Add", ["kept", "filled"], ["mixed"]),
        helper.make_node("Round", ["mixed"], ["rounded"]),
        helper.make_node("Cast", ["rounded"], ["result"], to=TensorProto.UINT8),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny-migan-pipeline",
        [
            helper.make_tensor_value_info("image", TensorProto.UINT8, ["batch", 3, height, width]),
            helper.make_tensor_value_info("mask", TensorProto.UINT8, ["batch", 1, height, width]),
        ],
        [helper.make_tensor_value_info("result", TensorProto.UINT8, ["batch", 3, height, width])],
        initializer=[
            _constant("levels", np.array([255.0], np.float32)),
            _constant("one", np.ones(1, np.float32)),
            _constant("fill", fill),
        ],
    )
    return _save(graph, path)


def save_migan_generator(path: Path, *, size: int = 512) -> Path:
    """MI-GAN generator signature: one float N×4×H×W input (``0.5 - hole`` and the image
    in [-1, 1] with the hole zeroed) -> N×3×H×W in [-1, 1]: the kept pixels, FILL in the
    hole."""
    fill = (np.array(FILL, np.float32) * 2 - 1).reshape(1, 3, 1, 1)
    nodes = [
        helper.make_node("Slice", ["x", "start0", "end1", "axis1"], ["known_half"]),
        helper.make_node("Slice", ["x", "end1", "end4", "axis1"], ["erased"]),
        helper.make_node("Sub", ["half", "known_half"], ["hole"]),  # 0.5 - (known - 0.5)
        helper.make_node("Mul", ["fill", "hole"], ["filled"]),
        helper.make_node("Add", ["erased", "filled"], ["output"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny-migan-generator",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, size, size])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, size, size])],
        initializer=[
            _constant("start0", np.array([0], np.int64)),
            _constant("end1", np.array([1], np.int64)),
            _constant("end4", np.array([4], np.int64)),
            _constant("axis1", np.array([1], np.int64)),
            _constant("half", np.array([0.5], np.float32)),
            _constant("fill", fill),
        ],
    )
    return _save(graph, path)


def save_unrelated(path: Path) -> Path:
    """A model with one image input and nothing like an inpainting signature."""
    graph = helper.make_graph(
        [helper.make_node("Identity", ["pixels"], ["same"])],
        "not-inpainting",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, [1, 3, 224, 224])],
        [helper.make_tensor_value_info("same", TensorProto.FLOAT, [1, 3, 224, 224])],
    )
    return _save(graph, path)

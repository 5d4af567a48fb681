"""Tiny images for the server tests, as PNG bytes, base64 and data URLs."""

from __future__ import annotations

import base64
import io
import struct
import zlib

import numpy as np
from PIL import Image


def photo(height: int = 24, width: int = 32, *, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def box_mask(height: int = 24, width: int = 32, box: tuple[int, int, int, int] = (8, 6, 18, 14)):
    x0, y0, x1, y1 = box
    mask = np.zeros((height, width), np.uint8)
    mask[y0:y1, x0:x1] = 255
    return mask


def png(array: np.ndarray) -> bytes:
    """PNG bytes of an array: uint8 grey/RGB/RGBA, or uint16 RGB (written with OpenCV,
    which keeps 16 bits per channel)."""
    if array.dtype == np.uint16:
        import cv2

        data = array if array.ndim == 2 else array[..., ::-1]  # RGB -> BGR
        ok, encoded = cv2.imencode(".png", np.ascontiguousarray(data))
        assert ok
        return encoded.tobytes()
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue()


def read_png(data: bytes) -> np.ndarray:
    """Pixels of a PNG in its own depth (uint16 for 16-bit), channels in RGB(A) order."""
    import cv2

    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    assert decoded is not None
    if decoded.ndim == 3 and decoded.shape[2] == 3:
        return decoded[..., ::-1]
    if decoded.ndim == 3 and decoded.shape[2] == 4:
        return decoded[..., [2, 1, 0, 3]]
    return decoded


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def data_url(data: bytes) -> str:
    return "data:image/png;base64," + b64(data)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width``×``height`` but holds no pixel data: only a reader that
    stops at the header answers without an error about the missing data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    ihdr = struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    end = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    return b"\x89PNG\r\n\x1a\n" + ihdr + end

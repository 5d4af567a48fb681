"""Small, exact helpers for PNG chunks: read the header, list chunks, add text and ICC.

OpenCV writes 16-bit PNGs bit-exactly but cannot attach metadata, so inpaintkit adds the
recipe (``iTXt``) and the ICC profile (``iCCP``) to its bytes here. A chunk is
``length (4 bytes, big-endian) + type (4) + data + crc32(type + data)``.

>>> png = insert_chunks(_TINY_PNG, [text_chunk("inpaintkit", '{"seed": 1}')])
>>> find_text(png, "inpaintkit")
'{"seed": 1}'
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator, Sequence
from typing import NamedTuple

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class PngHeader(NamedTuple):
    """The fields of a PNG's ``IHDR`` chunk that decide how to decode it."""

    width: int
    height: int
    bit_depth: int
    color_type: int  # 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA


def make_chunk(kind: bytes, data: bytes) -> bytes:
    """One complete chunk: length, type, data and CRC."""
    if len(kind) != 4:
        raise ValueError(f"PNG chunk type must be 4 bytes, got {kind!r}")
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def iter_chunks(png: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Yield ``(type, data)`` for each chunk; stops quietly at a truncated chunk."""
    if not png.startswith(PNG_SIGNATURE):
        return
    offset = len(PNG_SIGNATURE)
    while offset + 8 <= len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind = png[offset + 4 : offset + 8]
        end = offset + 8 + length
        if end + 4 > len(png):
            return
        yield kind, png[offset + 8 : end]
        offset = end + 4
        if kind == b"IEND":
            return


class PngScan(NamedTuple):
    """What one pass over a PNG's chunks found (see :func:`scan_chunks`)."""

    bad_chunk: bytes | None  # the type of the first chunk whose CRC does not match
    complete: bool  # every chunk is whole and IEND was reached
    kinds: frozenset[bytes]  # the chunk types seen
    exif: bytes | None  # the eXIf chunk's data, wherever it sits


def scan_chunks(png: bytes) -> PngScan:
    """Check every chunk's CRC and note the chunk types, in one pass without copies.

    Stops at the first bad or truncated chunk (then ``complete`` is False).

    >>> scan_chunks(_TINY_PNG).complete, scan_chunks(_TINY_PNG[:-4]).complete
    (True, False)
    """
    if not png.startswith(PNG_SIGNATURE):
        return PngScan(None, False, frozenset(), None)
    view = memoryview(png)
    kinds: set[bytes] = set()
    exif = None
    offset = len(PNG_SIGNATURE)
    while offset + 12 <= len(png):
        (length,) = struct.unpack_from(">I", png, offset)
        end = offset + 8 + length
        if end + 4 > len(png):
            break  # truncated: the decoder reports that
        kind = bytes(view[offset + 4 : offset + 8])
        (stored,) = struct.unpack_from(">I", png, end)
        if zlib.crc32(view[offset + 4 : end]) & 0xFFFFFFFF != stored:
            return PngScan(kind, False, frozenset(kinds), exif)
        kinds.add(kind)
        if kind == b"eXIf" and exif is None:
            exif = bytes(view[offset + 8 : end])
        if kind == b"IEND":
            return PngScan(None, True, frozenset(kinds), exif)
        offset = end + 4
    return PngScan(None, False, frozenset(kinds), exif)


def first_bad_chunk(png: bytes) -> bytes | None:
    """The type of the first complete chunk whose CRC does not match, or None."""
    return scan_chunks(png).bad_chunk


def read_header(png: bytes) -> PngHeader | None:
    """The ``IHDR`` fields, or None when ``png`` does not start like a PNG."""
    if not png.startswith(PNG_SIGNATURE) or len(png) < 33 or png[12:16] != b"IHDR":
        return None
    width, height, bit_depth, color_type = struct.unpack(">IIBB", png[16:26])
    return PngHeader(width, height, bit_depth, color_type)


def text_chunk(keyword: str, text: str) -> bytes:
    """An uncompressed ``iTXt`` chunk (UTF-8 text, no language tag)."""
    # iTXt: keyword \0 compression-flag compression-method language \0 translated \0 text
    data = keyword.encode("latin-1") + b"\0\0\0" + b"\0" + b"\0" + text.encode("utf-8")
    return make_chunk(b"iTXt", data)


def icc_chunk(profile: bytes, *, name: str = "ICC profile") -> bytes:
    """An ``iCCP`` chunk carrying ``profile`` (zlib-compressed, as the format requires)."""
    return make_chunk(b"iCCP", name.encode("latin-1") + b"\0\0" + zlib.compress(profile))


def insert_chunks(png: bytes, chunks: Sequence[bytes]) -> bytes:
    """``png`` with ``chunks`` placed straight after ``IHDR`` (valid for iCCP and iTXt)."""
    if read_header(png) is None:
        raise ValueError("not a PNG: cannot insert chunks")
    ihdr_end = len(PNG_SIGNATURE) + 8 + 13 + 4
    return png[:ihdr_end] + b"".join(chunks) + png[ihdr_end:]


def find_text(png: bytes, keyword: str) -> str | None:
    """The text stored under ``keyword`` in a ``tEXt``, ``zTXt`` or ``iTXt`` chunk."""
    wanted = keyword.encode("latin-1")
    for kind, data in iter_chunks(png):
        if kind not in (b"tEXt", b"zTXt", b"iTXt"):
            continue
        name, _, rest = data.partition(b"\0")
        if name != wanted:
            continue
        if kind == b"tEXt":
            return rest.decode("latin-1")
        if kind == b"zTXt":
            return zlib.decompress(rest[1:]).decode("latin-1")
        compressed, rest = rest[0], rest[2:]
        _language, _, rest = rest.partition(b"\0")
        _translated, _, text = rest.partition(b"\0")
        return (zlib.decompress(text) if compressed else text).decode("utf-8")
    return None


def _tiny_png() -> bytes:
    header = make_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    pixels = make_chunk(b"IDAT", zlib.compress(b"\0\0"))
    return PNG_SIGNATURE + header + pixels + make_chunk(b"IEND", b"")


_TINY_PNG = _tiny_png()

__all__ = [
    "PNG_SIGNATURE",
    "PngHeader",
    "PngScan",
    "find_text",
    "first_bad_chunk",
    "icc_chunk",
    "insert_chunks",
    "iter_chunks",
    "make_chunk",
    "read_header",
    "scan_chunks",
    "text_chunk",
]

"""PNGs deflated in bands on threads: every decoder reads back the exact pixels, for every
layout, bit depth, band size, worker count and level; chunks survive; early bands give
the same file as encoding the final pixels at once."""

from __future__ import annotations

import io
import itertools
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from inpaintkit.errors import InvalidInputError, InvalidParameterError
from inpaintkit.imageio.png_bands import (
    IDAT_BYTES,
    BandEncoder,
    adler32_combine,
    encode_png_bands,
    zlib_header,
)
from inpaintkit.imageio.png_chunks import (
    find_text,
    icc_chunk,
    iter_chunks,
    read_header,
    scan_chunks,
    text_chunk,
)

RNG = np.random.default_rng(11)


def make_pixels(shape: tuple[int, ...], dtype: type[np.integer]) -> np.ndarray:
    """Random pixels with some rows repeated (so both row filters get used) and a flat
    corner."""
    top = np.iinfo(dtype).max
    pixels = RNG.integers(0, top + 1, shape, dtype=dtype)
    pixels[2::3] = pixels[1::3][: len(pixels[2::3])]
    pixels[: shape[0] // 2, : shape[1] // 2] = top // 3
    return pixels


def decode_cv2(png: bytes) -> np.ndarray:
    decoded = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
    assert decoded is not None
    if decoded.ndim == 3:
        four = decoded.shape[2] == 4
        decoded = cv2.cvtColor(decoded, cv2.COLOR_BGRA2RGBA if four else cv2.COLOR_BGR2RGB)
    return decoded


def expected_cv2(pixels: np.ndarray) -> np.ndarray:
    """OpenCV reads grey + alpha as RGBA."""
    if pixels.ndim == 3 and pixels.shape[2] == 2:
        grey, alpha = pixels[..., 0], pixels[..., 1]
        return np.stack([grey, grey, grey, alpha], axis=-1)
    return pixels


def expected_pillow(pixels: np.ndarray) -> np.ndarray:
    """Pillow reads 16-bit grey as 16 bits but 16-bit colour (and grey + alpha) as 8."""
    if pixels.dtype == np.uint16 and pixels.ndim == 3:
        return (expected_cv2(pixels) >> 8).astype(np.uint8)
    return pixels


def decode_pillow(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        return np.array(image)


def idat_stream(png: bytes) -> bytes:
    return b"".join(data for kind, data in iter_chunks(png) if kind == b"IDAT")


def filters_used(png: bytes) -> set[int]:
    header = read_header(png)
    assert header is not None
    raw = zlib.decompress(idat_stream(png))
    row = len(raw) // header.height
    return set(raw[::row])


# ------------------------------------------------------------------ round trips


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16], ids=["8bit", "16bit"])
@pytest.mark.parametrize("channels", [None, 2, 3, 4], ids=["grey", "grey+alpha", "RGB", "RGBA"])
@pytest.mark.parametrize("size", [(1, 1), (1, 9), (9, 1), (7, 13)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_both_decoders_read_back_the_exact_pixels(
    dtype: type[np.integer], channels: int | None, size: tuple[int, int]
) -> None:
    pixels = make_pixels(size if channels is None else (*size, channels), dtype)
    for band_rows in (1, 2, 3, None, size[0]):
        files = {encode_png_bands(pixels, level=1, band_rows=band_rows, workers=w) for w in (1, 2)}
        assert len(files) == 1, "the worker count must not change the bytes"
        png = files.pop()
        scan = scan_chunks(png)
        assert scan.complete and scan.bad_chunk is None
        assert np.array_equal(decode_cv2(png), expected_cv2(pixels)), band_rows
        assert np.array_equal(decode_pillow(png), expected_pillow(pixels)), band_rows


def test_header_says_size_bit_depth_and_colour_type() -> None:
    for dtype, depth in ((np.uint8, 8), (np.uint16, 16)):
        for shape, colour in (((3, 5), 0), ((3, 5, 2), 4), ((3, 5, 3), 2), ((3, 5, 4), 6)):
            header = read_header(encode_png_bands(np.zeros(shape, dtype), level=1))
            assert header == (5, 3, depth, colour)


def test_a_photo_sized_image_uses_many_bands_threads_and_idat_chunks() -> None:
    # Noise at level 0 (stored blocks) makes a stream over 1 MiB, so IDAT is split.
    pixels = make_pixels((700, 600, 3), np.uint8)
    encoder = BandEncoder(pixels, level=0, workers=2)
    assert len(encoder.bands) > 2
    png = encoder.finish()
    sizes = [len(data) for kind, data in iter_chunks(png) if kind == b"IDAT"]
    assert len(sizes) > 1 and max(sizes) <= IDAT_BYTES
    assert np.array_equal(decode_cv2(png), pixels)
    assert np.array_equal(decode_pillow(png), pixels)


def test_the_stream_is_one_zlib_stream_with_the_right_header_and_checksum() -> None:
    pixels = make_pixels((40, 30, 3), np.uint8)
    for level in range(10):
        png = encode_png_bands(pixels, level=level, band_rows=7)
        stream = idat_stream(png)
        assert stream[:2] == zlib.compress(b"x", level)[:2]
        raw = zlib.decompress(stream)  # checks the Adler-32 too
        assert len(raw) == 40 * (1 + 30 * 3)
        assert np.array_equal(decode_cv2(png), pixels)


def test_levels_0_and_9_round_trip_and_trade_size() -> None:
    y, x = np.mgrid[0:64, 0:96]
    smooth = np.dstack([x * 2, y * 3, x + y]).astype(np.uint8)
    stored = encode_png_bands(smooth, level=0, band_rows=16)
    best = encode_png_bands(smooth, level=9, band_rows=16)
    assert len(stored) > smooth.nbytes > len(best)
    for png in (stored, best):
        assert np.array_equal(decode_pillow(png), smooth)
        assert np.array_equal(decode_cv2(png), smooth)


def test_rows_use_average_or_up_whichever_fits() -> None:
    pixels = make_pixels((30, 40, 3), np.uint8)
    assert filters_used(encode_png_bands(pixels, level=1, band_rows=4)) == {2, 3}


def test_odd_memory_layouts_are_read_as_pixels() -> None:
    pixels = make_pixels((12, 20, 3), np.uint16)
    strided = pixels[:, ::2]
    assert np.array_equal(decode_cv2(encode_png_bands(strided, level=1, band_rows=5)), strided)
    grey = make_pixels((9, 8, 1), np.uint8)
    assert np.array_equal(decode_cv2(encode_png_bands(grey, level=1)), grey[..., 0])
    big_endian = pixels.astype(">u2")
    assert np.array_equal(decode_cv2(encode_png_bands(big_endian, level=1)), pixels)


# ------------------------------------------------------------------ chunks


def test_extra_chunks_come_before_idat_and_read_back() -> None:
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    recipe = '{"seed": 7, "note": "ünïcode"}'
    chunks = [icc_chunk(profile), text_chunk("inpaintkit", recipe)]
    png = encode_png_bands(make_pixels((20, 10, 3), np.uint8), level=1, chunks=chunks, band_rows=3)
    kinds = [kind for kind, _ in iter_chunks(png)]
    assert kinds[:3] == [b"IHDR", b"iCCP", b"iTXt"]
    assert kinds[3] == b"IDAT" and kinds[-1] == b"IEND"
    scan = scan_chunks(png)
    assert scan.bad_chunk is None and scan.complete
    assert find_text(png, "inpaintkit") == recipe
    with Image.open(io.BytesIO(png)) as image:
        assert image.info["icc_profile"] == profile


# ------------------------------------------------------------------ early bands


def test_early_bands_then_changed_rows_give_the_final_pixels() -> None:
    pixels = make_pixels((40, 16, 3), np.uint8)
    changing = 9  # only row 9 is not final yet
    asked: list[tuple[int, int]] = []

    def rows_final(y0: int, y1: int) -> bool:
        asked.append((y0, y1))
        return not y0 <= changing < y1

    encoder = BandEncoder(pixels, level=1, workers=2, band_rows=5)
    # Band 5-10 holds row 9; band 10-15 does not, but its first row is filtered
    # against row 9, so it must wait too.
    assert encoder.start(rows_final) == len(encoder.bands) - 2
    assert (9, 15) in asked
    pixels[changing] = 255 - pixels[changing]
    png = encoder.finish()
    assert np.array_equal(decode_cv2(png), pixels)
    assert png == encode_png_bands(pixels, level=1, band_rows=5)


@pytest.mark.parametrize("workers", [1, 2])
def test_start_in_steps_and_finish_read_the_rows_as_they_are_then(workers: int) -> None:
    pixels = make_pixels((30, 11), np.uint16)
    encoder = BandEncoder(pixels, level=6, workers=workers, band_rows=4)
    assert encoder.start(lambda y0, y1: y1 <= 10) == 2  # bands 0-4 and 4-8
    pixels[10:20] //= 2
    assert encoder.start(lambda y0, y1: y1 <= 20) == 3  # 8-12, 12-16, 16-20
    pixels[20:] = 7
    png = encoder.finish(chunks=[text_chunk("k", "v")])
    assert np.array_equal(decode_cv2(png), pixels)
    assert png == encode_png_bands(pixels, level=6, band_rows=4, chunks=[text_chunk("k", "v")])


def test_start_with_everything_final_and_a_finished_encoder_refuses_more() -> None:
    pixels = make_pixels((25, 9, 4), np.uint8)
    encoder = BandEncoder(pixels, level=1, band_rows=6)
    assert encoder.start() == len(encoder.bands) == 5
    assert encoder.start() == 0
    png = encoder.finish()
    assert png == encode_png_bands(pixels, level=1, band_rows=6)
    with pytest.raises(RuntimeError, match="finished"):
        encoder.finish()
    with pytest.raises(RuntimeError, match="finished"):
        encoder.start()


# ------------------------------------------------------------------ determinism, layout


def test_same_input_and_layout_give_the_same_bytes() -> None:
    pixels = make_pixels((300, 400, 3), np.uint8)
    first = encode_png_bands(pixels, level=1, workers=2)
    assert first == encode_png_bands(pixels.copy(), level=1, workers=2)
    assert first == encode_png_bands(pixels, level=1, workers=1)
    layouts = {BandEncoder(pixels, level=1, workers=w).bands for w in (1, 2, 16, None)}
    assert len(layouts) == 1, "the default band layout must not depend on the workers"


def test_default_bands_cover_every_row_once() -> None:
    for shape in ((1, 1), (3, 2000, 3), (4000, 6000, 3), (50_000, 1)):
        encoder = BandEncoder(np.broadcast_to(np.uint8(0), shape), level=1)
        bands = encoder.bands
        assert bands[0][0] == 0 and bands[-1][1] == shape[0]
        assert all(a[1] == b[0] and a[0] < a[1] for a, b in itertools.pairwise(bands))
        assert len(bands) <= 16 or shape[0] * shape[1] > 16 * (8 << 20)


def test_adler32_combine_matches_zlib() -> None:
    data = RNG.integers(0, 256, 100_000, dtype=np.uint8).tobytes()
    for cut in (0, 1, 5552, 65521, 70_000, len(data)):
        first, second = data[:cut], data[cut:]
        combined = adler32_combine(zlib.adler32(first), zlib.adler32(second), len(second))
        assert combined == zlib.adler32(data)


def test_zlib_header_matches_zlib_at_every_level() -> None:
    for level in range(10):
        assert zlib_header(level) == zlib.compress(b"", level)[:2]


# ------------------------------------------------------------------ size against OpenCV


def test_files_are_about_as_small_as_opencv_on_photos_and_flat_graphics() -> None:
    skimage_data = pytest.importorskip("skimage.data")
    # Its own generator: the pattern (and so the sizes) must not depend on test order.
    pattern = np.random.default_rng(7).random((20, 30)) > 0.7
    blocks = pattern.repeat(20, 0).repeat(20, 1).astype(np.uint8) * 255
    for pixels in (skimage_data.astronaut(), skimage_data.coffee(), blocks):
        ours = encode_png_bands(pixels, level=1)
        bgr = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)
        ok, theirs = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 1])
        # 10 %, and 1 KiB of slack for files of a few KiB (headers, band flushes)
        assert ok and len(ours) <= 1.1 * len(theirs) + 1024


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "pixels",
    [
        np.zeros((4, 4), np.float32),
        np.zeros((4, 4), np.int16),
        np.zeros((4, 4, 5), np.uint8),
        np.zeros((4,), np.uint8),
        np.zeros((0, 4, 3), np.uint8),
        [[0, 1], [2, 3]],
    ],
    ids=["float", "int16", "5 channels", "1-D", "empty", "list"],
)
def test_pixels_that_are_no_png_are_refused(pixels: np.ndarray) -> None:
    with pytest.raises(InvalidInputError, match="pass"):
        encode_png_bands(pixels, level=1)


@pytest.mark.parametrize(
    "options",
    [{"level": 10}, {"level": -1}, {"level": True}, {"level": 1.0}, {"level": 1, "workers": 0}],
)
def test_bad_options_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(InvalidParameterError, match="whole number"):
        encode_png_bands(np.zeros((2, 2), np.uint8), **options)  # type: ignore[arg-type]


def test_band_rows_must_be_positive() -> None:
    with pytest.raises(InvalidParameterError, match="band_rows"):
        BandEncoder(np.zeros((2, 2), np.uint8), level=1, band_rows=0)

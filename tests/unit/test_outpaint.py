import numpy as np
import pytest

from inpaintkit.errors import InvalidInputError, InvalidParameterError
from inpaintkit.prepare.outpaint import extend_canvas

FILLS = ["edge", "mirror", "blur", "noise", "telea"]


def make_image(dtype, channels=3, height=20, width=30):
    rng = np.random.default_rng(0)
    values = rng.random((height, width, channels))
    if dtype == np.float32:
        return values.astype(np.float32)
    scale = np.iinfo(dtype).max
    return np.rint(values * scale).astype(dtype)


@pytest.mark.parametrize("fill", FILLS)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_sizes_dtype_and_original_bit_exact(fill, dtype):
    image = make_image(dtype)
    canvas, mask = extend_canvas(image, left=5, top=3, right=7, bottom=2, fill=fill, seed=1)
    assert canvas.shape == (25, 42, 3) and canvas.dtype == dtype
    assert mask.shape == (25, 42) and mask.dtype == np.float32
    np.testing.assert_array_equal(canvas[3:23, 5:35], image)
    assert np.all(mask[3:23, 5:35] == 0)
    assert mask.sum() == 25 * 42 - 20 * 30
    assert set(np.unique(mask)) == {0.0, 1.0}
    if dtype == np.float32:
        assert canvas.min() >= 0 and canvas.max() <= 1


@pytest.mark.parametrize("fill", FILLS)
def test_rgba_new_area_is_opaque_and_original_alpha_kept(fill):
    image = make_image(np.uint8, channels=4)
    canvas, mask = extend_canvas(image, right=10, bottom=4, fill=fill)
    assert canvas.shape == (24, 40, 4)
    np.testing.assert_array_equal(canvas[:20, :30], image)
    assert np.all(canvas[..., 3][mask > 0] == 255)


def test_edge_fill_repeats_border_pixels_exactly():
    image = make_image(np.uint16)
    canvas, _ = extend_canvas(image, left=4, top=2, fill="edge")
    np.testing.assert_array_equal(canvas[2:, :4], np.repeat(image[:, :1], 4, axis=1))
    np.testing.assert_array_equal(canvas[:2, 4:], np.repeat(image[:1], 2, axis=0))


def test_mirror_fill_reflects_the_image():
    image = make_image(np.uint8)
    canvas, _ = extend_canvas(image, right=3, fill="mirror")
    np.testing.assert_array_equal(canvas[:, 30:], image[:, [28, 27, 26]])


def test_mirror_fill_handles_extension_wider_than_image():
    image = make_image(np.float32, height=4, width=3)
    canvas, _ = extend_canvas(image, left=10, fill="mirror")
    assert canvas.shape == (4, 13, 3)
    np.testing.assert_array_equal(canvas[:, 10:], image)


def test_blur_fill_is_smoother_than_edge_fill():
    image = make_image(np.float32, height=40, width=40)
    edge, mask = extend_canvas(image, right=40, fill="edge")
    blur, _ = extend_canvas(image, right=40, fill="blur")
    new = mask > 0
    # Row-to-row variation in the new area drops under the blur.
    assert np.abs(np.diff(blur, axis=0))[new[1:]].mean() < 0.5 * (
        np.abs(np.diff(edge, axis=0))[new[1:]].mean()
    )
    np.testing.assert_array_equal(blur[:, :40], image)


def test_noise_fill_is_seeded_and_near_the_mean_colour():
    image = make_image(np.uint8)
    a, mask = extend_canvas(image, top=50, fill="noise", seed=7)
    b, _ = extend_canvas(image, top=50, fill="noise", seed=7)
    c, _ = extend_canvas(image, top=50, fill="noise", seed=8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    new = a[mask > 0].astype(np.float64)
    np.testing.assert_allclose(new.mean(axis=0), image.reshape(-1, 3).mean(axis=0), atol=5)


def test_telea_fill_continues_a_flat_colour():
    image = np.full((16, 16, 3), 0.25, np.float32)
    canvas, mask = extend_canvas(image, left=8, right=8, fill="telea")
    np.testing.assert_allclose(canvas[mask > 0], 0.25, atol=1e-3)


@pytest.mark.parametrize(
    "options",
    [{}, {"left": -1}, {"top": 1.5}, {"right": True}, {"left": 2, "fill": "smear"}],
)
def test_bad_parameters_are_rejected(options):
    with pytest.raises(InvalidParameterError):
        extend_canvas(make_image(np.uint8), **options)


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((8, 8), np.uint8),
        np.zeros((8, 8, 2), np.uint8),
        np.zeros((8, 8, 3), np.int32),
        np.zeros((8, 8, 3), np.complex64),
    ],
)
def test_bad_images_are_rejected(image):
    with pytest.raises(InvalidInputError):
        extend_canvas(image, left=2)


def test_float64_canvas_keeps_its_dtype_and_the_photo_exact():
    photo = np.random.default_rng(0).random((6, 5, 4))
    canvas, mask = extend_canvas(photo, right=3, fill="blur")
    assert canvas.dtype == np.float64 and np.array_equal(canvas[:, :5], photo)
    assert (canvas[:, 5:, 3] == 1.0).all() and mask[:, 5:].all()

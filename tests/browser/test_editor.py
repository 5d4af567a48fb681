"""The editor as a person uses it: open a photo, paint, run, compare, download."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from inpaintkit.imageio import RECIPE_KEYWORD
from inpaintkit.mask import feather, grow
from tests.browser.conftest import PHOTO, load_png

pytestmark = pytest.mark.browser

STROKE = [(220.0, 120.0), (300.0, 150.0), (340.0, 210.0)]


def _distance_from(mask: np.ndarray) -> np.ndarray:
    """Chebyshev distance (pixels) from each pixel to the nearest nonzero one, capped."""
    import cv2

    outside = (mask == 0).astype(np.uint8)
    return cv2.distanceTransform(outside, cv2.DIST_C, 3)


def test_paint_run_and_the_result_changes_only_under_the_stroke(open_editor, server_url):
    editor = open_editor(server_url)
    editor.screenshot("0-empty")
    editor.load_photo()
    editor.set_size(24)
    editor.drag(STROKE)
    editor.page.mouse.move(*editor.to_page(450, 320))
    editor.screenshot("1-stroke")
    mask = editor.mask()
    photo = load_png(PHOTO.read_bytes())
    assert mask.shape == photo.shape[:2]
    assert set(np.unique(mask)) == {0, 255}  # a hard brush paints white only
    # The stroke is where it was painted: its points are white, far from it is black.
    for x, y in STROKE:
        assert mask[int(y), int(x)] == 255
    assert (mask[_distance_from(mask) > 0] == 0).all()
    assert 1500 < (mask > 0).sum() < 6000

    assert editor.run() == "done", editor.page.inner_text("#error-text")
    editor.page.wait_for_timeout(100)
    editor.screenshot("2-compare")
    data = editor.result_bytes()
    result = load_png(data)
    assert result.shape == photo.shape
    assert RECIPE_KEYWORD in Image.open(io.BytesIO(data)).info  # as received: recipe kept
    outside = mask == 0
    assert np.array_equal(result[outside], photo[outside])  # bit for bit outside the mark
    far = _distance_from(mask) > 3
    assert far.sum() > 0.9 * far.size
    assert np.abs(result[~outside].astype(int) - photo[~outside]).max() > 10  # it painted
    assert "seed" in editor.page.inner_text("#result-info")


def test_soft_brush_paints_grey(open_editor, server_url):
    editor = open_editor(server_url)
    editor.load_photo()
    editor.page.keyboard.press("s")
    assert editor.page.get_attribute(".tool[data-tool=soft]", "aria-pressed") == "true"
    editor.set_size(60)
    editor.drag([(150.0, 200.0), (350.0, 200.0)])
    mask = editor.mask()
    grey = (mask > 0) & (mask < 255)
    assert grey.sum() > 500, np.unique(mask)
    assert mask.max() == 255  # the hard core
    editor.screenshot("soft")


def test_undo_and_redo_restore_the_mask(open_editor, server_url):
    editor = open_editor(server_url)
    editor.load_photo()
    editor.drag([(100.0, 100.0), (200.0, 120.0)])
    first = editor.mask()
    editor.drag([(300.0, 300.0), (450.0, 250.0)])
    second = editor.mask()
    assert (second > first).any()
    editor.page.keyboard.press("Control+z")
    assert np.array_equal(editor.mask(), first)
    editor.page.keyboard.press("Control+z")
    assert not editor.mask().any()
    editor.page.keyboard.press("Control+Shift+z")
    editor.page.keyboard.press("Control+Shift+Z")
    assert np.array_equal(editor.mask(), second)
    editor.page.click("#undo")
    assert np.array_equal(editor.mask(), first)
    editor.page.click("#redo")
    assert np.array_equal(editor.mask(), second)


def test_rectangle_lasso_eraser_invert_and_clear(open_editor, server_url):
    editor = open_editor(server_url)
    editor.load_photo()
    editor.page.keyboard.press("r")
    editor.drag([(100.0, 80.0), (260.0, 180.0)])
    mask = editor.mask()
    ys, xs = np.nonzero(mask)
    assert (xs.min(), ys.min(), xs.max(), ys.max()) == (100, 80, 259, 179)
    assert mask[80:180, 100:260].min() == 255 and mask.sum() == 255 * 160 * 100

    editor.page.keyboard.down("Alt")  # Alt subtracts
    editor.drag([(100.0, 80.0), (180.0, 180.0)])
    editor.page.keyboard.up("Alt")
    assert editor.mask()[80:180, 100:180].max() == 0

    editor.choose_tool("lasso")
    editor.drag([(400.0, 250.0), (500.0, 250.0), (450.0, 350.0), (400.0, 250.0)], steps=8)
    mask = editor.mask()
    assert mask[280, 450] == 255 and mask[340, 405] == 0  # inside and outside the triangle

    editor.choose_tool("eraser")
    editor.set_size(30)
    editor.drag([(440.0, 280.0), (460.0, 280.0)])
    assert editor.mask()[280, 450] == 0

    before = editor.mask()
    editor.page.click("#invert")
    assert np.array_equal(editor.mask(), 255 - before)
    editor.page.click("#clear")
    assert not editor.mask().any()
    editor.page.keyboard.press("Control+z")
    assert np.array_equal(editor.mask(), 255 - before)


def test_grow_and_feather_preview_is_the_mask_sent(open_editor, server_url):
    editor = open_editor(server_url)
    editor.load_photo()
    editor.set_size(16)
    editor.drag([(200.0, 200.0), (380.0, 220.0)])
    painted = editor.mask().astype(np.float32) / 255
    editor.set_range("#grow", 6)
    grown = editor.mask().astype(np.float32) / 255
    assert np.array_equal(grown, grow(painted, pixels=6))  # the library's own grow
    editor.set_range("#feather", 3)
    refined = editor.mask()
    expected = feather(grow(painted, pixels=6), sigma=3) * 255
    assert np.abs(refined.astype(np.float32) - expected).max() <= 2
    assert ((refined > 0) & (refined < 255)).sum() > 200
    editor.screenshot("grow-feather")

    assert editor.run() == "done", editor.page.inner_text("#error-text")
    result = load_png(editor.result_bytes())
    photo = load_png(PHOTO.read_bytes())
    assert np.array_equal(result[refined == 0], photo[refined == 0])


def test_grow_of_a_soft_mask_is_the_librarys_grey_dilation(open_editor, server_url):
    editor = open_editor(server_url)
    editor.load_photo()
    editor.choose_tool("soft")
    editor.set_size(40)
    editor.drag([(300.0, 60.0), (420.0, 90.0)])
    editor.drag([(590.0, 380.0), (610.0, 395.0)])  # at the border: the disk is clipped
    painted = editor.mask().astype(np.float32) / 255
    editor.set_range("#grow", 9)
    assert np.array_equal(editor.mask().astype(np.float32) / 255, grow(painted, pixels=9))


def test_zoom_pan_keep_the_brush_on_the_photo_pixel(open_editor, server_url):
    editor = open_editor(server_url)
    editor.load_photo()
    page = editor.page
    scale = float(page.get_attribute("#canvas", "data-scale"))
    x, y = editor.to_page(300, 200)
    page.mouse.move(x, y)
    page.mouse.wheel(0, -400)  # zoom in around the pointer
    page.wait_for_function(f"+document.getElementById('canvas').dataset.scale > {scale * 1.5}")
    after = editor.to_page(300, 200)
    assert abs(after[0] - x) < 1 and abs(after[1] - y) < 1  # the same pixel under it
    # Space + drag pans by exactly the drag.
    page.keyboard.down(" ")
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 120, y - 60, steps=5)
    page.mouse.up()
    page.keyboard.up(" ")
    moved = editor.to_page(300, 200)
    assert abs(moved[0] - (x - 120)) < 1 and abs(moved[1] - (y - 60)) < 1
    assert not editor.mask().any()  # panning painted nothing
    editor.set_size(10)
    editor.drag([(300.0, 200.0), (330.0, 200.0)])
    mask = editor.mask()
    assert mask[200, 300] == 255 and mask[200, 329] == 255 and mask[215, 300] == 0
    editor.screenshot("zoomed")
    # Holding O hides the overlay: the painted pixel shows the photo's own colour.
    px, py = editor.to_page(315, 200)
    box = page.locator("#canvas").bounding_box()
    clip = {"x": px - box["x"], "y": py - box["y"]}

    def colour() -> np.ndarray:
        shot = page.locator("#canvas").screenshot()
        image = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"))
        return image[int(clip["y"]), int(clip["x"])].astype(int)

    with_overlay = colour()
    page.keyboard.down("o")
    page.wait_for_timeout(100)
    original = colour()
    page.keyboard.up("o")
    page.wait_for_timeout(100)
    assert np.abs(with_overlay - original).max() > 30
    assert np.array_equal(colour(), with_overlay)


def test_keep_editing_the_result_and_reroll(open_editor, server_url):
    editor = open_editor(server_url)
    editor.load_photo()
    editor.set_size(20)
    editor.drag([(120.0, 300.0), (200.0, 320.0)])
    first_mask = editor.mask()
    editor.page.fill("#seed", "7")
    assert editor.run() == "done"
    assert "seed 7 " in editor.page.inner_text("#result-info")

    editor.page.click("#reroll")  # a new seed, written into the field, and a new run
    editor.page.wait_for_function("document.body.dataset.state === 'running'", timeout=5000)
    editor.page.wait_for_function("document.body.dataset.state === 'done'", timeout=90000)
    seed = editor.page.input_value("#seed")
    assert seed not in ("", "7") and f"seed {seed} " in editor.page.inner_text("#result-info")
    rerolled = load_png(editor.result_bytes())

    editor.page.click("#iterate")  # the result becomes the photo; the mask starts empty
    editor.page.wait_for_function("document.getElementById('view-switch').hidden")
    assert not editor.mask().any()
    editor.drag([(400.0, 100.0), (480.0, 120.0)])
    second_mask = editor.mask()
    assert editor.run() == "done"
    second = load_png(editor.result_bytes())
    # The second run started from the result: kept pixels are the result's, and those
    # differ from the photo under the first stroke.
    kept = second_mask == 0
    assert np.array_equal(second[kept], rerolled[kept])
    photo = load_png(PHOTO.read_bytes())
    assert not np.array_equal(rerolled[first_mask > 0], photo[first_mask > 0])
    editor.screenshot("iterated")


def test_open_an_existing_mask(open_editor, server_url):
    editor = open_editor(server_url)
    editor.load_photo()
    path = PHOTO.parent / "mask.png"
    editor.page.set_input_files("#mask-input", str(path))
    editor.page.wait_for_function("!document.getElementById('undo').disabled")
    assert np.array_equal(editor.mask(), np.asarray(Image.open(path).convert("L")))
    editor.screenshot("mask-opened")


def test_drop_and_paste_a_photo(open_editor, server_url):
    editor = open_editor(server_url)
    data = base64.b64encode(PHOTO.read_bytes()).decode()
    make_transfer = """async (data) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], 'dropped.png', {type: 'image/png'}));
        return transfer;
    }"""
    transfer = editor.page.evaluate_handle(make_transfer, data)
    editor.page.dispatch_event("#stage", "drop", {"dataTransfer": transfer})
    editor.page.wait_for_function(
        "document.getElementById('photo-name').textContent.startsWith('dropped.png')"
    )
    editor.page.evaluate(
        """async (data) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], 'image.png', {type: 'image/png'}));
            const paste = {clipboardData: transfer, bubbles: true};
            document.dispatchEvent(new ClipboardEvent('paste', paste));
        }""",
        data,
    )
    editor.page.wait_for_function(
        "document.getElementById('photo-name').textContent.startsWith('pasted.png')"
    )

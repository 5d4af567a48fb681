"""How the reference masks here were made (run once, then checked by eye).

Each is U²-Net-p's salient mask of a scikit-image photo (threshold 0.5), corrected by
hand where viewing the overlay showed it wrong, and saved as a 1-bit PNG:

* ``astronaut.png``: the astronaut and the helmet she holds. U²-Net-p also took two
  pieces of the flag at the left edge: cut away by polygons.
* ``coffee.png``: the cup, saucer and spoon, as U²-Net-p found them.
* ``chelsea.png``: the cat. U²-Net-p missed the cat's shoulder and chest fur at the
  lower left: added by a polygon (the background there is the top-left corner only).

Run: ``.venv/bin/python tests/data/automask/make_references.py`` (needs the fetched
u2netp and scikit-image); it rewrites the PNGs and an overlay per photo in /tmp.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

# Polygons (x, y) in photo pixels: removed from (cut) or added to (add) U²-Net-p's mask.
CUT = {
    "astronaut": [
        [(0, 240), (44, 240), (44, 283), (30, 300), (0, 300)],
        [(0, 380), (24, 380), (22, 440), (23, 512), (0, 512)],
    ],
}
ADD = {
    "chelsea": [[(0, 118), (30, 104), (70, 160), (160, 250), (250, 300), (0, 300)]],
}


def main() -> None:
    import numpy as np
    from PIL import Image
    from skimage import data

    from inpaintkit.mask import mask_from_polygons
    from inpaintkit.mask.auto import salient_mask
    from inpaintkit.preview import overlay_mask

    for name in ("astronaut", "coffee", "chelsea"):
        photo = getattr(data, name)()
        height, width = photo.shape[:2]
        mask = salient_mask(photo) > 0
        if name in CUT:
            mask &= mask_from_polygons((width, height), CUT[name]) == 0
        if name in ADD:
            mask |= mask_from_polygons((width, height), ADD[name]) > 0
        Image.fromarray(mask).convert("1").save(HERE / f"{name}.png", optimize=True)
        overlay = overlay_mask(photo, mask.astype(np.float32))
        Image.fromarray(np.rint(overlay * 255).astype(np.uint8)).save(f"/tmp/{name}_reference.png")


if __name__ == "__main__":
    main()

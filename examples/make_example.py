"""Rebuild the bundled example: scikit-image's `coffee` photo (CC0, Rachel Michetti) and a
hand-placed mask over the spoon, for an object-removal demo.

Run: .venv/bin/python examples/make_example.py
"""

from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from skimage import data

here = Path(__file__).parent
photo = data.coffee()
mask = np.zeros(photo.shape[:2], np.uint8)
# The spoon: a handle running from the top right down to a bowl resting on the saucer.
handle = np.array([[413, 66], [404, 120], [392, 180], [380, 232], [372, 252]], np.int32)
cv2.polylines(mask, [handle], isClosed=False, color=255, thickness=22)
cv2.ellipse(mask, (366, 283), (44, 48), -8, 0, 360, color=255, thickness=-1)
Image.fromarray(photo).save(here / "photo.png", optimize=True)
Image.fromarray(mask).save(here / "mask.png", optimize=True)

import numpy as np
import pytest
from PIL import Image


@pytest.fixture
def photo_u8() -> np.ndarray:
    """A small seeded 'photo': smooth gradients plus texture, uint8 RGB."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:96, 0:128].astype(np.float32)
    base = np.stack([x / 128, y / 96, (x + y) / 224], axis=-1)
    texture = rng.normal(0, 0.04, base.shape)
    return np.clip(np.rint((base + texture) * 255), 0, 255).astype(np.uint8)


@pytest.fixture
def hole() -> np.ndarray:
    mask = np.zeros((96, 128), np.float32)
    mask[30:60, 40:80] = 1.0
    return mask


@pytest.fixture
def files(tmp_path, photo_u8, hole):
    """A photo PNG and its mask PNG on disk."""
    image_path = tmp_path / "photo.png"
    mask_path = tmp_path / "mask.png"
    Image.fromarray(photo_u8).save(image_path)
    Image.fromarray((hole * 255).astype(np.uint8)).save(mask_path)
    return image_path, mask_path

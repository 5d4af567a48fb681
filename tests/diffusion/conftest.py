"""Session-wide tiny random-weight diffusion models (see tiny_models.py).

Each fixture builds its folder once per test session (once per xdist worker) and
returns its path; tests must treat the folders as read-only. Models are random:
never read their pictures as results.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .tiny_models import (
    build_controlnet,
    build_flux_fill,
    build_sd,
    build_sdxl,
    export_single_file,
)


@pytest.fixture(scope="session", autouse=True)
def _torch_single_thread() -> Iterator[None]:
    """Run torch on one thread in these tests and in the CLI processes they start.

    The test machines share two cores between several pytest processes; torch's
    default of one thread per core then spends most of its time waiting on the
    other threads (2 tiny steps took 3-15 s instead of 0.1 s). OMP_NUM_THREADS
    reaches subprocesses (`python -m inpaintkit ...`), which inherit the environment.
    """
    torch = pytest.importorskip("torch")
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OMP_NUM_THREADS", "1")
        yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def tiny_sd_inpaint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dedicated SD 1.x inpainting folder (9-channel UNet, StableDiffusionInpaintPipeline)."""
    pytest.importorskip("diffusers")
    return build_sd(tmp_path_factory.mktemp("tiny_sd_inpaint"), in_channels=9)


@pytest.fixture(scope="session")
def tiny_sd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An ordinary SD 1.x text-to-image folder (4-channel UNet, StableDiffusionPipeline)."""
    pytest.importorskip("diffusers")
    return build_sd(tmp_path_factory.mktemp("tiny_sd"), in_channels=4)


@pytest.fixture(scope="session")
def tiny_sdxl_inpaint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SDXL inpainting folder (9 channels, StableDiffusionXLInpaintPipeline)."""
    pytest.importorskip("diffusers")
    return build_sdxl(tmp_path_factory.mktemp("tiny_sdxl_inpaint"), in_channels=9)


@pytest.fixture(scope="session")
def tiny_sdxl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An ordinary SDXL text-to-image folder (4 channels, StableDiffusionXLPipeline)."""
    pytest.importorskip("diffusers")
    return build_sdxl(tmp_path_factory.mktemp("tiny_sdxl"), in_channels=4)


@pytest.fixture(scope="session")
def tiny_controlnet(tmp_path_factory: pytest.TempPathFactory, tiny_sd_inpaint: Path) -> Path:
    """A ControlNetModel folder that fits `tiny_sd_inpaint` (and `tiny_sd`)."""
    return build_controlnet(tmp_path_factory.mktemp("tiny_controlnet"), base=tiny_sd_inpaint)


@pytest.fixture(scope="session")
def tiny_sd_single_file(
    tmp_path_factory: pytest.TempPathFactory, tiny_sd_inpaint: Path
) -> tuple[Path, Path]:
    """`tiny_sd_inpaint` as one ldm-layout .safetensors file, and its config folder.

    Load with ``from_single_file(str(file), config=str(folder), local_files_only=True)``.
    """
    out_file = tmp_path_factory.mktemp("tiny_single_file") / "tiny-sd-inpainting.safetensors"
    return export_single_file(tiny_sd_inpaint, out_file), tiny_sd_inpaint


@pytest.fixture(scope="session")
def tiny_flux_fill(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A FLUX.1 Fill folder (384-channel transformer, CLIP + T5, FluxFillPipeline)."""
    pytest.importorskip("diffusers")
    return build_flux_fill(tmp_path_factory.mktemp("tiny_flux_fill"))

"""The diffusers we declare (``diffusers>=0.40,<1``) still matches what we copied from it
instead of calling its private API: FLUX latent unpacking."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
flux = pytest.importorskip("diffusers.pipelines.flux.pipeline_flux")


@pytest.mark.parametrize(("height", "width"), [(64, 64), (128, 96), (136, 72), (40, 200)])
def test_unpack_flux_latents_matches_diffusers(height: int, width: int) -> None:
    from inpaintkit.engines.diffusion.sampler import unpack_flux_latents

    scale, channels = 8, 16
    rows, columns = 2 * (height // (scale * 2)), 2 * (width // (scale * 2))
    packed = torch.randn(
        2, (rows // 2) * (columns // 2), channels * 4, generator=torch.Generator().manual_seed(0)
    )
    ours = unpack_flux_latents(packed, height, width, scale)
    theirs = flux.FluxPipeline._unpack_latents(packed, height, width, scale)
    assert ours.shape == (2, channels, rows, columns)
    assert torch.equal(ours, theirs)

"""The request schema shared by the library, the CLI, HTTP and batch manifests.

Front ends parse their own input into a :class:`Request` and hand it to
:func:`inpaintkit.pipeline.run`; validation of every option happens here, once.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from inpaintkit.errors import InvalidParameterError

SeamTreatment = Literal["none", "color", "poisson", "color+poisson"]
MaskAlpha = Literal["auto", "opaque", "transparent"]
ExtendFill = Literal["edge", "mirror", "blur", "noise", "telea"]

DEFAULT_MAX_PIXELS = 100_000_000


class Request(BaseModel):
    """One inpainting job. ``image`` and ``mask`` are paths (or a box string for the mask)
    when the request comes from a file, a command line or a manifest; the library may
    pass arrays to :func:`inpaintkit.pipeline.run` instead."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    image: str | None = None
    mask: str | None = None
    engine: str = "auto"
    grow: int = Field(0, ge=0, le=4096, description="dilate the mask by this many pixels")
    feather: float = Field(0.0, ge=0, le=1024, description="Gaussian edge inside the mask, px")
    padding: int | None = Field(None, ge=0, le=8192, description="context around each region")
    seed: int | None = Field(None, ge=0, lt=2**63)
    mask_resize: bool = False
    invert_mask: bool = False
    mask_alpha: MaskAlpha = "auto"
    seam: SeamTreatment = "none"
    max_pixels: int = Field(DEFAULT_MAX_PIXELS, gt=0)
    extend: tuple[int, int, int, int] = Field(
        (0, 0, 0, 0), description="outpainting: pixels to add left, top, right, bottom"
    )
    extend_fill: ExtendFill = "edge"
    seam_band: int | None = Field(
        None,
        ge=0,
        le=1024,
        description="outpainting: px of the photo's edge the fill may blend into "
        "(None: 32 for engines that honour soft masks, else 0)",
    )
    engine_params: dict[str, Any] = Field(default_factory=dict)
    num_images: int = Field(1, ge=1, le=16, description="variants, from seeds seed, seed+1, ...")

    @field_validator("extend")
    @classmethod
    def _extend_is_not_negative(cls, value: tuple[int, int, int, int]) -> tuple[int, ...]:
        if min(value) < 0 or max(value) > 16384:
            raise ValueError("each side must be between 0 and 16384 pixels")
        return value

    @property
    def outpaints(self) -> bool:
        return any(self.extend)


def make_request(**options: Any) -> Request:
    """Build a :class:`Request`, turning pydantic's errors into one readable line.

    >>> make_request(grow=-1)
    Traceback (most recent call last):
    ...
    inpaintkit.errors.InvalidParameterError: grow: Input should be greater than or equal to 0...
    """
    try:
        return Request(**options)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'request'}: {e['msg']} (got {e['input']!r})"
            for e in error.errors()
        )
        raise InvalidParameterError(problems) from None

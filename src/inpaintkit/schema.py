"""The request schema: one inpainting job, as every front end describes it.

Front ends parse their own input into a :class:`Request` and hand it to
:func:`inpaintkit.pipeline.run`; every option is checked here, once: the general ones by
their field declarations, the engine's own against its option table.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from inpaintkit.engines.registry import check_engine_options, resolve_engine_name
from inpaintkit.errors import InpaintKitError, InvalidParameterError

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

    @model_validator(mode="after")
    def _engine_and_options_exist(self) -> Request:
        resolve_engine_name(self.engine)
        # Canonical values (numbers as numbers, paths as text), checked once, here.
        checked = check_engine_options(self.engine, self.engine_params)
        object.__setattr__(self, "engine_params", checked)
        return self

    @property
    def outpaints(self) -> bool:
        return any(self.extend)


def make_request(**options: Any) -> Request:
    """Build a :class:`Request`, turning pydantic's errors into one readable line.

    >>> make_request(grow=-1)
    Traceback (most recent call last):
    ...
    inpaintkit.errors.InvalidParameterError: grow: input should be greater than or equal to 0...
    """
    try:
        return Request(**options)
    except ValidationError as error:
        for problem in error.errors():
            cause = problem.get("ctx", {}).get("error")
            if isinstance(cause, InpaintKitError):  # our own check, already in our words
                raise cause from None
        names = {str(e["loc"][0]) for e in error.errors() if e["loc"]}
        problems = "; ".join(_describe(e) for e in error.errors())
        raise InvalidParameterError(problems, options=dict.fromkeys(names)) from None


def _describe(problem: Any) -> str:
    """One pydantic problem as text whose field name each front end spells its way."""
    where = "{" + str(problem["loc"][0]) + "}" if problem["loc"] else "request"
    said = f"{problem['msg'].lower()} (got {problem['input']!r})"
    return f"{where}: " + said.replace("{", "{{").replace("}", "}}")

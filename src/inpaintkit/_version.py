"""The package version, in one place: ``inpaintkit.__version__``, the recipe and the
build metadata (pyproject's ``[tool.setuptools.dynamic]``) all read it from here."""

__version__ = "0.1.0"

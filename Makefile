# Every target installs what it needs into .venv first, so a fresh clone works. The demo
# needs only the core dependencies (it runs the classical `auto` engine); the tests and
# tools add the dev and diffusion extras on top (torch, diffusers: 0.45 GB becomes 1.8 GB).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
CORE_STAMP := $(VENV)/.installed-core
DEV_STAMP := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: install demo models test test-slow lint typecheck check bench bench-diffusion clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(CORE_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[dev,diffusion,server,distributed,segment]"
	touch $@ $(CORE_STAMP)

$(BENCH_STAMP): $(DEV_STAMP)
	$(PY) -m pip install --quiet -e ".[dev,bench,server,distributed,segment]"
	touch $@

install: $(DEV_STAMP)

demo: $(CORE_STAMP)
	$(VENV)/bin/inpaintkit run examples/photo.png --mask examples/mask.png \
	    --grow 3 --seed 2 -o out/demo.png --side-by-side out/demo_side_by_side.png --overwrite

# The model files inpaintkit can download (U²-Net-p, 4.5 MB, for salient masks) into
# ~/.cache/inpaintkit; a no-op when there. Offline it fails softly: the tests that need it skip.
models: $(DEV_STAMP)
	-$(VENV)/bin/inpaintkit models fetch u2netp

# Includes the browser tests (tests/browser: Playwright driving Debian's chromium, which
# .ci/run installs); without chromium they skip and say so.
test: $(DEV_STAMP) models
	$(PY) -m pytest -q -n 2 --dist loadgroup -m "not slow"

test-slow: $(DEV_STAMP)
	$(PY) -m pytest -q -m "slow"

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check src tests benchmarks examples
	$(VENV)/bin/ruff format --check src tests benchmarks examples

typecheck: $(DEV_STAMP)
	$(VENV)/bin/mypy

check: lint typecheck test

bench: $(BENCH_STAMP)
	$(PY) benchmarks/masks_bench.py
	$(PY) benchmarks/scale_bench.py
	$(PY) benchmarks/scale_bench.py --pair
	$(PY) benchmarks/io_bench.py
	$(PY) benchmarks/quality_bench.py
	$(PY) benchmarks/structure_bench.py
	$(PY) benchmarks/scratches_bench.py
	$(PY) benchmarks/applications_bench.py
	$(PY) benchmarks/batch_bench.py

# Builds a random-weight full-size SD 1.5 inpainting model (~4 GB, cached) and compares
# with raw diffusers; on a 2-core CPU one 512² step takes minutes.
bench-diffusion: $(BENCH_STAMP)
	$(PY) benchmarks/diffusion_bench.py --steps 1

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache

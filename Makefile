# Every target installs what it needs into .venv first, so a fresh clone works.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-core
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: install demo test test-slow lint typecheck check bench bench-diffusion clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,diffusion]"
	touch $@

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[dev,diffusion,bench]"
	touch $@

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/inpaintkit run examples/photo.png --mask examples/mask.png \
	    --grow 3 --seed 2 -o out/demo.png --side-by-side out/demo_side_by_side.png --overwrite

test: $(STAMP)
	$(PY) -m pytest -q -n 2 -m "not slow and not browser"

test-slow: $(STAMP)
	$(PY) -m pytest -q -m "slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks examples
	$(VENV)/bin/ruff format --check src tests benchmarks examples

typecheck: $(STAMP)
	$(VENV)/bin/mypy

check: lint typecheck test

bench: $(BENCH_STAMP)
	$(PY) benchmarks/masks_bench.py
	$(PY) benchmarks/scale_bench.py
	$(PY) benchmarks/quality_bench.py
	$(PY) benchmarks/structure_bench.py
	$(PY) benchmarks/scratches_bench.py

# Builds a random-weight full-size SD 1.5 inpainting model (~4 GB, cached) and compares
# with raw diffusers; on a 2-core CPU one 512² step takes minutes.
bench-diffusion: $(BENCH_STAMP)
	$(PY) benchmarks/diffusion_bench.py --steps 1

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache

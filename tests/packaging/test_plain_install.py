"""A plain ``pip install inpaintkit`` (no extras, not editable) in a fresh venv gives a
working library and CLI: usage errors are typer's usage message with exit code 2, never a
traceback, and nothing imports torch or click.

The venv is built from a copy of the source (pyproject.toml, README.md, src/): building in
the checkout itself would write build/ and *.egg-info there, and two runs at once would
race on them. pip uses its configured index and cache. One test, not one per command, so
that pytest-xdist builds the venv once; a failure lists every check that failed. About
half a minute on 2 cores.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PHOTO = ROOT / "examples" / "photo.png"
MASK = ROOT / "examples" / "mask.png"

# (arguments, what stderr must say besides the usage line): typer's own usage errors, the
# ones a plain install once answered with a traceback (click was imported but not installed).
USAGE_ERRORS: list[tuple[list[str | Path], str]] = [
    (["rnu"], "No such command 'rnu'"),
    (["run", PHOTO], "Missing option '--mask'"),
    (["run", PHOTO, "-m", "1,1,5,5", "--bogus"], "No such option: --bogus"),
]


class Venv:
    """A fresh venv and how to run its commands: from a scratch folder, with nothing of
    the test's own environment (PYTHONPATH, the dev venv) leaking in."""

    def __init__(self, path: Path, work: Path) -> None:
        self.path = path
        self.work = work
        self.bin = path / "bin"
        self.python = self.bin / "python"
        dropped = {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV"}
        self.env = {key: value for key, value in os.environ.items() if key not in dropped}
        self.env |= {
            "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "VIRTUAL_ENV": str(path),
            "NO_COLOR": "1",
            "TERM": "dumb",
            "COLUMNS": "160",  # typer's error box wraps long messages at 80 columns
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        }

    def run(self, *args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(arg) for arg in args],
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def _copy_source(target: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    target.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, target / name)
    for license_file in ROOT.glob("LICEN[CS]E*"):
        shutil.copy2(license_file, target / license_file.name)
    shutil.copytree(ROOT / "src", target / "src", ignore=ignore)
    return target


def _make_venv(base: Path) -> Venv:
    source = _copy_source(base / "source")
    (base / "work").mkdir()
    created = subprocess.run(
        [sys.executable, "-m", "venv", str(base / "venv")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    venv = Venv(base / "venv", base / "work")
    # The venv's own pip, as a user who types `pip install inpaintkit` has it.
    installed = venv.run(venv.python, "-m", "pip", "install", "--quiet", source, timeout=600)
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    return venv


def _problem(what: str, done: subprocess.CompletedProcess[str], code: int) -> str | None:
    """What is wrong with one command's outcome, or None."""
    wrong = []
    if done.returncode != code:
        wrong.append(f"exit {done.returncode}, expected {code}")
    if "Traceback" in done.stderr or "Traceback" in done.stdout:
        wrong.append("a traceback")
    if not wrong:
        return None
    last = done.stderr.strip().splitlines()[-1:] or [""]
    output = f"\n  stdout: {done.stdout[-1500:]!r}\n  stderr: {done.stderr[-1500:]!r}"
    return f"{what}: {', '.join(wrong)}: {last[0]}{output}"


@pytest.mark.packaging
def test_plain_install_gives_a_working_cli(tmp_path: Path) -> None:
    venv = _make_venv(tmp_path)
    problems: list[str] = []

    def check(what: str, done: subprocess.CompletedProcess[str], code: int, *says: str) -> None:
        problem = _problem(what, done, code)
        missing = [text for text in says if text not in done.stderr]
        if problem is None and missing:
            problem = f"{what}: stderr lacks {missing}\n  stderr: {done.stderr[-1500:]!r}"
        if problem is not None:
            problems.append(problem)

    installed_here = venv.run(
        venv.python,
        "-c",
        "import importlib.metadata, pathlib, sys, inpaintkit; "
        "assert pathlib.Path(inpaintkit.__file__).is_relative_to(sys.prefix), inpaintkit.__file__; "
        "assert inpaintkit.__version__ == importlib.metadata.version('inpaintkit'); "
        "heavy = {'torch', 'diffusers', 'transformers', 'onnxruntime', 'click'}; "
        "assert not heavy & set(sys.modules), heavy & set(sys.modules)",
    )
    check("import inpaintkit (installed copy, no torch)", installed_here, 0)

    # typer >= 0.26 vendors its own click, so click may not be installed at all; either way
    # inpaintkit must never import it: block it and use the CLI.
    click = venv.run(venv.python, "-m", "pip", "show", "--quiet", "click")
    without_click = venv.run(
        venv.python,
        "-c",
        "import sys; sys.modules['click'] = None; "  # `import click` now raises ImportError
        "import inpaintkit.cli; sys.argv = ['inpaintkit', 'rnu']; inpaintkit.cli.main()",
    )
    installed = "installed" if click.returncode == 0 else "not installed"
    check(f"inpaintkit.cli with click blocked (click {installed})", without_click, 2, "rnu")

    for args, message in USAGE_ERRORS:
        done = venv.run(venv.bin / "inpaintkit", *args)
        shown = " ".join(str(arg) for arg in args)
        check(f"inpaintkit {shown}", done, 2, "Usage: inpaintkit", message)

    for args in (["--help"], ["engines"]):
        check(f"inpaintkit {args[0]}", venv.run(venv.bin / "inpaintkit", *args), 0)

    # Without the [server] extra, serve names the extra (exit 2); the editor's files ship.
    check("inpaintkit serve", venv.run(venv.bin / "inpaintkit", "serve"), 2, "inpaintkit[server]")
    shipped = venv.run(
        venv.python,
        "-c",
        "import importlib.resources as r; static = r.files('inpaintkit') / 'server' / 'static'; "
        "assert (static / 'index.html').is_file() and (static / 'js' / 'main.js').is_file()",
    )
    check("the web editor's files are installed", shipped, 0)

    output = venv.work / "photo.inpainted.png"
    done = venv.run(venv.bin / "inpaintkit", "run", PHOTO, "--mask", MASK, "-o", output)
    check("inpaintkit run photo.png --mask mask.png", done, 0)
    if done.returncode == 0 and not output.is_file():
        problems.append(f"inpaintkit run exited 0 but wrote no {output}")

    assert not problems, "\n".join(problems)

"""The whole bad-input corpus through the command line: exit 2, one line, no output file."""

import pytest

from inpaintkit.cli import main
from tests.bad_inputs import make_bad_inputs
from tests.cli.test_cli import run_cli, run_console


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_bad_inputs(tmp_path_factory.mktemp("bad"))


def test_every_bad_input_is_a_one_line_exit_2(corpus, tmp_path, capsys):
    assert len(corpus) >= 20
    for case in corpus:
        out = tmp_path / f"{case.name}.png"
        mask = case.mask if case.mask is not None else "0,0,4,4"
        code, _, stderr = run_cli("run", case.image, "-m", mask, "-o", out, capsys=capsys)
        message = stderr.strip()
        assert code == 2, f"{case.name}: exit {code}: {message}"
        assert message.startswith("error: ") and "\n" not in message, case.name
        assert case.fragment.lower() in message.lower(), f"{case.name}: {message}"
        assert "Traceback" not in stderr and not out.exists(), case.name
    assert main  # the in-process runner above goes through the real entry point


def test_console_script_on_a_corrupt_file(corpus, tmp_path):
    case = next(c for c in corpus if c.name.startswith("image-truncated"))
    done = run_console("run", case.image, "-m", "0,0,4,4", "-o", tmp_path / "o.png")
    assert done.returncode == 2 and done.stderr.count("\n") == 1

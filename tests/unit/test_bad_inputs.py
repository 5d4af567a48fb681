"""Every bad input in the corpus fails with its own error class and a one-line message
that names the file and says what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from inpaintkit.errors import spell_flag
from inpaintkit.imageio import load_image, load_mask
from inpaintkit.types import Extent

try:
    from tests.bad_inputs import BadCase, make_bad_inputs
except ImportError:  # tests/ is not a package: import it from its own folder
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bad_inputs import BadCase, make_bad_inputs  # type: ignore[no-redef]


def _case_names() -> list[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        return [case.name for case in make_bad_inputs(folder)]


CASE_NAMES = _case_names()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BadCase]:
    return {case.name: case for case in make_bad_inputs(tmp_path_factory.mktemp("bad"))}


def test_corpus_is_broad() -> None:
    assert len(CASE_NAMES) >= 22
    assert len(set(CASE_NAMES)) == len(CASE_NAMES)
    assert any(n.startswith("image-") for n in CASE_NAMES)
    assert any(n.startswith("mask-") for n in CASE_NAMES)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_bad_input_raises_named_one_line_error(name: str, corpus: dict[str, BadCase]) -> None:
    case = corpus[name]
    with pytest.raises(case.error) as caught:
        image = load_image(case.image)
        if case.mask is not None:
            load_mask(case.mask, size=Extent(*image.size))
    message = str(caught.value)
    # The corpus speaks the CLI's words; the same error spelled for the CLI must match.
    assert case.fragment in caught.value.spelled(spell_flag)
    assert "\n" not in message
    assert case.culprit in message


def test_library_messages_name_keywords_not_flags(corpus: dict[str, BadCase]) -> None:
    case = corpus["mask-size-mismatch"]
    image = load_image(case.image)
    with pytest.raises(case.error, match="pass mask_resize=True"):
        load_mask(case.mask, size=Extent(*image.size))


def test_good_pair_in_corpus_folder_loads(corpus: dict[str, BadCase]) -> None:
    image = load_image(corpus["mask-all-zero"].image)
    mask = load_mask("2,2,8,8", size=image.size)
    assert mask.mask.shape == (image.size.height, image.size.width)

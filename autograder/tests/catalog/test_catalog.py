"""The catalog itself: every variant fits the reference, ids and parts are sound, edits refuse
loudly, and submissions hold what a student hands in. Fast: nothing is graded here."""

import ast

import pytest

from autograder.catalog import ALTERNATIVES, BUGS, Alternative, Bug, CatalogError, Edit, Replace, find, make_submission
from autograder.catalog.variants import REFERENCE, apply, by_part
from tests.support.manifest import load_manifest

MANIFEST = load_manifest()
VARIANTS = (*BUGS, *ALTERNATIVES)
MORE_BUGS_FOR = ("batchnorm", "conv", "pool", "optim", "fc_net")


def test_sizes_and_coverage():
    assert len(BUGS) >= 45 and len(ALTERNATIVES) >= 10
    bugs = by_part(BUGS)
    assert sorted(bugs) == sorted(MANIFEST.part_ids), "every part has bugs, and no bug names an unknown part"
    assert {part: len(found) for part, found in bugs.items() if len(found) < 3} == {}
    assert {part: len(bugs[part]) for part in MORE_BUGS_FOR if len(bugs[part]) < 5} == {}
    assert {alternative.part for alternative in ALTERNATIVES} <= set(MANIFEST.part_ids)


def test_ids_are_unique_and_say_their_part():
    ids = [variant.id for variant in VARIANTS]
    assert len(ids) == len(set(ids))
    for variant in VARIANTS:
        part, _, what = variant.id.partition(".")
        assert part in MANIFEST.part_ids and what.isidentifier(), variant.id


@pytest.mark.parametrize("bug", BUGS, ids=[bug.id for bug in BUGS])
def test_bug_texts_are_one_line_and_hints_show_no_code(bug):
    assert bug.name and "\n" not in bug.name
    assert bug.hint and "\n" not in bug.hint
    assert not any(token in bug.hint for token in ("np.", "==", "+=", "self.", "()")), bug.hint


@pytest.mark.parametrize("variant", VARIANTS, ids=[variant.id for variant in VARIANTS])
def test_variant_fits_the_reference(variant):
    edited = apply(variant)
    for path, text in edited.items():
        assert path in MANIFEST.editable
        ast.parse(text)
        assert text != (REFERENCE / path).read_text()


def test_an_edit_refuses_a_missing_or_repeated_snippet():
    with pytest.raises(CatalogError, match="not found"):
        Edit("layers.py", "no such text", "x").apply("some text", "demo")
    with pytest.raises(CatalogError, match="found 2 times"):
        Edit("layers.py", "a", "b").apply("a a", "demo")
    assert Edit("layers.py", "a b", "c").apply("a b a", "demo") == "c a"


def test_replace_swaps_definitions_and_adds_helpers():
    text = "import numpy as np\n\n\ndef f(x):\n    return x\n\n\ndef g(x):\n    return 2 * x\n"
    source = "def _helper(x):\n    return x + 1\n\n\ndef g(x):\n    return _helper(x)\n"
    result = Replace("layers.py", source).apply(text, "demo")
    namespace: dict = {}
    exec(compile(result, "<replaced>", "exec"), namespace)
    assert namespace["f"](3) == 3 and namespace["g"](3) == 4
    assert result.index("def _helper") < result.index("def g")
    with pytest.raises(CatalogError, match="replaces no definition"):
        Replace("layers.py", "def h():\n    pass\n").apply(text, "demo")


def test_a_variant_that_changes_nothing_is_refused():
    same = Bug("affine.same", "no change", "none", (Edit("layers.py", "def affine_forward", "def affine_forward"),))
    with pytest.raises(CatalogError, match="unchanged"):
        apply(same)


def test_make_submission_writes_every_editable_file(tmp_path):
    bug = find("affine.dx_not_reshaped")
    folder = make_submission(bug.id, tmp_path / "submission")
    written = sorted(str(path.relative_to(folder)) for path in folder.rglob("*.py"))
    assert written == sorted(path for path in MANIFEST.editable if (REFERENCE / path).is_file())
    layers = (folder / "backprop" / "layers.py").read_text()
    assert "    dx = dout @ w.T\n" in layers and layers != (REFERENCE / "backprop" / "layers.py").read_text()
    assert (folder / "backprop" / "optim.py").read_text() == (REFERENCE / "backprop" / "optim.py").read_text()


def test_find_refuses_an_unknown_id():
    with pytest.raises(KeyError, match="no bug or alternative"):
        find("affine.no_such_bug")
    assert isinstance(find("conv.im2col"), Alternative)

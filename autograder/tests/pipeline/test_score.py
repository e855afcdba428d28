"""Scoring: a pure function of (collected checks, manifest)."""

import pytest

from autograder.score import UNAVAILABLE, KitError, score

from .factories import check, collected, manifest

ALL_PASS = (check("affine"), check("relu"), check("net"))


def _part(result, part_id):
    return next(part for part in result.parts if part.part_id == part_id)


def test_all_passed_is_full_marks():
    result = score(collected(*ALL_PASS), manifest())
    assert result.score == result.max_score == 22
    assert [part.status for part in result.parts] == ["passed"] * 3


def test_partial_credit_is_the_weighted_fraction_passed():
    checks = (
        check("affine", "shape"),  # weight 1, passed
        check("affine", "value", "failed", "out is off"),  # weight 2
        check("affine", "gradient"),  # weight 2, passed
        check("relu"), check("net"),
    )  # fmt: skip
    affine = _part(score(collected(*checks), manifest()), "affine")
    assert affine.score == pytest.approx(8 * 3 / 5)
    assert affine.status == "partial"
    assert affine.feedback[0] == "2 of 3 checks passed."
    assert "out is off" in affine.feedback[1] and "[value]" in affine.feedback[1]


def test_not_started_when_nothing_passed_and_every_check_is_a_stub():
    checks = (check("affine", status="not_started", feedback="Not started: f"), check("relu"), check("net"))
    affine = _part(score(collected(*checks), manifest()), "affine")
    assert (affine.score, affine.status) == (0, "not_started")


def test_failed_when_nothing_passed():
    checks = (check("affine", status="not_started"), check("affine", "shape", "error", "boom"), check("relu"), check("net"))
    assert _part(score(collected(*checks), manifest()), "affine").status == "failed"


def test_identical_feedback_is_said_once():
    checks = [check("affine", kind, "not_started", "Not started: f", name=f"t{kind}") for kind in ("shape", "value")]
    affine = _part(score(collected(*checks, check("relu"), check("net")), manifest()), "affine")
    assert len(affine.feedback) == 2 and "(and 1 more)" in affine.feedback[1]


def test_a_failing_part_names_its_failing_dependencies_first():
    checks = (check("affine", status="failed"), check("relu"), check("net", status="failed"))
    net = _part(score(collected(*checks), manifest()), "net")
    assert net.feedback[1] == "Fix first: Affine layer (affine). This part builds on it, and it fails checks too."


def test_the_hint_names_every_failing_dependency():
    checks = (check("affine", status="failed"), check("relu", status="failed"), check("net", status="failed"))
    net = _part(score(collected(*checks), manifest()), "net")
    assert net.feedback[1].startswith("Fix first: Affine layer (affine), ReLU (relu). This part builds on them")


def test_no_hint_when_the_dependencies_pass():
    checks = (check("affine"), check("relu"), check("net", status="failed", feedback="loss"))
    net = _part(score(collected(*checks), manifest()), "net")
    assert not any("Fix first" in line for line in net.feedback)


def test_a_problem_scores_every_part_zero_with_the_reason():
    result = score(collected(problem="Nothing to grade: empty."), manifest())
    assert result.score == 0 and result.max_score == 22
    assert all(part.feedback == ("Nothing to grade: empty.",) and part.status == "failed" for part in result.parts)
    assert result.problem == "Nothing to grade: empty."


def test_a_part_without_checks_is_a_kit_error():
    with pytest.raises(KitError, match="'net' has no hidden checks"):
        score(collected(check("affine"), check("relu")), manifest())


def test_a_check_of_an_unknown_part_is_a_kit_error():
    with pytest.raises(KitError, match="'conv' is not in the manifest"):
        score(collected(*ALL_PASS, check("conv")), manifest())


def test_visibility_and_notes_are_carried():
    result = score(collected(*ALL_PASS, notes=("skipped a symlink",)), manifest())
    assert _part(result, "relu").visibility == "hidden"
    assert result.notes == ("skipped a symlink",)
    assert result.execution_time == 1.5


def test_an_unavailable_part_is_not_graded_and_leaves_the_rest_alone():
    reason = "Not graded: this part needs the Python package 'torch'."
    checks = (check("affine"), check("relu", status="failed"),
              check("net", status=UNAVAILABLE, feedback=reason), check("net", "shape", UNAVAILABLE, reason))  # fmt: skip
    result = score(collected(*checks), manifest())
    net = _part(result, "net")
    assert (net.score, net.max_score, net.status, net.feedback) == (0, 0, UNAVAILABLE, (reason,))
    assert (result.score, result.max_score) == (8, 12)
    assert _part(result, "relu").status == "failed"

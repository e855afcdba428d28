"""Hidden checks of the softmax and SVM losses: values, gradients, large scores, inputs kept."""

import pytest
from backprop import layers as reference

from autograder.hidden.remote import assert_inputs_kept, unpack
from tests.support import cases
from tests.support.checks import assert_close, assert_shape, directional_check

pytestmark = pytest.mark.loss

LOSSES = ["softmax_loss", "svm_loss"]
SHAPES = [
    pytest.param(7, 3, id="7x3"),
    pytest.param(2, 10, id="2x10"),
    pytest.param(1, 4, id="one-example"),
]
# Scores whose exponentials overflow (or underflow) unless shifted by the row maximum, and scores
# so far apart that the softmax saturates (differences of a few hundred: exp stays above 1e-300).
LARGE = [
    pytest.param({"offset": 1e3}, id="offset-1e3"),
    pytest.param({"offset": -1e3}, id="offset-minus-1e3"),
    pytest.param({"scale": 1e2}, id="scale-1e2"),
]


def _student_loss(student, name: str, case: dict) -> tuple:
    return unpack(getattr(student.layers, name)(case["x"], case["y"]), ("loss", "dx"), f"layers.{name}")


@pytest.mark.check("shape")
@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize(("N", "C"), SHAPES)
def test_shapes(student, rng, name, N, C):
    loss, dx = _student_loss(student, name, cases.loss_case(rng, N, C))
    assert_shape(loss, (), name="loss", function=f"layers.{name}", hint="(the loss is one number)")
    assert_shape(dx, (N, C), name="dx", function=f"layers.{name}", hint="(dx has the scores' shape)")


@pytest.mark.check("value")
@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize(("N", "C"), SHAPES)
def test_loss_matches_reference(student, rng, name, N, C):
    case = cases.loss_case(rng, N, C)
    loss, _ = _student_loss(student, name, case)
    expected, _ = getattr(reference, name)(**case)
    assert_close(loss, expected, name="loss", function=f"layers.{name}")


@pytest.mark.check("gradient")
@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize(("N", "C"), SHAPES)
def test_dx_matches_reference(student, rng, name, N, C):
    case = cases.loss_case(rng, N, C)
    _, dx = _student_loss(student, name, case)
    _, expected = getattr(reference, name)(**case)
    assert_close(dx, expected, name="dx", function=f"layers.{name}", kind="gradient", against="the reference gradient")


@pytest.mark.check("numeric")
@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize(("N", "C"), [(6, 4), (3, 7)])
def test_dx_matches_numeric_derivative(student, rng, name, N, C):
    case = cases.loss_case(rng, N, C)
    _, dx = _student_loss(student, name, case)
    directional_check(
        lambda x: _student_loss(student, name, {"x": x, "y": case["y"]})[0], case["x"], dx, rng,
        function=f"layers.{name}",
        many=lambda points: getattr(student.layers, name).each([(x, case["y"]) for x in points], item=0),
    )


@pytest.mark.check("edge")
@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("large", LARGE)
def test_large_scores(student, rng, name, large):
    case = cases.loss_case(rng, N=5, C=6, **large)
    loss, dx = _student_loss(student, name, case)
    expected_loss, expected_dx = getattr(reference, name)(**case)
    function = f"layers.{name} (scores {', '.join(f'{k} {v:g}' for k, v in large.items())})"
    assert_close(loss, expected_loss, name="loss", function=function)
    assert_close(dx, expected_dx, name="dx", function=function, kind="gradient")


@pytest.mark.check("state")
@pytest.mark.parametrize("name", LOSSES)
def test_scores_unchanged(student, rng, name):
    _student_loss(student, name, cases.loss_case(rng, N=4, C=5))
    assert_inputs_kept(student, ["x", "y"], f"layers.{name}")

"""Hidden checks of the ReLU layer: values, gradients, dtypes, and inputs left unchanged."""

import numpy as np
import pytest
from backprop import layers as reference

from autograder.hidden.remote import assert_inputs_kept
from tests.support import cases
from tests.support.checks import assert_close, assert_shape, check_backward

pytestmark = pytest.mark.relu

FORWARD, BACKWARD = "layers.relu_forward", "layers.relu_backward"
SHAPES = [
    pytest.param((5, 7), id="2d"),
    pytest.param((2, 3, 4, 5), id="4d"),
    pytest.param((1, 9), id="one-row"),
]


def _expected_dx(x: np.ndarray, dout: np.ndarray) -> np.ndarray:
    return reference.relu_backward(dout, reference.relu_forward(x)[1])


@pytest.mark.check("shape")
@pytest.mark.parametrize("shape", SHAPES)
def test_shapes(student, rng, shape):
    x = cases.relu_case(rng, shape)["x"]
    out, cache = student.layers.relu_forward(x)
    assert_shape(out, shape, name="out", function=FORWARD, hint="(out has x's shape)")
    dx = student.layers.relu_backward(rng.standard_normal(shape), cache)
    assert_shape(dx, shape, name="dx", function=BACKWARD, hint="(dx has x's shape)")


@pytest.mark.check("value")
@pytest.mark.parametrize("shape", SHAPES)
def test_forward_matches_reference(student, rng, shape):
    x = cases.relu_case(rng, shape)["x"]
    out, _ = student.layers.relu_forward(x)
    assert_close(out, reference.relu_forward(x)[0], name="out", function=FORWARD)


@pytest.mark.check("gradient")
@pytest.mark.parametrize("shape", SHAPES)
def test_backward_matches_reference(student, rng, shape):
    x = cases.relu_case(rng, shape)["x"]
    dout = rng.standard_normal(shape)
    _, cache = student.layers.relu_forward(x)
    dx = student.layers.relu_backward(dout, cache)
    expected = _expected_dx(x, dout)
    assert_close(dx, expected, name="dx", function=BACKWARD, kind="gradient", against="the reference gradient")


@pytest.mark.check("numeric")
@pytest.mark.parametrize("shape", SHAPES)
def test_backward_matches_numeric_derivative(student, rng, shape):
    check_backward(
        student.layers.relu_forward, student.layers.relu_backward, cases.relu_case(rng, shape), ("x",), rng,
        function=BACKWARD,
    )


@pytest.mark.check("shape")
def test_float32_stays_float32(student, rng):
    x = cases.relu_case(rng, (4, 6))["x"].astype(np.float32)
    dout = rng.standard_normal((4, 6)).astype(np.float32)
    out, cache = student.layers.relu_forward(x)
    assert_close(out, reference.relu_forward(x)[0], name="out (float32 input)", function=FORWARD)
    dx = student.layers.relu_backward(dout, cache)
    assert_close(dx, _expected_dx(x, dout), name="dx (float32 input)", function=BACKWARD)


@pytest.mark.check("edge")
def test_all_negative_rows_give_zeros(student, rng):
    x = cases.relu_case(rng, (3, 5))["x"]
    x[1] = -np.abs(x[1])  # one example entirely negative, another entirely positive
    x[2] = np.abs(x[2])
    dout = rng.standard_normal((3, 5))
    out, cache = student.layers.relu_forward(x)
    assert_close(out, reference.relu_forward(x)[0], name="out", function=FORWARD)
    dx = student.layers.relu_backward(dout, cache)
    assert_close(dx, _expected_dx(x, dout), name="dx", function=BACKWARD, kind="gradient")


@pytest.mark.check("state")
def test_forward_keeps_its_input(student, rng):
    x = cases.relu_case(rng, (4, 5))["x"]
    student.layers.relu_forward(x)
    assert_inputs_kept(student, ["x"], FORWARD)

"""Hidden checks of layer normalization: per-example statistics, gradients, eps, dtypes."""

import copy

import numpy as np
import pytest
from backprop import layers as reference

from autograder.hidden.remote import assert_inputs_kept, unpack
from tests.support import cases
from tests.support.checks import assert_close, assert_shape, check_backward

pytestmark = pytest.mark.layernorm

FORWARD, BACKWARD = "layers.layernorm_forward", "layers.layernorm_backward"
SHAPES = [
    pytest.param(4, 7, id="4x7"),
    pytest.param(8, 3, id="8x3"),
    pytest.param(1, 5, id="one-example"),
]


def _forward(student, case: dict) -> tuple:
    return unpack(student.layers.layernorm_forward(*case.values()), ("out", "cache"), FORWARD)


def _backward(student, dout, cache) -> tuple:
    return unpack(student.layers.layernorm_backward(dout, cache), ("dx", "dgamma", "dbeta"), BACKWARD)


@pytest.mark.check("shape")
@pytest.mark.parametrize(("N", "D"), SHAPES)
def test_shapes(student, rng, N, D):
    out, cache = _forward(student, cases.layernorm_case(rng, N, D))
    assert_shape(out, (N, D), name="out", function=FORWARD, hint="(out has x's shape)")
    grads = _backward(student, rng.standard_normal((N, D)), cache)
    for name, grad, shape in zip(("dx", "dgamma", "dbeta"), grads, [(N, D), (D,), (D,)]):
        assert_shape(grad, shape, name=name, function=BACKWARD)


@pytest.mark.check("value")
@pytest.mark.parametrize(("N", "D"), SHAPES)
def test_forward_matches_reference(student, rng, N, D):
    case = cases.layernorm_case(rng, N, D)
    out, _ = _forward(student, copy.deepcopy(case))
    assert_close(out, reference.layernorm_forward(**case)[0], name="out", function=FORWARD)


@pytest.mark.check("gradient")
@pytest.mark.parametrize(("N", "D"), SHAPES)
def test_backward_matches_reference(student, rng, N, D):
    case = cases.layernorm_case(rng, N, D)
    dout = rng.standard_normal((N, D))
    _, cache = _forward(student, copy.deepcopy(case))
    grads = _backward(student, dout, cache)
    expected = reference.layernorm_backward(dout, reference.layernorm_forward(**case)[1])
    for name, grad, want in zip(("dx", "dgamma", "dbeta"), grads, expected):
        assert_close(grad, want, name=name, function=BACKWARD, kind="gradient", against="the reference gradient")


@pytest.mark.check("numeric")
@pytest.mark.parametrize(("N", "D"), SHAPES)
def test_backward_matches_numeric_derivative(student, rng, N, D):
    check_backward(
        student.layers.layernorm_forward, student.layers.layernorm_backward, cases.layernorm_case(rng, N, D),
        ("x", "gamma", "beta"), rng, function=BACKWARD,
    )


@pytest.mark.check("edge")
@pytest.mark.parametrize(
    "ln_param", [{"eps": 0.5}, {"mode": "test"}, {"mode": "train", "eps": 1e-3}], ids=["eps", "test-mode", "train-mode"]
)
def test_ln_param_eps_is_read_and_mode_ignored(student, rng, ln_param):
    # FullyConnectedNet hands layer norm the same dicts as batch norm, with a "mode" key in them.
    case = {**cases.layernorm_case(rng, 5, 6), "ln_param": ln_param}
    out, cache = _forward(student, copy.deepcopy(case))
    expected, expected_cache = reference.layernorm_forward(**copy.deepcopy(case))
    function = f"{FORWARD} (ln_param={ln_param})"
    assert_close(out, expected, name="out", function=function)
    dout = rng.standard_normal(expected.shape)
    dx, _, _ = _backward(student, dout, cache)
    expected_dx = reference.layernorm_backward(dout, expected_cache)[0]
    assert_close(dx, expected_dx, name="dx", function=function, kind="gradient")


@pytest.mark.check("state")
def test_forward_keeps_its_inputs(student, rng):
    _forward(student, cases.layernorm_case(rng, 4, 6))
    assert_inputs_kept(student, ["x", "gamma", "beta", ""], FORWARD)


@pytest.mark.check("shape")
def test_float32_stays_float32(student, rng):
    case = cases.with_dtype(cases.layernorm_case(rng, 5, 6), np.float32)
    out, _ = _forward(student, copy.deepcopy(case))
    expected, _ = reference.layernorm_forward(**case)
    assert_close(out, expected, name="out (float32 inputs)", function=FORWARD, rtol=1e-4, atol=1e-4)

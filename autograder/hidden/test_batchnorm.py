"""Hidden checks of batch normalization: train and test modes, running averages, both backward passes."""

import copy

import numpy as np
import pytest
from backprop import layers as reference

from autograder.hidden.remote import assert_inputs_kept, unpack
from tests.support import cases
from tests.support.checks import assert_close, assert_shape, check_backward, directional_check

pytestmark = pytest.mark.batchnorm

FORWARD = "layers.batchnorm_forward"
BACKWARDS = ["batchnorm_backward", "batchnorm_backward_alt"]
SHAPES = [
    pytest.param(9, 3, id="9x3"),
    pytest.param(3, 7, id="3x7"),
    pytest.param(10, 4, id="10x4"),
]
RUNNING = ("running_mean", "running_var")


def _forward(student, case: dict) -> tuple:
    """The student's (out, cache) on a copy of case; the copy's bn_param gets the written-back state."""
    return unpack(student.layers.batchnorm_forward(*case.values()), ("out", "cache"), FORWARD)


def _backward(student, name: str, dout, cache) -> tuple:
    return unpack(getattr(student.layers, name)(dout, cache), ("dx", "dgamma", "dbeta"), f"layers.{name}")


@pytest.mark.check("shape")
@pytest.mark.parametrize("backward", BACKWARDS)
@pytest.mark.parametrize(("N", "D"), SHAPES)
def test_shapes(student, rng, backward, N, D):
    case = cases.batchnorm_case(rng, N, D)
    out, cache = _forward(student, case)
    assert_shape(out, (N, D), name="out", function=FORWARD, hint="(out has x's shape)")
    grads = _backward(student, backward, rng.standard_normal((N, D)), cache)
    for name, grad, shape in zip(("dx", "dgamma", "dbeta"), grads, [(N, D), (D,), (D,)]):
        assert_shape(grad, shape, name=name, function=f"layers.{backward}")


@pytest.mark.check("value")
@pytest.mark.parametrize("running_stats", [False, True], ids=["fresh", "running"])
@pytest.mark.parametrize(("N", "D"), SHAPES)
def test_train_forward_matches_reference(student, rng, N, D, running_stats):
    case = cases.batchnorm_case(rng, N, D, running_stats=running_stats)
    out, _ = _forward(student, copy.deepcopy(case))
    expected, _ = reference.batchnorm_forward(**copy.deepcopy(case))
    assert_close(out, expected, name="out", function=f"{FORWARD} (train mode)")


@pytest.mark.check("state")
@pytest.mark.parametrize("running_stats", [False, True], ids=["fresh", "running"])
@pytest.mark.parametrize(("N", "D"), SHAPES[:2])
def test_train_updates_running_averages(student, rng, N, D, running_stats):
    case = cases.batchnorm_case(rng, N, D, running_stats=running_stats)
    mine, theirs = copy.deepcopy(case), copy.deepcopy(case)
    _forward(student, mine)
    reference.batchnorm_forward(**theirs)
    function = f"{FORWARD} (train mode)"
    for key in RUNNING:
        assert_close(mine["bn_param"].get(key), theirs["bn_param"][key], name=f"bn_param[{key!r}]", function=function)


@pytest.mark.check("edge")
@pytest.mark.parametrize(("N", "D"), SHAPES[:2])
def test_eps_and_momentum_are_read(student, rng, N, D):
    case = cases.batchnorm_case(rng, N, D, running_stats=True)
    case["bn_param"].update(eps=0.5, momentum=0.6)
    mine, theirs = copy.deepcopy(case), copy.deepcopy(case)
    out, _ = _forward(student, mine)
    expected, _ = reference.batchnorm_forward(**theirs)
    function = f"{FORWARD} (bn_param eps=0.5, momentum=0.6)"
    assert_close(out, expected, name="out", function=function)
    for key in RUNNING:
        assert_close(mine["bn_param"].get(key), theirs["bn_param"][key], name=f"bn_param[{key!r}]", function=function)


@pytest.mark.check("edge")
@pytest.mark.parametrize(("N", "D"), SHAPES)
def test_test_mode_uses_running_averages(student, rng, N, D):
    case = cases.batchnorm_case(rng, N, D, mode="test")
    mine = copy.deepcopy(case)
    out, _ = _forward(student, mine)
    expected, _ = reference.batchnorm_forward(**copy.deepcopy(case))
    function = f"{FORWARD} (test mode)"
    assert_close(out, expected, name="out", function=function)
    for key in RUNNING:
        name = f"bn_param[{key!r}] (unchanged at test time)"
        assert_close(mine["bn_param"].get(key), case["bn_param"][key], name=name, function=function)


@pytest.mark.check("state")
def test_forward_keeps_its_inputs(student, rng):
    _forward(student, cases.batchnorm_case(rng, 5, 4, running_stats=True))
    assert_inputs_kept(student, ["x", "gamma", "beta", ""], FORWARD)


@pytest.mark.check("shape")
def test_float32_stays_float32(student, rng):
    case = cases.with_dtype(cases.batchnorm_case(rng, 6, 5), np.float32)
    out, _ = _forward(student, copy.deepcopy(case))
    expected, _ = reference.batchnorm_forward(**copy.deepcopy(case))
    assert_close(out, expected, name="out (float32 inputs)", function=FORWARD, rtol=1e-4, atol=1e-4)


@pytest.mark.check("gradient")
@pytest.mark.parametrize("backward", BACKWARDS)
@pytest.mark.parametrize(("N", "D"), SHAPES)
def test_backward_matches_reference(student, rng, backward, N, D):
    case = cases.batchnorm_case(rng, N, D)
    dout = rng.standard_normal((N, D))
    _, cache = _forward(student, copy.deepcopy(case))
    grads = _backward(student, backward, dout, cache)
    _, expected_cache = reference.batchnorm_forward(**copy.deepcopy(case))
    expected = getattr(reference, backward)(dout, expected_cache)
    for name, grad, want in zip(("dx", "dgamma", "dbeta"), grads, expected):
        assert_close(
            grad, want, name=name, function=f"layers.{backward}", kind="gradient", against="the reference gradient"
        )


@pytest.mark.check("numeric")
@pytest.mark.parametrize("backward", BACKWARDS)
@pytest.mark.parametrize(("N", "D"), SHAPES[:2])
def test_backward_matches_numeric_derivative(student, rng, backward, N, D):
    check_backward(
        student.layers.batchnorm_forward, getattr(student.layers, backward), cases.batchnorm_case(rng, N, D),
        ("x", "gamma", "beta"), rng, function=f"layers.{backward}",
    )


@pytest.mark.check("edge")
@pytest.mark.parametrize("backward", BACKWARDS)
def test_bias_feeding_batchnorm_gets_no_gradient(student, rng, backward):
    # out = batchnorm(x + b) does not depend on b, so db = sum_n dx is 0 up to rounding: only the
    # absolute part of the tolerance can pass it.
    x, gamma, beta, bn_param = cases.batchnorm_case(rng, 7, 4).values()
    b = 3.0 * rng.standard_normal(x.shape[1])
    out, cache = student.layers.batchnorm_forward(x + b, gamma, beta, copy.deepcopy(bn_param))
    dout = rng.standard_normal(np.shape(out))
    dx, _, _ = _backward(student, backward, dout, cache)
    directional_check(
        lambda bias: student.layers.batchnorm_forward(x + bias, gamma, beta, copy.deepcopy(bn_param))[0], b,
        np.sum(dx, axis=0), rng, dout=dout, name="db = sum over n of dx", function=f"layers.{backward}",
        many=lambda biases: student.layers.batchnorm_forward.each(
            [(x + bias, gamma, beta, copy.deepcopy(bn_param)) for bias in biases], item=0
        ),
    )

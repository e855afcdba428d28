"""Hidden checks of inverted dropout, by its properties only.

Correct implementations draw different masks (rand < p, binomial, another generator), so no check
compares a mask with the reference's. Train-mode calls always pass a `seed`, which makes the
student's forward pass repeatable (CS231n seeds NumPy's global generator with it, in the worker).
"""

import numpy as np
import pytest

from autograder.hidden.remote import assert_dtype, assert_inputs_kept, unpack
from tests.support import cases
from tests.support.checks import assert_close, assert_shape, check_backward

pytestmark = pytest.mark.dropout

FORWARD, BACKWARD = "layers.dropout_forward", "layers.dropout_backward"
SHAPES = [pytest.param((6, 9), id="2d"), pytest.param((3, 2, 4, 5), id="4d")]


def _forward(student, case: dict) -> tuple:
    return unpack(student.layers.dropout_forward(*case.values()), ("out", "cache"), FORWARD)


@pytest.mark.check("shape")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mode", ["train", "test"])
@pytest.mark.parametrize("shape", SHAPES)
def test_shape_and_dtype(student, rng, shape, mode, dtype):
    case = cases.with_dtype(cases.dropout_case(rng, shape, p=0.6, mode=mode, seed=11), dtype)
    out, _ = _forward(student, case)
    function = f"{FORWARD} ({mode} mode, {np.dtype(dtype)} input)"
    assert_shape(out, shape, name="out", function=function, hint="(out has x's shape)")
    assert_dtype(out, dtype, "out", f"{function} (out keeps x's dtype)")


@pytest.mark.check("value")
@pytest.mark.parametrize("p", [0.3, 0.75])
@pytest.mark.parametrize("shape", SHAPES)
def test_kept_units_are_scaled_by_one_over_p(student, rng, shape, p):
    case = cases.dropout_case(rng, shape, p=p, seed=5)
    x = case["x"]
    out, _ = _forward(student, case)
    function = f"{FORWARD} (train mode, p={p} is the probability of KEEPING a unit)"
    assert_shape(out, shape, name="out", function=function)
    kept = out != 0
    if not kept.any():
        raise AssertionError(f"{function}: every unit was dropped")
    assert_close(out[kept], x[kept] / p, name="out where a unit is kept (x / p)", function=function)


@pytest.mark.check("value")
@pytest.mark.parametrize("p", [0.25, 0.8])
@pytest.mark.parametrize("shape", [(200, 250), (10, 10, 20, 25)], ids=["2d", "4d"])
def test_keeps_a_fraction_p_and_the_mean(student, shape, p):
    x = np.ones(shape)
    out, _ = _forward(student, {"x": x, "dropout_param": {"p": p, "mode": "train", "seed": 2}})
    # 50000 units: the sampling noise of the fraction is below 0.002, of the mean below 0.004.
    function = f"{FORWARD} (train mode, p={p} is the probability of KEEPING a unit; x all ones)"
    assert_close(np.mean(out != 0), p, name="fraction of units kept", function=function, atol=0.01, rtol=0)
    name = "mean of out (inverted dropout keeps the mean)"
    assert_close(np.mean(out), 1.0, name=name, function=function, atol=0.02, rtol=0)


@pytest.mark.check("edge")
@pytest.mark.parametrize("shape", SHAPES)
def test_test_mode_is_the_identity(student, rng, shape):
    case = cases.dropout_case(rng, shape, p=0.4, mode="test")
    out, cache = _forward(student, case)
    assert_close(out, case["x"], name="out", function=f"{FORWARD} (test mode: no mask, no scaling)")
    dout = rng.standard_normal(shape)
    dx = student.layers.dropout_backward(dout, cache)
    assert_close(dx, dout, name="dx", function=f"{BACKWARD} (test mode)", kind="gradient")


@pytest.mark.check("edge")
@pytest.mark.parametrize("shape", SHAPES)
def test_keep_probability_one_keeps_everything(student, rng, shape):
    case = cases.dropout_case(rng, shape, p=1.0, seed=3)
    out, _ = _forward(student, case)
    assert_close(out, case["x"], name="out", function=f"{FORWARD} (train mode, p=1: keep every unit)")


@pytest.mark.check("edge")
def test_same_seed_same_output(student, rng):
    case = cases.dropout_case(rng, (8, 10), p=0.5, seed=21)
    first, _ = _forward(student, case)
    second, _ = _forward(student, case)
    assert_close(second, first, name="out of a second call with the same seed", function=FORWARD)


@pytest.mark.check("gradient")
@pytest.mark.parametrize("p", [0.35, 0.8])
@pytest.mark.parametrize("shape", SHAPES)
def test_backward_uses_the_forward_mask(student, rng, shape, p):
    out, cache = _forward(student, cases.dropout_case(rng, shape, p=p, seed=9))
    dout = rng.standard_normal(shape)
    dx = student.layers.dropout_backward(dout, cache)
    # x has no zeros, so the forward's mask is where out != 0; dx = dout * mask / p.
    expected = dout * (np.asarray(out) != 0) / p
    assert_close(
        dx, expected, name="dx", function=f"{BACKWARD} (p={p})", kind="gradient",
        against="dout * mask / p, with the mask the forward pass used",
    )


@pytest.mark.check("numeric")
@pytest.mark.parametrize("shape", SHAPES)
def test_backward_matches_numeric_derivative(student, rng, shape):
    check_backward(
        student.layers.dropout_forward, student.layers.dropout_backward,
        cases.dropout_case(rng, shape, p=0.6, seed=17), ("x",), rng, function=BACKWARD,
    )


@pytest.mark.check("state")
def test_forward_keeps_its_input(student, rng):
    _forward(student, cases.dropout_case(rng, (5, 6), p=0.5, seed=4))
    assert_inputs_kept(student, ["x", ""], FORWARD)

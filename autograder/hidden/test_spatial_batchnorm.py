"""Hidden checks of spatial batch normalization: statistics per channel over (N, H, W)."""

import copy

import numpy as np
import pytest
from backprop import layers as reference

from autograder.hidden.remote import assert_inputs_kept, unpack
from tests.support import cases
from tests.support.checks import assert_close, assert_shape, check_backward

pytestmark = pytest.mark.spatial_batchnorm

FORWARD, BACKWARD = "layers.spatial_batchnorm_forward", "layers.spatial_batchnorm_backward"
SHAPES = [  # N != C != H != W, so that a wrong axis or a reshape without transpose shows
    pytest.param(dict(N=2, C=3, H=5, W=4), id="2x3x5x4"),
    pytest.param(dict(N=4, C=2, H=3, W=2), id="4x2x3x2"),
    pytest.param(dict(N=1, C=4, H=3, W=3), id="one-example"),
]
RUNNING = ("running_mean", "running_var")


def _forward(student, case: dict) -> tuple:
    return unpack(student.layers.spatial_batchnorm_forward(*case.values()), ("out", "cache"), FORWARD)


def _backward(student, dout, cache) -> tuple:
    return unpack(student.layers.spatial_batchnorm_backward(dout, cache), ("dx", "dgamma", "dbeta"), BACKWARD)


@pytest.mark.check("shape")
@pytest.mark.parametrize("shape", SHAPES)
def test_shapes(student, rng, shape):
    case = cases.spatial_batchnorm_case(rng, **shape)
    out, cache = _forward(student, case)
    x_shape, C = case["x"].shape, shape["C"]
    assert_shape(out, x_shape, name="out", function=FORWARD, hint="(out has x's shape)")
    grads = _backward(student, rng.standard_normal(x_shape), cache)
    for name, grad, want in zip(("dx", "dgamma", "dbeta"), grads, [x_shape, (C,), (C,)]):
        assert_shape(grad, want, name=name, function=BACKWARD)


@pytest.mark.check("value")
@pytest.mark.parametrize("mode", ["train", "test"])
@pytest.mark.parametrize("shape", SHAPES)
def test_forward_matches_reference(student, rng, shape, mode):
    case = cases.spatial_batchnorm_case(rng, **shape, mode=mode, running_stats=True)
    out, _ = _forward(student, copy.deepcopy(case))
    expected, _ = reference.spatial_batchnorm_forward(**copy.deepcopy(case))
    assert_close(out, expected, name="out", function=f"{FORWARD} ({mode} mode)")


@pytest.mark.check("state")
@pytest.mark.parametrize("mode", ["train", "test"])
@pytest.mark.parametrize("running_stats", [False, True], ids=["fresh", "running"])
def test_running_averages_per_channel(student, rng, running_stats, mode):
    case = cases.spatial_batchnorm_case(rng, N=3, C=2, H=2, W=4, mode=mode, running_stats=running_stats)
    mine, theirs = copy.deepcopy(case), copy.deepcopy(case)
    _forward(student, mine)
    reference.spatial_batchnorm_forward(**theirs)
    for key in RUNNING:
        name, function = f"bn_param[{key!r}] (one per channel)", f"{FORWARD} ({mode} mode)"
        assert_close(mine["bn_param"].get(key), theirs["bn_param"][key], name=name, function=function)


@pytest.mark.check("gradient")
@pytest.mark.parametrize("shape", SHAPES)
def test_backward_matches_reference(student, rng, shape):
    case = cases.spatial_batchnorm_case(rng, **shape)
    dout = rng.standard_normal(case["x"].shape)
    _, cache = _forward(student, copy.deepcopy(case))
    grads = _backward(student, dout, cache)
    expected = reference.spatial_batchnorm_backward(dout, reference.spatial_batchnorm_forward(**copy.deepcopy(case))[1])
    for name, grad, want in zip(("dx", "dgamma", "dbeta"), grads, expected):
        assert_close(grad, want, name=name, function=BACKWARD, kind="gradient", against="the reference gradient")


@pytest.mark.check("numeric")
@pytest.mark.parametrize("shape", SHAPES[:2])
def test_backward_matches_numeric_derivative(student, rng, shape):
    check_backward(
        student.layers.spatial_batchnorm_forward, student.layers.spatial_batchnorm_backward,
        cases.spatial_batchnorm_case(rng, **shape), ("x", "gamma", "beta"), rng, function=BACKWARD,
    )


@pytest.mark.check("state")
def test_forward_keeps_its_inputs(student, rng):
    _forward(student, cases.spatial_batchnorm_case(rng, N=2, C=3, H=2, W=3))
    assert_inputs_kept(student, ["x", "gamma", "beta", ""], FORWARD)


@pytest.mark.check("shape")
def test_float32_stays_float32(student, rng):
    case = cases.with_dtype(cases.spatial_batchnorm_case(rng, N=2, C=3, H=3, W=4), np.float32)
    out, _ = _forward(student, copy.deepcopy(case))
    expected, _ = reference.spatial_batchnorm_forward(**copy.deepcopy(case))
    assert_close(out, expected, name="out (float32 inputs)", function=FORWARD, rtol=1e-4, atol=1e-4)

"""Hidden checks of spatial group normalization, with one group, one group per channel, and between."""

import copy

import numpy as np
import pytest
from backprop import layers as reference

from autograder.hidden.remote import assert_inputs_kept, unpack
from tests.support import cases
from tests.support.checks import assert_close, assert_shape, check_backward

pytestmark = pytest.mark.spatial_groupnorm

FORWARD, BACKWARD = "layers.spatial_groupnorm_forward", "layers.spatial_groupnorm_backward"
SHAPES = [
    pytest.param(dict(N=2, C=6, H=3, W=2, G=3), id="G3-of-6"),
    pytest.param(dict(N=3, C=4, H=2, W=3, G=1), id="G1-one-group"),
    pytest.param(dict(N=2, C=3, H=3, W=4, G=3), id="G=C"),
    pytest.param(dict(N=1, C=8, H=2, W=2, G=2), id="G2-of-8"),
]


def _forward(student, case: dict) -> tuple:
    return unpack(student.layers.spatial_groupnorm_forward(*case.values()), ("out", "cache"), FORWARD)


def _backward(student, dout, cache) -> tuple:
    return unpack(student.layers.spatial_groupnorm_backward(dout, cache), ("dx", "dgamma", "dbeta"), BACKWARD)


def _describe(shape: dict) -> str:
    return f"{FORWARD} (x {shape['N']}x{shape['C']}x{shape['H']}x{shape['W']}, G={shape['G']})"


@pytest.mark.check("shape")
@pytest.mark.parametrize("shape", SHAPES)
def test_shapes(student, rng, shape):
    case = cases.groupnorm_case(rng, **shape)
    out, cache = _forward(student, copy.deepcopy(case))
    x_shape, param_shape = case["x"].shape, (1, shape["C"], 1, 1)
    assert_shape(out, x_shape, name="out", function=FORWARD, hint="(out has x's shape)")
    grads = _backward(student, rng.standard_normal(x_shape), cache)
    for name, grad, want in zip(("dx", "dgamma", "dbeta"), grads, [x_shape, param_shape, param_shape]):
        assert_shape(grad, want, name=name, function=BACKWARD, hint="(gamma and beta are (1, C, 1, 1))")


@pytest.mark.check("value")
@pytest.mark.parametrize("shape", SHAPES)
def test_forward_matches_reference(student, rng, shape):
    case = cases.groupnorm_case(rng, **shape)
    out, _ = _forward(student, copy.deepcopy(case))
    expected, _ = reference.spatial_groupnorm_forward(**copy.deepcopy(case))
    assert_close(out, expected, name="out", function=_describe(shape))


@pytest.mark.check("gradient")
@pytest.mark.parametrize("shape", SHAPES)
def test_backward_matches_reference(student, rng, shape):
    case = cases.groupnorm_case(rng, **shape)
    dout = rng.standard_normal(case["x"].shape)
    _, cache = _forward(student, copy.deepcopy(case))
    grads = _backward(student, dout, cache)
    expected = reference.spatial_groupnorm_backward(dout, reference.spatial_groupnorm_forward(**copy.deepcopy(case))[1])
    for name, grad, want in zip(("dx", "dgamma", "dbeta"), grads, expected):
        against = f"the reference gradient, G={shape['G']}"
        assert_close(grad, want, name=name, function=BACKWARD, kind="gradient", against=against)


@pytest.mark.check("numeric")
@pytest.mark.parametrize("shape", SHAPES[:3])
def test_backward_matches_numeric_derivative(student, rng, shape):
    check_backward(
        student.layers.spatial_groupnorm_forward, student.layers.spatial_groupnorm_backward,
        cases.groupnorm_case(rng, **shape), ("x", "gamma", "beta"), rng, function=f"{BACKWARD} (G={shape['G']})",
    )


@pytest.mark.check("edge")
def test_gn_param_eps_is_read(student, rng):
    case = {**cases.groupnorm_case(rng, N=2, C=4, H=2, W=3, G=2), "gn_param": {"eps": 0.3}}
    out, _ = _forward(student, copy.deepcopy(case))
    expected, _ = reference.spatial_groupnorm_forward(**copy.deepcopy(case))
    assert_close(out, expected, name="out", function=f"{FORWARD} (gn_param eps=0.3)")


@pytest.mark.check("state")
def test_forward_keeps_its_inputs(student, rng):
    _forward(student, cases.groupnorm_case(rng, N=2, C=4, H=2, W=2, G=2))
    assert_inputs_kept(student, ["x", "gamma", "beta", "", ""], FORWARD)


@pytest.mark.check("shape")
def test_float32_stays_float32(student, rng):
    case = cases.with_dtype(cases.groupnorm_case(rng, N=2, C=6, H=3, W=3, G=2), np.float32)
    out, _ = _forward(student, copy.deepcopy(case))
    expected, _ = reference.spatial_groupnorm_forward(**copy.deepcopy(case))
    assert_close(out, expected, name="out (float32 inputs)", function=FORWARD, rtol=1e-4, atol=1e-4)

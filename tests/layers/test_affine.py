"""Affine layer: out = x.reshape(N, D) @ w + b, and its backward pass."""

import numpy as np
import pytest

from backprop import layers

from ..support import cases
from ..support.checks import assert_close, assert_shape, check_backward

pytestmark = pytest.mark.affine

X = np.array([[1.0, 2.0], [3.0, 4.0]])
W = np.array([[5.0, 6.0], [7.0, 8.0]])
B = np.array([1.0, -1.0])


def test_forward_known_values():
    out, _ = layers.affine_forward(X, W, B)
    # x @ w = [[1*5 + 2*7, 1*6 + 2*8], [3*5 + 4*7, 3*6 + 4*8]] = [[19, 22], [43, 50]]
    assert_close(out, [[20.0, 21.0], [44.0, 49.0]], name="out", function="layers.affine_forward")


def test_forward_flattens_each_example():
    x = np.arange(8.0).reshape(2, 2, 2)  # example 0 holds 0..3, example 1 holds 4..7
    out, _ = layers.affine_forward(x, np.ones((4, 1)), np.array([0.5]))
    assert_close(out, [[6.5], [22.5]], name="out", function="layers.affine_forward")


def test_forward_shape(rng):
    case = cases.affine_case(rng, N=2, in_dims=(4, 5, 6), M=3)
    out, _ = layers.affine_forward(**case)
    assert_shape(out, (2, 3), name="out", function="layers.affine_forward", hint="(N, M)")


def test_backward_known_values():
    _, cache = layers.affine_forward(X, W, B)
    dx, dw, db = layers.affine_backward(np.eye(2), cache)
    # With dout = I: dx = dout @ w.T = w.T, dw = x.T @ dout = x.T, db = column sums of dout.
    function = "layers.affine_backward"
    assert_close(dx, [[5.0, 7.0], [6.0, 8.0]], name="dx", function=function)
    assert_close(dw, [[1.0, 3.0], [2.0, 4.0]], name="dw", function=function)
    assert_close(db, [1.0, 1.0], name="db", function=function)


def test_backward_shapes(rng):
    case = cases.affine_case(rng, N=2, in_dims=(4, 5, 6), M=3)
    _, cache = layers.affine_forward(**case)
    dx, dw, db = layers.affine_backward(rng.standard_normal((2, 3)), cache)
    function = "layers.affine_backward"
    assert_shape(dx, (2, 4, 5, 6), name="dx", function=function, hint="(dx has x's original shape)")
    assert_shape(dw, (120, 3), name="dw", function=function)
    assert_shape(db, (3,), name="db", function=function)


@pytest.mark.parametrize("in_dims", [(5,), (2, 3), (2, 2, 2)])
def test_backward_numeric_gradient(rng, in_dims):
    case = cases.affine_case(rng, N=3, in_dims=in_dims, M=4)
    check_backward(
        layers.affine_forward,
        layers.affine_backward,
        case,
        ("x", "w", "b"),
        rng,
        function="layers.affine_backward",
    )

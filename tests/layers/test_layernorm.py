"""Layer normalization: the statistics of each example over its features."""

import math

import numpy as np
import pytest

from backprop import layers

from ..support import cases
from ..support.checks import assert_close, check_backward

pytestmark = pytest.mark.layernorm

EPS = 1e-5


def test_forward_known_values():
    x = np.array([[1.0, 3.0], [0.0, -4.0]])  # example 0: mean 2, var 1; example 1: mean -2, var 4
    out, _ = layers.layernorm_forward(x, np.array([2.0, 1.0]), np.array([1.0, 0.0]), {})
    a, b = 1 / math.sqrt(1 + EPS), 2 / math.sqrt(4 + EPS)
    expected = [[1 - 2 * a, a], [1 + 2 * b, -b]]
    assert_close(out, expected, name="out", function="layers.layernorm_forward")


def test_each_example_has_mean_zero_and_std_one(rng):
    case = cases.layernorm_case(rng, N=3, D=300)
    D = case["x"].shape[1]
    out, _ = layers.layernorm_forward(case["x"], np.ones(D), np.zeros(D), {})
    function = "layers.layernorm_forward (gamma=1, beta=0)"
    assert_close(
        out.mean(axis=1), np.zeros(3), name="per-example mean of out", function=function, atol=1e-9
    )
    assert_close(
        out.std(axis=1), np.ones(3), name="per-example std of out", function=function, atol=1e-4
    )


def test_works_on_a_single_example(rng):
    case = cases.layernorm_case(rng, N=1, D=6)
    out, _ = layers.layernorm_forward(**case)
    x = case["x"]
    expected = case["gamma"] * (x - x.mean()) / np.sqrt(x.var() + EPS) + case["beta"]
    assert_close(out, expected, name="out", function="layers.layernorm_forward")


def test_forward_is_repeatable(rng):
    # Nothing is tracked across calls: the same input gives the same output.
    case = cases.layernorm_case(rng)
    first, _ = layers.layernorm_forward(**case)
    second, _ = layers.layernorm_forward(**case)
    assert_close(second, first, name="out (second call)", function="layers.layernorm_forward")


@pytest.mark.parametrize("shape", [(4, 5), (1, 6)])
def test_backward_numeric_gradient(rng, shape):
    check_backward(
        layers.layernorm_forward,
        layers.layernorm_backward,
        cases.layernorm_case(rng, *shape),
        ("x", "gamma", "beta"),
        rng,
        function="layers.layernorm_backward",
    )

"""Spatial group normalization: each example's groups of C / G consecutive channels normalised."""

import math

import numpy as np
import pytest

from backprop import layers

from ..support import cases
from ..support.checks import assert_close, assert_shape, check_backward

pytestmark = pytest.mark.spatial_groupnorm

FORWARD = "layers.spatial_groupnorm_forward"
BACKWARD = "layers.spatial_groupnorm_backward"
EPS = 1e-5
X = np.array(
    [[[[1.0, 3.0]], [[0.0, -4.0]]]]
)  # (1, 2, 1, 2): channel 0 holds 1, 3; channel 1 holds 0, -4
GAMMA = np.array([2.0, 1.0]).reshape(1, 2, 1, 1)
BETA = np.array([1.0, 0.0]).reshape(1, 2, 1, 1)


def test_known_values_one_group_per_channel():
    out, _ = layers.spatial_groupnorm_forward(X, GAMMA, BETA, 2, {})
    a, b = (
        1 / math.sqrt(1 + EPS),
        2 / math.sqrt(4 + EPS),
    )  # channel 0: mean 2, var 1; 1: mean -2, var 4
    assert_close(
        out, [[[[1 - 2 * a, 1 + 2 * a]], [[b, -b]]]], name="out", function=f"{FORWARD} (G=2)"
    )


def test_known_values_one_group():
    out, _ = layers.spatial_groupnorm_forward(X, GAMMA, BETA, 1, {})
    s = 1 / math.sqrt(6.5 + EPS)  # all four values: mean 0, var (1 + 9 + 0 + 16) / 4 = 6.5
    assert_close(
        out, [[[[1 + 2 * s, 1 + 6 * s]], [[0.0, -4 * s]]]], name="out", function=f"{FORWARD} (G=1)"
    )


@pytest.mark.parametrize("G", [1, 2, 3, 6])
def test_each_group_gets_mean_zero_and_std_one(rng, G):
    case = cases.groupnorm_case(rng, N=2, C=6, H=6, W=5, G=G)
    ones, zeros = np.ones((1, 6, 1, 1)), np.zeros((1, 6, 1, 1))
    out, _ = layers.spatial_groupnorm_forward(case["x"], ones, zeros, G, {})
    assert_shape(out, case["x"].shape, name="out", function=FORWARD)
    groups = out.reshape(2, G, -1)  # group g holds channels g * C/G ... (g + 1) * C/G - 1
    function = f"{FORWARD} (G={G}, gamma=1, beta=0)"
    name = "mean of out over each (example, group of consecutive channels)"
    assert_close(groups.mean(axis=2), np.zeros((2, G)), name=name, function=function, atol=1e-9)
    assert_close(
        groups.std(axis=2),
        np.ones((2, G)),
        name=name.replace("mean", "std"),
        function=function,
        atol=1e-3,
    )
    # Entry by entry: every value is normalised with the statistics of its own group.
    x = case["x"].reshape(2, G, -1)
    x_hat = (x - x.mean(axis=2, keepdims=True)) / np.sqrt(x.var(axis=2, keepdims=True) + EPS)
    assert_close(out, x_hat.reshape(out.shape), name="out", function=function)


def test_each_channel_takes_its_gamma_and_beta(rng):
    case = cases.groupnorm_case(rng, N=8, C=3, H=6, W=5, G=3)
    out, _ = layers.spatial_groupnorm_forward(**case)
    assert_shape(out, case["x"].shape, name="out", function=FORWARD)
    # With G = C every (example, channel) slice is normalised, so the channel's output has
    # mean beta and std gamma over (N, H, W).
    axes = (0, 2, 3)
    assert_close(
        out.mean(axis=axes, keepdims=True),
        case["beta"],
        name="per-channel mean of out",
        function=FORWARD,
        atol=1e-9,
    )
    assert_close(
        out.std(axis=axes, keepdims=True),
        case["gamma"],
        name="per-channel std of out",
        function=FORWARD,
        atol=1e-3,
    )


def test_backward_shapes(rng):
    case = cases.groupnorm_case(rng, N=2, C=4, H=3, W=3, G=2)
    out, cache = layers.spatial_groupnorm_forward(**case)
    dx, dgamma, dbeta = layers.spatial_groupnorm_backward(rng.standard_normal((2, 4, 3, 3)), cache)
    assert_shape(dx, (2, 4, 3, 3), name="dx", function=BACKWARD)
    assert_shape(dgamma, (1, 4, 1, 1), name="dgamma", function=BACKWARD, hint="(shaped like gamma)")
    assert_shape(dbeta, (1, 4, 1, 1), name="dbeta", function=BACKWARD, hint="(shaped like beta)")


@pytest.mark.parametrize("G", [1, 2, 4])
def test_backward_numeric_gradient(rng, G):
    check_backward(
        layers.spatial_groupnorm_forward,
        layers.spatial_groupnorm_backward,
        cases.groupnorm_case(rng, N=2, C=4, H=3, W=2, G=G),
        ("x", "gamma", "beta"),
        rng,
        function=BACKWARD,
    )

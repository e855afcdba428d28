"""Spatial batch normalization: batch normalization of each channel over (N, H, W)."""

import numpy as np
import pytest

from backprop import layers

from ..support import cases
from ..support.checks import assert_close, assert_shape, check_backward

pytestmark = pytest.mark.spatial_batchnorm

FORWARD = "layers.spatial_batchnorm_forward"
EPS = 1e-5
AXES = (0, 2, 3)  # a channel's statistics run over examples, rows and columns


def channels_far_apart(rng: np.random.Generator) -> np.ndarray:
    """(4, 3, 5, 6) input whose channels have means 0, 10, -20 and stds 1, 5, 0.2.

    Flattening x to (N * H * W, C) without moving the channels last first mixes channels within
    a column, and then the columns no longer come out with mean 0 and std 1.
    """
    mean = np.array([0.0, 10.0, -20.0]).reshape(1, 3, 1, 1)
    std = np.array([1.0, 5.0, 0.2]).reshape(1, 3, 1, 1)
    return mean + std * rng.standard_normal((4, 3, 5, 6))


def per_channel(v: np.ndarray) -> np.ndarray:
    """(C,) -> (1, C, 1, 1), to broadcast against (N, C, H, W)."""
    return v.reshape(1, -1, 1, 1)


def test_each_channel_gets_mean_zero_and_std_one(rng):
    x = channels_far_apart(rng)
    out, _ = layers.spatial_batchnorm_forward(x, np.ones(3), np.zeros(3), {"mode": "train"})
    assert_shape(out, x.shape, name="out", function=FORWARD)
    function = f"{FORWARD} (gamma=1, beta=0; channel means 0, 10, -20)"
    hint = " over (N, H, W)"
    assert_close(
        out.mean(axis=AXES),
        np.zeros(3),
        name="per-channel mean of out" + hint,
        function=function,
        atol=1e-9,
    )
    assert_close(
        out.std(axis=AXES),
        np.ones(3),
        name="per-channel std of out" + hint,
        function=function,
        atol=1e-3,
    )


def test_each_channel_takes_its_gamma_and_beta(rng):
    x = channels_far_apart(rng)
    gamma, beta = np.array([0.5, 2.0, 3.0]), np.array([-1.0, 0.0, 4.0])
    out, _ = layers.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    assert_shape(out, x.shape, name="out", function=FORWARD)
    assert_close(
        out.mean(axis=AXES), beta, name="per-channel mean of out", function=FORWARD, atol=1e-9
    )
    assert_close(
        out.std(axis=AXES), gamma, name="per-channel std of out", function=FORWARD, atol=1e-3
    )
    # Entry by entry: every value is normalised with the statistics of its own channel.
    x_hat = (x - x.mean(axis=AXES, keepdims=True)) / np.sqrt(x.var(axis=AXES, keepdims=True) + EPS)
    assert_close(out, per_channel(gamma) * x_hat + per_channel(beta), name="out", function=FORWARD)


def test_running_averages_are_per_channel(rng):
    x = channels_far_apart(rng)
    bn_param = {"mode": "train"}
    layers.spatial_batchnorm_forward(x, np.ones(3), np.zeros(3), bn_param)
    # From zeros with momentum 0.9: running = 0.1 * the channel's batch statistic.
    assert_close(
        bn_param["running_mean"],
        0.1 * x.mean(axis=AXES),
        name="bn_param['running_mean']",
        function=FORWARD,
    )
    assert_close(
        bn_param["running_var"],
        0.1 * x.var(axis=AXES),
        name="bn_param['running_var']",
        function=FORWARD,
    )


def test_test_mode_uses_running_averages(rng):
    case = cases.spatial_batchnorm_case(rng, N=2, C=3, H=2, W=3, mode="test")
    out, _ = layers.spatial_batchnorm_forward(**case)
    bn_param = case["bn_param"]
    x_hat = (case["x"] - per_channel(bn_param["running_mean"])) / np.sqrt(
        per_channel(bn_param["running_var"]) + EPS
    )
    expected = per_channel(case["gamma"]) * x_hat + per_channel(case["beta"])
    assert_close(out, expected, name="out", function=f"{FORWARD} (test mode)")


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 2, 1, 2)])
def test_backward_numeric_gradient(rng, shape):
    N, C, H, W = shape
    check_backward(
        layers.spatial_batchnorm_forward,
        layers.spatial_batchnorm_backward,
        cases.spatial_batchnorm_case(rng, N=N, C=C, H=H, W=W),
        ("x", "gamma", "beta"),
        rng,
        function="layers.spatial_batchnorm_backward",
    )

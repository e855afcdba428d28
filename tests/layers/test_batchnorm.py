"""Batch normalization: per-feature batch statistics in train mode, running averages at test."""

import math

import numpy as np
import pytest

from backprop import layers

from ..support import cases
from ..support.checks import assert_close, check_backward, directional_check

pytestmark = pytest.mark.batchnorm

EPS = 1e-5
BACKWARDS = ["batchnorm_backward", "batchnorm_backward_alt"]
# Normalised features have std sqrt(var / (var + eps)), a hair below 1.
STD_ATOL = 1e-4


def test_train_forward_known_values():
    x = np.array([[1.0, 0.0], [3.0, 4.0]])  # feature 0: mean 2, var 1; feature 1: mean 2, var 4
    out, _ = layers.batchnorm_forward(
        x, np.array([2.0, 1.0]), np.array([1.0, 0.0]), {"mode": "train"}
    )
    a, b = 1 / math.sqrt(1 + EPS), 2 / math.sqrt(4 + EPS)
    expected = [[1 - 2 * a, -b], [1 + 2 * a, b]]
    assert_close(out, expected, name="out", function="layers.batchnorm_forward")


def test_train_output_has_mean_zero_and_std_one(rng):
    case = cases.batchnorm_case(rng, N=200, D=3)
    D = case["x"].shape[1]
    out, _ = layers.batchnorm_forward(case["x"], np.ones(D), np.zeros(D), case["bn_param"])
    function = "layers.batchnorm_forward (gamma=1, beta=0)"
    assert_close(
        out.mean(axis=0), np.zeros(D), name="per-feature mean of out", function=function, atol=1e-9
    )
    assert_close(
        out.std(axis=0), np.ones(D), name="per-feature std of out", function=function, atol=STD_ATOL
    )


def test_train_output_takes_mean_beta_and_std_gamma(rng):
    case = cases.batchnorm_case(rng, N=200, D=3)
    out, _ = layers.batchnorm_forward(**case)
    function = "layers.batchnorm_forward"
    assert_close(
        out.mean(axis=0), case["beta"], name="per-feature mean of out", function=function, atol=1e-9
    )
    assert_close(
        out.std(axis=0),
        case["gamma"],
        name="per-feature std of out",
        function=function,
        atol=STD_ATOL,
    )


def test_first_step_updates_running_averages():
    bn_param = {"mode": "train"}  # running statistics start at 0, momentum 0.9
    x = np.array([[1.0, 0.0], [3.0, 4.0]])
    layers.batchnorm_forward(x, np.ones(2), np.zeros(2), bn_param)
    function = "layers.batchnorm_forward"
    # running = 0.9 * 0 + 0.1 * batch statistic; the variance is the biased one (divide by N).
    assert_close(
        bn_param["running_mean"], [0.2, 0.2], name="bn_param['running_mean']", function=function
    )
    assert_close(
        bn_param["running_var"], [0.1, 0.4], name="bn_param['running_var']", function=function
    )


def test_running_averages_converge_to_the_data_statistics(rng):
    case = cases.batchnorm_case(rng, N=50, D=4)
    for _ in range(150):  # 0.9 ** 150 < 1e-6
        layers.batchnorm_forward(**case)
    x, bn_param = case["x"], case["bn_param"]
    function = "layers.batchnorm_forward (150 train steps on one batch)"
    assert_close(
        bn_param["running_mean"],
        x.mean(axis=0),
        name="bn_param['running_mean']",
        function=function,
        rtol=1e-4,
        atol=1e-4,
    )
    assert_close(
        bn_param["running_var"],
        x.var(axis=0),
        name="bn_param['running_var']",
        function=function,
        rtol=1e-4,
        atol=1e-4,
    )


def test_test_mode_uses_running_averages_and_keeps_them(rng):
    case = cases.batchnorm_case(rng, N=3, D=4, mode="test")
    bn_param = case["bn_param"]
    running_mean, running_var = bn_param["running_mean"].copy(), bn_param["running_var"].copy()
    out, _ = layers.batchnorm_forward(**case)
    expected = (
        case["gamma"] * (case["x"] - running_mean) / np.sqrt(running_var + EPS) + case["beta"]
    )
    function = "layers.batchnorm_forward (test mode)"
    assert_close(out, expected, name="out", function=function)
    assert_close(
        bn_param["running_mean"], running_mean, name="bn_param['running_mean']", function=function
    )
    assert_close(
        bn_param["running_var"], running_var, name="bn_param['running_var']", function=function
    )


@pytest.mark.parametrize("backward", BACKWARDS)
def test_backward_numeric_gradient(rng, backward):
    check_backward(
        layers.batchnorm_forward,
        getattr(layers, backward),
        cases.batchnorm_case(rng, N=4, D=5),
        ("x", "gamma", "beta"),
        rng,
        function=f"layers.{backward}",
    )


def test_alt_backward_matches_backward(rng):
    case = cases.batchnorm_case(rng, N=6, D=3)
    out, cache = layers.batchnorm_forward(**case)
    dout = rng.standard_normal(out.shape)
    for name, alt, step in zip(
        ("dx", "dgamma", "dbeta"),
        layers.batchnorm_backward_alt(dout, cache),
        layers.batchnorm_backward(dout, cache),
    ):
        assert_close(
            alt,
            step,
            name=name,
            function="layers.batchnorm_backward_alt",
            kind="gradient",
            against="what batchnorm_backward returns",
        )


def test_bias_feeding_batchnorm_has_almost_no_gradient(rng):
    # out = batchnorm(x + b): adding b to a feature shifts its batch mean by the same amount,
    # so out does not depend on b and db = sum_n dx is about 0. Only the absolute part of the
    # tolerance can pass such a gradient; a relative one would reject rounding noise.
    case = cases.batchnorm_case(rng, N=5, D=4)
    x, gamma, beta, bn_param = case.values()
    b = rng.standard_normal(x.shape[1])
    out, cache = layers.batchnorm_forward(x + b, gamma, beta, bn_param)
    dout = rng.standard_normal(out.shape)
    dx, _, _ = layers.batchnorm_backward(dout, cache)
    directional_check(
        lambda bias: layers.batchnorm_forward(x + bias, gamma, beta, bn_param)[0],
        b,
        dx.sum(axis=0),
        rng,
        dout=dout,
        name="db = sum over n of dx",
        function="layers.batchnorm_backward",
    )

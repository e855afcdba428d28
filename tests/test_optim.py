"""Update rules: SGD with momentum, RMSProp and Adam, one step at a time, computed by hand."""

import numpy as np
import pytest

from backprop import optim

from .support import cases
from .support.checks import assert_close, assert_shape

pytestmark = pytest.mark.optim

W = np.array([1.0, -2.0])
DW = np.array([0.5, 1.0])


def test_sgd_momentum_one_step():
    config = {"learning_rate": 0.1, "momentum": 0.9, "velocity": np.array([0.2, -0.1])}
    next_w, config = optim.sgd_momentum(W, DW, config)
    # v = 0.9 * (0.2, -0.1) - 0.1 * (0.5, 1.0) = (0.13, -0.19); next_w = w + v.
    assert_close(next_w, [1.13, -2.19], name="next_w", function="optim.sgd_momentum")
    assert_close(
        config["velocity"], [0.13, -0.19], name="config['velocity']", function="optim.sgd_momentum"
    )


def test_sgd_momentum_defaults():
    next_w, config = optim.sgd_momentum(W, DW)
    # learning_rate 1e-2, velocity starts at 0: v = -0.01 * dw.
    assert_close(next_w, [0.995, -2.01], name="next_w", function="optim.sgd_momentum (config=None)")
    assert_close(
        config["velocity"],
        [-0.005, -0.01],
        name="config['velocity']",
        function="optim.sgd_momentum (config=None)",
    )


def test_rmsprop_one_step():
    config = {
        "learning_rate": 0.01,
        "decay_rate": 0.99,
        "epsilon": 1e-8,
        "cache": np.array([0.1, 0.0]),
    }
    next_w, config = optim.rmsprop(W, DW, config)
    # cache = 0.99 * (0.1, 0) + 0.01 * (0.25, 1) = (0.1015, 0.01)
    expected_w = [1.0 - 0.01 * 0.5 / (np.sqrt(0.1015) + 1e-8), -2.0 - 0.01 * 1.0 / (0.1 + 1e-8)]
    assert_close(next_w, expected_w, name="next_w", function="optim.rmsprop")
    assert_close(config["cache"], [0.1015, 0.01], name="config['cache']", function="optim.rmsprop")


def test_rmsprop_defaults():
    next_w, config = optim.rmsprop(W, DW)
    # cache = 0.01 * dw^2, so sqrt(cache) = 0.1 * |dw| and each weight moves by 0.01 / 0.1 = 0.1.
    assert_close(
        next_w, [0.9, -2.1], name="next_w", function="optim.rmsprop (config=None)", rtol=1e-6
    )
    assert_close(
        config["cache"],
        [0.0025, 0.01],
        name="config['cache']",
        function="optim.rmsprop (config=None)",
    )


def test_adam_first_step_is_learning_rate_times_sign():
    dw = np.array([0.5, -4.0])
    next_w, config = optim.adam(W, dw)
    # t becomes 1 before the bias correction: m_hat = dw and v_hat = dw^2, so the step is
    # learning_rate * dw / (|dw| + eps), about 1e-3 * sign(dw), whatever the size of dw.
    function = "optim.adam (config=None)"
    expected_w = [1.0 - 1e-3 * 0.5 / (0.5 + 1e-8), -2.0 + 1e-3 * 4.0 / (4.0 + 1e-8)]
    assert_close(next_w, expected_w, name="next_w", function=function)
    assert config["t"] == 1, (
        f"{function}: config['t'] should be 1 after one step, got {config['t']}"
    )
    assert_close(config["m"], [0.05, -0.4], name="config['m']", function=function)
    assert_close(config["v"], [0.00025, 0.016], name="config['v']", function=function)


def test_adam_step_from_a_state():
    config = {
        "learning_rate": 0.1,
        "beta1": 0.5,
        "beta2": 0.75,
        "epsilon": 0.0,
        "m": np.array([1.0, 0.0]),
        "v": np.array([4.0, 1.0]),
        "t": 1,
    }
    next_w, config = optim.adam(W, np.array([3.0, 2.0]), config)
    # t = 2; m = 0.5 * (1, 0) + 0.5 * (3, 2) = (2, 1)
    # v = 0.75 * (4, 1) + 0.25 * (9, 4) = (5.25, 1.75)
    # m_hat = m / (1 - 0.5^2) = m / 0.75; v_hat = v / (1 - 0.75^2) = v / 0.4375 = (12, 4)
    # step = 0.1 * m_hat / sqrt(v_hat) = 0.1 * (2 / 0.75 / sqrt(12), 1 / 0.75 / 2)
    function = "optim.adam"
    expected_w = [1.0 - 0.1 * (2 / 0.75) / np.sqrt(12.0), -2.0 - 0.1 * (1 / 0.75) / 2]
    assert_close(next_w, expected_w, name="next_w", function=function)
    assert config["t"] == 2, f"{function}: config['t'] should go from 1 to 2, got {config['t']}"
    assert_close(config["m"], [2.0, 1.0], name="config['m']", function=function)
    assert_close(config["v"], [5.25, 1.75], name="config['v']", function=function)


@pytest.mark.parametrize("rule", ["sgd_momentum", "rmsprop", "adam"])
def test_shapes_and_state_carry_over(rng, rule):
    case = cases.optim_case(rng, rule, shape=(3, 4, 2))
    update = getattr(optim, rule)
    next_w, config = update(**case)
    assert_shape(next_w, (3, 4, 2), name="next_w", function=f"optim.{rule}")
    # The returned config goes into the next call: two calls with it must run and move w again.
    again, _ = update(next_w, case["dw"], config)
    assert_shape(again, (3, 4, 2), name="next_w (second step)", function=f"optim.{rule}")
    assert not np.allclose(again, next_w), f"optim.{rule}: the second step did not change w"

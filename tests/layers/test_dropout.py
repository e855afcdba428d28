"""Inverted dropout: keep each unit with probability p, scaled by 1/p; identity at test time."""

import numpy as np
import pytest

from backprop import layers

from ..support import cases
from ..support.checks import assert_close, assert_shape, check_backward

pytestmark = pytest.mark.dropout

# Dropout draws its mask from NumPy's global generator, and its `seed` key seeds that generator
# (CS231n's API). Tests that pass a seed use the `global_seed` fixture, which restores the state.


@pytest.mark.parametrize("p", [0.3, 0.6, 0.9])
def test_train_keeps_a_fraction_p_and_the_expected_value(p, global_seed):
    x = np.ones((500, 500))
    out, _ = layers.dropout_forward(x, {"mode": "train", "p": p, "seed": 1})
    assert_shape(out, x.shape, name="out", function="layers.dropout_forward")
    function = f"layers.dropout_forward (p={p}, 250000 ones)"
    # Kept units are scaled by 1/p so that the mean stays 1 (up to sampling noise, ~0.003).
    assert_close(np.mean(out == 0), 1 - p, name="fraction of zeros", function=function, atol=0.01)
    assert_close(out.mean(), 1.0, name="mean of out", function=function, atol=0.02)
    assert_close(np.unique(out[out != 0]), [1 / p], name="kept values", function=function)


def test_test_mode_is_the_identity(rng):
    case = cases.dropout_case(rng, shape=(3, 4), p=0.5, mode="test")
    out, _ = layers.dropout_forward(**case)
    assert_close(out, case["x"], name="out", function="layers.dropout_forward (test mode)")


def test_train_output_keeps_input_dtype(global_seed):
    x = np.ones((4, 5), dtype=np.float32)
    out, _ = layers.dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 0})
    assert_shape(out, x.shape, name="out", function="layers.dropout_forward")
    assert out.dtype == np.float32, (
        f"layers.dropout_forward: out has dtype {out.dtype}, expected float32"
    )


def test_same_seed_same_mask(rng, global_seed):
    case = cases.dropout_case(rng, shape=(6, 7), p=0.5, seed=3)
    first, _ = layers.dropout_forward(**case)
    second, _ = layers.dropout_forward(**case)
    assert_close(second, first, name="out (same seed)", function="layers.dropout_forward")


def test_backward_uses_the_forward_mask(global_seed):
    p = 0.4
    out, cache = layers.dropout_forward(np.ones((20, 30)), {"mode": "train", "p": p, "seed": 5})
    dout = np.full((20, 30), 2.0)
    dx = layers.dropout_backward(dout, cache)
    # x is all ones, so out is the scaled mask itself: dx = dout * mask / p = 2 * out.
    assert_close(dx, 2 * out, name="dx", function="layers.dropout_backward")


def test_backward_at_test_time_passes_dout_through(rng):
    case = cases.dropout_case(rng, shape=(3, 4), mode="test")
    _, cache = layers.dropout_forward(**case)
    dout = rng.standard_normal((3, 4))
    assert_close(
        layers.dropout_backward(dout, cache),
        dout,
        name="dx",
        function="layers.dropout_backward (test mode)",
    )


@pytest.mark.parametrize("shape", [(5, 6), (2, 3, 4, 5)])
def test_backward_numeric_gradient(rng, shape, global_seed):
    case = cases.dropout_case(rng, shape=shape, p=0.6, seed=7)
    check_backward(
        layers.dropout_forward,
        layers.dropout_backward,
        case,
        ("x",),
        rng,
        function="layers.dropout_backward",
    )

"""ReLU: out = max(0, x), and its backward pass dx = dout * [x > 0]."""

import numpy as np
import pytest

from backprop import layers

from ..support import cases
from ..support.checks import assert_close, assert_unchanged, check_backward

pytestmark = pytest.mark.relu


def test_forward_known_values():
    out, _ = layers.relu_forward(np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]]))
    assert_close(out, [[0.0, 0.0, 0.0, 0.5, 2.0]], name="out", function="layers.relu_forward")


def test_forward_leaves_input_alone(rng):
    x = cases.relu_case(rng, shape=(3, 4))["x"]
    before = x.copy()
    layers.relu_forward(x)
    assert_unchanged(before, x, name="x", function="layers.relu_forward")


def test_backward_known_values():
    _, cache = layers.relu_forward(np.array([[-2.0, -0.5, 0.5, 2.0]]))
    dx = layers.relu_backward(np.array([[1.0, 2.0, 3.0, 4.0]]), cache)
    assert_close(dx, [[0.0, 0.0, 3.0, 4.0]], name="dx", function="layers.relu_backward")


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 2, 2)])
def test_backward_numeric_gradient(rng, shape):
    check_backward(
        layers.relu_forward,
        layers.relu_backward,
        cases.relu_case(rng, shape=shape),
        ("x",),
        rng,
        function="layers.relu_backward",
    )

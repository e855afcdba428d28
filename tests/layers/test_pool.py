"""Naive max pooling (no padding) and its backward pass, which routes each gradient to its max."""

import numpy as np
import pytest

from backprop import layers

from ..support import cases
from ..support.checks import assert_close, assert_shape, check_backward

pytestmark = pytest.mark.pool

FORWARD = "layers.max_pool_forward_naive"
BACKWARD = "layers.max_pool_backward_naive"
X_4X4 = np.array(
    [[[[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 8.0, 6.0], [7.0, 2.0, 1.0, 0.0], [0.0, 9.0, 3.0, 4.0]]]]
)
POOL_2X2 = {"pool_height": 2, "pool_width": 2, "stride": 2}


def test_forward_known_values():
    out, _ = layers.max_pool_forward_naive(X_4X4, POOL_2X2)
    assert_close(out, [[[[5.0, 8.0], [9.0, 4.0]]]], name="out", function=FORWARD)


def test_backward_routes_each_gradient_to_its_max():
    _, cache = layers.max_pool_forward_naive(X_4X4, POOL_2X2)
    dx = layers.max_pool_backward_naive(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), cache)
    expected = np.zeros((1, 1, 4, 4))
    expected[0, 0, [0, 1, 3, 3], [1, 2, 1, 3]] = [1.0, 2.0, 3.0, 4.0]  # where 5, 8, 9 and 4 sit
    assert_close(dx, expected, name="dx", function=BACKWARD)


def test_overlapping_windows():
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 1}
    out, cache = layers.max_pool_forward_naive(x, pool_param)
    assert_close(out, [[[[5.0, 6.0], [8.0, 9.0]]]], name="out", function=FORWARD)
    dx = layers.max_pool_backward_naive(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), cache)
    assert_close(
        dx, [[[[0.0, 0.0, 0.0], [0.0, 1.0, 2.0], [0.0, 3.0, 4.0]]]], name="dx", function=BACKWARD
    )


def test_overlapping_windows_sharing_one_max_add_up():
    x = np.array([[[[1.0, 2.0, 3.0], [4.0, 9.0, 5.0], [6.0, 7.0, 8.0]]]])  # 9 is in all 4 windows
    _, cache = layers.max_pool_forward_naive(x, {"pool_height": 2, "pool_width": 2, "stride": 1})
    dx = layers.max_pool_backward_naive(np.ones((1, 1, 2, 2)), cache)
    expected = np.zeros((1, 1, 3, 3))
    expected[0, 0, 1, 1] = 4.0
    assert_close(dx, expected, name="dx", function=BACKWARD)


def test_non_square_window():
    x = np.array([[[[1.0, 3.0, 2.0], [5.0, 4.0, 7.0]]]])
    out, cache = layers.max_pool_forward_naive(x, {"pool_height": 1, "pool_width": 2, "stride": 1})
    assert_close(out, [[[[3.0, 3.0], [5.0, 7.0]]]], name="out", function=FORWARD)
    dx = layers.max_pool_backward_naive(np.ones((1, 1, 2, 2)), cache)
    assert_close(dx, [[[[0.0, 2.0, 0.0], [1.0, 0.0, 1.0]]]], name="dx", function=BACKWARD)


def test_channels_and_examples_pool_separately():
    x = np.stack([X_4X4[0, 0], -X_4X4[0, 0]])[None]  # (1, 2, 4, 4): the second channel negated
    out, _ = layers.max_pool_forward_naive(np.concatenate([x, 10 + x]), POOL_2X2)
    channel_1 = [[-1.0, 0.0], [0.0, 0.0]]  # max of the negated windows
    expected = np.array([[[[5.0, 8.0], [9.0, 4.0]], channel_1]])
    assert_close(out, np.concatenate([expected, 10 + expected]), name="out", function=FORWARD)


@pytest.mark.parametrize(
    ("H", "W", "pool_height", "pool_width", "stride", "out_hw"),
    [
        (4, 4, 2, 2, 2, (2, 2)),
        (5, 5, 3, 3, 2, (2, 2)),
        (4, 6, 2, 3, 1, (3, 4)),
        (6, 4, 3, 2, 3, (2, 1)),
    ],
)
def test_output_size_formula(rng, H, W, pool_height, pool_width, stride, out_hw):
    case = cases.pool_case(
        rng, N=2, C=3, H=H, W=W, pool_height=pool_height, pool_width=pool_width, stride=stride
    )
    out, _ = layers.max_pool_forward_naive(**case)
    hint = "H' = 1 + (H - pool_height) // stride, W' = 1 + (W - pool_width) // stride"
    assert_shape(out, (2, 3, *out_hw), name="out", function=FORWARD, hint=hint)


@pytest.mark.parametrize(
    "shape",
    [
        dict(H=4, W=4, pool_height=2, pool_width=2, stride=2),
        dict(H=5, W=5, pool_height=3, pool_width=3, stride=2),
        dict(H=3, W=4, pool_height=2, pool_width=2, stride=1),
        dict(H=4, W=6, pool_height=2, pool_width=3, stride=1),
    ],
    ids=["2x2-stride2", "3x3-stride2-overlap", "2x2-stride1-overlap", "non-square"],
)
def test_backward_numeric_gradient(rng, shape):
    check_backward(
        layers.max_pool_forward_naive,
        layers.max_pool_backward_naive,
        cases.pool_case(rng, N=2, C=2, **shape),
        ("x",),
        rng,
        function=BACKWARD,
    )

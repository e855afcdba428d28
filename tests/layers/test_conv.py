"""Naive convolution (cross-correlation) with zero padding and stride, and its backward pass."""

import numpy as np
import pytest

from backprop import layers

from ..support import cases
from ..support.checks import assert_close, assert_shape, assert_unchanged, check_backward

pytestmark = pytest.mark.conv

FORWARD = "layers.conv_forward_naive"
BACKWARD = "layers.conv_backward_naive"
X_3X3 = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)  # [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
W_2X2 = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])


def test_forward_known_values():
    out, _ = layers.conv_forward_naive(X_3X3, W_2X2, np.array([1.0]), {"stride": 1, "pad": 0})
    # out[0, 0] = 1*1 + 2*2 + 3*4 + 4*5 + 1 = 38: the filter is not flipped (cross-correlation).
    assert_close(out, [[[[38.0, 48.0], [68.0, 78.0]]]], name="out", function=FORWARD)


def test_forward_zero_padding():
    out, _ = layers.conv_forward_naive(
        X_3X3, np.ones((1, 1, 3, 3)), np.zeros(1), {"stride": 1, "pad": 1}
    )
    # Each output sums the 3x3 neighbourhood, with zeros outside the image.
    expected = [[[[12.0, 21.0, 16.0], [27.0, 45.0, 33.0], [24.0, 39.0, 28.0]]]]
    assert_close(out, expected, name="out", function=FORWARD)


def test_forward_stride_two():
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    out, _ = layers.conv_forward_naive(
        x, np.full((1, 1, 1, 1), 2.0), np.zeros(1), {"stride": 2, "pad": 0}
    )
    expected = 2 * np.array([[[[0.0, 2.0, 4.0], [10.0, 12.0, 14.0], [20.0, 22.0, 24.0]]]])
    assert_close(out, expected, name="out", function=FORWARD)


def test_forward_sums_channels_and_adds_each_filter_bias():
    x = np.stack([np.ones((2, 2)), np.full((2, 2), 2.0)])[
        None
    ]  # (1, 2, 2, 2): channels of 1s and 2s
    w = np.array([[1.0, 10.0], [-1.0, 0.0]]).reshape(2, 2, 1, 1)  # 2 filters of 1x1 over 2 channels
    out, _ = layers.conv_forward_naive(x, w, np.array([0.0, 3.0]), {"stride": 1, "pad": 0})
    # Filter 0: 1*1 + 10*2 + 0 = 21; filter 1: -1*1 + 0*2 + 3 = 2.
    assert_close(out, [[np.full((2, 2), 21.0), np.full((2, 2), 2.0)]], name="out", function=FORWARD)


@pytest.mark.parametrize(
    ("H", "W", "HH", "WW", "stride", "pad", "out_hw"),
    [
        (5, 5, 3, 3, 1, 1, (5, 5)),
        (5, 5, 3, 3, 1, 0, (3, 3)),
        (6, 6, 2, 2, 2, 0, (3, 3)),
        (5, 8, 3, 2, 2, 1, (3, 5)),  # non-square input and filter
        (5, 6, 3, 1, 3, 2, (3, 4)),
    ],
)
def test_output_size_formula(rng, H, W, HH, WW, stride, pad, out_hw):
    case = cases.conv_case(rng, N=2, C=3, H=H, W=W, F=4, HH=HH, WW=WW, stride=stride, pad=pad)
    out, _ = layers.conv_forward_naive(**case)
    hint = "H' = 1 + (H + 2 * pad - HH) // stride, W' = 1 + (W + 2 * pad - WW) // stride"
    assert_shape(out, (2, 4, *out_hw), name="out", function=FORWARD, hint=hint)


def test_forward_leaves_input_alone(rng):
    case = cases.conv_case(rng)
    before = case["x"].copy()
    layers.conv_forward_naive(**case)
    assert_unchanged(before, case["x"], name="x", function=FORWARD)


def test_backward_known_values():
    _, cache = layers.conv_forward_naive(X_3X3, W_2X2, np.array([1.0]), {"stride": 1, "pad": 0})
    dx, dw, db = layers.conv_backward_naive(np.ones((1, 1, 2, 2)), cache)
    # dx[i, j] sums the filter weights that touch x[i, j]; dw[k, l] sums the inputs they touch.
    assert_close(
        dx, [[[[1.0, 3.0, 2.0], [4.0, 10.0, 6.0], [3.0, 7.0, 4.0]]]], name="dx", function=BACKWARD
    )
    assert_close(dw, [[[[12.0, 16.0], [24.0, 28.0]]]], name="dw", function=BACKWARD)
    assert_close(db, [4.0], name="db", function=BACKWARD)


@pytest.mark.parametrize(
    "shape",
    [
        dict(H=5, W=5, HH=3, WW=3, stride=1, pad=1),
        dict(H=4, W=4, HH=3, WW=3, stride=1, pad=0),
        dict(H=5, W=5, HH=3, WW=3, stride=2, pad=1),
        dict(H=4, W=6, HH=2, WW=4, stride=2, pad=0),
    ],
    ids=["pad1", "pad0", "stride2", "non-square"],
)
def test_backward_numeric_gradient(rng, shape):
    case = cases.conv_case(rng, N=2, C=2, F=3, **shape)
    check_backward(
        layers.conv_forward_naive,
        layers.conv_backward_naive,
        case,
        ("x", "w", "b"),
        rng,
        function=BACKWARD,
    )

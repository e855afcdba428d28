"""The provided fast convolution and pooling: hand-made values and numeric gradients, then
agreement with your naive layers to 1e-9 (those tests need layers.py's naive versions)."""

import numpy as np
import pytest

from backprop import fast_layers, layers

from .support import cases
from .support.checks import assert_close, check_backward

pytestmark = pytest.mark.provided

AGREE = {"rtol": 1e-9, "atol": 1e-9}
CONV_SHAPES = {
    "pad1": dict(H=5, W=5, HH=3, WW=3, stride=1, pad=1),
    "pad0": dict(H=5, W=6, HH=3, WW=2, stride=1, pad=0),
    "stride2": dict(H=7, W=7, HH=3, WW=3, stride=2, pad=1),
}
POOL_SHAPES = {
    "tiles": dict(H=4, W=6, pool_height=2, pool_width=2, stride=2),
    "untiled": dict(H=5, W=5, pool_height=2, pool_width=2, stride=2),  # last row, column unread
    "overlap": dict(H=5, W=5, pool_height=3, pool_width=3, stride=2),
    "stride1": dict(H=4, W=5, pool_height=2, pool_width=3, stride=1),
}


def test_conv_forward_fast_known_values():
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    w = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    out, _ = fast_layers.conv_forward_fast(x, w, np.array([1.0]), {"stride": 1, "pad": 0})
    assert_close(
        out, [[[[38.0, 48.0], [68.0, 78.0]]]], name="out", function="fast_layers.conv_forward_fast"
    )


def test_max_pool_fast_splits_ties_equally():
    out, cache = fast_layers.max_pool_forward_fast(
        np.ones((1, 1, 2, 2)), {"pool_height": 2, "pool_width": 2, "stride": 2}
    )
    dx = fast_layers.max_pool_backward_fast(np.array([[[[1.0]]]]), cache)
    assert_close(
        dx, np.full((1, 1, 2, 2), 0.25), name="dx", function="fast_layers.max_pool_backward_fast"
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_max_pool_fast_tiling_splits_ties_like_the_general_path(rng, dtype):
    """Windows that tile the input (2x2, stride 2, even H and W) take a path that does not zero dx
    first. It must split each window's gradient equally between the window's tied maxima, keep
    the dtype, and agree with the general path, taken when one more row and column (read by no
    window) make the windows stop tiling."""
    function = "fast_layers.max_pool_backward_fast"
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    x = rng.integers(0, 3, size=(2, 3, 4, 6)).astype(dtype)  # three distinct values: many ties
    out, cache = fast_layers.max_pool_forward_fast(x, pool_param)
    dout = rng.standard_normal(out.shape).astype(dtype)
    dx = fast_layers.max_pool_backward_fast(dout, cache)

    tiles = x.reshape(2, 3, 2, 2, 3, 2)  # tiles[n, c, h, i, w, j] = x[n, c, 2h + i, 2w + j]
    is_max = tiles == out[:, :, :, None, :, None]
    share = dout / is_max.sum(axis=(3, 5)).astype(dtype)
    expected = (is_max * share[:, :, :, None, :, None]).reshape(x.shape)
    assert_close(dx, expected, name="dx", function=function, against="an equal split", **AGREE)

    untiled = np.pad(x, ((0, 0), (0, 0), (0, 1), (0, 1)), constant_values=9)  # would win any window
    _, untiled_cache = fast_layers.max_pool_forward_fast(untiled, pool_param)
    assert_close(
        fast_layers.max_pool_backward_fast(dout, untiled_cache),
        np.pad(dx, ((0, 0), (0, 0), (0, 1), (0, 1))),
        name="dx",
        function=function,
        against="the tiling path's, padded with zeros",
        **AGREE,
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv_backward_fast_can_skip_dx(rng, dtype):
    case = cases.conv_case(rng, N=2, C=3, F=4, **CONV_SHAPES["stride2"])
    x, w, b = (case[name].astype(dtype) for name in ("x", "w", "b"))
    out, cache = fast_layers.conv_forward_fast(x, w, b, case["conv_param"])
    dout = rng.standard_normal(out.shape).astype(dtype)
    dx, *grads = fast_layers.conv_backward_fast(dout, cache, input_gradient=False)
    function = "fast_layers.conv_backward_fast(..., input_gradient=False)"
    assert dx is None, f"{function} returned a {type(dx).__name__} for dx instead of None"
    _, *full_grads = fast_layers.conv_backward_fast(dout, cache)
    for name, grad, full_grad in zip(("dw", "db"), grads, full_grads):
        assert_close(
            grad, full_grad, name=name, function=function, against="the full pass's", **AGREE
        )


@pytest.mark.parametrize("shape", CONV_SHAPES.values(), ids=CONV_SHAPES.keys())
def test_conv_fast_numeric_gradient(rng, shape):
    check_backward(
        fast_layers.conv_forward_fast,
        fast_layers.conv_backward_fast,
        cases.conv_case(rng, N=2, C=2, F=3, **shape),
        ("x", "w", "b"),
        rng,
        function="fast_layers.conv_backward_fast",
    )


@pytest.mark.parametrize("shape", POOL_SHAPES.values(), ids=POOL_SHAPES.keys())
def test_max_pool_fast_numeric_gradient(rng, shape):
    check_backward(
        fast_layers.max_pool_forward_fast,
        fast_layers.max_pool_backward_fast,
        cases.pool_case(rng, N=2, C=2, **shape),
        ("x",),
        rng,
        function="fast_layers.max_pool_backward_fast",
    )


@pytest.mark.parametrize("shape", CONV_SHAPES.values(), ids=CONV_SHAPES.keys())
def test_conv_fast_agrees_with_naive(rng, shape):
    case = cases.conv_case(rng, N=2, C=3, F=4, **shape)
    naive_out, naive_cache = layers.conv_forward_naive(**case)
    fast_out, fast_cache = fast_layers.conv_forward_fast(**case)
    function = "fast_layers.conv_forward_fast vs your layers.conv_forward_naive"
    assert_close(
        fast_out, naive_out, name="out", function=function, against="the naive layer's", **AGREE
    )
    dout = rng.standard_normal(np.shape(naive_out))
    function = "fast_layers.conv_backward_fast vs your layers.conv_backward_naive"
    for name, fast, naive in zip(
        ("dx", "dw", "db"),
        fast_layers.conv_backward_fast(dout, fast_cache),
        layers.conv_backward_naive(dout, naive_cache),
    ):
        assert_close(
            fast, naive, name=name, function=function, against="the naive layer's", **AGREE
        )


@pytest.mark.parametrize("shape", POOL_SHAPES.values(), ids=POOL_SHAPES.keys())
def test_max_pool_fast_agrees_with_naive(rng, shape):
    case = cases.pool_case(rng, N=2, C=3, **shape)
    naive_out, naive_cache = layers.max_pool_forward_naive(**case)
    fast_out, fast_cache = fast_layers.max_pool_forward_fast(**case)
    function = "fast_layers.max_pool_forward_fast vs your layers.max_pool_forward_naive"
    assert_close(
        fast_out, naive_out, name="out", function=function, against="the naive layer's", **AGREE
    )
    dout = rng.standard_normal(np.shape(naive_out))
    assert_close(
        fast_layers.max_pool_backward_fast(dout, fast_cache),
        layers.max_pool_backward_naive(dout, naive_cache),
        name="dx",
        function=function.replace("forward", "backward"),
        against="the naive layer's",
        **AGREE,
    )

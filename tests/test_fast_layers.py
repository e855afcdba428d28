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

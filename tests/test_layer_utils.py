"""The provided sandwich layers: each must equal its layers run in a row, with matching gradients.

They call your layers, so they need those parts of layers.py."""

import numpy as np
import pytest

from backprop import fast_layers, layer_utils, layers

from .support import cases
from .support.checks import assert_close, check_backward

pytestmark = pytest.mark.provided

POOL_PARAM = {"pool_height": 2, "pool_width": 2, "stride": 2}


def conv_inputs(rng: np.random.Generator) -> dict:
    return cases.conv_case(rng, N=2, C=2, H=4, W=4, F=3, HH=3, WW=3, stride=1, pad=1)


def test_affine_relu(rng):
    case = cases.affine_case(rng, N=3, in_dims=(2, 3), M=4)
    out, _ = layer_utils.affine_relu_forward(**case)
    expected, _ = layers.relu_forward(layers.affine_forward(**case)[0])
    assert_close(out, expected, name="out", function="layer_utils.affine_relu_forward")
    check_backward(
        layer_utils.affine_relu_forward,
        layer_utils.affine_relu_backward,
        case,
        ("x", "w", "b"),
        rng,
        function="layer_utils.affine_relu_backward",
    )


def test_conv_relu(rng):
    case = conv_inputs(rng)
    out, _ = layer_utils.conv_relu_forward(**case)
    expected, _ = layers.relu_forward(layers.conv_forward_naive(**case)[0])
    assert_close(out, expected, name="out", function="layer_utils.conv_relu_forward")
    check_backward(
        layer_utils.conv_relu_forward,
        layer_utils.conv_relu_backward,
        case,
        ("x", "w", "b"),
        rng,
        function="layer_utils.conv_relu_backward",
    )


def test_conv_bn_relu(rng):
    x, w, b, conv_param = conv_inputs(rng).values()
    gamma, beta = rng.uniform(0.5, 2.0, size=3), rng.standard_normal(3)
    case = {
        "x": x,
        "w": w,
        "b": b,
        "gamma": gamma,
        "beta": beta,
        "conv_param": conv_param,
        "bn_param": {"mode": "train"},
    }
    out, _ = layer_utils.conv_bn_relu_forward(**case)
    conv_out, _ = layers.conv_forward_naive(x, w, b, conv_param)
    normed, _ = layers.spatial_batchnorm_forward(conv_out, gamma, beta, {"mode": "train"})
    assert_close(
        out, layers.relu_forward(normed)[0], name="out", function="layer_utils.conv_bn_relu_forward"
    )
    check_backward(
        layer_utils.conv_bn_relu_forward,
        layer_utils.conv_bn_relu_backward,
        case,
        ("x", "w", "b", "gamma", "beta"),
        rng,
        function="layer_utils.conv_bn_relu_backward",
    )


def test_conv_relu_pool(rng):
    case = {**conv_inputs(rng), "pool_param": POOL_PARAM}
    out, _ = layer_utils.conv_relu_pool_forward(**case)
    conv_out, _ = layers.conv_forward_naive(*list(case.values())[:4])
    expected, _ = layers.max_pool_forward_naive(layers.relu_forward(conv_out)[0], POOL_PARAM)
    assert_close(out, expected, name="out", function="layer_utils.conv_relu_pool_forward")
    check_backward(
        layer_utils.conv_relu_pool_forward,
        layer_utils.conv_relu_pool_backward,
        case,
        ("x", "w", "b"),
        rng,
        function="layer_utils.conv_relu_pool_backward",
    )


def test_conv_relu_pool_pooling_first_changes_nothing(rng):
    """The sandwich pools before its ReLU. Output and gradients must be those of ReLU then pool,
    also where the ReLU makes ties: filter 0's outputs are all negative, so after a ReLU each of
    its windows holds four tied zeros."""
    case = {**conv_inputs(rng), "pool_param": POOL_PARAM}
    case["b"][0] = -100.0
    out, cache = layer_utils.conv_relu_pool_forward(**case)
    a, conv_cache = fast_layers.conv_forward_fast(*list(case.values())[:4])
    activated, relu_cache = layers.relu_forward(a)
    expected, pool_cache = fast_layers.max_pool_forward_fast(activated, POOL_PARAM)
    function = "layer_utils.conv_relu_pool_forward"
    assert_close(out, expected, name="out", function=function, against="ReLU before pooling")
    dout = rng.standard_normal(out.shape)
    dactivated = fast_layers.max_pool_backward_fast(dout, pool_cache)
    grads = fast_layers.conv_backward_fast(layers.relu_backward(dactivated, relu_cache), conv_cache)
    for name, actual, wanted in zip(
        ("dx", "dw", "db"), layer_utils.conv_relu_pool_backward(dout, cache), grads
    ):
        assert_close(
            actual,
            wanted,
            name=name,
            function="layer_utils.conv_relu_pool_backward",
            against="ReLU before pooling",
        )


SANDWICH_INPUTS = {
    "conv_relu": lambda rng: {},
    "conv_relu_pool": lambda rng: {"pool_param": POOL_PARAM},
    "conv_bn_relu": lambda rng: {
        "gamma": rng.uniform(0.5, 2.0, size=3),
        "beta": rng.standard_normal(3),
        "bn_param": {"mode": "train"},
    },
}
"""The inputs each convolution sandwich takes besides those of the convolution."""


@pytest.mark.parametrize("sandwich", SANDWICH_INPUTS)
def test_conv_sandwich_can_skip_dx(rng, sandwich):
    forward = getattr(layer_utils, f"{sandwich}_forward")
    backward = getattr(layer_utils, f"{sandwich}_backward")
    out, cache = forward(**conv_inputs(rng), **SANDWICH_INPUTS[sandwich](rng))
    dout = rng.standard_normal(out.shape)
    function = f"layer_utils.{sandwich}_backward(..., input_gradient=False)"
    dx, *grads = backward(dout, cache, input_gradient=False)
    assert dx is None, f"{function} returned a {type(dx).__name__} for dx instead of None"
    _, *full_grads = backward(dout, cache)
    for name, grad, full_grad in zip(("dw", "db", "dgamma", "dbeta"), grads, full_grads):
        assert_close(grad, full_grad, name=name, function=function, against="the full pass's")

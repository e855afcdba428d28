"""Sandwich layers: common sequences of layers as one forward and one backward pass (provided).

Each forward pass chains the layers of ``layers.py`` (convolutions and pooling from
``fast_layers.py``) and returns the tuple of their caches; the backward pass runs the same
layers in reverse order. Add your own here if you like, for example affine - batchnorm - relu.
"""

from typing import Any

import numpy as np

from .fast_layers import (
    conv_backward_fast,
    conv_forward_fast,
    max_pool_backward_fast,
    max_pool_forward_fast,
)
from .layers import (
    affine_backward,
    affine_forward,
    relu_backward,
    relu_forward,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
)

Array = np.ndarray
Cache = Any  # opaque to callers: whatever a forward pass keeps for its backward pass
Params = dict[str, Any]


def affine_relu_forward(x: Array, w: Array, b: Array) -> tuple[Array, Cache]:
    """Affine layer then ReLU: out = max(0, x.reshape(N, D) @ w + b).

    Args:
        x: (N, d_1, ..., d_k) input, flattened to (N, D).
        w: (D, M) weights.
        b: (M,) biases.

    Returns:
        out: (N, M) output.
        cache: (affine cache, relu cache).
    """
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout: Array, cache: Cache) -> tuple[Array, Array, Array]:
    """Backward pass of affine - relu.

    Args:
        dout: (N, M) upstream gradient.
        cache: from affine_relu_forward.

    Returns:
        dx: (N, d_1, ..., d_k), dw: (D, M), db: (M,) gradients.
    """
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    return affine_backward(da, fc_cache)


def conv_relu_forward(x: Array, w: Array, b: Array, conv_param: Params) -> tuple[Array, Cache]:
    """Convolution then ReLU: out = max(0, conv(x, w) + b).

    Args:
        x: (N, C, H, W) input.
        w: (F, C, HH, WW) filters.
        b: (F,) biases.
        conv_param: ``stride`` and ``pad``, as for conv_forward_fast.

    Returns:
        out: (N, F, H', W') output.
        cache: (conv cache, relu cache).
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    out, relu_cache = relu_forward(a)
    return out, (conv_cache, relu_cache)


def conv_relu_backward(
    dout: Array, cache: Cache, *, input_gradient: bool = True
) -> tuple[Array | None, Array, Array]:
    """Backward pass of conv - relu.

    Args:
        dout: (N, F, H', W') upstream gradient.
        cache: from conv_relu_forward.
        input_gradient: False to skip dx (returned as None), as for conv_backward_fast.

    Returns:
        dx: (N, C, H, W) or None, dw: (F, C, HH, WW), db: (F,) gradients.
    """
    conv_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    return conv_backward_fast(da, conv_cache, input_gradient=input_gradient)


def conv_bn_relu_forward(
    x: Array,
    w: Array,
    b: Array,
    gamma: Array,
    beta: Array,
    conv_param: Params,
    bn_param: Params,
) -> tuple[Array, Cache]:
    """Convolution, spatial batch normalization, then ReLU.

    Args:
        x: (N, C, H, W) input.
        w: (F, C, HH, WW) filters.
        b: (F,) biases.
        gamma: (F,) batch normalization scale.
        beta: (F,) batch normalization shift.
        conv_param: ``stride`` and ``pad``, as for conv_forward_fast.
        bn_param: as for spatial_batchnorm_forward (``mode`` and optional ``eps``, ``momentum``,
            ``running_mean``, ``running_var``).

    Returns:
        out: (N, F, H', W') output.
        cache: (conv cache, batchnorm cache, relu cache).
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    an, bn_cache = spatial_batchnorm_forward(a, gamma, beta, bn_param)
    out, relu_cache = relu_forward(an)
    return out, (conv_cache, bn_cache, relu_cache)


def conv_bn_relu_backward(
    dout: Array, cache: Cache, *, input_gradient: bool = True
) -> tuple[Array | None, Array, Array, Array, Array]:
    """Backward pass of conv - spatial batchnorm - relu.

    Args:
        dout: (N, F, H', W') upstream gradient.
        cache: from conv_bn_relu_forward.
        input_gradient: False to skip dx (returned as None), as for conv_backward_fast.

    Returns:
        dx: (N, C, H, W) or None, dw: (F, C, HH, WW), db: (F,), dgamma: (F,), dbeta: (F,)
        gradients.
    """
    conv_cache, bn_cache, relu_cache = cache
    dan = relu_backward(dout, relu_cache)
    da, dgamma, dbeta = spatial_batchnorm_backward(dan, bn_cache)
    dx, dw, db = conv_backward_fast(da, conv_cache, input_gradient=input_gradient)
    return dx, dw, db, dgamma, dbeta


def conv_relu_pool_forward(
    x: Array, w: Array, b: Array, conv_param: Params, pool_param: Params
) -> tuple[Array, Cache]:
    """Convolution, ReLU, then max pooling, computed as convolution, max pooling, then ReLU.

    The two orders give the same output, ``max_ij max(0, a_ij) = max(0, max_ij a_ij)``, and the
    same gradients (a window whose maximum is not positive passes no gradient either way), but
    pooling first lets the ReLU work on the pooled output, a quarter of the size for 2x2 pooling.

    Args:
        x: (N, C, H, W) input.
        w: (F, C, HH, WW) filters.
        b: (F,) biases.
        conv_param: ``stride`` and ``pad``, as for conv_forward_fast.
        pool_param: ``pool_height``, ``pool_width`` and ``stride``, as for max_pool_forward_fast.

    Returns:
        out: (N, F, H'', W'') output, pooled from the (N, F, H', W') convolution.
        cache: (conv cache, pool cache, relu cache).
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    pooled, pool_cache = max_pool_forward_fast(a, pool_param)
    out, relu_cache = relu_forward(pooled)
    return out, (conv_cache, pool_cache, relu_cache)


def conv_relu_pool_backward(
    dout: Array, cache: Cache, *, input_gradient: bool = True
) -> tuple[Array | None, Array, Array]:
    """Backward pass of conv - relu - pool.

    Args:
        dout: (N, F, H'', W'') upstream gradient.
        cache: from conv_relu_pool_forward.
        input_gradient: False to skip dx (returned as None), as for conv_backward_fast: a
            network's first layer needs no gradient for its input.

    Returns:
        dx: (N, C, H, W) or None, dw: (F, C, HH, WW), db: (F,) gradients.
    """
    conv_cache, pool_cache, relu_cache = cache
    dpooled = relu_backward(dout, relu_cache)
    da = max_pool_backward_fast(dpooled, pool_cache)
    return conv_backward_fast(da, conv_cache, input_gradient=input_gradient)

"""Layers of a neural network: forward and backward passes, side by side.

Every layer follows one contract:

- ``*_forward(inputs..., param) -> (out, cache)``: ``cache`` holds whatever the backward pass needs.
- ``*_backward(dout, cache) -> grads``: the gradients of the loss with respect to the forward's
  inputs, in the order of those inputs (``dx, dw, db``), each with its input's shape.

The losses return ``(loss, dx)`` directly. Shapes use N for the batch, D for features, C for
channels (or classes), H and W for height and width.
"""

from typing import Any

import numpy as np

Array = np.ndarray
Cache = Any  # opaque to callers: whatever a forward pass keeps for its backward pass
Params = dict[str, Any]


def affine_forward(x: Array, w: Array, b: Array) -> tuple[Array, Cache]:
    """Affine (fully connected) layer: out = x.reshape(N, D) @ w + b.

    Args:
        x: (N, d_1, ..., d_k) input; each example is flattened to D = d_1 * ... * d_k values.
        w: (D, M) weights.
        b: (M,) biases.

    Returns:
        out: (N, M) output.
        cache: (x, w, b).
    """
    out = None
    # YOUR CODE HERE
    raise NotImplementedError("affine_forward is not implemented yet")
    cache = (x, w, b)
    return out, cache


def affine_backward(dout: Array, cache: Cache) -> tuple[Array, Array, Array]:
    """Backward pass of the affine layer: dx = dout @ w.T, dw = x.T @ dout, db = sum_n dout.

    Args:
        dout: (N, M) upstream gradient.
        cache: (x, w, b) from affine_forward.

    Returns:
        dx: (N, d_1, ..., d_k) gradient with respect to x, in x's original shape.
        dw: (D, M) gradient with respect to w.
        db: (M,) gradient with respect to b.
    """
    x, w, b = cache
    dx, dw, db = None, None, None
    # YOUR CODE HERE
    raise NotImplementedError("affine_backward is not implemented yet")
    return dx, dw, db


def relu_forward(x: Array) -> tuple[Array, Cache]:
    """Rectified linear unit: out = max(0, x), elementwise.

    Args:
        x: input of any shape.

    Returns:
        out: output, same shape as x.
        cache: x.
    """
    out = None
    # YOUR CODE HERE
    raise NotImplementedError("relu_forward is not implemented yet")
    cache = x
    return out, cache


def relu_backward(dout: Array, cache: Cache) -> Array:
    """Backward pass of ReLU: dx = dout * [x > 0].

    Args:
        dout: upstream gradient, any shape.
        cache: x from relu_forward, same shape as dout.

    Returns:
        dx: gradient with respect to x, same shape as x.
    """
    dx, x = None, cache
    # YOUR CODE HERE
    raise NotImplementedError("relu_backward is not implemented yet")
    return dx


def softmax_loss(x: Array, y: Array) -> tuple[float, Array]:
    """Softmax (cross-entropy) loss: loss = -1/N sum_n log(exp(x[n, y_n]) / sum_j exp(x[n, j])).

    The scores are shifted by their row maximum before exponentiating, which leaves the
    probabilities unchanged and keeps exp from overflowing.

    Args:
        x: (N, C) class scores.
        y: (N,) integer labels, 0 <= y[n] < C.

    Returns:
        loss: the loss averaged over the N examples.
        dx: (N, C) gradient with respect to x: (softmax(x) - onehot(y)) / N.
    """
    loss, dx = None, None
    # YOUR CODE HERE
    raise NotImplementedError("softmax_loss is not implemented yet")
    return loss, dx


def svm_loss(x: Array, y: Array) -> tuple[float, Array]:
    """Multiclass SVM (hinge) loss: loss = 1/N sum_n sum_{j != y_n} max(0, x[n, j] - x[n, y_n] + 1).

    Args:
        x: (N, C) class scores.
        y: (N,) integer labels, 0 <= y[n] < C.

    Returns:
        loss: the loss averaged over the N examples.
        dx: (N, C) gradient with respect to x.
    """
    loss, dx = None, None
    # YOUR CODE HERE
    raise NotImplementedError("svm_loss is not implemented yet")
    return loss, dx


def batchnorm_forward(x: Array, gamma: Array, beta: Array, bn_param: Params) -> tuple[Array, Cache]:
    """Batch normalization: out = gamma * (x - mean) / sqrt(var + eps) + beta, per feature.

    In train mode, mean and var are the batch's (biased) statistics over axis 0, and the running
    averages are updated: running = momentum * running + (1 - momentum) * batch statistic.
    In test mode, the running averages stand in for the batch statistics.

    Args:
        x: (N, D) input.
        gamma: (D,) scale.
        beta: (D,) shift.
        bn_param: dict with keys
            mode: "train" or "test" (required).
            eps: constant for numeric stability (default 1e-5).
            momentum: decay of the running averages (default 0.9).
            running_mean: (D,) running mean (default zeros); updated in place in the dict.
            running_var: (D,) running variance (default zeros); updated in place in the dict.

    Returns:
        out: (N, D) output.
        cache: what batchnorm_backward needs (None in test mode).

    Raises:
        ValueError: if mode is neither "train" nor "test".
    """
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    num_features = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(num_features, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(num_features, dtype=x.dtype))

    out, cache = None, None
    if mode == "train":
        # YOUR CODE HERE
        raise NotImplementedError("batchnorm_forward is not implemented yet")
    elif mode == "test":
        # YOUR CODE HERE
        raise NotImplementedError("batchnorm_forward is not implemented yet")
    else:
        raise ValueError(f"invalid batchnorm mode {mode!r}: expected 'train' or 'test'")

    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout: Array, cache: Cache) -> tuple[Array, Array, Array]:
    """Backward pass of batch normalization, step by step through the computational graph.

    The forward graph: mean = sum_n x / N; xc = x - mean; var = sum_n xc^2 / N;
    std = sqrt(var + eps); x_hat = xc / std; out = gamma * x_hat + beta.
    Each step's gradient is pushed back in reverse order.

    Args:
        dout: (N, D) upstream gradient.
        cache: from batchnorm_forward in train mode.

    Returns:
        dx: (N, D) gradient with respect to x.
        dgamma: (D,) gradient with respect to gamma.
        dbeta: (D,) gradient with respect to beta.
    """
    dx, dgamma, dbeta = None, None, None
    # YOUR CODE HERE
    raise NotImplementedError("batchnorm_backward is not implemented yet")
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout: Array, cache: Cache) -> tuple[Array, Array, Array]:
    """Backward pass of batch normalization in closed form.

    dx = gamma / (N * std) * (N * dout - sum_n dout - x_hat * sum_n (dout * x_hat)),
    where std = sqrt(var + eps) and x_hat is the normalized input.

    Args:
        dout: (N, D) upstream gradient.
        cache: from batchnorm_forward in train mode.

    Returns:
        dx: (N, D) gradient with respect to x.
        dgamma: (D,) gradient with respect to gamma.
        dbeta: (D,) gradient with respect to beta.
    """
    dx, dgamma, dbeta = None, None, None
    # YOUR CODE HERE
    raise NotImplementedError("batchnorm_backward_alt is not implemented yet")
    return dx, dgamma, dbeta


def layernorm_forward(x: Array, gamma: Array, beta: Array, ln_param: Params) -> tuple[Array, Cache]:
    """Layer normalization: out = gamma * (x - mean) / sqrt(var + eps) + beta.

    Unlike batch normalization, mean and var are each example's statistics over its D features
    (axis 1), so train and test time behave the same and nothing is tracked across batches.

    Args:
        x: (N, D) input.
        gamma: (D,) scale.
        beta: (D,) shift.
        ln_param: dict with key eps, a constant for numeric stability (default 1e-5).

    Returns:
        out: (N, D) output.
        cache: what layernorm_backward needs.
    """
    out, cache = None, None
    eps = ln_param.get("eps", 1e-5)
    # YOUR CODE HERE
    raise NotImplementedError("layernorm_forward is not implemented yet")
    return out, cache


def layernorm_backward(dout: Array, cache: Cache) -> tuple[Array, Array, Array]:
    """Backward pass of layer normalization.

    With g = dout * gamma: dx = (D * g - sum_d g - x_hat * sum_d (g * x_hat)) / (D * std),
    the sums running over each example's features.

    Args:
        dout: (N, D) upstream gradient.
        cache: from layernorm_forward.

    Returns:
        dx: (N, D) gradient with respect to x.
        dgamma: (D,) gradient with respect to gamma.
        dbeta: (D,) gradient with respect to beta.
    """
    dx, dgamma, dbeta = None, None, None
    # YOUR CODE HERE
    raise NotImplementedError("layernorm_backward is not implemented yet")
    return dx, dgamma, dbeta


def dropout_forward(x: Array, dropout_param: Params) -> tuple[Array, Cache]:
    """Inverted dropout: out = x * mask / p at train time, with mask[i] ~ Bernoulli(p); out = x at test.

    Dividing by the keep probability p at train time keeps the expected activation unchanged,
    so test time needs no rescaling.

    Args:
        x: input of any shape.
        dropout_param: dict with keys
            p: probability of KEEPING each unit.
            mode: "train" or "test".
            seed: optional; when given, NumPy's global generator is seeded with it, as CS231n
                does, so that runs are repeatable.

    Returns:
        out: output, same shape and dtype as x.
        cache: (dropout_param, mask); mask is None at test time.

    Raises:
        ValueError: if mode is neither "train" nor "test".
    """
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])

    mask = None
    out = None
    if mode == "train":
        # YOUR CODE HERE
        raise NotImplementedError("dropout_forward is not implemented yet")
    elif mode == "test":
        # YOUR CODE HERE
        raise NotImplementedError("dropout_forward is not implemented yet")
    else:
        raise ValueError(f"invalid dropout mode {mode!r}: expected 'train' or 'test'")

    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)
    return out, cache


def dropout_backward(dout: Array, cache: Cache) -> Array:
    """Backward pass of inverted dropout: dx = dout * mask / p at train time, dout at test.

    Args:
        dout: upstream gradient, any shape.
        cache: (dropout_param, mask) from dropout_forward.

    Returns:
        dx: gradient with respect to x, same shape as dout.
    """
    dropout_param, mask = cache
    mode = dropout_param["mode"]

    dx = None
    if mode == "train":
        # YOUR CODE HERE
        raise NotImplementedError("dropout_backward is not implemented yet")
    elif mode == "test":
        dx = dout
    return dx


def conv_forward_naive(x: Array, w: Array, b: Array, conv_param: Params) -> tuple[Array, Cache]:
    """Convolution (cross-correlation), with loops over the output positions.

    out[n, f, i, j] = b[f] + sum_{c, k, l} x_pad[n, c, i * stride + k, j * stride + l] * w[f, c, k, l],
    where x_pad is x with `pad` zeros on each side of its height and width.

    Args:
        x: (N, C, H, W) input.
        w: (F, C, HH, WW) filters.
        b: (F,) biases.
        conv_param: dict with keys
            stride: step between neighbouring receptive fields, in both directions.
            pad: number of zeros added on each side of the height and width.

    Returns:
        out: (N, F, H', W') output, H' = 1 + (H + 2 * pad - HH) // stride,
            W' = 1 + (W + 2 * pad - WW) // stride.
        cache: (x, w, b, conv_param).
    """
    out = None
    # YOUR CODE HERE
    raise NotImplementedError("conv_forward_naive is not implemented yet")
    cache = (x, w, b, conv_param)
    return out, cache


def conv_backward_naive(dout: Array, cache: Cache) -> tuple[Array, Array, Array]:
    """Backward pass of the naive convolution.

    Each output position (i, j) is an affine map of its receptive field, so it adds
    dout[:, :, i, j] @ w_rows to the field's gradient and dout[:, :, i, j].T @ field to dw.

    Args:
        dout: (N, F, H', W') upstream gradient.
        cache: (x, w, b, conv_param) from conv_forward_naive.

    Returns:
        dx: (N, C, H, W) gradient with respect to x.
        dw: (F, C, HH, WW) gradient with respect to w.
        db: (F,) gradient with respect to b.
    """
    dx, dw, db = None, None, None
    # YOUR CODE HERE
    raise NotImplementedError("conv_backward_naive is not implemented yet")
    return dx, dw, db


def max_pool_forward_naive(x: Array, pool_param: Params) -> tuple[Array, Cache]:
    """Max pooling, with loops over the output positions: out[n, c, i, j] = max of one window.

    The window of (i, j) covers rows i * stride ... i * stride + pool_height - 1 and the
    matching columns; there is no padding.

    Args:
        x: (N, C, H, W) input.
        pool_param: dict with keys pool_height, pool_width and stride.

    Returns:
        out: (N, C, H', W') output, H' = 1 + (H - pool_height) // stride,
            W' = 1 + (W - pool_width) // stride.
        cache: (x, pool_param).
    """
    out = None
    # YOUR CODE HERE
    raise NotImplementedError("max_pool_forward_naive is not implemented yet")
    cache = (x, pool_param)
    return out, cache


def max_pool_backward_naive(dout: Array, cache: Cache) -> Array:
    """Backward pass of max pooling: each window's gradient goes to its (first) maximum.

    Where windows overlap (stride < pool size), the gradients they route to one input add up.

    Args:
        dout: (N, C, H', W') upstream gradient.
        cache: (x, pool_param) from max_pool_forward_naive.

    Returns:
        dx: (N, C, H, W) gradient with respect to x.
    """
    dx = None
    # YOUR CODE HERE
    raise NotImplementedError("max_pool_backward_naive is not implemented yet")
    return dx


def spatial_batchnorm_forward(
    x: Array, gamma: Array, beta: Array, bn_param: Params
) -> tuple[Array, Cache]:
    """Spatial batch normalization: batch normalization per channel, over (N, H, W).

    Moving the channels last and flattening gives an (N * H * W, C) matrix whose columns are
    the channels, which batchnorm_forward normalizes.

    Args:
        x: (N, C, H, W) input.
        gamma: (C,) scale.
        beta: (C,) shift.
        bn_param: as for batchnorm_forward (mode, eps, momentum, running_mean, running_var),
            with running statistics of shape (C,).

    Returns:
        out: (N, C, H, W) output.
        cache: what spatial_batchnorm_backward needs.
    """
    out, cache = None, None
    # YOUR CODE HERE
    raise NotImplementedError("spatial_batchnorm_forward is not implemented yet")
    return out, cache


def spatial_batchnorm_backward(dout: Array, cache: Cache) -> tuple[Array, Array, Array]:
    """Backward pass of spatial batch normalization, through batchnorm's backward pass.

    Args:
        dout: (N, C, H, W) upstream gradient.
        cache: from spatial_batchnorm_forward in train mode.

    Returns:
        dx: (N, C, H, W) gradient with respect to x.
        dgamma: (C,) gradient with respect to gamma.
        dbeta: (C,) gradient with respect to beta.
    """
    dx, dgamma, dbeta = None, None, None
    # YOUR CODE HERE
    raise NotImplementedError("spatial_batchnorm_backward is not implemented yet")
    return dx, dgamma, dbeta


def spatial_groupnorm_forward(
    x: Array, gamma: Array, beta: Array, G: int, gn_param: Params
) -> tuple[Array, Cache]:
    """Spatial group normalization: out = gamma * (x - mean) / sqrt(var + eps) + beta.

    The C channels are split into G groups of C / G consecutive channels; mean and var are the
    statistics of each example's group, over its (C / G, H, W) values. Like layer normalization,
    it behaves the same at train and test time.

    Args:
        x: (N, C, H, W) input.
        gamma: (1, C, 1, 1) scale per channel.
        beta: (1, C, 1, 1) shift per channel.
        G: number of groups; it divides C.
        gn_param: dict with key eps, a constant for numeric stability (default 1e-5).

    Returns:
        out: (N, C, H, W) output.
        cache: what spatial_groupnorm_backward needs.
    """
    out, cache = None, None
    eps = gn_param.get("eps", 1e-5)
    # YOUR CODE HERE
    raise NotImplementedError("spatial_groupnorm_forward is not implemented yet")
    return out, cache


def spatial_groupnorm_backward(dout: Array, cache: Cache) -> tuple[Array, Array, Array]:
    """Backward pass of spatial group normalization.

    Within each group of M = C / G * H * W values, as for layer normalization, with g = dout * gamma:
    dx = (M * g - sum g - x_hat * sum (g * x_hat)) / (M * std).

    Args:
        dout: (N, C, H, W) upstream gradient.
        cache: from spatial_groupnorm_forward.

    Returns:
        dx: (N, C, H, W) gradient with respect to x.
        dgamma: (1, C, 1, 1) gradient with respect to gamma.
        dbeta: (1, C, 1, 1) gradient with respect to beta.
    """
    dx, dgamma, dbeta = None, None, None
    # YOUR CODE HERE
    raise NotImplementedError("spatial_groupnorm_backward is not implemented yet")
    return dx, dgamma, dbeta

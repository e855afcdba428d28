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
    out = x.reshape(x.shape[0], -1) @ w + b
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
    dx = dout @ w.T
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
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
    print("relu_forward: x has shape", x.shape)
    out = np.maximum(0, x)
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
    dx = dout * (x > 0)
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
    n = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), y].mean()
    dx = np.exp(log_probs)
    dx[np.arange(n), y] -= 1
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
    n = x.shape[0]
    rows = np.arange(n)
    margins = np.maximum(0, x - x[rows, y][:, None] + 1)
    margins[rows, y] = 0
    loss = margins.sum() / n
    dx = (margins > 0).astype(x.dtype)
    dx[rows, y] = -dx.sum(axis=1)  # the correct class loses once per violated margin
    dx /= n
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
        sample_mean = x.mean(axis=0)
        x_centered = x - sample_mean
        sample_var = (x_centered**2).mean(axis=0)
        std = np.sqrt(sample_var + eps)
        x_hat = x_centered / std
        out = gamma * x_hat + beta
        cache = (x_centered, std, x_hat, gamma)
        running_mean = (1 - momentum) * running_mean + momentum * sample_mean
        running_var = (1 - momentum) * running_var + momentum * sample_var
    elif mode == "test":
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
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
    x_centered, std, x_hat, gamma = cache
    n = dout.shape[0]
    # out = gamma * x_hat + beta
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    # x_hat = x_centered / std: x_centered reaches x_hat directly and through std
    dx_centered = dx_hat / std
    dstd = -(dx_hat * x_centered).sum(axis=0) / std**2
    # std = sqrt(var + eps)
    dvar = dstd / (2 * std)
    # var = mean(x_centered ** 2)
    dx_centered += 2 * x_centered * dvar / n
    # x_centered = x - mean(x)
    dx = dx_centered - dx_centered.mean(axis=0)
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
    _, std, x_hat, gamma = cache
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = gamma / (n * std) * (n * dout - dbeta - x_hat * dgamma)
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
    x_centered = x - x.mean(axis=1, keepdims=True)
    std = np.sqrt((x_centered**2).mean(axis=1, keepdims=True) + eps)
    x_hat = x_centered / std
    out = gamma * x_hat + beta
    cache = (std, x_hat, gamma)
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
    std, x_hat, gamma = cache
    d = dout.shape[1]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dx = (
        d * dx_hat
        - dx_hat.sum(axis=1, keepdims=True)
        - x_hat * (dx_hat * x_hat).sum(axis=1, keepdims=True)
    ) / (d * std)
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
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    elif mode == "test":
        out = x
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
        dx = dout * mask
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
    n, _, height, width = x.shape
    num_filters, _, filter_height, filter_width = w.shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    out_height = 1 + (height + 2 * pad - filter_height) // stride
    out_width = 1 + (width + 2 * pad - filter_width) // stride

    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    w_rows = w.reshape(num_filters, -1)  # (F, C * HH * WW)
    out = np.zeros((n, num_filters, out_height, out_width), dtype=np.result_type(x, w, b))
    for i in range(out_height):
        for j in range(out_width):
            top, left = i * stride, j * stride
            field = x_pad[:, :, top : top + filter_height, left : left + filter_width]
            out[:, :, i, j] = field.reshape(n, -1) @ w_rows.T + b
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
    x, w, _, conv_param = cache
    n, channels, height, width = x.shape
    num_filters, _, filter_height, filter_width = w.shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    _, _, out_height, out_width = dout.shape

    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    w_rows = w.reshape(num_filters, -1)  # (F, C * HH * WW)
    dx_pad = np.zeros_like(x_pad)
    dw_rows = np.zeros_like(w_rows)
    field_shape = (n, channels, filter_height, filter_width)
    for i in range(out_height):
        for j in range(out_width):
            top, left = i * stride, j * stride
            rows = slice(top, top + filter_height)
            cols = slice(left, left + filter_width)
            grad = dout[:, :, i, j]  # (N, F)
            dx_pad[:, :, rows, cols] += (grad @ w_rows).reshape(field_shape)
            dw_rows += grad.T @ x_pad[:, :, rows, cols].reshape(n, -1)

    # Crop the padding; slicing pad : pad + H (not pad : -pad) also works when pad is 0.
    dx = dx_pad[:, :, pad : pad + height, pad : pad + width]
    dw = dw_rows.reshape(w.shape)
    db = dout.sum(axis=(0, 2, 3))
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
    n, channels, height, width = x.shape
    pool_height, pool_width = pool_param["pool_height"], pool_param["pool_width"]
    stride = pool_param["stride"]
    out_height = 1 + (height - pool_height) // stride
    out_width = 1 + (width - pool_width) // stride

    out = np.zeros((n, channels, out_height, out_width), dtype=x.dtype)
    for i in range(out_height):
        for j in range(out_width):
            top, left = i * stride, j * stride
            window = x[:, :, top : top + pool_height, left : left + pool_width]
            out[:, :, i, j] = window.max(axis=(2, 3))
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
    x, pool_param = cache
    n, channels, _, _ = x.shape
    pool_height, pool_width = pool_param["pool_height"], pool_param["pool_width"]
    stride = pool_param["stride"]
    _, _, out_height, out_width = dout.shape

    dx = np.zeros_like(x)
    positions = np.arange(pool_height * pool_width)
    for i in range(out_height):
        for j in range(out_width):
            top, left = i * stride, j * stride
            rows = slice(top, top + pool_height)
            cols = slice(left, left + pool_width)
            window = x[:, :, rows, cols].reshape(n, channels, -1)
            is_max = positions == window.argmax(axis=2)[:, :, None]  # (N, C, PH * PW) one-hot
            routed = is_max * dout[:, :, i, j][:, :, None]
            dx[:, :, rows, cols] += routed.reshape(n, channels, pool_height, pool_width)
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
    n, channels, height, width = x.shape
    x_rows = x.transpose(0, 2, 3, 1).reshape(-1, channels)
    out_rows, cache = batchnorm_forward(x_rows, gamma, beta, bn_param)
    out = out_rows.reshape(n, height, width, channels).transpose(0, 3, 1, 2)
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
    n, channels, height, width = dout.shape
    dout_rows = dout.transpose(0, 2, 3, 1).reshape(-1, channels)
    dx_rows, dgamma, dbeta = batchnorm_backward_alt(dout_rows, cache)
    dx = dx_rows.reshape(n, height, width, channels).transpose(0, 3, 1, 2)
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
    groups = x.reshape(x.shape[0], G, -1)  # (N, G, C / G * H * W)
    centered = groups - groups.mean(axis=2, keepdims=True)
    std = np.sqrt((centered**2).mean(axis=2, keepdims=True) + eps)  # (N, G, 1)
    x_hat = (centered / std).reshape(x.shape)
    out = gamma * x_hat + beta
    cache = (std, x_hat, gamma, G)
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
    std, x_hat, gamma, G = cache
    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)
    dgamma = (dout * x_hat).sum(axis=(0, 2, 3), keepdims=True)
    dx_hat = (dout * gamma).reshape(dout.shape[0], G, -1)  # (N, G, M)
    x_hat_groups = x_hat.reshape(dx_hat.shape)
    m = dx_hat.shape[2]
    dx = (
        m * dx_hat
        - dx_hat.sum(axis=2, keepdims=True)
        - x_hat_groups * (dx_hat * x_hat_groups).sum(axis=2, keepdims=True)
    ) / (m * std)
    dx = dx.reshape(dout.shape)
    return dx, dgamma, dbeta

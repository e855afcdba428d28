"""Fast convolution and max pooling, in pure NumPy (provided, not an exercise).

Same semantics as the naive layers in ``layers.py`` (CS231n's API): zero padding, any stride,
cross-correlation, ``H' = 1 + (H + 2 * pad - HH) // stride``; pooling has no padding.

How they are fast: a strided *window view* of the input (no copy) is copied once into a
column matrix, and a convolution becomes one matrix product per image (im2col). The
backward pass turns gradients of columns back into an image (col2im) with a loop over the
kernel offsets only, each step adding one strided slice. Max pooling with non-overlapping
windows that tile the input uses a reshape instead of a window view.
"""

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Array = np.ndarray


def _windows(x: Array, kernel: tuple[int, int], stride: int) -> Array:
    """Read-only view of every window of a batch of images, without copying.

    Args:
        x: (N, C, H, W) images.
        kernel: (KH, KW) window size.
        stride: step between windows.

    Returns:
        (N, C, KH, KW, H', W') view with ``view[n, c, i, j, h, w] = x[n, c, h*stride + i,
        w*stride + j]``, where ``H' = 1 + (H - KH) // stride`` (W' alike).
    """
    view = sliding_window_view(x, kernel, axis=(2, 3))[:, :, ::stride, ::stride]
    return view.transpose(0, 1, 4, 5, 2, 3)


def _add_windows(cols: Array, image_shape: tuple[int, ...], stride: int) -> Array:
    """Adjoint of ``_windows``: sum every window back onto the image it was read from.

    Args:
        cols: (N, C, KH, KW, H', W') one value per window element.
        image_shape: (N, C, H, W) shape of the image the windows were read from.
        stride: step between windows.

    Returns:
        (N, C, H, W) image with ``image[n, c, h*stride + i, w*stride + j] += cols[n, c, i, j,
        h, w]`` summed over all (i, j, h, w).
    """
    image = np.zeros(image_shape, dtype=cols.dtype)
    kernel_h, kernel_w, out_h, out_w = cols.shape[2:]
    for i in range(kernel_h):
        for j in range(kernel_w):
            rows = slice(i, i + stride * (out_h - 1) + 1, stride)
            columns = slice(j, j + stride * (out_w - 1) + 1, stride)
            image[:, :, rows, columns] += cols[:, :, i, j]
    return image


def conv_forward_fast(
    x: Array, w: Array, b: Array, conv_param: dict[str, Any]
) -> tuple[Array, tuple]:
    """Convolution forward pass by im2col and one matrix product per image.

    ``out[n, f] = sum_{c,i,j} w[f, c, i, j] * xpad[n, c, h*stride + i, w*stride + j] + b[f]``.

    Args:
        x: (N, C, H, W) input.
        w: (F, C, HH, WW) filters.
        b: (F,) biases.
        conv_param: ``stride`` and ``pad`` (zero padding on each side).

    Returns:
        out: (N, F, H', W') with ``H' = 1 + (H + 2*pad - HH) // stride`` (W' alike).
        cache: (x, w, b, conv_param, x_cols) for ``conv_backward_fast``.
    """
    stride, pad = conv_param["stride"], conv_param["pad"]
    num_filters, _, filter_h, filter_w = w.shape
    x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = _windows(x_padded, (filter_h, filter_w), stride)
    n, _, _, _, out_h, out_w = windows.shape
    x_cols = windows.reshape(n, -1, out_h * out_w)  # (N, C*HH*WW, H'*W'), one copy
    out = np.matmul(w.reshape(num_filters, -1), x_cols)
    out += b.reshape(-1, 1).astype(out.dtype, copy=False)
    return out.reshape(n, num_filters, out_h, out_w), (x, w, b, conv_param, x_cols)


def conv_backward_fast(dout: Array, cache: tuple) -> tuple[Array, Array, Array]:
    """Convolution backward pass: matrix products with the cached columns, then col2im.

    Args:
        dout: (N, F, H', W') upstream gradient.
        cache: from ``conv_forward_fast``.

    Returns:
        dx: (N, C, H, W), dw: (F, C, HH, WW), db: (F,) gradients of the loss.
    """
    x, w, _, conv_param, x_cols = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    n, num_filters, out_h, out_w = dout.shape
    _, channels, filter_h, filter_w = w.shape
    dout_flat = dout.reshape(n, num_filters, out_h * out_w)
    db = dout_flat.sum(axis=(0, 2))
    dw = np.matmul(dout_flat, x_cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
    dx_cols = np.matmul(w.reshape(num_filters, -1).T, dout_flat)
    dx_cols = dx_cols.reshape(n, channels, filter_h, filter_w, out_h, out_w)
    height, width = x.shape[2:]
    dx_padded = _add_windows(dx_cols, (n, channels, height + 2 * pad, width + 2 * pad), stride)
    dx = dx_padded[:, :, pad : pad + height, pad : pad + width]
    return dx, dw, db


def max_pool_forward_fast(x: Array, pool_param: dict[str, Any]) -> tuple[Array, tuple]:
    """Max pooling forward pass: a reshape when windows tile the input, else a window view.

    ``out[n, c, h, w] = max_{i,j} x[n, c, h*stride + i, w*stride + j]``.

    Args:
        x: (N, C, H, W) input.
        pool_param: ``pool_height``, ``pool_width`` and ``stride``.

    Returns:
        out: (N, C, H', W') with ``H' = 1 + (H - pool_height) // stride`` (W' alike).
        cache: (x, pool_param, out) for ``max_pool_backward_fast``.
    """
    pool_h, pool_w, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    if _tiles(x.shape, pool_h, pool_w, stride):
        n, channels, height, width = x.shape
        blocks = x.reshape(n, channels, height // pool_h, pool_h, width // pool_w, pool_w)
        out = blocks.max(axis=(3, 5))
    else:
        out = _windows(x, (pool_h, pool_w), stride).max(axis=(2, 3))
    return out, (x, pool_param, out)


def max_pool_backward_fast(dout: Array, cache: tuple) -> Array:
    """Max pooling backward pass; a window's gradient is split equally between its tied maxima.

    Args:
        dout: (N, C, H', W') upstream gradient.
        cache: from ``max_pool_forward_fast``.

    Returns:
        dx: (N, C, H, W) gradient with respect to x.
    """
    x, pool_param, out = cache
    pool_h, pool_w, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    if _tiles(x.shape, pool_h, pool_w, stride):
        n, channels, height, width = x.shape
        blocks = x.reshape(n, channels, height // pool_h, pool_h, width // pool_w, pool_w)
        is_max = blocks == out[:, :, :, None, :, None]
        ties = is_max.sum(axis=(3, 5), keepdims=True, dtype=dout.dtype)
        dx = is_max * (dout[:, :, :, None, :, None] / ties)
        return dx.reshape(x.shape)
    windows = _windows(x, (pool_h, pool_w), stride)
    is_max = windows == out[:, :, None, None]
    ties = is_max.sum(axis=(2, 3), dtype=dout.dtype)
    return _add_windows(is_max * (dout / ties)[:, :, None, None], x.shape, stride)


def _tiles(shape: tuple[int, ...], pool_h: int, pool_w: int, stride: int) -> bool:
    """Whether pooling windows are disjoint and cover the (N, C, H, W) input exactly."""
    return pool_h == pool_w == stride and shape[2] % pool_h == 0 and shape[3] % pool_w == 0

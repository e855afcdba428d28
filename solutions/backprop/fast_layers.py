"""Fast convolution and max pooling, in pure NumPy (provided, not an exercise).

Same semantics as the naive layers in ``layers.py`` (CS231n's API): zero padding, any stride,
cross-correlation, ``H' = 1 + (H + 2 * pad - HH) // stride``; pooling has no padding.

How they are fast:
- Convolution is im2col: the windows of a batch of images are copied from a strided view into
  a column buffer, one column per output position of every image of the batch, and matrix
  products do the arithmetic, one per image (a single ``np.matmul`` over the batch's stack of
  images). Each product reads and writes an image's (F, H'*W') block of ``out`` or ``dout``
  where it lies, so nothing is transposed or copied around the products. Batches bound the
  memory used: the backward pass rebuilds the columns rather than keeping them all from the
  forward pass.
- The backward pass of convolution sums the gradient columns back onto the input (col2im)
  with a single reduction over a strided view (see ``_col2im``).
- Max pooling loops over the pool offsets ``(i, j)`` only, each step one vectorised operation
  on a strided slice, a few images at a time.
"""

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

Array = np.ndarray
Cache = Any  # opaque to callers: whatever a forward pass keeps for its backward pass
Params = dict[str, Any]

# Max pooling works on about this many bytes of images per step, and at least one image, so that
# a step stays in the CPU cache.
_STEP_BYTES = 2**21
# Convolution copies about this many bytes of columns per step (at least one image's): few,
# large copies, and a bounded buffer. (Smaller steps were slower with two BLAS threads.)
_CONV_STEP_BYTES = 2**23


def _batches(count: int, image_bytes: int, step_bytes: int) -> list[slice]:
    """Slices of consecutive images covering ``count`` images, about ``step_bytes`` each.

    Each slice holds at least one image (of ``image_bytes``); the first slice is the largest, and
    there is one (empty) slice even when ``count`` is 0.
    """
    per_step = max(1, step_bytes // max(1, image_bytes))
    starts = range(0, max(1, count), per_step)
    return [slice(start, min(start + per_step, count)) for start in starts]


def _windows(x_padded: Array, kernel: tuple[int, int], stride: int) -> Array:
    """Every window of a padded batch of images, as a strided view (no copy).

    Args:
        x_padded: (N, C, Hp, Wp) padded input.
        kernel: (HH, WW) window size.
        stride: step between windows.

    Returns:
        (C, HH, WW, N, H', W') view: ``view[c, i, j, n, h, w] = x_padded[n, c, h*stride + i,
        w*stride + j]``.
    """
    view = sliding_window_view(x_padded, kernel, axis=(2, 3))[:, :, ::stride, ::stride]
    return view.transpose(1, 4, 5, 0, 2, 3)


def _columns(windows: Array, batches: list[slice]) -> Iterator[Array]:
    """im2col: copy the windows of one batch of images at a time into one reused buffer.

    Args:
        windows: (C, HH, WW, N, H', W') from ``_windows``.
        batches: from ``_batches``, the first one the largest.

    Yields:
        cols: (n, C*HH*WW, H'*W') for each batch of n images, ``cols[m, :, (h, w)]`` the window
        of output position (h, w) of the batch's image m; a view of the buffer, overwritten by
        the next step.
    """
    channels, kernel_h, kernel_w, _, out_h, out_w = windows.shape
    buffer = np.empty((channels, kernel_h, kernel_w, batches[0].stop, out_h, out_w), dtype=windows.dtype)
    for batch in batches:
        cols = buffer[:, :, :, : batch.stop - batch.start]
        cols[...] = windows[:, :, :, batch]
        yield cols.reshape(channels * kernel_h * kernel_w, -1, out_h * out_w).transpose(1, 0, 2)


def _col2im(dcols: Array, kernel: tuple[int, int], padded_w: int, out: Array) -> Array:
    """col2im: add the gradient of every window element onto the input element it was read from.

    Positions on the padded input's (Hp, Wp) grid are flattened: ``t = y*Wp + x``.
    ``dcols[(c, i, j), n, t]`` is the gradient of element (c, i, j) of the window that starts
    at t in image n, and zero where no window starts. That element is grid position
    ``t + i*Wp + j``, so ``out[c, n, t] = sum_{i,j} dcols[(c, i, j), n, t - i*Wp - j]``: each
    row (c, i, j, n) shifted right by ``i*Wp + j``, which is a strided view, then one sum. Where
    a shifted index is negative, the view reads the end of the row before it in memory:
    positions past the last window start (at most ``Hp*Wp - 1 - (HH-1)*Wp - (WW-1)``), which are
    zero in every row the matrix product wrote, this batch's or an earlier one's.

    Args:
        dcols: (C*HH*WW, n, Hp*Wp) gradients, zero where no window starts; a view of a buffer
            whose rows are all (Hp*Wp)-long grids written that way.
        kernel: (HH, WW) filter size.
        padded_w: Wp, the width of the grid.
        out: (C, n, Hp*Wp) written with the result.

    Returns:
        out.
    """
    channels, n, grid = out.shape
    rows = dcols.reshape(channels, kernel[0], kernel[1], n, grid)
    step_c, step_i, step_j, step_n, step_t = rows.strides
    shifted = as_strided(
        rows,
        shape=rows.shape,
        strides=(step_c, step_i - padded_w * step_t, step_j - step_t, step_n, step_t),
        writeable=False,
    )
    return np.add.reduce(shifted, axis=(1, 2), out=out)


def conv_forward_fast(
    x: Array, w: Array, b: Array, conv_param: Params
) -> tuple[Array, Cache]:
    """Convolution forward pass by im2col and one matrix product per image.

    ``out[n, f, h, w] = sum_{c,i,j} w[f, c, i, j] * xpad[n, c, h*stride + i, w*stride + j] + b[f]``.

    Args:
        x: (N, C, H, W) input.
        w: (F, C, HH, WW) filters.
        b: (F,) biases.
        conv_param: ``stride`` and ``pad`` (zeros added on each side of H and W).

    Returns:
        out: (N, F, H', W') with ``H' = 1 + (H + 2*pad - HH) // stride`` (W' alike).
        cache: (x_padded, w, conv_param) for ``conv_backward_fast``.
    """
    stride, pad = conv_param["stride"], conv_param["pad"]
    num_filters, _, filter_h, filter_w = w.shape
    x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else x
    windows = _windows(x_padded, (filter_h, filter_w), stride)
    out_h, out_w = windows.shape[4:]
    w_rows = w.reshape(num_filters, -1)
    out = np.empty((x.shape[0], num_filters, out_h * out_w), dtype=np.result_type(x, w))
    batches = _batches(len(x), w_rows.shape[1] * out_h * out_w * out.itemsize, _CONV_STEP_BYTES)
    for batch, cols in zip(batches, _columns(windows, batches)):
        step_out = np.matmul(w_rows, cols, out=out[batch])  # (n, F, H'*W')
        np.add(step_out, b.reshape(-1, 1), out=step_out)
    return out.reshape(len(x), num_filters, out_h, out_w), (x_padded, w, conv_param)


def conv_backward_fast(
    dout: Array, cache: Cache, *, input_gradient: bool = True
) -> tuple[Array | None, Array, Array]:
    """Convolution backward pass: matrix products with rebuilt columns, then col2im.

    ``db[f] = sum dout[:, f]``; ``dw[f] = sum_{n,h,w} dout[n, f, h, w] * xpad[n, :, window(h, w)]``;
    ``dx`` gets ``dout[n, f, h, w] * w[f]`` added onto each window ``(n, h, w)``.

    Two passes over batches of images (``_filter_gradient``, then ``_input_gradient``), so that
    only one pass's buffers exist at a time.

    Args:
        dout: (N, F, H', W') upstream gradient.
        cache: from ``conv_forward_fast``.
        input_gradient: False to skip dx, which costs about as much as dw: a network's first
            layer needs no gradient for its input, the images (autograd frameworks skip it too).

    Returns:
        dx: (N, C, H, W), or None when ``input_gradient`` is False; dw: (F, C, HH, WW);
        db: (F,) gradients of the loss.
    """
    x_padded, w, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    dw = _filter_gradient(dout, x_padded, w.shape[2:], stride).T.reshape(w.shape)
    db = dout.sum(axis=(0, 2, 3))
    if not input_gradient:
        return None, dw, db
    padded_h, padded_w = x_padded.shape[2:]
    dx_padded = _input_gradient(dout, w, x_padded.shape, stride)
    dx = np.ascontiguousarray(dx_padded[:, :, pad : padded_h - pad, pad : padded_w - pad])
    return dx, dw, db


def _filter_gradient(dout: Array, x_padded: Array, kernel: tuple[int, int], stride: int) -> Array:
    """dw, transposed: each image's columns times the image's ``dout``, summed over the images.

    Args:
        dout: (N, F, H', W') upstream gradient.
        x_padded: (N, C, Hp, Wp) padded input, from the cache.
        kernel: (HH, WW) filter size.
        stride: step between windows.

    Returns:
        (C*HH*WW, F) gradient of the filters, each filter a column.
    """
    num_images, num_filters, out_h, out_w = dout.shape
    windows = _windows(x_padded, kernel, stride)
    column_length = x_padded.shape[1] * kernel[0] * kernel[1]
    dw_cols = np.zeros((column_length, num_filters), dtype=np.result_type(dout, x_padded))
    batches = _batches(num_images, column_length * out_h * out_w * x_padded.itemsize, _CONV_STEP_BYTES)
    for batch, cols in zip(batches, _columns(windows, batches)):
        dout_t = dout[batch].reshape(-1, num_filters, out_h * out_w).transpose(0, 2, 1)
        dw_cols += np.matmul(cols, dout_t).sum(axis=0)  # (n, C*HH*WW, F) summed
    return dw_cols


def _input_gradient(dout: Array, w: Array, padded_shape: tuple[int, ...], stride: int) -> Array:
    """dx on the padded grid: ``dout`` spread onto the grid, a matrix product, then col2im.

    ``dout`` goes onto the grid of the padded input at the position where each window starts
    (``(h*stride, w*stride)``, zeros elsewhere); one matrix product per batch of images turns it
    into the gradient of every window element, and ``_col2im`` sums those onto the input.

    Args:
        dout: (N, F, H', W') upstream gradient.
        w: (F, C, HH, WW) filters.
        padded_shape: (N, C, Hp, Wp), the shape of the padded input.
        stride: step between windows.

    Returns:
        (N, C, Hp, Wp) gradient of the padded input (a transposed view of a (C, N, Hp, Wp) array).
    """
    num_images, num_filters, out_h, out_w = dout.shape
    _, channels, padded_h, padded_w = padded_shape
    w_rows = w.reshape(num_filters, -1)
    column_length, grid = w_rows.shape[1], padded_h * padded_w
    dx_by_channel = np.empty((channels, num_images, grid), dtype=np.result_type(dout, w))
    batches = _batches(num_images, column_length * grid * dx_by_channel.itemsize, _CONV_STEP_BYTES)
    # Reused for every batch; what no step writes stays zero.
    starts = np.zeros((num_filters, batches[0].stop, padded_h, padded_w), dtype=dout.dtype)
    dcols = np.empty((column_length, batches[0].stop, grid), dtype=dx_by_channel.dtype)
    on_grid = (slice(None), slice(None), slice(0, stride * out_h, stride), slice(0, stride * out_w, stride))
    for batch in batches:
        step = batch.stop - batch.start
        starts[:, :step][on_grid] = dout[batch].transpose(1, 0, 2, 3)
        starts_rows = starts[:, :step].reshape(num_filters, -1)
        np.matmul(w_rows.T, starts_rows, out=dcols[:, :step].reshape(column_length, -1))
        _col2im(dcols[:, :step], w.shape[2:], padded_w, out=dx_by_channel[:, batch])
    return dx_by_channel.reshape(channels, num_images, padded_h, padded_w).transpose(1, 0, 2, 3)


def max_pool_forward_fast(x: Array, pool_param: Params) -> tuple[Array, Cache]:
    """Max pooling forward pass: a running maximum over the pool offsets.

    ``out[n, c, h, w] = max_{i,j} x[n, c, h*stride + i, w*stride + j]``.

    Args:
        x: (N, C, H, W) input.
        pool_param: ``pool_height``, ``pool_width`` and ``stride``.

    Returns:
        out: (N, C, H', W') with ``H' = 1 + (H - pool_height) // stride`` (W' alike).
        cache: (x, pool_param, out) for ``max_pool_backward_fast``.
    """
    windows = _pool_windows(x.shape, pool_param)
    out = x[windows[0]].copy()
    for window in windows[1:]:
        np.maximum(out, x[window], out=out)
    return out, (x, pool_param, out)


def max_pool_backward_fast(dout: Array, cache: Cache) -> Array:
    """Max pooling backward pass; a window's gradient is split equally between its tied maxima.

    Works a few images at a time, so that each step stays in cache. When the windows tile the
    input (the usual 2x2 pool with stride 2 on an even H and W), every element of dx is written
    exactly once, so dx is not zeroed first.

    Args:
        dout: (N, C, H', W') upstream gradient.
        cache: from ``max_pool_forward_fast``.

    Returns:
        dx: (N, C, H, W) gradient with respect to x.
    """
    x, pool_param, out = cache
    windows = _pool_windows(x.shape, pool_param)
    pool_h, pool_w, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    overlapping = stride < max(pool_h, pool_w)
    tiling = pool_h == pool_w == stride and x.shape[2] % stride == 0 and x.shape[3] % stride == 0
    dx = (np.empty if tiling else np.zeros)(x.shape, dtype=np.result_type(dout, x))
    for batch in _batches(len(x), x[:1].nbytes, _STEP_BYTES):
        step_x, step_out, step_dx = x[batch], out[batch], dx[batch]
        is_max = [step_x[window] == step_out for window in windows]
        num_max = is_max[0].view(np.uint8).copy()  # maxima per window, counted in bytes
        for mask in is_max[1:]:
            num_max += mask.view(np.uint8)
        share = dout[batch] if num_max.max() == 1 else dout[batch] / num_max  # no tie: no division
        for window, mask in zip(windows, is_max):
            if overlapping:
                step_dx[window] += mask * share
            else:  # each element is in one window at most: write instead of adding
                np.multiply(mask, share, out=step_dx[window])
    return dx


def _pool_windows(shape: tuple[int, ...], pool_param: Params) -> list[tuple[slice, ...]]:
    """For each pool offset (i, j), the strided slice of an (N, C, H, W) input it reads.

    The slice for (i, j) holds ``x[n, c, h*stride + i, w*stride + j]`` at ``[n, c, h, w]``.
    """
    pool_h, pool_w = pool_param["pool_height"], pool_param["pool_width"]
    stride = pool_param["stride"]
    out_h, out_w = 1 + (shape[2] - pool_h) // stride, 1 + (shape[3] - pool_w) // stride
    rows = [slice(i, i + stride * (out_h - 1) + 1, stride) for i in range(pool_h)]
    columns = [slice(j, j + stride * (out_w - 1) + 1, stride) for j in range(pool_w)]
    return [(slice(None), slice(None), row, column) for row in rows for column in columns]

"""Fast convolution and max pooling, in pure NumPy (provided, not an exercise).

Same semantics as the naive layers in ``layers.py`` (CS231n's API): zero padding, any stride,
cross-correlation, ``H' = 1 + (H + 2 * pad - HH) // stride``; pooling has no padding.

How they are fast:
- Convolution is im2col: the windows of a few images at a time are copied from a strided
  view into a column buffer, and a matrix product per image does the arithmetic. Working on
  a few images at a time keeps the buffers in the CPU cache and memory use small; the
  backward pass rebuilds the columns rather than keeping them all from the forward pass.
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

# Work on about this many bytes per step (of columns, or of images for pooling), and at least
# one image, so that a step stays in the CPU cache.
_STEP_BYTES = 2**21


def _batches(x: Array) -> list[slice]:
    """Slices of consecutive images (axis 0) covering ``x``, ``_STEP_BYTES`` or one image each.

    The first slice is the largest; there is one (empty) slice even when ``x`` is empty.
    """
    per_step = max(1, _STEP_BYTES // max(1, x[:1].nbytes))
    starts = range(0, max(1, len(x)), per_step)
    return [slice(start, min(start + per_step, len(x))) for start in starts]


def _windows(x_padded: Array, kernel: tuple[int, int], stride: int) -> Array:
    """Every window of a padded batch of images, as a strided view (no copy).

    Args:
        x_padded: (N, C, Hp, Wp) padded input.
        kernel: (HH, WW) window size.
        stride: step between windows.

    Returns:
        (N, C, HH, WW, H', W') view: ``view[n, c, i, j, h, w] = x_padded[n, c, h*stride + i,
        w*stride + j]``.
    """
    view = sliding_window_view(x_padded, kernel, axis=(2, 3))[:, :, ::stride, ::stride]
    return view.transpose(0, 1, 4, 5, 2, 3)


def _columns(windows: Array, batches: list[slice]) -> Iterator[Array]:
    """im2col: copy the windows of one batch of images at a time into one reused buffer.

    Args:
        windows: (N, C, HH, WW, H', W') from ``_windows``.
        batches: from ``_batches``, the first one the largest.

    Yields:
        cols: (n, C*HH*WW, H'*W') for each batch, the columns of each image; overwritten by
        the next step.
    """
    buffer = np.empty((batches[0].stop,) + windows.shape[1:], dtype=windows.dtype)
    for batch in batches:
        cols = buffer[: batch.stop - batch.start]
        cols[...] = windows[batch]
        n, channels, kernel_h, kernel_w, out_h, out_w = cols.shape
        yield cols.reshape(n, channels * kernel_h * kernel_w, out_h * out_w)


def _col2im(dcols: Array, kernel: tuple[int, int], padded_w: int, out: Array) -> Array:
    """col2im: add the gradient of every window element onto the input element it was read from.

    Positions on the padded input's (Hp, Wp) grid are flattened: ``t = y*Wp + x``.
    ``dcols[n, (c, i, j), t]`` is the gradient of element (c, i, j) of the window that starts
    at t, and zero where no window starts. That element is grid position ``t + i*Wp + j``, so
    ``out[n, c, t] = sum_{i,j} dcols[n, (c, i, j), t - i*Wp - j]``: each row (c, i, j) shifted
    right by ``i*Wp + j``, which is a strided view, then one sum. Where a shifted index is
    negative, the view reads the end of the previous row: positions past the last window start
    (at most ``Hp*Wp - 1 - (HH-1)*Wp - (WW-1)``), which are zero.

    Args:
        dcols: (n, C*HH*WW, Hp*Wp) gradients, zero where no window starts.
        kernel: (HH, WW) filter size.
        padded_w: Wp, the width of the grid.
        out: (n, C, Hp*Wp) written with the result.

    Returns:
        out.
    """
    n, channels, grid = out.shape
    rows = dcols.reshape(n, channels, kernel[0], kernel[1], grid)
    step_n, step_c, step_i, step_j, step_t = rows.strides
    shifted = as_strided(
        rows,
        shape=rows.shape,
        strides=(step_n, step_c, step_i - padded_w * step_t, step_j - step_t, step_t),
        writeable=False,
    )
    return np.add.reduce(shifted, axis=(2, 3), out=out)


def conv_forward_fast(
    x: Array, w: Array, b: Array, conv_param: Params
) -> tuple[Array, Cache]:
    """Convolution forward pass by im2col and a matrix product per image.

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
    batches = _batches(windows)
    for batch, cols in zip(batches, _columns(windows, batches)):
        np.matmul(w_rows, cols, out=out[batch])
        out[batch] += b.reshape(-1, 1)
    return out.reshape(len(x), num_filters, out_h, out_w), (x_padded, w, conv_param)


def conv_backward_fast(dout: Array, cache: Cache) -> tuple[Array, Array, Array]:
    """Convolution backward pass: matrix products with rebuilt columns, then col2im.

    ``db[f] = sum dout[:, f]``; ``dw[f] = sum_{n,h,w} dout[n, f, h, w] * xpad[n, :, window(h, w)]``;
    ``dx`` gets ``dout[n, f, h, w] * w[f]`` added onto each window ``(n, h, w)``.

    For dx, ``dout`` is first spread onto the grid of the padded input, at the position where
    each window starts (``(h*stride, w*stride)``, zeros elsewhere). One matrix product turns it
    into the gradient of every window element, and ``_col2im`` sums those onto the input. The
    product skips the end of the grid, past the last window start: its result there is zero.

    Args:
        dout: (N, F, H', W') upstream gradient.
        cache: from ``conv_forward_fast``.

    Returns:
        dx: (N, C, H, W), dw: (F, C, HH, WW), db: (F,) gradients of the loss.
    """
    x_padded, w, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    num_images, num_filters, out_h, out_w = dout.shape
    _, channels, padded_h, padded_w = x_padded.shape
    kernel = w.shape[2:]
    used = stride * ((out_h - 1) * padded_w + out_w - 1) + 1  # up to the last window start
    w_rows = w.reshape(num_filters, -1)
    dout_rows = dout.reshape(num_images, num_filters, out_h * out_w)
    db = dout_rows.sum(axis=(0, 2))
    dw_cols = np.zeros(w_rows.shape[::-1], dtype=np.result_type(dout, x_padded))  # dw transposed
    dx_padded = np.empty(x_padded.shape, dtype=np.result_type(dout, w))
    dx_grid = dx_padded.reshape(num_images, channels, padded_h * padded_w)
    windows = _windows(x_padded, kernel, stride)
    batches = _batches(windows)
    # Reused for every batch; what no step writes stays zero.
    starts = np.zeros((batches[0].stop, num_filters, padded_h, padded_w), dtype=dout.dtype)
    dcols = np.zeros((batches[0].stop, w_rows.shape[1], padded_h * padded_w), dtype=dx_padded.dtype)
    for batch, cols in zip(batches, _columns(windows, batches)):
        step = len(cols)
        dw_cols += np.matmul(cols, dout_rows[batch].transpose(0, 2, 1)).sum(axis=0)
        starts[:step, :, : stride * out_h : stride, : stride * out_w : stride] = dout[batch]
        starts_grid = starts[:step].reshape(step, num_filters, padded_h * padded_w)
        np.matmul(w_rows.T, starts_grid[:, :, :used], out=dcols[:step, :, :used])
        _col2im(dcols[:step], kernel, padded_w, out=dx_grid[batch])
    dx = dx_padded[:, :, pad : padded_h - pad, pad : padded_w - pad]
    return dx, dw_cols.T.reshape(w.shape), db


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

    Works a few images at a time, so that each step stays in cache.

    Args:
        dout: (N, C, H', W') upstream gradient.
        cache: from ``max_pool_forward_fast``.

    Returns:
        dx: (N, C, H, W) gradient with respect to x.
    """
    x, pool_param, out = cache
    windows = _pool_windows(x.shape, pool_param)
    overlapping = pool_param["stride"] < max(pool_param["pool_height"], pool_param["pool_width"])
    dx = np.empty(x.shape, dtype=np.result_type(dout, x))
    for batch in _batches(x):
        step_x, step_out, step_dx = x[batch], out[batch], dx[batch]
        is_max = [step_x[window] == step_out for window in windows]
        num_max = np.zeros(step_out.shape, dtype=dx.dtype)
        for mask in is_max:
            num_max += mask
        share = np.divide(dout[batch], num_max, out=num_max)  # reuses num_max's memory
        step_dx[...] = 0
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

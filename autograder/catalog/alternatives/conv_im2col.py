"""Alternative convolution: im2col by fancy indexing, one matrix product, and col2im with
np.add.at. Source spliced into layers.py."""

import numpy as np


def _receptive_fields(x_shape, w_shape, stride, pad):
    """Indices (channel, row, col), each (C * HH * WW, H' * W') after broadcasting, of every
    receptive field in the padded input, and the output size (H', W')."""
    _, channels, height, width = x_shape
    _, _, filter_height, filter_width = w_shape
    out_height = 1 + (height + 2 * pad - filter_height) // stride
    out_width = 1 + (width + 2 * pad - filter_width) // stride
    channel = np.repeat(np.arange(channels), filter_height * filter_width)[:, None]
    row_in_field = np.tile(np.repeat(np.arange(filter_height), filter_width), channels)[:, None]
    col_in_field = np.tile(np.arange(filter_width), filter_height * channels)[:, None]
    field_top = stride * np.repeat(np.arange(out_height), out_width)[None, :]
    field_left = stride * np.tile(np.arange(out_width), out_height)[None, :]
    return channel, row_in_field + field_top, col_in_field + field_left, (out_height, out_width)


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    channel, rows, cols, out_size = _receptive_fields(x.shape, w.shape, stride, pad)
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    columns = x_pad[:, channel, rows, cols]  # (N, C * HH * WW, H' * W')
    out = np.einsum("fk,nkp->nfp", w.reshape(w.shape[0], -1), columns) + b[None, :, None]
    return out.reshape(x.shape[0], w.shape[0], *out_size), (x, w, b, conv_param, columns)


def conv_backward_naive(dout, cache):
    x, w, _, conv_param, columns = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    n, channels, height, width = x.shape
    dout_flat = dout.reshape(n, w.shape[0], -1)  # (N, F, H' * W')
    db = dout_flat.sum(axis=(0, 2))
    dw = np.einsum("nfp,nkp->fk", dout_flat, columns).reshape(w.shape)
    dcolumns = np.einsum("fk,nfp->nkp", w.reshape(w.shape[0], -1), dout_flat)
    channel, rows, cols, _ = _receptive_fields(x.shape, w.shape, stride, pad)
    dx_pad = np.zeros((n, channels, height + 2 * pad, width + 2 * pad), dtype=dcolumns.dtype)
    np.add.at(dx_pad, (slice(None), channel, rows, cols), dcolumns)
    return dx_pad[:, :, pad : pad + height, pad : pad + width], dw, db

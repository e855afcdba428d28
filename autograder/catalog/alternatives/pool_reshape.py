"""Alternative max pooling: a reshape when the windows tile the input exactly, else plain loops
over every example, channel and window with np.unravel_index, as the course guides. Source
spliced into layers.py."""

import numpy as np


def _tiles(x_shape, pool_param):
    pool_height, pool_width, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    _, _, height, width = x_shape
    return pool_height == pool_width == stride and height % pool_height == 0 and width % pool_width == 0


def max_pool_forward_naive(x, pool_param):
    pool_height, pool_width, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    n, channels, height, width = x.shape
    if _tiles(x.shape, pool_param):
        blocks = x.reshape(n, channels, height // pool_height, pool_height, width // pool_width, pool_width)
        out = blocks.max(axis=(3, 5))
    else:
        out_height = 1 + (height - pool_height) // stride
        out_width = 1 + (width - pool_width) // stride
        out = np.empty((n, channels, out_height, out_width), dtype=x.dtype)
        for i in range(out_height):
            for j in range(out_width):
                window = x[:, :, i * stride : i * stride + pool_height, j * stride : j * stride + pool_width]
                out[:, :, i, j] = window.max(axis=(2, 3))
    return out, (x, pool_param, out)


def max_pool_backward_naive(dout, cache):
    x, pool_param, out = cache
    pool_height, pool_width, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    n, channels, height, width = x.shape
    if _tiles(x.shape, pool_param):
        blocks = x.reshape(n, channels, height // pool_height, pool_height, width // pool_width, pool_width)
        is_max = blocks == out[:, :, :, None, :, None]
        return (is_max * dout[:, :, :, None, :, None]).reshape(x.shape)
    dx = np.zeros_like(x)
    for example in range(n):
        for channel in range(channels):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    top, left = i * stride, j * stride
                    window = x[example, channel, top : top + pool_height, left : left + pool_width]
                    row, col = np.unravel_index(np.argmax(window), window.shape)
                    dx[example, channel, top + row, left + col] += dout[example, channel, i, j]
    return dx

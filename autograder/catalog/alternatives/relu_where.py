"""Alternative ReLU: np.where with the boolean mask as the cache. Source spliced into layers.py."""

import numpy as np


def relu_forward(x):
    positive = x > 0
    return np.where(positive, x, 0).astype(x.dtype, copy=False), positive


def relu_backward(dout, cache):
    return np.where(cache, dout, 0).astype(dout.dtype, copy=False)

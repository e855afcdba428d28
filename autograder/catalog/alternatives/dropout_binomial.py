"""Alternative dropout: a binomial draw from NumPy's global generator, the cache holding the mode
and the scaled mask. Source spliced into layers.py."""

import numpy as np


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if mode == "train":
        scale = np.random.binomial(1, p, size=x.shape).astype(x.dtype) / p
        out = x * scale
        cache = (mode, scale)
    elif mode == "test":
        out, cache = x.copy(), (mode, None)
    else:
        raise ValueError(f"invalid dropout mode {mode!r}")
    return out.astype(x.dtype, copy=False), cache


def dropout_backward(dout, cache):
    mode, scale = cache
    return dout * scale if mode == "train" else dout

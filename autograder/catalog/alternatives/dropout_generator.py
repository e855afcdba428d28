"""Alternative dropout: its own np.random.Generator (seeded with dropout_param's seed when there is
one) and a boolean mask. Source spliced into layers.py."""

import numpy as np


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if mode == "train":
        mask = np.random.default_rng(dropout_param.get("seed")).random(x.shape) < p
        out = np.where(mask, x / p, 0).astype(x.dtype)
    elif mode == "test":
        out, mask = x, None
    else:
        raise ValueError(f"invalid dropout mode {mode!r}")
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return np.where(mask, dout / dropout_param["p"], 0)
    return dout

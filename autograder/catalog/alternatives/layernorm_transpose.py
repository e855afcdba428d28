"""Alternative layer normalization: batch normalization of the transposed input (the CS231n hint),
then gamma and beta per feature. Source spliced into layers.py."""

import numpy as np

from backprop.layers import batchnorm_backward_alt, batchnorm_forward


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    n = x.shape[0]
    ones, zeros = np.ones(n, dtype=x.dtype), np.zeros(n, dtype=x.dtype)
    x_hat_t, bn_cache = batchnorm_forward(x.T, ones, zeros, {"mode": "train", "eps": eps})
    x_hat = x_hat_t.T
    return gamma * x_hat + beta, (bn_cache, x_hat, gamma)


def layernorm_backward(dout, cache):
    bn_cache, x_hat, gamma = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_t, _, _ = batchnorm_backward_alt((dout * gamma).T, bn_cache)
    return dx_t.T, dgamma, dbeta

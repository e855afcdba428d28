"""Alternative batch normalization: a dict cache, np.var for the variance, the backward pass as a
chain of small steps (square root, inverse, product, ...), and the closed form written with the
inverse standard deviation and means. Source spliced into layers.py."""

import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    running_mean = bn_param.get("running_mean", np.zeros(x.shape[1], dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(x.shape[1], dtype=x.dtype))
    if mode == "train":
        mean = np.mean(x, axis=0)
        var = np.var(x, axis=0)
        inv_std = 1 / np.sqrt(var + eps)
        x_hat = (x - mean) * inv_std
        out = x_hat * gamma + beta
        cache = {"x": x, "mean": mean, "var": var, "eps": eps, "gamma": gamma, "inv_std": inv_std, "x_hat": x_hat}
        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var = momentum * running_var + (1 - momentum) * var
    elif mode == "test":
        out = (x - running_mean) / np.sqrt(running_var + eps) * gamma + beta
        cache = None
    else:
        raise ValueError(f"invalid batchnorm mode {mode!r}")
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    x, mean, var, eps, gamma = (cache[key] for key in ("x", "mean", "var", "eps", "gamma"))
    n = x.shape[0]
    # forward, step by step: centered = x - mean; root = sqrt(var + eps); inverse = 1 / root;
    # x_hat = centered * inverse; out = gamma * x_hat + beta
    centered = x - mean
    root = np.sqrt(var + eps)
    inverse = 1 / root
    x_hat = centered * inverse
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dinverse = np.sum(dx_hat * centered, axis=0)
    dcentered = dx_hat * inverse
    droot = -dinverse / root**2
    dvar = droot / (2 * root)
    dcentered += centered * (2 / n) * dvar  # var = sum(centered^2) / n
    dmean = -np.sum(dcentered, axis=0)
    dx = dcentered + dmean / n
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    dbeta = dout.sum(axis=0)
    dgamma = np.einsum("nd,nd->d", dout, x_hat)
    g = dout * gamma
    dx = inv_std * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))
    return dx, dgamma, dbeta

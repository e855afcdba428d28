"""Alternative spatial group normalization: a loop over the groups, np.var, and a dict cache.
Source spliced into layers.py."""

import numpy as np


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    n, channels = x.shape[:2]
    size = channels // G
    x_hat = np.empty_like(x)
    inv_std = np.empty((n, G, 1, 1, 1), dtype=x.dtype)
    for group in range(G):
        block = x[:, group * size : (group + 1) * size]
        inv_std[:, group] = 1 / np.sqrt(block.var(axis=(1, 2, 3), keepdims=True) + eps)
        centered = block - block.mean(axis=(1, 2, 3), keepdims=True)
        x_hat[:, group * size : (group + 1) * size] = centered * inv_std[:, group]
    return gamma * x_hat + beta, {"x_hat": x_hat, "inv_std": inv_std, "gamma": gamma, "G": G}


def spatial_groupnorm_backward(dout, cache):
    x_hat, inv_std, gamma, G = (cache[key] for key in ("x_hat", "inv_std", "gamma", "G"))
    size = dout.shape[1] // G
    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)
    dgamma = (dout * x_hat).sum(axis=(0, 2, 3), keepdims=True)
    g = dout * gamma
    dx = np.empty_like(dout)
    for group in range(G):
        channels = slice(group * size, (group + 1) * size)
        g_group, x_hat_group = g[:, channels], x_hat[:, channels]
        mean_g = g_group.mean(axis=(1, 2, 3), keepdims=True)
        mean_g_x_hat = (g_group * x_hat_group).mean(axis=(1, 2, 3), keepdims=True)
        dx[:, channels] = inv_std[:, group] * (g_group - mean_g - x_hat_group * mean_g_x_hat)
    return dx, dgamma, dbeta

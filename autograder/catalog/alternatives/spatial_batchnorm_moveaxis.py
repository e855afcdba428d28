"""Alternative spatial batch normalization: np.moveaxis, and the step-by-step batchnorm_backward
instead of the closed form. Source spliced into layers.py."""

import numpy as np

from backprop.layers import batchnorm_backward, batchnorm_forward


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    channels_last = np.moveaxis(x, 1, -1)
    out_rows, cache = batchnorm_forward(channels_last.reshape(-1, x.shape[1]), gamma, beta, bn_param)
    return np.moveaxis(out_rows.reshape(channels_last.shape), -1, 1), cache


def spatial_batchnorm_backward(dout, cache):
    channels_last = np.moveaxis(dout, 1, -1)
    dx_rows, dgamma, dbeta = batchnorm_backward(channels_last.reshape(-1, dout.shape[1]), cache)
    return np.moveaxis(dx_rows.reshape(channels_last.shape), -1, 1), dgamma, dbeta

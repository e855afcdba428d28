"""Alternative TwoLayerNet: each layer called on its own (no sandwich layer), randn * weight_scale
for the weights. Source spliced into classifiers/fc_net.py."""

import numpy as np

from backprop.layers import affine_backward, affine_forward, relu_backward, relu_forward, softmax_loss


class TwoLayerNet:
    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.reg = reg
        self.params = {
            "W1": weight_scale * np.random.randn(input_dim, hidden_dim),
            "b1": np.zeros(hidden_dim),
            "W2": weight_scale * np.random.randn(hidden_dim, num_classes),
            "b2": np.zeros(num_classes),
        }

    def loss(self, X, y=None):
        W1, b1, W2, b2 = (self.params[name] for name in ("W1", "b1", "W2", "b2"))
        pre_activation, first_cache = affine_forward(X, W1, b1)
        hidden, relu_cache = relu_forward(pre_activation)
        scores, second_cache = affine_forward(hidden, W2, b2)
        if y is None:
            return scores
        data_loss, dscores = softmax_loss(scores, y)
        loss = data_loss + 0.5 * self.reg * (np.sum(W1**2) + np.sum(W2**2))
        grads = {}
        dhidden, dW2, grads["b2"] = affine_backward(dscores, second_cache)
        dpre_activation = relu_backward(dhidden, relu_cache)
        _, dW1, grads["b1"] = affine_backward(dpre_activation, first_cache)
        grads["W1"] = dW1 + self.reg * W1
        grads["W2"] = dW2 + self.reg * W2
        return loss, grads

"""Alternative ThreeLayerConvNet: the naive convolution and pooling layers called one by one
instead of the provided fast sandwich. Source spliced into classifiers/cnn.py (with an edit of its
imports, see the registry)."""

import numpy as np

from backprop.layers import (
    affine_backward,
    affine_forward,
    conv_backward_naive,
    conv_forward_naive,
    max_pool_backward_naive,
    max_pool_forward_naive,
    relu_backward,
    relu_forward,
    softmax_loss,
)


class ThreeLayerConvNet:
    def __init__(
        self,
        input_dim=(3, 32, 32),
        num_filters=32,
        filter_size=7,
        hidden_dim=100,
        num_classes=10,
        weight_scale=1e-3,
        reg=0.0,
        dtype=np.float32,
    ):
        self.reg = reg
        self.dtype = dtype
        channels, height, width = input_dim
        shapes = {
            "W1": (num_filters, channels, filter_size, filter_size),
            "W2": (num_filters * (height // 2) * (width // 2), hidden_dim),
            "W3": (hidden_dim, num_classes),
        }
        self.params = {}
        for layer, (name, shape) in enumerate(shapes.items(), start=1):
            self.params[name] = (weight_scale * np.random.randn(*shape)).astype(dtype)
            self.params[f"b{layer}"] = np.zeros(shape[0] if layer == 1 else shape[1], dtype=dtype)

    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        W1, b1, W2, b2, W3, b3 = (self.params[name] for name in ("W1", "b1", "W2", "b2", "W3", "b3"))
        conv_param = {"stride": 1, "pad": (W1.shape[2] - 1) // 2}
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}

        conv, conv_cache = conv_forward_naive(X, W1, b1, conv_param)
        activated, conv_relu_cache = relu_forward(conv)
        pooled, pool_cache = max_pool_forward_naive(activated, pool_param)
        pre_hidden, hidden_affine_cache = affine_forward(pooled, W2, b2)
        hidden, hidden_relu_cache = relu_forward(pre_hidden)
        scores, scores_cache = affine_forward(hidden, W3, b3)
        if y is None:
            return scores

        loss, dscores = softmax_loss(scores, y)
        grads = {}
        dhidden, grads["W3"], grads["b3"] = affine_backward(dscores, scores_cache)
        dpre_hidden = relu_backward(dhidden, hidden_relu_cache)
        dpooled, grads["W2"], grads["b2"] = affine_backward(dpre_hidden, hidden_affine_cache)
        dactivated = max_pool_backward_naive(dpooled, pool_cache)
        dconv = relu_backward(dactivated, conv_relu_cache)
        _, grads["W1"], grads["b1"] = conv_backward_naive(dconv, conv_cache)
        for name, weights in (("W1", W1), ("W2", W2), ("W3", W3)):
            loss += 0.5 * self.reg * np.sum(weights * weights)
            grads[name] = grads[name] + self.reg * weights
        return loss, grads

"""A three-layer convolutional classifier."""

import numpy as np

from ..layer_utils import (
    affine_relu_backward,
    affine_relu_forward,
    conv_relu_pool_backward,
    conv_relu_pool_forward,
)
from ..layers import affine_backward, affine_forward, softmax_loss


class ThreeLayerConvNet:
    """conv - relu - 2x2 max pool - affine - relu - affine - softmax.

    The convolution has stride 1 and pads (filter_size - 1) // 2, so for an odd filter_size it
    keeps H and W; the pool (2x2, stride 2) halves them.

    Attributes:
        params: W1 (F, C, HH, WW) filters with HH = WW = filter_size, b1 (F,),
            W2 (F * H/2 * W/2, hidden_dim), b2 (hidden_dim,), W3 (hidden_dim, num_classes),
            b3 (num_classes,).
        reg: L2 regularisation strength.
        dtype: the dtype of the parameters and of the computation.
    """

    def __init__(
        self,
        input_dim: tuple[int, int, int] = (3, 32, 32),
        num_filters: int = 32,
        filter_size: int = 7,
        hidden_dim: int = 100,
        num_classes: int = 10,
        weight_scale: float = 1e-3,
        reg: float = 0.0,
        dtype: type = np.float32,
    ) -> None:
        """Draws weights from N(0, weight_scale^2) with NumPy's global generator; biases are zero.

        Args:
            input_dim: (C, H, W), the shape of one input image.
            num_filters: F, the number of convolution filters.
            filter_size: HH = WW, the side of each (square) filter; odd.
            hidden_dim: the width of the hidden affine layer.
            num_classes: the number of classes.
            weight_scale: standard deviation of the initial weights.
            reg: L2 regularisation strength.
            dtype: dtype of the parameters, e.g. np.float64 for gradient checks.
        """
        self.params = {}
        self.reg = reg
        self.dtype = dtype

        ### BEGIN SOLUTION
        channels, height, width = input_dim
        pooled_dim = num_filters * (height // 2) * (width // 2)
        self.params["W1"] = np.random.normal(
            0.0, weight_scale, (num_filters, channels, filter_size, filter_size)
        )
        self.params["b1"] = np.zeros(num_filters)
        self.params["W2"] = np.random.normal(0.0, weight_scale, (pooled_dim, hidden_dim))
        self.params["b2"] = np.zeros(hidden_dim)
        self.params["W3"] = np.random.normal(0.0, weight_scale, (hidden_dim, num_classes))
        self.params["b3"] = np.zeros(num_classes)
        ### END SOLUTION

        for name, value in self.params.items():
            self.params[name] = value.astype(dtype)

    def loss(self, X: np.ndarray, y: np.ndarray | None = None):
        """Computes class scores, or the loss and its gradients.

        Args:
            X: (N, C, H, W) input images.
            y: (N,) integer labels in [0, num_classes), or None.

        Returns:
            scores (N, num_classes) when y is None; otherwise (loss, grads) where loss is the
            mean softmax loss plus 0.5 * reg * (sum(W1^2) + sum(W2^2) + sum(W3^2)) and grads
            maps each name in params to an array of its shape.
        """
        X = X.astype(self.dtype)
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        W3, b3 = self.params["W3"], self.params["b3"]

        # Padding that keeps H and W for an odd filter size; 2x2 pooling with stride 2.
        filter_size = W1.shape[2]
        conv_param = {"stride": 1, "pad": (filter_size - 1) // 2}
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}

        ### BEGIN SOLUTION
        pooled, pooled_cache = conv_relu_pool_forward(X, W1, b1, conv_param, pool_param)
        hidden, hidden_cache = affine_relu_forward(pooled, W2, b2)
        scores, scores_cache = affine_forward(hidden, W3, b3)
        ### END SOLUTION
        if y is None:
            return scores

        loss, grads = 0.0, {}
        ### BEGIN SOLUTION
        data_loss, dscores = softmax_loss(scores, y)
        loss += data_loss
        dhidden, grads["W3"], grads["b3"] = affine_backward(dscores, scores_cache)
        dpooled, grads["W2"], grads["b2"] = affine_relu_backward(dhidden, hidden_cache)
        # The images need no gradient: skip the first layer's dx, which costs as much as its dw.
        _, grads["W1"], grads["b1"] = conv_relu_pool_backward(
            dpooled, pooled_cache, input_gradient=False
        )
        for name in ("W1", "W2", "W3"):
            weights = self.params[name]
            loss += 0.5 * self.reg * np.sum(weights * weights)
            grads[name] += self.reg * weights
        ### END SOLUTION
        return loss, grads

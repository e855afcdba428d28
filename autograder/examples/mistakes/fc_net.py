"""Fully-connected classifiers: a two-layer net and a net of any depth.

Both keep their learnable parameters in ``self.params`` (name -> array) and expose
``loss(X, y=None)``: class scores when ``y`` is None, else ``(loss, grads)`` with ``grads``
keyed like ``self.params``. Weights carry an L2 penalty ``0.5 * reg * sum(W ** 2)``;
biases and normalisation parameters do not.
"""

import numpy as np

from ..layer_utils import affine_relu_backward, affine_relu_forward
from ..layers import (
    affine_backward,
    affine_forward,
    batchnorm_backward,
    batchnorm_forward,
    dropout_backward,
    dropout_forward,
    layernorm_backward,
    layernorm_forward,
    relu_backward,
    relu_forward,
    softmax_loss,
)

# The normalisations FullyConnectedNet accepts: name -> (forward, backward).
_NORMALIZATIONS = {
    "batchnorm": (batchnorm_forward, batchnorm_backward),
    "layernorm": (layernorm_forward, layernorm_backward),
}


class TwoLayerNet:
    """Two-layer classifier: affine - relu - affine - softmax.

    Attributes:
        params: W1 (D, H), b1 (H,), W2 (H, C), b2 (C,).
        reg: L2 regularisation strength.
    """

    def __init__(
        self,
        input_dim: int = 3 * 32 * 32,
        hidden_dim: int = 100,
        num_classes: int = 10,
        weight_scale: float = 1e-3,
        reg: float = 0.0,
    ) -> None:
        """Draws weights from N(0, weight_scale^2) with NumPy's global generator; biases are zero.

        Args:
            input_dim: D, the size of one (flattened) input.
            hidden_dim: H, the width of the hidden layer.
            num_classes: C, the number of classes.
            weight_scale: standard deviation of the initial weights.
            reg: L2 regularisation strength.
        """
        self.params = {}
        self.reg = reg
        self.params["W1"] = np.random.normal(0.0, weight_scale, (input_dim, hidden_dim))
        self.params["b1"] = np.zeros(hidden_dim)
        self.params["W2"] = np.random.normal(0.0, weight_scale, (hidden_dim, num_classes))
        self.params["b2"] = np.zeros(num_classes)

    def loss(self, X: np.ndarray, y: np.ndarray | None = None):
        """Computes class scores, or the loss and its gradients.

        Args:
            X: (N, d1, ..., dk) inputs, with d1 * ... * dk = D.
            y: (N,) integer labels in [0, C), or None.

        Returns:
            scores (N, C) when y is None; otherwise (loss, grads) where loss is the mean softmax
            loss plus 0.5 * reg * (sum(W1^2) + sum(W2^2)) and grads maps each name in params to
            an array of its shape.
        """
        hidden, hidden_cache = affine_relu_forward(X, self.params["W1"], self.params["b1"])
        scores, scores_cache = affine_forward(hidden, self.params["W2"], self.params["b2"])
        if y is None:
            return scores

        loss, grads = 0.0, {}
        data_loss, dscores = softmax_loss(scores, y)
        loss += data_loss
        dhidden, grads["W2"], grads["b2"] = affine_backward(dscores, scores_cache)
        _, grads["W1"], grads["b1"] = affine_relu_backward(dhidden, hidden_cache)
        for name in ("W1", "W2"):
            weights = self.params[name]
            loss += 0.5 * self.reg * np.sum(weights * weights)
            grads[name] += self.reg * weights
        return loss, grads


class FullyConnectedNet:
    """Classifier of any depth: {affine - [batch/layer norm] - relu - [dropout]} x (L - 1)
    - affine - softmax.

    Attributes:
        params: W1 (D, H1), b1 (H1,), ..., WL (H(L-1), C), bL (C,); with a normalisation also
            gamma1 (H1,), beta1 (H1,), ..., gamma(L-1), beta(L-1).
        normalization: None, "batchnorm" or "layernorm".
        use_dropout: whether a dropout layer follows each ReLU.
        reg: L2 regularisation strength.
        num_layers: L, the number of affine layers.
        dtype: the dtype of the parameters and of the computation.
        dropout_param: passed to every dropout layer: "mode", "p" (keep probability) and,
            when given, "seed".
        bn_params: one dict per hidden layer, passed to its normalisation layer; batch norm
            keeps its running statistics there.
    """

    def __init__(
        self,
        hidden_dims: list[int],
        input_dim: int = 3 * 32 * 32,
        num_classes: int = 10,
        dropout_keep_ratio: float = 1,
        normalization: str | None = None,
        reg: float = 0.0,
        weight_scale: float = 1e-2,
        dtype: type = np.float32,
        seed: int | None = None,
    ) -> None:
        """Draws weights from N(0, weight_scale^2) with NumPy's global generator; biases and
        betas are zero, gammas one.

        Args:
            hidden_dims: widths H1, ..., H(L-1) of the hidden layers.
            input_dim: D, the size of one (flattened) input.
            num_classes: C, the number of classes.
            dropout_keep_ratio: probability of keeping a unit; 1 means no dropout.
            normalization: None, "batchnorm" or "layernorm".
            reg: L2 regularisation strength.
            weight_scale: standard deviation of the initial weights.
            dtype: dtype of the parameters, e.g. np.float64 for gradient checks.
            seed: if given, dropout seeds NumPy's global generator with it, for repeatable masks.

        Raises:
            ValueError: for an unknown normalization.
        """
        if normalization is not None and normalization not in _NORMALIZATIONS:
            raise ValueError(
                f"unknown normalization {normalization!r}; "
                f"expected None or one of {sorted(_NORMALIZATIONS)}"
            )
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}

        dims = [input_dim, *hidden_dims, num_classes]
        for i, (fan_in, fan_out) in enumerate(zip(dims[:-1], dims[1:]), start=1):
            self.params[f"W{i}"] = np.random.normal(0.0, weight_scale, (fan_in, fan_out))
            self.params[f"b{i}"] = np.zeros(fan_out)
            if normalization is not None and i < self.num_layers:
                self.params[f"gamma{i}"] = np.ones(fan_out)
                self.params[f"beta{i}"] = np.zeros(fan_out)

        self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
        if seed is not None:
            self.dropout_param["seed"] = seed

        self.bn_params = []
        if normalization == "batchnorm":
            self.bn_params = [{"mode": "train"} for _ in range(self.num_layers - 1)]
        elif normalization == "layernorm":
            self.bn_params = [{} for _ in range(self.num_layers - 1)]

        for name, value in self.params.items():
            self.params[name] = value.astype(dtype)

    def loss(self, X: np.ndarray, y: np.ndarray | None = None):
        """Computes class scores, or the loss and its gradients.

        Runs in test mode (running statistics, no dropout) when y is None, else in train mode.

        Args:
            X: (N, d1, ..., dk) inputs, with d1 * ... * dk = D.
            y: (N,) integer labels in [0, C), or None.

        Returns:
            scores (N, C) when y is None; otherwise (loss, grads) where loss is the mean softmax
            loss plus 0.5 * reg * sum over l of sum(Wl^2) and grads maps each name in params to
            an array of its shape.
        """
        X = X.astype(self.dtype)
        mode = "test" if y is None else "train"
        self.dropout_param["mode"] = mode
        for bn_param in self.bn_params:
            bn_param["mode"] = mode

        caches = []
        out = X
        for i in range(1, self.num_layers):
            out, affine_cache = affine_forward(out, self.params[f"W{i}"], self.params[f"b{i}"])
            norm_cache = None
            if self.normalization is not None:
                norm_forward, _ = _NORMALIZATIONS[self.normalization]
                out, norm_cache = norm_forward(
                    out, self.params[f"gamma{i}"], self.params[f"beta{i}"], self.bn_params[i - 1]
                )
            out, relu_cache = relu_forward(out)
            dropout_cache = None
            if self.use_dropout:
                out, dropout_cache = dropout_forward(out, self.dropout_param)
            caches.append((affine_cache, norm_cache, relu_cache, dropout_cache))
        last = self.num_layers
        scores, scores_cache = affine_forward(out, self.params[f"W{last}"], self.params[f"b{last}"])
        if mode == "test":
            return scores

        loss, grads = 0.0, {}
        data_loss, dscores = softmax_loss(scores, y)
        loss += data_loss
        dout, grads[f"W{last}"], grads[f"b{last}"] = affine_backward(dscores, scores_cache)
        for i in range(self.num_layers - 1, 0, -1):
            affine_cache, norm_cache, relu_cache, dropout_cache = caches[i - 1]
            if self.use_dropout:
                dout = dropout_backward(dout, dropout_cache)
            dout = relu_backward(dout, relu_cache)
            if self.normalization is not None:
                _, norm_backward = _NORMALIZATIONS[self.normalization]
                dout, grads[f"gamma{i}"], grads[f"beta{i}"] = norm_backward(dout, norm_cache)
            dout, grads[f"W{i}"], grads[f"b{i}"] = affine_backward(dout, affine_cache)
        for i in range(1, self.num_layers + 1):
            weights = self.params[f"W{i}"]
            loss += 0.5 * self.reg * np.sum(weights * weights)
            grads[f"W{i}"] += self.reg * weights
        return loss, grads

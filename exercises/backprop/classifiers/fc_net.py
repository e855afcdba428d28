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
        # YOUR CODE HERE
        raise NotImplementedError("TwoLayerNet.__init__ is not implemented yet")

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
        # YOUR CODE HERE
        raise NotImplementedError("TwoLayerNet.loss is not implemented yet")
        if y is None:
            return scores

        loss, grads = 0.0, {}
        # YOUR CODE HERE
        raise NotImplementedError("TwoLayerNet.loss is not implemented yet")
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

        # YOUR CODE HERE
        raise NotImplementedError("FullyConnectedNet.__init__ is not implemented yet")

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

        # YOUR CODE HERE
        raise NotImplementedError("FullyConnectedNet.loss is not implemented yet")
        if mode == "test":
            return scores

        loss, grads = 0.0, {}
        # YOUR CODE HERE
        raise NotImplementedError("FullyConnectedNet.loss is not implemented yet")
        return loss, grads

"""Alternative FullyConnectedNet: a hidden block per method call, each caching a dict of its
layers' caches; the normalizations chosen by if/elif. Source spliced into classifiers/fc_net.py."""

import numpy as np

from backprop.layers import (
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


class FullyConnectedNet:
    def __init__(
        self,
        hidden_dims,
        input_dim=3 * 32 * 32,
        num_classes=10,
        dropout_keep_ratio=1,
        normalization=None,
        reg=0.0,
        weight_scale=1e-2,
        dtype=np.float32,
        seed=None,
    ):
        if normalization not in (None, "batchnorm", "layernorm"):
            raise ValueError(f"unknown normalization {normalization!r}")
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}
        sizes = [input_dim, *hidden_dims, num_classes]
        for layer in range(1, self.num_layers + 1):
            self.params[f"W{layer}"] = weight_scale * np.random.randn(sizes[layer - 1], sizes[layer])
            self.params[f"b{layer}"] = np.zeros(sizes[layer])
        if normalization is not None:
            for layer, size in enumerate(hidden_dims, start=1):
                self.params[f"gamma{layer}"] = np.ones(size)
                self.params[f"beta{layer}"] = np.zeros(size)

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

    def _block_forward(self, x, layer):
        cache = {}
        out, cache["affine"] = affine_forward(x, self.params[f"W{layer}"], self.params[f"b{layer}"])
        scale_shift = (self.params.get(f"gamma{layer}"), self.params.get(f"beta{layer}"))
        if self.normalization == "batchnorm":
            out, cache["norm"] = batchnorm_forward(out, *scale_shift, self.bn_params[layer - 1])
        elif self.normalization == "layernorm":
            out, cache["norm"] = layernorm_forward(out, *scale_shift, self.bn_params[layer - 1])
        out, cache["relu"] = relu_forward(out)
        if self.use_dropout:
            out, cache["dropout"] = dropout_forward(out, self.dropout_param)
        return out, cache

    def _block_backward(self, dout, cache, layer, grads):
        if self.use_dropout:
            dout = dropout_backward(dout, cache["dropout"])
        dout = relu_backward(dout, cache["relu"])
        if self.normalization == "batchnorm":
            dout, grads[f"gamma{layer}"], grads[f"beta{layer}"] = batchnorm_backward(dout, cache["norm"])
        elif self.normalization == "layernorm":
            dout, grads[f"gamma{layer}"], grads[f"beta{layer}"] = layernorm_backward(dout, cache["norm"])
        dout, grads[f"W{layer}"], grads[f"b{layer}"] = affine_backward(dout, cache["affine"])
        return dout

    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        mode = "test" if y is None else "train"
        self.dropout_param["mode"] = mode
        for bn_param in self.bn_params:
            bn_param["mode"] = mode

        caches = {}
        out = X
        for layer in range(1, self.num_layers):
            out, caches[layer] = self._block_forward(out, layer)
        last = self.num_layers
        scores, last_cache = affine_forward(out, self.params[f"W{last}"], self.params[f"b{last}"])
        if mode == "test":
            return scores

        loss, dscores = softmax_loss(scores, y)
        grads = {}
        dout, grads[f"W{last}"], grads[f"b{last}"] = affine_backward(dscores, last_cache)
        for layer in range(last - 1, 0, -1):
            dout = self._block_backward(dout, caches[layer], layer, grads)
        for layer in range(1, last + 1):
            weights = self.params[f"W{layer}"]
            loss += 0.5 * self.reg * np.sum(weights**2)
            grads[f"W{layer}"] = grads[f"W{layer}"] + self.reg * weights
        return loss, grads

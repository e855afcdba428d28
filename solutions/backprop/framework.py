"""Part 5: the same networks in PyTorch, and a training loop that switches modes correctly.

- ``three_layer_convnet(x, params)``: ThreeLayerConvNet in the functional form, with the
  parameters of ``classifiers.cnn.ThreeLayerConvNet`` passed in as tensors.
- ``ThreeLayerConvNet`` and ``FullyConnectedNet``: the same networks as ``nn.Module``s.
- ``train_step``, ``check_accuracy``, ``train``: one update in training mode, accuracy in
  evaluation mode, and the loop that alternates them.

Batch norm and dropout behave differently in training and in evaluation: ``model.train()`` and
``model.eval()`` switch every layer of a model at once, and forgetting the switch silently ruins
a model. Build each network's layers in the order they run (one ``nn.Sequential``, or attributes
assigned in that order): the graders load parameters into your model in that order.

Needs PyTorch (``pip install .[framework]``); nothing else in ``backprop`` imports this module.
"""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .torch_utils import to_tensor

Tensor = torch.Tensor


def three_layer_convnet(x: Tensor, params: dict[str, Tensor]) -> Tensor:
    """ThreeLayerConvNet's scores in the functional form: no module, the parameters passed in.

    conv (stride 1, zero padding (filter_size - 1) // 2) - relu - 2x2 max pool (stride 2) -
    affine - relu - affine, exactly as ``classifiers.cnn.ThreeLayerConvNet.loss(X)`` computes it.

    Args:
        x: (N, C, H, W) input.
        params: the layout of ``classifiers.cnn.ThreeLayerConvNet.params``: W1 (F, C, HH, WW)
            filters, b1 (F,), W2 (F * H/2 * W/2, hidden), b2 (hidden,), W3 (hidden, classes),
            b3 (classes,). Affine weights are (in, out): scores = hidden @ W3 + b3.

    Returns:
        scores: (N, classes).
    """
    ### BEGIN SOLUTION
    W1 = params["W1"]
    out = F.relu(F.conv2d(x, W1, params["b1"], stride=1, padding=(W1.shape[2] - 1) // 2))
    out = F.max_pool2d(out, kernel_size=2, stride=2)
    hidden = F.relu(out.flatten(1) @ params["W2"] + params["b2"])
    return hidden @ params["W3"] + params["b3"]
    ### END SOLUTION


class ThreeLayerConvNet(nn.Module):
    """conv - relu - 2x2 max pool - affine - relu - affine, as an ``nn.Module``.

    The same network as ``classifiers.cnn.ThreeLayerConvNet`` (the convolution has stride 1 and
    pads (filter_size - 1) // 2; the pool halves H and W), with PyTorch's own layers and their
    default initialisation. ``nn.Linear`` keeps its weight as (out, in), the transpose of the
    NumPy model's W2 and W3.
    """

    def __init__(
        self,
        input_dim: tuple[int, int, int] = (3, 32, 32),
        num_filters: int = 32,
        filter_size: int = 7,
        hidden_dim: int = 100,
        num_classes: int = 10,
    ) -> None:
        """Build the layers, in the order they run: an ``nn.Conv2d``, then two ``nn.Linear``.

        Args:
            input_dim: (C, H, W), the shape of one input image.
            num_filters: F, the number of convolution filters.
            filter_size: the side of each (square) filter; odd.
            hidden_dim: the width of the hidden affine layer.
            num_classes: the number of classes.
        """
        super().__init__()
        channels, height, width = input_dim
        ### BEGIN SOLUTION
        self.conv = nn.Conv2d(channels, num_filters, filter_size, stride=1, padding=(filter_size - 1) // 2)
        self.hidden = nn.Linear(num_filters * (height // 2) * (width // 2), hidden_dim)
        self.scores = nn.Linear(hidden_dim, num_classes)
        ### END SOLUTION

    def forward(self, x: Tensor) -> Tensor:
        """Scores (N, num_classes) of the (N, C, H, W) input ``x``."""
        ### BEGIN SOLUTION
        out = F.max_pool2d(F.relu(self.conv(x)), kernel_size=2, stride=2)
        return self.scores(F.relu(self.hidden(out.flatten(1))))
        ### END SOLUTION


class FullyConnectedNet(nn.Module):
    """{affine - [batch/layer norm] - relu - [dropout]} x (L - 1) - affine, as an ``nn.Module``.

    The architecture of ``classifiers.fc_net.FullyConnectedNet``, with PyTorch's layers
    (``nn.Linear``, ``nn.BatchNorm1d`` or ``nn.LayerNorm``, ``nn.ReLU``, ``nn.Dropout``) and
    their defaults. Two conventions differ from the NumPy code: ``nn.Dropout(p)`` takes the
    probability of *dropping* a unit, and ``nn.BatchNorm1d``'s ``momentum`` (0.1) weighs the new
    batch, where ``bn_param["momentum"]`` (0.9) weighs the old running value.
    """

    def __init__(
        self,
        hidden_dims: list[int],
        input_dim: int = 3 * 32 * 32,
        num_classes: int = 10,
        dropout_keep_ratio: float = 1.0,
        normalization: str | None = None,
    ) -> None:
        """Build the layers, in the order they run.

        Args:
            hidden_dims: the width of each hidden layer.
            input_dim: D, the size of one (flattened) input.
            num_classes: the number of classes.
            dropout_keep_ratio: the probability of KEEPING a unit, as in the NumPy network; 1
                means no dropout layers at all.
            normalization: None, "batchnorm" or "layernorm", after each hidden affine layer.
        """
        super().__init__()
        if normalization not in (None, "batchnorm", "layernorm"):
            raise ValueError(f"normalization must be None, 'batchnorm' or 'layernorm', not {normalization!r}")
        ### BEGIN SOLUTION
        norms = {"batchnorm": nn.BatchNorm1d, "layernorm": nn.LayerNorm}
        layers: list[nn.Module] = [nn.Flatten()]
        dims = [input_dim, *hidden_dims]
        for fan_in, fan_out in zip(dims[:-1], dims[1:]):
            layers.append(nn.Linear(fan_in, fan_out))
            if normalization is not None:
                layers.append(norms[normalization](fan_out))
            layers.append(nn.ReLU())
            if dropout_keep_ratio < 1:
                layers.append(nn.Dropout(p=1 - dropout_keep_ratio))
        layers.append(nn.Linear(dims[-1], num_classes))
        self.layers = nn.Sequential(*layers)
        ### END SOLUTION

    def forward(self, x: Tensor) -> Tensor:
        """Scores (N, num_classes) of the (N, d_1, ..., d_k) input ``x``, flattened to (N, D)."""
        ### BEGIN SOLUTION
        return self.layers(x)
        ### END SOLUTION


def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, X: Tensor, y: Tensor) -> float:
    """One update on one minibatch, in training mode.

    Puts the model in training mode (dropout active, batch norm on batch statistics, its running
    statistics updated), then: clear the old gradients, compute the scores and the mean softmax
    loss (``F.cross_entropy``), backpropagate, and let the optimizer update the parameters.

    Args:
        model: the network, mapping X to (N, C) scores.
        optimizer: a ``torch.optim`` optimizer over the model's parameters.
        X: (N, ...) float32 inputs.
        y: (N,) int64 labels.

    Returns:
        The minibatch loss before the update, as a Python float.
    """
    ### BEGIN SOLUTION
    model.train()
    optimizer.zero_grad()
    loss = F.cross_entropy(model(X), y)
    loss.backward()
    optimizer.step()
    return loss.item()
    ### END SOLUTION


def check_accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray, batch_size: int = 100) -> float:
    """The fraction of X the model classifies correctly, in evaluation mode.

    Evaluation mode makes dropout the identity and batch norm use its running statistics (and
    leave them unchanged), so every example's prediction depends on it alone. No gradients are
    needed: compute the scores under ``torch.no_grad()``. The model is left in evaluation mode.

    Args:
        model: the network.
        X: (N, ...) inputs, as in the data dicts of ``data_utils``.
        y: (N,) integer labels.
        batch_size: how many examples to score at once.

    Returns:
        The accuracy, a Python float in [0, 1].
    """
    X, y = to_tensor(X), to_tensor(y)
    ### BEGIN SOLUTION
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            scores = model(X[start : start + batch_size])
            correct += (scores.argmax(dim=1) == y[start : start + batch_size]).sum().item()
    return correct / len(X)
    ### END SOLUTION


def train(
    model: nn.Module,
    data: dict[str, np.ndarray],
    *,
    learning_rate: float = 1e-3,
    weight_decay: float = 0.0,
    batch_size: int = 64,
    num_epochs: int = 1,
    seed: int = 0,
    verbose: bool = False,
) -> dict[str, list[float]]:
    """Train with Adam: each epoch, one ``train_step`` per minibatch, then the accuracies.

    Each epoch visits the training set once, in an order shuffled by a generator seeded with
    ``seed`` (``torch.randperm``), in minibatches of ``batch_size`` (the last one may be smaller).
    After each epoch it measures the training accuracy on the first 1000 training examples and
    the validation accuracy, with ``check_accuracy``; the next ``train_step`` switches the model
    back to training mode.

    Args:
        model: the network.
        data: ``X_train``, ``y_train``, ``X_val``, ``y_val`` as ``data_utils.get_data`` returns them.
        learning_rate: Adam's learning rate.
        weight_decay: Adam's L2 penalty on the parameters.
        batch_size: the minibatch size.
        num_epochs: passes over the training set.
        seed: seeds the shuffling (the weights and dropout masks come from PyTorch's global
            generator: see ``torch_utils.manual_seed``).
        verbose: print the accuracies after each epoch.

    Returns:
        ``loss_history`` (one loss per minibatch), ``train_acc_history`` and ``val_acc_history``
        (one accuracy per epoch).
    """
    X, y = to_tensor(data["X_train"]), to_tensor(data["y_train"])
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    generator = torch.Generator().manual_seed(seed)
    history: dict[str, list[float]] = {"loss_history": [], "train_acc_history": [], "val_acc_history": []}
    ### BEGIN SOLUTION
    for epoch in range(num_epochs):
        order = torch.randperm(len(X), generator=generator)
        for start in range(0, len(X), batch_size):
            batch = order[start : start + batch_size]
            history["loss_history"].append(train_step(model, optimizer, X[batch], y[batch]))
        history["train_acc_history"].append(check_accuracy(model, data["X_train"][:1000], data["y_train"][:1000]))
        history["val_acc_history"].append(check_accuracy(model, data["X_val"], data["y_val"]))
        if verbose:
            print(
                f"epoch {epoch + 1}/{num_epochs}: loss {history['loss_history'][-1]:.3f}, "
                f"train accuracy {history['train_acc_history'][-1]:.3f}, "
                f"val accuracy {history['val_acc_history'][-1]:.3f}"
            )
    ### END SOLUTION
    return history

"""Provided: the bridge between NumPy and PyTorch for the framework part (``framework.py``).

Arrays go in and out of PyTorch here, a model's mode is switched explicitly, and its parameters
and batch-norm statistics are read or loaded as NumPy arrays in the order the model registers
them (the order in which its layers run, when they are built in that order). The notebook and
the graders use these; none of it is yours to write.

Needs PyTorch (``pip install .[framework]``); nothing else in ``backprop`` imports this module.
"""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

Array = np.ndarray


def to_tensor(x: Array, dtype: torch.dtype | str | None = None) -> torch.Tensor:
    """A tensor holding a copy of ``x``.

    Args:
        x: any array; floats become ``torch.float32`` (the dtype of a model's parameters) and
            integers ``torch.int64`` (the dtype ``F.cross_entropy`` wants for labels).
        dtype: another dtype, or its name: ``torch.float64`` or ``"float64"`` for checks against
            float64 NumPy code.
    """
    x = np.asarray(x)
    if dtype is None:
        dtype = torch.float32 if x.dtype.kind == "f" else torch.int64
    elif isinstance(dtype, str):
        dtype = getattr(torch, dtype, dtype)
    if not isinstance(dtype, torch.dtype):
        raise ValueError(f"not a torch dtype: {dtype!r}")
    return torch.tensor(x, dtype=dtype)


def to_numpy(t: torch.Tensor) -> Array:
    """A NumPy copy of a tensor, detached from the autograd graph."""
    return t.detach().cpu().numpy().copy()


def forward_numpy(model: nn.Module, x: Array, *, train: bool = False) -> Array:
    """The model's scores for ``x``, after putting the model in train or eval mode.

    The mode stays set. In train mode dropout is active and batch norm uses (and updates) batch
    statistics; in eval mode dropout is the identity and batch norm uses its running statistics.
    No gradients are kept.

    Args:
        model: a module mapping (N, ...) inputs to (N, C) scores.
        x: (N, ...) input, converted to the dtype of the model's first parameter.
        train: the mode to run in.

    Returns:
        scores: (N, C).
    """
    model.train(train)
    dtype = next(model.parameters()).dtype
    with torch.no_grad():
        return to_numpy(model(to_tensor(x, dtype)))


def loss_numpy(model: nn.Module, x: Array, y: Array, *, train: bool = False) -> float:
    """The mean softmax (cross-entropy) loss of the model on (x, y), as ``forward_numpy`` runs it."""
    scores = torch.from_numpy(forward_numpy(model, x, train=train))
    return F.cross_entropy(scores, to_tensor(y)).item()


def parameters_numpy(model: nn.Module) -> list[Array]:
    """Copies of the model's parameters, in registration order (``model.parameters()``)."""
    return [to_numpy(p) for p in model.parameters()]


def parameter_shapes(model: nn.Module) -> list[tuple[int, ...]]:
    """The shapes of the model's parameters, in registration order."""
    return [tuple(p.shape) for p in model.parameters()]


def buffers_numpy(model: nn.Module) -> list[Array]:
    """Copies of the model's floating-point buffers (batch norm's running mean and variance), in
    registration order; integer buffers such as ``num_batches_tracked`` are left out."""
    return [to_numpy(b) for b in model.buffers() if b.is_floating_point()]


def _load(targets: list[torch.Tensor], values: list[Array], what: str) -> None:
    """Copy each array into the tensor at the same position, refusing a count or shape mismatch."""
    have = [tuple(t.shape) for t in targets]
    given = [tuple(np.shape(v)) for v in values]
    if have != given:
        raise ValueError(
            f"the model's {what} have shapes {have} (in the order the layers were built), "
            f"the values given have shapes {given}"
        )
    with torch.no_grad():
        for target, value in zip(targets, values):
            target.copy_(torch.as_tensor(np.asarray(value), dtype=target.dtype))


def load_numpy(model: nn.Module, parameters: list[Array], buffers: list[Array] | None = None) -> None:
    """Set the model's parameters (and floating-point buffers, when given) from arrays, in the
    order of ``parameters_numpy`` (and ``buffers_numpy``).

    Raises:
        ValueError: the number or the shapes of the arrays do not match the model's.
    """
    _load(list(model.parameters()), parameters, "parameters")
    if buffers is not None:
        _load([b for b in model.buffers() if b.is_floating_point()], buffers, "batch-norm statistics")


def make_optimizer(model: nn.Module, update_rule: str = "sgd", learning_rate: float = 1e-2) -> torch.optim.Optimizer:
    """``torch.optim.SGD`` (``update_rule="sgd"``) or ``torch.optim.Adam`` (``"adam"``) over the
    model's parameters."""
    rules = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}
    if update_rule not in rules:
        raise ValueError(f"unknown update rule {update_rule!r}; use one of {', '.join(rules)}")
    return rules[update_rule](model.parameters(), lr=learning_rate)


def manual_seed(seed: int) -> None:
    """Seed PyTorch's global generator, which draws initial weights and dropout masks.

    Call it yourself before building a model when you want the same run twice; nothing in
    ``backprop`` calls it for you.
    """
    torch.manual_seed(seed)

"""First-order update rules, as in CS231n.

Every rule has one signature::

    next_w, config = rule(w, dw, config=None)

Args:
    w: array of any shape, the current weights.
    dw: array shaped like ``w``, the gradient of the loss with respect to ``w``.
    config: dict of hyperparameters (learning rate, decay rates, ...) and of the rule's running
        state (velocity, caches, step count). Missing keys get their defaults; the running state is
        written back so that the same dict can be passed to the next call.

Returns:
    next_w: the updated weights, shaped like ``w``.
    config: the config dict, holding the new running state.

A Solver keeps one config dict per parameter, so each parameter has its own running state.
"""

import numpy as np


def sgd(w: np.ndarray, dw: np.ndarray, config: dict | None = None) -> tuple[np.ndarray, dict]:
    """Vanilla stochastic gradient descent: next_w = w - learning_rate * dw.

    Args:
        w: weights, any shape.
        dw: gradient, shaped like ``w``.
        config: ``learning_rate`` (default 1e-2).

    Returns:
        (next_w, config).
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)

    next_w = w - config["learning_rate"] * dw
    return next_w, config


def sgd_momentum(
    w: np.ndarray, dw: np.ndarray, config: dict | None = None
) -> tuple[np.ndarray, dict]:
    """SGD with momentum: v = momentum * v - learning_rate * dw; next_w = w + v.

    Args:
        w: weights, any shape.
        dw: gradient, shaped like ``w``.
        config: ``learning_rate`` (default 1e-2); ``momentum`` in [0, 1) (default 0.9);
            ``velocity`` v, shaped like ``w`` (default zeros), the running average of steps.

    Returns:
        (next_w, config) with ``config["velocity"]`` holding the new v.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))

    next_w = None
    # YOUR CODE HERE
    raise NotImplementedError("sgd_momentum is not implemented yet")
    config["velocity"] = v

    return next_w, config


def rmsprop(w: np.ndarray, dw: np.ndarray, config: dict | None = None) -> tuple[np.ndarray, dict]:
    """RMSProp: a per-element step size from a moving average of squared gradients.

    cache = decay_rate * cache + (1 - decay_rate) * dw**2;
    next_w = w - learning_rate * dw / (sqrt(cache) + epsilon).

    Args:
        w: weights, any shape.
        dw: gradient, shaped like ``w``.
        config: ``learning_rate`` (default 1e-2); ``decay_rate`` in [0, 1) (default 0.99);
            ``epsilon`` (default 1e-8), which keeps the division finite; ``cache``, shaped like
            ``w`` (default zeros), the moving average of dw**2.

    Returns:
        (next_w, config) with ``config["cache"]`` holding the new cache.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))

    next_w = None
    # YOUR CODE HERE
    raise NotImplementedError("rmsprop is not implemented yet")

    return next_w, config


def adam(w: np.ndarray, dw: np.ndarray, config: dict | None = None) -> tuple[np.ndarray, dict]:
    """Adam: moving averages of the gradient and its square, with bias correction.

    t = t + 1 (first, so the first step uses t = 1);
    m = beta1 * m + (1 - beta1) * dw;  v = beta2 * v + (1 - beta2) * dw**2;
    m_hat = m / (1 - beta1**t);  v_hat = v / (1 - beta2**t);
    next_w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon).

    Args:
        w: weights, any shape.
        dw: gradient, shaped like ``w``.
        config: ``learning_rate`` (default 1e-3); ``beta1`` (default 0.9) and ``beta2``
            (default 0.999), the decay rates of the moving averages; ``epsilon`` (default 1e-8);
            ``m`` and ``v``, shaped like ``w`` (default zeros), the moving averages of dw and
            dw**2; ``t`` (default 0), the number of steps taken so far.

    Returns:
        (next_w, config) with ``config["m"]``, ``config["v"]`` and ``config["t"]`` updated.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)

    next_w = None
    # YOUR CODE HERE
    raise NotImplementedError("adam is not implemented yet")

    return next_w, config

"""Alternative update rules: the running state in local variables, stored at the end; Adam with
explicit bias-corrected m_hat and v_hat. Source spliced into optim.py."""

import numpy as np


def sgd_momentum(w, dw, config=None):
    config = {} if config is None else config
    learning_rate = config.setdefault("learning_rate", 1e-2)
    momentum = config.setdefault("momentum", 0.9)
    velocity = config.get("velocity")
    if velocity is None:
        velocity = np.zeros_like(w)
    velocity = momentum * velocity - learning_rate * dw
    config["velocity"] = velocity
    return w + velocity, config


def rmsprop(w, dw, config=None):
    config = {} if config is None else config
    learning_rate = config.setdefault("learning_rate", 1e-2)
    decay_rate = config.setdefault("decay_rate", 0.99)
    epsilon = config.setdefault("epsilon", 1e-8)
    cache = config.get("cache", np.zeros_like(w))
    cache = decay_rate * cache + (1 - decay_rate) * np.square(dw)
    config["cache"] = cache
    return w - learning_rate * dw / (np.sqrt(cache) + epsilon), config


def adam(w, dw, config=None):
    config = {} if config is None else config
    for key, default in (("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8)):
        config.setdefault(key, default)
    beta1, beta2 = config["beta1"], config["beta2"]
    t = config.get("t", 0) + 1
    m = beta1 * config.get("m", np.zeros_like(w)) + (1 - beta1) * dw
    v = beta2 * config.get("v", np.zeros_like(w)) + (1 - beta2) * (dw * dw)
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    config.update(m=m, v=v, t=t)
    return next_w, config

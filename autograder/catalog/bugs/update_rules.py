"""Typical mistakes in the update rules: SGD with momentum, RMSProp and Adam."""

from functools import partial

from autograder.catalog.variants import Bug, Edit

optim = partial(Edit, "optim.py")

MOMENTUM = '    v = config["momentum"] * v - config["learning_rate"] * dw\n    next_w = w + v\n'
RMSPROP = (
    '    config["cache"] = decay * config["cache"] + (1 - decay) * dw**2\n'
    '    next_w = w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])\n'
)
ADAM_T = '    config["t"] += 1\n'
ADAM_MOMENTS = (
    '    config["m"] = beta1 * config["m"] + (1 - beta1) * dw\n'
    '    config["v"] = beta2 * config["v"] + (1 - beta2) * dw**2\n'
)
ADAM_CORRECTION = (
    '    m_hat = config["m"] / (1 - beta1 ** config["t"])\n'
    '    v_hat = config["v"] / (1 - beta2 ** config["t"])\n'
)
ADAM_STEP = '    next_w = w - config["learning_rate"] * m_hat'

BUGS = (
    Bug(
        "optim.momentum_velocity_sign_flipped",
        "the velocity is stored with the opposite sign (v = momentum * v + lr * dw, then w - v)",
        "The step may come out the same, but the velocity stored in config must follow the API's sign "
        "convention: it points downhill, and the step adds it to w. A velocity carried over from a "
        "previous call (or a checkpoint) would otherwise point the wrong way.",
        (optim(MOMENTUM, '    v = config["momentum"] * v + config["learning_rate"] * dw\n    next_w = w - v\n'),),
    ),
    Bug(
        "optim.momentum_without_learning_rate",
        "the velocity adds the raw gradient, without the learning rate",
        "The learning rate scales the gradient's contribution to the velocity.",
        (optim(MOMENTUM, '    v = config["momentum"] * v - dw\n    next_w = w + v\n'),),
        public=True,
    ),
    Bug(
        "optim.momentum_velocity_lost",
        "the new velocity is kept in a new variable, so the old one is stored back",
        "The provided line after your code stores the variable v in config; a velocity computed under "
        "another name is used once and then lost.",
        (optim(MOMENTUM,
               '    velocity = config["momentum"] * v - config["learning_rate"] * dw\n    next_w = w + velocity\n'),),
    ),
    Bug(
        "optim.rmsprop_no_sqrt",
        "RMSProp divides by the cache itself instead of its square root",
        "The cache is a moving average of squared gradients; the step divides by its root (an RMS), so "
        "that the step keeps the units of the gradient.",
        (optim(RMSPROP, RMSPROP.replace('np.sqrt(config["cache"])', 'config["cache"]')),),
        public=True,
    ),
    Bug(
        "optim.rmsprop_decay_swapped",
        "the cache keeps 1 - decay_rate of its past and adds decay_rate of the new squared gradient",
        "The decay rate weighs the past: the cache keeps a fraction decay_rate of itself and takes "
        "1 - decay_rate of the new squared gradient.",
        (optim(RMSPROP, RMSPROP.replace("= decay * config", "= (1 - decay) * config")
                              .replace("(1 - decay) * dw", "decay * dw")),),
    ),
    Bug(
        "optim.rmsprop_cache_not_stored",
        "the new cache is used but never stored in config",
        "The moving average must survive to the next call: the returned config holds the new cache.",
        (optim(RMSPROP, RMSPROP.replace('config["cache"] = decay', "cache = decay")
                              .replace('(config["cache"])', "(cache)")),),
    ),
    Bug(
        "optim.adam_t_incremented_last",
        "Adam increments t after the bias correction",
        "t counts the steps including the current one: increment it first, so the first step corrects "
        "with t = 1.",
        (optim(ADAM_T, ""), optim(ADAM_STEP, ADAM_T + ADAM_STEP)),
        public=True,
    ),
    Bug(
        "optim.adam_t_not_stored",
        "Adam uses t + 1 but never stores it",
        "The step count must grow from call to call: the returned config holds the new t.",
        (
            optim(ADAM_T, '    t = config["t"] + 1\n'),
            optim(ADAM_CORRECTION, ADAM_CORRECTION.replace('config["t"]', "t")),
        ),
    ),
    Bug(
        "optim.adam_no_bias_correction",
        "Adam steps with m and v directly, without the bias correction",
        "m and v start at 0, so early on they underestimate the moments; dividing by 1 - beta^t "
        "corrects that.",
        (optim(ADAM_CORRECTION, '    m_hat = config["m"]\n    v_hat = config["v"]\n'),),
        public=True,
    ),
    Bug(
        "optim.adam_v_not_squared",
        "Adam's second moment averages the gradient instead of its square",
        "v tracks the mean of dw squared (elementwise); its root scales the step.",
        (optim(ADAM_MOMENTS, ADAM_MOMENTS.replace("dw**2", "dw")),),
        public=True,
    ),
    Bug(
        "optim.adam_stores_corrected_moments",
        "Adam stores the bias-corrected moments back into m and v",
        "The bias correction is applied to a copy used for this step only; m and v keep their plain "
        "moving averages, or the correction compounds from step to step.",
        (optim(ADAM_CORRECTION, ADAM_CORRECTION.replace("    m_hat", '    config["m"] = m_hat')
                                              .replace("    v_hat", '    config["v"] = v_hat')),),
    ),
)

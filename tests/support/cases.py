"""Case builders: the inputs of one check, drawn from a ``np.random.Generator``.

Every layer builder returns a dict whose keys are the parameter names of the function under
test, in the order of its parameters, so both ``layers.affine_forward(**case)`` and
``layers.affine_forward(*case.values())`` work. The public tests and the autograder's hidden
tests call the same builders; the hidden ones use other shapes and seeds. No builder computes an
expected value.

Inputs are float64 and drawn so that the checks are well posed: ReLU inputs stay away from the
kink at 0, max-pooling inputs have no ties, and the normalisations see slices with clearly
different means and spreads (so normalising over the wrong axis cannot pass by luck).
"""

from collections.abc import Mapping, Sequence

import numpy as np

Case = dict[str, object]

RELU_MARGIN = 0.1
"""Smallest |x| a ReLU case holds: far from the kink compared with a numeric step of 1e-5."""


def _spread(rng: np.random.Generator, shape: tuple[int, ...], axes: Sequence[int]) -> np.ndarray:
    """Normal values; each slice along `axes` has its own mean in [-5, 5] and std in [0.5, 3]."""
    stats_shape = tuple(n if axis in axes else 1 for axis, n in enumerate(shape))
    loc = rng.uniform(-5.0, 5.0, size=stats_shape)
    scale = rng.uniform(0.5, 3.0, size=stats_shape)
    return loc + scale * rng.standard_normal(shape)


def _scale_shift(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """A normalisation's gamma (in [0.5, 2], away from 0) and beta (normal), both of `shape`."""
    return rng.uniform(0.5, 2.0, size=shape), rng.standard_normal(shape)


def affine_case(
    rng: np.random.Generator, N: int = 2, in_dims: Sequence[int] = (4, 5, 6), M: int = 3
) -> Case:
    """Inputs of affine_forward: x (N, *in_dims), w (D, M) with D = prod(in_dims), b (M,)."""
    D = int(np.prod(in_dims))
    return {
        "x": rng.standard_normal((N, *in_dims)),
        "w": rng.standard_normal((D, M)) / np.sqrt(D),
        "b": rng.standard_normal(M),
    }


def relu_case(rng: np.random.Generator, shape: Sequence[int] = (3, 4)) -> Case:
    """Input of relu_forward: x of `shape`, of both signs, with |x| >= RELU_MARGIN everywhere."""
    z = rng.standard_normal(tuple(shape))
    return {"x": z + RELU_MARGIN * np.where(z < 0, -1.0, 1.0)}


def loss_case(
    rng: np.random.Generator, N: int = 5, C: int = 4, scale: float = 1.0, offset: float = 0.0
) -> Case:
    """Inputs of softmax_loss and svm_loss: scores x (N, C) and labels y (N,) in [0, C).

    x = offset + scale * standard normal. Large logits: offset=1e3 (every exp overflows unless
    the scores are shifted) or scale=1e3 (scores far apart).
    """
    return {
        "x": offset + scale * rng.standard_normal((N, C)),
        "y": rng.integers(C, size=N),
    }


def _bn_param(rng: np.random.Generator, size: int, mode: str, running_stats: bool) -> dict:
    """A bn_param dict; running statistics are included when asked for and always in test mode."""
    bn_param: dict[str, object] = {"mode": mode}
    if running_stats or mode == "test":
        bn_param["running_mean"] = rng.standard_normal(size)
        bn_param["running_var"] = rng.uniform(0.5, 2.0, size=size)
    return bn_param


def batchnorm_case(
    rng: np.random.Generator,
    N: int = 4,
    D: int = 5,
    mode: str = "train",
    running_stats: bool = False,
) -> Case:
    """Inputs of batchnorm_forward: x (N, D) with features of different means and spreads,
    gamma (D,), beta (D,), bn_param (mode; running_mean and running_var (D,) if running_stats
    or in test mode)."""
    gamma, beta = _scale_shift(rng, (D,))
    return {
        "x": _spread(rng, (N, D), axes=(1,)),
        "gamma": gamma,
        "beta": beta,
        "bn_param": _bn_param(rng, D, mode, running_stats),
    }


def layernorm_case(rng: np.random.Generator, N: int = 4, D: int = 5) -> Case:
    """Inputs of layernorm_forward: x (N, D) with examples of different means and spreads,
    gamma (D,), beta (D,), ln_param (empty: eps takes its default)."""
    gamma, beta = _scale_shift(rng, (D,))
    return {"x": _spread(rng, (N, D), axes=(0,)), "gamma": gamma, "beta": beta, "ln_param": {}}


def dropout_case(
    rng: np.random.Generator,
    shape: Sequence[int] = (4, 5),
    p: float = 0.7,
    mode: str = "train",
    seed: int | None = None,
) -> Case:
    """Inputs of dropout_forward: x of `shape` (any number of dimensions) and dropout_param
    (p: KEEP probability, mode, and seed when given; a numeric gradient check needs a seed so
    that every forward pass draws the same mask)."""
    dropout_param: dict[str, object] = {"p": p, "mode": mode}
    if seed is not None:
        dropout_param["seed"] = seed
    return {"x": rng.standard_normal(tuple(shape)), "dropout_param": dropout_param}


def conv_case(
    rng: np.random.Generator,
    N: int = 2,
    C: int = 3,
    H: int = 5,
    W: int = 5,
    F: int = 3,
    HH: int = 3,
    WW: int = 3,
    stride: int = 1,
    pad: int = 1,
) -> Case:
    """Inputs of conv_forward_naive: x (N, C, H, W), w (F, C, HH, WW), b (F,),
    conv_param (stride, pad)."""
    return {
        "x": rng.standard_normal((N, C, H, W)),
        "w": rng.standard_normal((F, C, HH, WW)) / np.sqrt(C * HH * WW),
        "b": rng.standard_normal(F),
        "conv_param": {"stride": stride, "pad": pad},
    }


def pool_case(
    rng: np.random.Generator,
    N: int = 2,
    C: int = 3,
    H: int = 4,
    W: int = 4,
    pool_height: int = 2,
    pool_width: int = 2,
    stride: int = 2,
) -> Case:
    """Inputs of max_pool_forward_naive: x (N, C, H, W) and pool_param.

    The values of x are a random permutation of evenly spaced numbers in [-1, 1], so no window
    holds a tie and neighbouring values differ by 2 / (x.size - 1), far more than a numeric step.
    """
    size = N * C * H * W
    values = np.linspace(-1.0, 1.0, size)[rng.permutation(size)]
    return {
        "x": values.reshape(N, C, H, W),
        "pool_param": {"pool_height": pool_height, "pool_width": pool_width, "stride": stride},
    }


def spatial_batchnorm_case(
    rng: np.random.Generator,
    N: int = 2,
    C: int = 3,
    H: int = 4,
    W: int = 5,
    mode: str = "train",
    running_stats: bool = False,
) -> Case:
    """Inputs of spatial_batchnorm_forward: x (N, C, H, W) with channels of different means and
    spreads, gamma (C,), beta (C,), bn_param as in batchnorm_case with (C,) statistics."""
    gamma, beta = _scale_shift(rng, (C,))
    return {
        "x": _spread(rng, (N, C, H, W), axes=(1,)),
        "gamma": gamma,
        "beta": beta,
        "bn_param": _bn_param(rng, C, mode, running_stats),
    }


def groupnorm_case(
    rng: np.random.Generator, N: int = 2, C: int = 6, H: int = 3, W: int = 4, G: int = 2
) -> Case:
    """Inputs of spatial_groupnorm_forward: x (N, C, H, W) with every (example, channel) slice
    of its own mean and spread, gamma and beta (1, C, 1, 1), G (divides C), gn_param (empty)."""
    if C % G:
        raise ValueError(f"G={G} must divide C={C}")
    gamma, beta = _scale_shift(rng, (1, C, 1, 1))
    return {
        "x": _spread(rng, (N, C, H, W), axes=(0, 1)),
        "gamma": gamma,
        "beta": beta,
        "G": G,
        "gn_param": {},
    }


def optim_case(
    rng: np.random.Generator, rule: str, shape: Sequence[int] = (3, 4), state: bool = True
) -> Case:
    """Inputs of an update rule: w and dw of `shape`, and a config of random hyperparameters.

    Args:
        rng: the generator.
        rule: "sgd", "sgd_momentum", "rmsprop" or "adam".
        shape: the shape of w and dw.
        state: include a random running state (velocity; cache; m, v and t), as if after some
            steps; otherwise the rule must start from its default (zero) state.
    """
    shape = tuple(shape)
    config: dict[str, object] = {"learning_rate": float(rng.uniform(1e-3, 1e-1))}
    if rule == "sgd_momentum":
        config["momentum"] = float(rng.uniform(0.5, 0.99))
        if state:
            config["velocity"] = 0.1 * rng.standard_normal(shape)
    elif rule == "rmsprop":
        config["decay_rate"] = float(rng.uniform(0.9, 0.999))
        config["epsilon"] = 1e-8
        if state:
            config["cache"] = rng.uniform(0.01, 1.0, size=shape)
    elif rule == "adam":
        config["beta1"] = float(rng.uniform(0.8, 0.95))
        config["beta2"] = float(rng.uniform(0.99, 0.9999))
        config["epsilon"] = 1e-8
        if state:
            config["m"] = 0.1 * rng.standard_normal(shape)
            config["v"] = rng.uniform(0.01, 1.0, size=shape)
            config["t"] = int(rng.integers(1, 20))
    elif rule != "sgd":
        raise ValueError(f"unknown update rule {rule!r}")
    return {"w": rng.standard_normal(shape), "dw": rng.standard_normal(shape), "config": config}


def _labelled(rng: np.random.Generator, shape: tuple[int, ...], num_classes: int) -> dict:
    """Inputs X of `shape` (normal) and labels y (N,) in [0, num_classes)."""
    return {"X": rng.standard_normal(shape), "y": rng.integers(num_classes, size=shape[0])}


def two_layer_net_case(
    rng: np.random.Generator,
    N: int = 3,
    input_dim: int = 5,
    hidden_dim: int = 6,
    num_classes: int = 4,
) -> Case:
    """A TwoLayerNet check: init (constructor arguments), X (N, input_dim), y (N,)."""
    init = {"input_dim": input_dim, "hidden_dim": hidden_dim, "num_classes": num_classes}
    return {"init": init, **_labelled(rng, (N, input_dim), num_classes)}


def fc_net_case(
    rng: np.random.Generator,
    N: int = 3,
    input_dim: int = 5,
    hidden_dims: Sequence[int] = (6, 4),
    num_classes: int = 4,
) -> Case:
    """A FullyConnectedNet check: init (constructor arguments), X (N, input_dim), y (N,)."""
    init = {"hidden_dims": list(hidden_dims), "input_dim": input_dim, "num_classes": num_classes}
    return {"init": init, **_labelled(rng, (N, input_dim), num_classes)}


def cnn_case(
    rng: np.random.Generator,
    N: int = 2,
    input_dim: tuple[int, int, int] = (2, 6, 6),
    num_filters: int = 3,
    filter_size: int = 3,
    hidden_dim: int = 5,
    num_classes: int = 4,
) -> Case:
    """A ThreeLayerConvNet check: init (constructor arguments), X (N, C, H, W), y (N,)."""
    init = {
        "input_dim": tuple(input_dim),
        "num_filters": num_filters,
        "filter_size": filter_size,
        "hidden_dim": hidden_dim,
        "num_classes": num_classes,
    }
    return {"init": init, **_labelled(rng, (N, *input_dim), num_classes)}


def random_params(
    rng: np.random.Generator, shapes: Mapping[str, Sequence[int]], weight_scale: float = 0.3
) -> dict[str, np.ndarray]:
    """Random float64 values for a model's params, by name, independent of NumPy's global state.

    Weights (``W*``) are normal with std `weight_scale`, biases (``b*``) and shifts (``beta*``)
    normal with std 0.1, scales (``gamma*``) in [0.5, 1.5].

    Args:
        rng: the generator.
        shapes: parameter name -> shape, e.g. ``{k: v.shape for k, v in model.params.items()}``.
        weight_scale: std of the weights.
    """
    params = {}
    for name, shape in shapes.items():
        shape = tuple(shape)
        if name.startswith("gamma"):
            params[name] = rng.uniform(0.5, 1.5, size=shape)
        elif name.startswith("W"):
            params[name] = weight_scale * rng.standard_normal(shape)
        else:
            params[name] = 0.1 * rng.standard_normal(shape)
    return params


def with_dtype(case: Case, dtype: type) -> Case:
    """A copy of `case` with every floating-point array cast to `dtype` (e.g. np.float32), dicts
    (bn_param, config) included; labels and other values are kept."""

    def cast(value: object) -> object:
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            return value.astype(dtype)
        if isinstance(value, dict):
            return {key: cast(item) for key, item in value.items()}
        return value

    return {key: cast(value) for key, value in case.items()}

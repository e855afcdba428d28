"""Hidden checks of FullyConnectedNet: parameters, dtypes, test and train modes, batch and layer norm,
dropout (by its properties), loss and gradients against the reference with the same parameters."""

import numpy as np
import pytest
from backprop.classifiers import fc_net as reference

from autograder.hidden.remote import RemoteModel, assert_dtype, assert_grads_close, twin_models
from tests.support import cases
from tests.support.checks import assert_close, assert_param_shapes, assert_shape, check_model_gradients

pytestmark = pytest.mark.fc_net

PATH = "classifiers.fc_net.FullyConnectedNet"
FUNCTION = "FullyConnectedNet.loss"
NETS = {  # constructor arguments beyond input_dim and num_classes
    "plain": dict(hidden_dims=[6, 5]),
    "deep": dict(hidden_dims=[5, 4, 3]),
    "one-hidden": dict(hidden_dims=[8]),
    "batchnorm": dict(hidden_dims=[5, 4], normalization="batchnorm"),
    "layernorm": dict(hidden_dims=[6, 3], normalization="layernorm"),
}
TRAINED = ["plain", "deep", "batchnorm", "layernorm"]


def _case(rng, net: str, N: int = 4, **init) -> dict:
    """A batch and float64 constructor arguments for the net called `net`."""
    case = cases.fc_net_case(rng, N=N, input_dim=7, num_classes=4, hidden_dims=NETS[net]["hidden_dims"])
    case["init"].update(NETS[net], dtype=np.float64, **init)
    return case


def _describe(net: str, init: dict) -> str:
    extras = [f"{key}={init[key]}" for key in ("reg", "dropout_keep_ratio", "seed") if init.get(key)]
    return f"{FUNCTION} ({net} net{', ' if extras else ''}{', '.join(extras)})"


@pytest.mark.check("shape")
@pytest.mark.parametrize("net", list(NETS))
def test_param_names_and_shapes(student, net):
    init = dict(input_dim=7, num_classes=4, **NETS[net])
    model = RemoteModel.create(student, PATH, **init)
    expected = {name: value.shape for name, value in reference.FullyConnectedNet(**init).params.items()}
    assert_param_shapes(model.get("params"), expected, function=f"FullyConnectedNet.__init__ ({net} net)")


@pytest.mark.check("value")
@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
def test_init_values(student, normalization):
    init = dict(hidden_dims=[80, 60], input_dim=100, num_classes=10, weight_scale=0.03, normalization=normalization)
    params = RemoteModel.create(student, PATH, **init).get("params")
    function = f"FullyConnectedNet.__init__ (weight_scale=0.03, normalization={normalization})"
    for name, value in reference.FullyConnectedNet(**init).params.items():
        if name.startswith("W"):  # N(0, 0.03^2): 8000, 4800 and 600 draws, about 5 standard errors
            assert_close(np.std(params.get(name)), 0.03, name=f"std of params[{name!r}]", function=function, rtol=0.15)
        else:  # biases and betas start at 0, gammas at 1
            assert_close(params.get(name), value, name=f"params[{name!r}]", function=function, check_dtype=False)


@pytest.mark.check("shape")
@pytest.mark.parametrize("dtype", [None, np.float64], ids=["default-float32", "float64"])
def test_dtype(student, rng, dtype):
    case = cases.fc_net_case(rng, N=3, input_dim=7, num_classes=4, hidden_dims=(5, 6))
    init = {**case["init"], "normalization": "batchnorm", **({} if dtype is None else {"dtype": dtype})}
    model = RemoteModel.create(student, PATH, **init)
    dtype = dtype or np.float32
    function = f"FullyConnectedNet (dtype={np.dtype(dtype)})"
    for name, value in model.get("params").items():
        assert_dtype(value, dtype, f"params[{name!r}]", function)
    scores = model.loss(case["X"])
    assert_shape(scores, (3, 4), name="scores", function=function)
    assert_dtype(scores, dtype, "scores", function)


@pytest.mark.check("value")
@pytest.mark.parametrize("net", ["plain", "deep", "one-hidden", "layernorm"])
def test_scores_match_reference(student, rng, net):
    case = _case(rng, net)
    model, expected = twin_models(student, PATH, reference.FullyConnectedNet, case["init"], rng)
    function = f"{FUNCTION}(X) ({net} net, test mode)"
    assert_close(model.loss(case["X"]), expected.loss(case["X"]), name="scores", function=function)


@pytest.mark.check("value")
@pytest.mark.parametrize("net", TRAINED)
@pytest.mark.parametrize("reg", [0.0, 0.2])
def test_loss_matches_reference(student, rng, net, reg):
    case = _case(rng, net, reg=reg)
    model, expected = twin_models(student, PATH, reference.FullyConnectedNet, case["init"], rng)
    loss, _ = model.loss(case["X"], case["y"])
    assert_close(loss, expected.loss(case["X"], case["y"])[0], name="loss", function=_describe(net, case["init"]))


@pytest.mark.check("gradient")
@pytest.mark.parametrize("net", TRAINED)
@pytest.mark.parametrize("reg", [0.0, 0.2])
def test_grads_match_reference(student, rng, net, reg):
    case = _case(rng, net, reg=reg)
    model, expected = twin_models(student, PATH, reference.FullyConnectedNet, case["init"], rng)
    _, grads = model.loss(case["X"], case["y"])
    assert_grads_close(grads, expected.loss(case["X"], case["y"])[1], _describe(net, case["init"]))


@pytest.mark.check("numeric")
@pytest.mark.parametrize(
    ("net", "init"),
    [
        ("plain", dict(reg=0.3)),
        ("batchnorm", dict(reg=0.1)),
        ("layernorm", {}),
        ("plain", dict(dropout_keep_ratio=0.6, seed=5)),
        ("batchnorm", dict(dropout_keep_ratio=0.7, seed=3)),
    ],
    ids=["plain-reg", "batchnorm", "layernorm", "dropout", "batchnorm-dropout"],
)
def test_grads_match_numeric_derivative(student, rng, net, init):
    # With a seed, dropout draws the same masks at every call, so the loss is a function to check.
    case = _case(rng, net, N=5, **init)
    model, _ = twin_models(student, PATH, reference.FullyConnectedNet, case["init"], rng)
    check_model_gradients(model, case["X"], case["y"], rng, function=_describe(net, case["init"]))


@pytest.mark.check("state")
@pytest.mark.parametrize("normalization", ["batchnorm", "layernorm"])
def test_test_mode_after_training_steps(student, rng, normalization):
    # Batch norm keeps running averages in bn_params during train-mode calls; test mode uses them.
    case = _case(rng, normalization, N=6)
    model, expected = twin_models(student, PATH, reference.FullyConnectedNet, case["init"], rng)
    for _ in range(3):
        X = case["X"] + rng.standard_normal(case["X"].shape)
        model.loss(X, case["y"])
        expected.loss(X, case["y"])
    function = f"{FUNCTION}(X) ({normalization} net, test mode after 3 train-mode calls)"
    assert_close(model.loss(case["X"]), expected.loss(case["X"]), name="scores", function=function)


@pytest.mark.check("state")
def test_batchnorm_running_averages_in_bn_params(student, rng):
    case = _case(rng, "batchnorm", N=6)
    model, expected = twin_models(student, PATH, reference.FullyConnectedNet, case["init"], rng)
    model.loss(case["X"], case["y"])
    expected.loss(case["X"], case["y"])
    bn_params, function = model.get("bn_params"), f"{FUNCTION} (batchnorm net)"
    for layer, want in enumerate(expected.bn_params):
        for key in ("running_mean", "running_var"):
            got = bn_params[layer].get(key) if layer < len(bn_params) else None
            if got is None:
                raise AssertionError(
                    f"{function}: bn_params[{layer}] holds no {key!r} after a train-mode call. Batch norm stores"
                    " its running averages in the dict it is given: give each layer its entry of"
                    " self.bn_params itself, not a copy."
                )
            name = f"bn_params[{layer}][{key!r}] after one train-mode call"
            assert_close(got, want[key], name=name, function=function)


@pytest.mark.check("edge")
@pytest.mark.parametrize("net", ["plain", "batchnorm"])
def test_dropout_only_in_train_mode(student, rng, net):
    # Test mode: no dropout at all, so the scores are the reference's. Train mode: units are dropped,
    # so the loss differs from the loss of the same net without dropout.
    case = _case(rng, net, N=8, dropout_keep_ratio=0.5, seed=7)
    model, expected = twin_models(student, PATH, reference.FullyConnectedNet, case["init"], rng)
    function = _describe(net, case["init"])
    scores = model.loss(case["X"])
    assert_close(scores, expected.loss(case["X"]), name="scores (test mode: no dropout)", function=function)
    expected.use_dropout = False
    loss, _ = model.loss(case["X"], case["y"])
    without = expected.loss(case["X"], case["y"])[0]
    if abs(loss - without) < 1e-6 * max(1.0, abs(without)):
        raise AssertionError(
            f"{function}: the train-mode loss equals the loss without dropout ({without:.6g}): "
            "is dropout applied after each hidden ReLU when use_dropout is set?"
        )


@pytest.mark.check("state")
def test_loss_leaves_params_unchanged(student, rng):
    case = _case(rng, "batchnorm", reg=0.2)
    model, expected = twin_models(student, PATH, reference.FullyConnectedNet, case["init"], rng)
    model.loss(case["X"], case["y"])
    after = model.get("params")
    for name, want in expected.params.items():
        assert_close(after.get(name), want, name=f"params[{name!r}] after loss(X, y)", function=FUNCTION)

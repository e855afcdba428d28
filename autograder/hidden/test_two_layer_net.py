"""Hidden checks of TwoLayerNet: parameters, scores, loss and gradients against the reference with
the same parameters, and a numeric check of the student's own loss."""

import numpy as np
import pytest
from backprop.classifiers import fc_net as reference

from autograder.hidden.remote import RemoteModel, assert_grads_close, twin_models
from tests.support import cases
from tests.support.checks import assert_close, assert_param_shapes, assert_shape, check_model_gradients

pytestmark = pytest.mark.two_layer_net

PATH = "classifiers.fc_net.TwoLayerNet"
FUNCTION = "TwoLayerNet.loss"
NETS = [
    pytest.param(dict(N=4, input_dim=7, hidden_dim=6, num_classes=3), id="7-6-3"),
    pytest.param(dict(N=1, input_dim=5, hidden_dim=9, num_classes=2), id="one-example"),
]
REGS = [pytest.param(0.0, id="reg0"), pytest.param(0.3, id="reg0.3")]


def _case(rng, net: dict, reg: float = 0.0) -> dict:
    case = cases.two_layer_net_case(rng, **net)
    case["init"]["reg"] = reg
    return case


@pytest.mark.check("shape")
def test_param_names_and_shapes(student):
    model = RemoteModel.create(student, PATH, input_dim=7, hidden_dim=6, num_classes=3)
    expected = {"W1": (7, 6), "b1": (6,), "W2": (6, 3), "b2": (3,)}
    assert_param_shapes(model.get("params"), expected, function="TwoLayerNet.__init__")


@pytest.mark.check("value")
def test_init_scale(student):
    model = RemoteModel.create(student, PATH, input_dim=120, hidden_dim=50, num_classes=8, weight_scale=0.05)
    params, function = model.get("params"), "TwoLayerNet.__init__ (weight_scale=0.05)"
    for name, size in (("b1", 50), ("b2", 8)):
        assert_close(params.get(name), np.zeros(size), name=f"params[{name!r}] (biases start at 0)", function=function)
    # Weights ~ N(0, weight_scale^2): 6000 and 400 draws, tolerances of about 5 standard errors.
    for name, rtol in (("W1", 0.05), ("W2", 0.2)):
        weights = np.asarray(params.get(name))
        assert_close(np.std(weights), 0.05, name=f"std of params[{name!r}]", function=function, rtol=rtol)
        assert_close(np.mean(weights), 0.0, name=f"mean of params[{name!r}]", function=function, atol=0.01)


@pytest.mark.check("value")
@pytest.mark.parametrize("net", NETS)
def test_scores_match_reference(student, rng, net):
    case = _case(rng, net)
    model, expected = twin_models(student, PATH, reference.TwoLayerNet, case["init"], rng)
    scores = model.loss(case["X"])
    assert_close(scores, expected.loss(case["X"]), name="scores", function=f"{FUNCTION}(X) (no labels: scores only)")


@pytest.mark.check("value")
@pytest.mark.parametrize("reg", REGS)
@pytest.mark.parametrize("net", NETS)
def test_loss_matches_reference(student, rng, net, reg):
    case = _case(rng, net, reg)
    model, expected = twin_models(student, PATH, reference.TwoLayerNet, case["init"], rng)
    loss, _ = model.loss(case["X"], case["y"])
    assert_close(loss, expected.loss(case["X"], case["y"])[0], name="loss", function=f"{FUNCTION} (reg={reg})")


@pytest.mark.check("gradient")
@pytest.mark.parametrize("reg", REGS)
@pytest.mark.parametrize("net", NETS)
def test_grads_match_reference(student, rng, net, reg):
    case = _case(rng, net, reg)
    model, expected = twin_models(student, PATH, reference.TwoLayerNet, case["init"], rng)
    _, grads = model.loss(case["X"], case["y"])
    assert_grads_close(grads, expected.loss(case["X"], case["y"])[1], f"{FUNCTION} (reg={reg})")


@pytest.mark.check("numeric")
@pytest.mark.parametrize("reg", REGS)
def test_grads_match_numeric_derivative(student, rng, reg):
    case = _case(rng, dict(N=5, input_dim=6, hidden_dim=7, num_classes=4), reg)
    model, _ = twin_models(student, PATH, reference.TwoLayerNet, case["init"], rng)
    check_model_gradients(model, case["X"], case["y"], rng, function=f"{FUNCTION} (reg={reg})")


@pytest.mark.check("edge")
def test_multidimensional_input(student, rng):
    # Each example is flattened: X (N, 2, 3, 2) is read as (N, 12).
    case = _case(rng, dict(N=3, input_dim=12, hidden_dim=5, num_classes=4), 0.1)
    model, expected = twin_models(student, PATH, reference.TwoLayerNet, case["init"], rng)
    X = case["X"].reshape(3, 2, 3, 2)
    scores = model.loss(X)
    assert_shape(scores, (3, 4), name="scores", function=f"{FUNCTION}(X) with X of shape (3, 2, 3, 2)")
    assert_close(scores, expected.loss(X), name="scores", function=f"{FUNCTION}(X) with X of shape (3, 2, 3, 2)")
    _, grads = model.loss(X, case["y"])
    assert_grads_close(grads, expected.loss(X, case["y"])[1], f"{FUNCTION} with X of shape (3, 2, 3, 2)")


@pytest.mark.check("state")
def test_loss_leaves_params_unchanged(student, rng):
    case = _case(rng, dict(N=4, input_dim=7, hidden_dim=6, num_classes=3), 0.2)
    model, expected = twin_models(student, PATH, reference.TwoLayerNet, case["init"], rng)
    model.loss(case["X"], case["y"])
    after = model.get("params")
    for name, want in expected.params.items():
        assert_close(after.get(name), want, name=f"params[{name!r}] after loss(X, y)", function=FUNCTION)

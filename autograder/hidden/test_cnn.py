"""Hidden checks of ThreeLayerConvNet: parameters, dtypes, scores, loss and gradients against the
reference with the same parameters, and a numeric check of the student's own loss."""

import numpy as np
import pytest
from backprop.classifiers import cnn as reference

from autograder.hidden.remote import RemoteModel, assert_dtype, assert_grads_close, twin_models
from tests.support import cases
from tests.support.checks import assert_close, assert_param_shapes, assert_shape, check_model_gradients

pytestmark = pytest.mark.cnn

PATH = "classifiers.cnn.ThreeLayerConvNet"
FUNCTION = "ThreeLayerConvNet.loss"
NETS = [
    pytest.param(
        dict(input_dim=(3, 8, 6), num_filters=4, filter_size=3, hidden_dim=5, num_classes=3), id="3x8x6-filter3"
    ),
    pytest.param(
        dict(input_dim=(2, 6, 6), num_filters=3, filter_size=5, hidden_dim=4, num_classes=5), id="2x6x6-filter5"
    ),
]
SMALL = dict(input_dim=(2, 6, 4), num_filters=3, filter_size=3, hidden_dim=4, num_classes=3)
REGS = [pytest.param(0.0, id="reg0"), pytest.param(0.2, id="reg0.2")]


def _case(rng, net: dict, N: int = 3, reg: float = 0.0) -> dict:
    case = cases.cnn_case(rng, N=N, **net)
    case["init"].update(reg=reg, dtype=np.float64)
    return case


@pytest.mark.check("shape")
@pytest.mark.parametrize("net", NETS)
def test_param_names_and_shapes(student, net):
    model = RemoteModel.create(student, PATH, **net)
    C, H, W = net["input_dim"]
    F, size, hidden, classes = net["num_filters"], net["filter_size"], net["hidden_dim"], net["num_classes"]
    expected = {
        "W1": (F, C, size, size), "b1": (F,), "W2": (F * (H // 2) * (W // 2), hidden), "b2": (hidden,),
        "W3": (hidden, classes), "b3": (classes,),
    }  # fmt: skip
    assert_param_shapes(model.get("params"), expected, function="ThreeLayerConvNet.__init__ (the pool halves H and W)")


@pytest.mark.check("value")
def test_init_values(student):
    init = dict(input_dim=(3, 16, 16), num_filters=8, filter_size=5, hidden_dim=20, num_classes=10, weight_scale=0.02)
    params = RemoteModel.create(student, PATH, **init).get("params")
    function = "ThreeLayerConvNet.__init__ (weight_scale=0.02)"
    for name in ("b1", "b2", "b3"):
        value = np.asarray(params.get(name))
        name = f"params[{name!r}] (biases start at 0)"
        assert_close(value, np.zeros(value.shape), name=name, function=function, check_dtype=False)
    # N(0, 0.02^2): 600, 10240 and 200 draws, about 5 standard errors
    for name, rtol in (("W1", 0.15), ("W2", 0.05), ("W3", 0.25)):
        assert_close(np.std(params.get(name)), 0.02, name=f"std of params[{name!r}]", function=function, rtol=rtol)


@pytest.mark.check("shape")
def test_float32_by_default(student, rng):
    model = RemoteModel.create(student, PATH, **SMALL)
    function = "ThreeLayerConvNet.__init__ (float32 is the default dtype)"
    for name, value in model.get("params").items():
        assert_dtype(value, np.float32, f"params[{name!r}]", function)
    scores = model.loss(cases.cnn_case(rng, N=2, **SMALL)["X"])
    assert_shape(scores, (2, 3), name="scores", function=f"{FUNCTION}(X) (no labels: scores only)")


@pytest.mark.check("value")
@pytest.mark.parametrize("net", NETS)
def test_scores_match_reference(student, rng, net):
    case = _case(rng, net)
    model, expected = twin_models(student, PATH, reference.ThreeLayerConvNet, case["init"], rng)
    function = f"{FUNCTION}(X) (no labels: scores only)"
    assert_close(model.loss(case["X"]), expected.loss(case["X"]), name="scores", function=function)


@pytest.mark.check("value")
@pytest.mark.parametrize("reg", REGS)
@pytest.mark.parametrize("net", NETS)
def test_loss_matches_reference(student, rng, net, reg):
    case = _case(rng, net, reg=reg)
    model, expected = twin_models(student, PATH, reference.ThreeLayerConvNet, case["init"], rng)
    loss, _ = model.loss(case["X"], case["y"])
    assert_close(loss, expected.loss(case["X"], case["y"])[0], name="loss", function=f"{FUNCTION} (reg={reg})")


@pytest.mark.check("gradient")
@pytest.mark.parametrize("reg", REGS)
@pytest.mark.parametrize("net", NETS)
def test_grads_match_reference(student, rng, net, reg):
    case = _case(rng, net, reg=reg)
    model, expected = twin_models(student, PATH, reference.ThreeLayerConvNet, case["init"], rng)
    _, grads = model.loss(case["X"], case["y"])
    assert_grads_close(grads, expected.loss(case["X"], case["y"])[1], f"{FUNCTION} (reg={reg})")


@pytest.mark.check("numeric")
@pytest.mark.parametrize("reg", REGS)
def test_grads_match_numeric_derivative(student, rng, reg):
    case = _case(rng, SMALL, N=2, reg=reg)
    model, _ = twin_models(student, PATH, reference.ThreeLayerConvNet, case["init"], rng)
    check_model_gradients(model, case["X"], case["y"], rng, function=f"{FUNCTION} (reg={reg})")

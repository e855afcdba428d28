"""ThreeLayerConvNet: parameters, initial loss, gradients, and overfitting a few digits."""

import math

import numpy as np
import pytest

from backprop.classifiers.cnn import ThreeLayerConvNet
from backprop.data_utils import get_digits_data
from backprop.solver import Solver

from ..support import cases
from ..support.checks import assert_close, assert_param_shapes, assert_shape, check_model_gradients

pytestmark = pytest.mark.cnn

FUNCTION = "ThreeLayerConvNet.loss"


def param_shapes(model) -> dict[str, tuple[int, ...]]:
    return {name: np.shape(value) for name, value in model.params.items()}


def test_param_shapes():
    model = ThreeLayerConvNet(
        input_dim=(1, 8, 8), num_filters=4, filter_size=3, hidden_dim=10, num_classes=7
    )
    # The convolution keeps 8x8, the 2x2 pool halves it: 4 filters * 4 * 4 = 64 hidden inputs.
    expected = {
        "W1": (4, 1, 3, 3),
        "b1": (4,),
        "W2": (64, 10),
        "b2": (10,),
        "W3": (10, 7),
        "b3": (7,),
    }
    assert_param_shapes(model.params, expected, function="ThreeLayerConvNet.__init__")


def test_known_scores():
    # conv - relu - 2x2 max pool - affine - relu - affine, by hand. One 1x1 filter (pad 0) on 2x2
    # images: conv = x, then relu, then the pool keeps the largest.
    model = ThreeLayerConvNet(input_dim=(1, 2, 2), num_filters=1, filter_size=1, hidden_dim=2, num_classes=2,
                              dtype=np.float64)
    model.params = {
        "W1": np.ones((1, 1, 1, 1)),
        "b1": np.zeros(1),
        "W2": np.array([[1.0, -1.0]]),
        "b2": np.array([0.5, 0.5]),
        "W3": np.array([[1.0, 2.0], [1.0, -1.0]]),
        "b3": np.array([0.0, 1.0]),
    }
    X = np.array([[[[1.0, -2.0], [3.0, 0.5]]], [[[-1.0, -2.0], [-3.0, -0.5]]]])
    # image 1: pool(relu(x)) = 3; hidden = relu(3 * (1, -1) + 0.5) = (3.5, 0); scores = (3.5, 7) + (0, 1)
    # image 2: pool(relu(x)) = 0; hidden = relu((0.5, 0.5)) = (0.5, 0.5); scores = (1, 0.5) + (0, 1)
    assert_close(model.loss(X), np.array([[3.5, 8.0], [1.0, 1.5]]), name="scores", function=FUNCTION)


def test_scores_shape_without_labels(rng):
    case = cases.cnn_case(rng, N=3)
    scores = ThreeLayerConvNet(**case["init"]).loss(case["X"])
    assert_shape(
        scores,
        (3, case["init"]["num_classes"]),
        name="scores",
        function=FUNCTION,
        hint="(N, num_classes)",
    )


def test_initial_loss_is_about_log_ten(rng):
    case = cases.cnn_case(rng, N=10, num_classes=10)
    model = ThreeLayerConvNet(**case["init"], weight_scale=1e-3, dtype=np.float64)
    loss, _ = model.loss(case["X"], case["y"])
    assert_close(loss, math.log(10), name="loss", function=FUNCTION, rtol=0.01)


@pytest.mark.parametrize("reg", [0.0, 0.5])
def test_numeric_gradients(rng, reg):
    case = cases.cnn_case(rng, N=2)
    model = ThreeLayerConvNet(**case["init"], reg=reg, dtype=np.float64)
    model.params = cases.random_params(rng, param_shapes(model))
    check_model_gradients(model, case["X"], case["y"], rng, function=FUNCTION)


def test_regularization_adds_half_reg_times_squared_weights(rng):
    case = cases.cnn_case(rng)
    losses = []
    for reg in (0.0, 0.8):
        model = ThreeLayerConvNet(**case["init"], reg=reg, dtype=np.float64)
        model.params = cases.random_params(np.random.default_rng(5), param_shapes(model))
        losses.append(model.loss(case["X"], case["y"])[0])
    squares = sum(np.sum(model.params[name] ** 2) for name in ("W1", "W2", "W3"))
    name = "loss(reg=0.8) - loss(reg=0)"
    assert_close(losses[1] - losses[0], 0.5 * 0.8 * squares, name=name, function=FUNCTION)


def test_overfits_a_few_digits(global_seed):
    data = get_digits_data(num_training=50, num_validation=50, num_test=0)
    model = ThreeLayerConvNet(
        input_dim=(1, 8, 8), num_filters=8, filter_size=3, hidden_dim=50, weight_scale=0.2
    )
    solver = Solver(
        model,
        data,
        update_rule="sgd",
        optim_config={"learning_rate": 0.2},
        batch_size=5,
        num_epochs=20,
        verbose=False,
        seed=0,
    )
    solver.train()
    assert max(solver.train_acc_history) >= 0.98, (
        f"a small ConvNet should fit 50 digits; training accuracy went "
        f"{[round(a, 2) for a in solver.train_acc_history]}"
    )

"""Softmax and SVM losses, averaged over the N examples, with their gradients."""

import math

import numpy as np
import pytest

from backprop import layers

from ..support import cases
from ..support.checks import assert_close, directional_check

pytestmark = pytest.mark.loss

LOSSES = ["softmax_loss", "svm_loss"]


def test_softmax_equal_scores_give_log_of_classes():
    loss, dx = layers.softmax_loss(np.zeros((3, 10)), np.array([0, 4, 9]))
    # Every probability is 1/10: loss = -ln(1/10) = ln(10); dx = (1/10 - onehot) / N.
    assert_close(loss, math.log(10), name="loss", function="layers.softmax_loss")
    expected = np.full((3, 10), 0.1)
    expected[[0, 1, 2], [0, 4, 9]] -= 1
    assert_close(dx, expected / 3, name="dx", function="layers.softmax_loss")


def test_softmax_known_values():
    # Scores (0, ln 3) give probabilities (1/4, 3/4).
    loss, dx = layers.softmax_loss(np.array([[0.0, math.log(3)]]), np.array([1]))
    assert_close(loss, math.log(4 / 3), name="loss", function="layers.softmax_loss")
    assert_close(dx, [[0.25, -0.25]], name="dx", function="layers.softmax_loss")


def test_softmax_large_logits_stay_finite():
    # exp(1000) overflows: shift each row by its maximum first.
    loss, dx = layers.softmax_loss(np.array([[1000.0, 0.0], [1000.0, 1000.0]]), np.array([1, 0]))
    # Row 0: -log(e^0 / (e^1000 + e^0)) = 1000 (to double precision); row 1: ln 2.
    assert_close(loss, (1000 + math.log(2)) / 2, name="loss", function="layers.softmax_loss")
    assert_close(dx, [[0.5, -0.5], [-0.25, 0.25]], name="dx", function="layers.softmax_loss")


@pytest.mark.parametrize("loss_name", LOSSES)
def test_adding_a_constant_to_the_scores_changes_nothing(rng, loss_name):
    loss_function = getattr(layers, loss_name)
    case = cases.loss_case(rng, N=4, C=5)
    loss, dx = loss_function(**case)
    shifted_loss, shifted_dx = loss_function(case["x"] + 1e3, case["y"])
    function = f"layers.{loss_name} (scores + 1000)"
    assert_close(shifted_loss, loss, name="loss", function=function, rtol=1e-9)
    assert_close(shifted_dx, dx, name="dx", function=function, atol=1e-9)


def test_svm_known_values():
    x = np.array([[3.0, 1.0, 2.5], [1.0, 2.0, 1.5]])
    # Row 0 (y=0): margins max(0, 1-3+1)=0 and max(0, 2.5-3+1)=0.5. Row 1 (y=0): 2 and 1.5.
    loss, dx = layers.svm_loss(x, np.array([0, 0]))
    assert_close(loss, (0.5 + 3.5) / 2, name="loss", function="layers.svm_loss")
    assert_close(dx, [[-0.5, 0.0, 0.5], [-1.0, 0.5, 0.5]], name="dx", function="layers.svm_loss")


def test_svm_equal_scores_give_classes_minus_one():
    loss, _ = layers.svm_loss(np.zeros((4, 6)), np.array([0, 1, 2, 5]))
    assert_close(loss, 5.0, name="loss", function="layers.svm_loss")


@pytest.mark.parametrize("loss_name", LOSSES)
def test_loss_is_a_single_number(rng, loss_name):
    loss, _ = getattr(layers, loss_name)(**cases.loss_case(rng))
    assert np.ndim(loss) == 0, (
        f"layers.{loss_name} should return the loss as a number, got shape {np.shape(loss)}"
    )


@pytest.mark.parametrize("loss_name", LOSSES)
@pytest.mark.parametrize("scale", [1.0, 10.0])
def test_numeric_gradient(rng, loss_name, scale):
    loss_function = getattr(layers, loss_name)
    case = cases.loss_case(rng, N=6, C=5, scale=scale)
    _, dx = loss_function(**case)
    directional_check(
        lambda x: loss_function(x, case["y"])[0],
        case["x"],
        dx,
        rng,
        name="dx",
        function=f"layers.{loss_name}",
    )

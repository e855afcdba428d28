"""TwoLayerNet and FullyConnectedNet: parameters, scores, loss, gradients, overfitting digits."""

import math

import numpy as np
import pytest

from backprop.classifiers import fc_net
from backprop.data_utils import get_digits_data
from backprop.solver import Solver

from ..support import cases
from ..support.checks import assert_close, assert_param_shapes, assert_shape, check_model_gradients

# Hand-made two-layer net: X (1, 2) -> hidden 2 -> 2 classes.
X_ONE = np.array([[1.0, -1.0]])
HAND_PARAMS = {
    "W1": np.array([[1.0, 2.0], [3.0, -1.0]]),
    "b1": np.array([0.5, -1.0]),
    "W2": np.array([[1.0, -1.0], [2.0, 0.5]]),
    "b2": np.array([0.0, 1.0]),
}


def param_shapes(model) -> dict[str, tuple[int, ...]]:
    return {name: np.shape(value) for name, value in model.params.items()}


@pytest.mark.two_layer_net
class TestTwoLayerNet:
    FUNCTION = "TwoLayerNet.loss"

    def test_init_shapes_and_scale(self, global_seed):
        model = fc_net.TwoLayerNet(input_dim=30, hidden_dim=40, num_classes=5, weight_scale=1e-2)
        expected = {"W1": (30, 40), "b1": (40,), "W2": (40, 5), "b2": (5,)}
        assert_param_shapes(model.params, expected, function="TwoLayerNet.__init__")
        assert_close(
            model.params["b1"], np.zeros(40), name="params['b1']", function="TwoLayerNet.__init__"
        )
        assert_close(
            model.params["b2"], np.zeros(5), name="params['b2']", function="TwoLayerNet.__init__"
        )
        # Weights ~ N(0, weight_scale^2): the sample std of 1200 and 200 draws is within 20%.
        for name in ("W1", "W2"):
            assert_close(
                np.std(model.params[name]),
                1e-2,
                name=f"std of params[{name!r}]",
                function="TwoLayerNet.__init__",
                rtol=0.2,
            )

    def test_known_scores_and_loss(self):
        model = fc_net.TwoLayerNet(input_dim=2, hidden_dim=2, num_classes=2, reg=0.1)
        model.params = {name: value.copy() for name, value in HAND_PARAMS.items()}
        # hidden = relu((1 - 3, 2 + 1) + (0.5, -1)) = relu(-1.5, 2) = (0, 2)
        # scores = (0, 2) @ W2 + b2 = (4, 2)
        assert_close(model.loss(X_ONE), [[4.0, 2.0]], name="scores", function=self.FUNCTION)
        loss, _ = model.loss(X_ONE, np.array([0]))
        # softmax loss -log(e^4 / (e^4 + e^2)),
        # plus 0.5 * reg * (sum W1^2 + sum W2^2) = 0.05 * (15 + 6.25)
        expected = math.log(1 + math.exp(-2)) + 0.05 * 21.25
        assert_close(loss, expected, name="loss", function=self.FUNCTION)

    def test_scores_shape_without_labels(self, rng):
        case = cases.two_layer_net_case(rng, N=4)
        scores = fc_net.TwoLayerNet(**case["init"]).loss(case["X"])
        assert_shape(
            scores,
            (4, case["init"]["num_classes"]),
            name="scores",
            function=self.FUNCTION,
            hint="(N, C)",
        )

    @pytest.mark.parametrize("reg", [0.0, 0.7])
    def test_numeric_gradients(self, rng, reg):
        case = cases.two_layer_net_case(rng)
        model = fc_net.TwoLayerNet(**case["init"], reg=reg)
        model.params = cases.random_params(rng, param_shapes(model))
        check_model_gradients(model, case["X"], case["y"], rng, function=self.FUNCTION)


@pytest.mark.fc_net
class TestFullyConnectedNet:
    FUNCTION = "FullyConnectedNet.loss"

    @pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
    def test_param_names_and_shapes(self, normalization):
        model = fc_net.FullyConnectedNet(
            [6, 4], input_dim=5, num_classes=3, normalization=normalization
        )
        expected = {"W1": (5, 6), "b1": (6,), "W2": (6, 4), "b2": (4,), "W3": (4, 3), "b3": (3,)}
        if normalization is not None:  # one gamma and beta per hidden layer, none for the scores
            expected |= {"gamma1": (6,), "beta1": (6,), "gamma2": (4,), "beta2": (4,)}
        assert_param_shapes(model.params, expected, function="FullyConnectedNet.__init__")
        if normalization is not None:
            init = "FullyConnectedNet.__init__"
            assert_close(
                model.params["gamma1"],
                np.ones(6),
                name="params['gamma1']",
                function=init,
                check_dtype=False,
            )
            assert_close(
                model.params["beta2"],
                np.zeros(4),
                name="params['beta2']",
                function=init,
                check_dtype=False,
            )

    def test_initial_loss_is_about_log_of_classes(self, rng):
        case = cases.fc_net_case(rng, N=20, num_classes=10)
        model = fc_net.FullyConnectedNet(**case["init"], weight_scale=1e-3, dtype=np.float64)
        loss, _ = model.loss(case["X"], case["y"])
        # Tiny weights give scores about 0, so every class has probability about 1/10.
        assert_close(loss, math.log(10), name="loss", function=self.FUNCTION, rtol=0.01)

    @pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
    @pytest.mark.parametrize("reg", [0.0, 3.14])
    def test_numeric_gradients(self, rng, normalization, reg):
        case = cases.fc_net_case(rng, N=4)
        model = fc_net.FullyConnectedNet(
            **case["init"], normalization=normalization, reg=reg, dtype=np.float64
        )
        model.params = cases.random_params(rng, param_shapes(model))
        check_model_gradients(model, case["X"], case["y"], rng, function=self.FUNCTION)

    def test_numeric_gradients_with_dropout(self, rng, global_seed):
        # With a seed, every forward pass draws the same dropout mask, so the loss is a function.
        case = cases.fc_net_case(rng, N=4, hidden_dims=(7, 6))
        model = fc_net.FullyConnectedNet(
            **case["init"], dropout_keep_ratio=0.6, seed=123, reg=0.5, dtype=np.float64
        )
        model.params = cases.random_params(rng, param_shapes(model))
        check_model_gradients(model, case["X"], case["y"], rng, function=self.FUNCTION)

    @pytest.mark.parametrize("normalization", [None, "batchnorm"])
    def test_scores_without_labels_are_deterministic(self, rng, normalization):
        # y=None means test mode: no dropout, and batch norm uses its running averages.
        case = cases.fc_net_case(rng, N=5)
        model = fc_net.FullyConnectedNet(
            **case["init"], dropout_keep_ratio=0.5, normalization=normalization
        )
        model.loss(case["X"], case["y"])  # one training pass
        first, second = model.loss(case["X"]), model.loss(case["X"])
        assert_shape(
            first,
            (5, case["init"]["num_classes"]),
            name="scores",
            function=self.FUNCTION,
            hint="(N, C)",
        )
        assert_close(
            second, first, name="scores (second call)", function=f"{self.FUNCTION} (test mode)"
        )

    def test_regularization_adds_half_reg_times_squared_weights(self, rng):
        case = cases.fc_net_case(rng)
        losses = []
        for reg in (0.0, 0.8):
            model = fc_net.FullyConnectedNet(
                **case["init"], normalization="layernorm", reg=reg, dtype=np.float64
            )
            model.params = cases.random_params(np.random.default_rng(5), param_shapes(model))
            losses.append(model.loss(case["X"], case["y"])[0])
        squares = sum(
            np.sum(value**2) for name, value in model.params.items() if name.startswith("W")
        )
        # Weights only: biases, gammas and betas are not regularised.
        name = "loss(reg=0.8) - loss(reg=0)"
        assert_close(losses[1] - losses[0], 0.5 * 0.8 * squares, name=name, function=self.FUNCTION)

    def test_overfits_fifty_digits(self, global_seed):
        data = get_digits_data(num_training=50, num_validation=50, num_test=0)
        model = fc_net.FullyConnectedNet([100, 100], input_dim=64, num_classes=10, weight_scale=0.3)
        solver = Solver(
            model,
            data,
            update_rule="sgd",
            optim_config={"learning_rate": 0.3},
            batch_size=25,
            num_epochs=20,
            verbose=False,
            seed=0,
        )
        solver.train()
        assert max(solver.train_acc_history) == 1.0, (
            f"a 3-layer net should fit 50 digits perfectly within 20 epochs; training accuracy "
            f"went {[round(a, 2) for a in solver.train_acc_history]}"
        )

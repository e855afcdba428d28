"""Part 5, the networks in PyTorch: shapes, the functional form against NumPy, the train/eval
switch (dropout, batch norm's statistics), a training step, check_accuracy and training.

Skipped where PyTorch is not installed (`pip install torch`, or the kit's `framework` extra).
"""

import math

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="Part 5 (framework) needs PyTorch: pip install torch (the kit: pip install '.[framework]')"
)

from backprop import framework, torch_utils  # noqa: E402 - only once PyTorch is known to be there
from backprop.data_utils import get_digits_data  # noqa: E402
from backprop.fast_layers import conv_forward_fast, max_pool_forward_fast  # noqa: E402

from .support.checks import assert_close, assert_shape  # noqa: E402

pytestmark = pytest.mark.framework

FLOAT32 = dict(rtol=1e-4, atol=1e-5)
CONVNET = dict(input_dim=(1, 8, 8), num_filters=4, filter_size=3, hidden_dim=10, num_classes=7)
BN_DROPOUT_NET = dict(
    hidden_dims=[12, 10], input_dim=6, num_classes=5, normalization="batchnorm", dropout_keep_ratio=0.5
)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One PyTorch thread while these tests run: small networks are faster on one than on several."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def torch_seed():
    """Seed PyTorch's global generator with 0 for one test and restore its state afterwards."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        yield


def numpy_convnet_scores(x: np.ndarray, params: dict[str, np.ndarray]) -> np.ndarray:
    """ThreeLayerConvNet's scores with the kit's provided fast layers and plain NumPy."""
    pad = (params["W1"].shape[2] - 1) // 2
    out, _ = conv_forward_fast(x, params["W1"], params["b1"], {"stride": 1, "pad": pad})
    out, _ = max_pool_forward_fast(np.maximum(out, 0), {"pool_height": 2, "pool_width": 2, "stride": 2})
    hidden = np.maximum(out.reshape(len(x), -1) @ params["W2"] + params["b2"], 0)
    return hidden @ params["W3"] + params["b3"]


def convnet_params(rng: np.random.Generator, init: dict) -> dict[str, np.ndarray]:
    """Random float64 parameters in the layout of classifiers.cnn.ThreeLayerConvNet."""
    (C, H, W), F, size = init["input_dim"], init["num_filters"], init["filter_size"]
    hidden, classes = init["hidden_dim"], init["num_classes"]
    shapes = {"W1": (F, C, size, size), "b1": (F,), "W2": (F * (H // 2) * (W // 2), hidden), "b2": (hidden,),
              "W3": (hidden, classes), "b3": (classes,)}  # fmt: skip
    return {name: 0.3 * rng.standard_normal(shape) for name, shape in shapes.items()}


def test_convnet_parameter_shapes_and_scores(rng, torch_seed):
    model = framework.ThreeLayerConvNet(**CONVNET)
    # conv 4x1x3x3 + 4, then 4 filters * 4 * 4 pooled values -> 10 hidden -> 7 classes
    expected = [(4, 1, 3, 3), (4,), (10, 64), (10,), (7, 10), (7,)]
    assert torch_utils.parameter_shapes(model) == expected
    assert sum(math.prod(shape) for shape in expected) == sum(p.numel() for p in model.parameters())
    scores = torch_utils.forward_numpy(model, rng.standard_normal((3, 1, 8, 8)))
    assert_shape(scores, (3, 7), name="scores", function="ThreeLayerConvNet.forward", hint="(N, num_classes)")


def test_functional_form_matches_numpy(rng):
    params = convnet_params(rng, CONVNET)
    x = rng.standard_normal((3, 1, 8, 8))
    scores = framework.three_layer_convnet(
        torch_utils.to_tensor(x, "float64"), {name: torch_utils.to_tensor(v, "float64") for name, v in params.items()}
    )
    assert isinstance(scores, torch.Tensor), "three_layer_convnet returns a tensor"
    assert_close(torch_utils.to_numpy(scores), numpy_convnet_scores(x, params), name="scores",
                 function="framework.three_layer_convnet", against="the same network in NumPy")  # fmt: skip


def test_module_matches_the_functional_form(rng, torch_seed):
    params = convnet_params(rng, CONVNET)
    model = framework.ThreeLayerConvNet(**CONVNET)
    # nn.Linear keeps its weight as (out, in): the transpose of the NumPy layout.
    ordered = [params["W1"], params["b1"], params["W2"].T, params["b2"], params["W3"].T, params["b3"]]
    torch_utils.load_numpy(model, ordered)
    x = rng.standard_normal((4, 1, 8, 8))
    assert_close(torch_utils.forward_numpy(model, x), numpy_convnet_scores(x, params).astype(np.float32),
                 name="scores", function="ThreeLayerConvNet.forward", against="the same network in NumPy",
                 **FLOAT32)  # fmt: skip


@pytest.mark.parametrize(
    ("init", "expected"),
    [
        (dict(hidden_dims=[5, 4], input_dim=3, num_classes=2), [(5, 3), (5,), (4, 5), (4,), (2, 4), (2,)]),
        (dict(hidden_dims=[5], input_dim=3, num_classes=2, normalization="batchnorm", dropout_keep_ratio=0.5),
         [(5, 3), (5,), (5,), (5,), (2, 5), (2,)]),
    ],
    ids=["plain", "batchnorm-dropout"],
)  # fmt: skip
def test_fc_parameter_shapes_in_the_order_layers_run(init, expected, torch_seed):
    model = framework.FullyConnectedNet(**init)
    assert torch_utils.parameter_shapes(model) == expected


def test_fc_flattens_its_input(rng, torch_seed):
    model = framework.FullyConnectedNet([5], input_dim=12, num_classes=3)
    scores = torch_utils.forward_numpy(model, rng.standard_normal((2, 3, 4)))
    assert_shape(scores, (2, 3), name="scores", function="FullyConnectedNet.forward")


def dropout_net(keep: float, width: int) -> torch.nn.Module:
    """One hidden layer of `width` copies of the single input, then the identity plus 1: for an
    input of 2, a score is 1 when dropout dropped its unit and 1 + 2 / keep when it kept it."""
    model = framework.FullyConnectedNet([width], input_dim=1, num_classes=width, dropout_keep_ratio=keep)
    torch_utils.load_numpy(model, [np.ones((width, 1)), np.zeros(width), np.eye(width), np.ones(width)])
    return model


def test_dropout_drops_one_minus_keep_in_train_mode_only(torch_seed):
    keep = 0.75
    model = dropout_net(keep, 50)
    x = np.full((100, 1), 2.0)
    scores = torch_utils.forward_numpy(model, x, train=True)
    dropped = np.isclose(scores, 1.0)
    assert np.all(dropped | np.isclose(scores, 1 + 2 / keep)), "scores are 1 (dropped) or 1 + 2 / keep (kept, scaled)"
    assert abs(dropped.mean() - (1 - keep)) < 0.05, "nn.Dropout(p) takes the probability of dropping a unit"
    eval_scores = torch_utils.forward_numpy(model, x)
    assert_close(eval_scores, np.full((100, 50), 3.0, dtype=np.float32), name="scores in eval mode",
                 function="FullyConnectedNet.forward", against="the network without dropout")  # fmt: skip


def test_batchnorm_statistics_update_in_train_mode_only(rng, torch_seed):
    model = framework.FullyConnectedNet([4], input_dim=3, num_classes=2, normalization="batchnorm")
    x = 3 + 2 * rng.standard_normal((20, 3))
    w, b = torch_utils.parameters_numpy(model)[:2]
    hidden = x @ w.T.astype(np.float64) + b
    torch_utils.forward_numpy(model, x)
    mean, var = torch_utils.buffers_numpy(model)
    assert_close(mean, np.zeros(4, np.float32), name="running_mean after eval mode", function="FullyConnectedNet")
    torch_utils.forward_numpy(model, x, train=True)
    mean, var = torch_utils.buffers_numpy(model)
    # PyTorch's momentum 0.1 weighs the new batch; its running variance is the unbiased one.
    assert_close(mean, (0.1 * hidden.mean(axis=0)).astype(np.float32), name="running_mean after one train batch",
                 function="FullyConnectedNet", **FLOAT32)  # fmt: skip
    assert_close(var, (0.9 + 0.1 * hidden.var(axis=0, ddof=1)).astype(np.float32),
                 name="running_var after one train batch", function="FullyConnectedNet", **FLOAT32)  # fmt: skip


def test_eval_mode_scores_each_example_on_its_own(rng, torch_seed):
    model = framework.FullyConnectedNet(**BN_DROPOUT_NET)
    torch_utils.forward_numpy(model, rng.standard_normal((16, 6)), train=True)  # running statistics move off 0 and 1
    x = rng.standard_normal((8, 6))
    scores = torch_utils.forward_numpy(model, x)
    assert_close(torch_utils.forward_numpy(model, x), scores, name="scores of a second call",
                 function="FullyConnectedNet.forward (eval)", rtol=0, atol=0)  # fmt: skip
    assert_close(torch_utils.forward_numpy(model, x[:1]), scores[:1], name="scores of x[:1] alone",
                 function="FullyConnectedNet.forward (eval)", **FLOAT32)  # fmt: skip


def test_train_step_lowers_the_loss_in_train_mode(rng, torch_seed):
    model = framework.FullyConnectedNet([16], input_dim=6, num_classes=3, normalization="batchnorm")
    X, y = 1 + rng.standard_normal((32, 6)), rng.integers(3, size=32)
    model.eval()
    before = torch_utils.loss_numpy(model, X, y, train=True)
    optimizer = torch_utils.make_optimizer(model, "sgd", 0.1)
    loss = framework.train_step(model, optimizer, torch_utils.to_tensor(X), torch_utils.to_tensor(y))
    assert isinstance(loss, float), "train_step returns the loss as a Python float (loss.item())"
    assert model.training, "train_step puts the model in train mode"
    assert_close(loss, before, name="the returned loss", function="framework.train_step",
                 against="the loss before the update, in train mode", **FLOAT32)  # fmt: skip
    assert torch_utils.loss_numpy(model, X, y, train=True) < before


def test_check_accuracy_evaluates_in_eval_mode(rng, torch_seed):
    model = framework.FullyConnectedNet(**BN_DROPOUT_NET)
    torch_utils.forward_numpy(model, 2 + rng.standard_normal((16, 6)), train=True)
    X = 2 * rng.standard_normal((30, 6))
    predicted = torch_utils.forward_numpy(model, X).argmax(axis=1)
    y = np.where(np.arange(30) % 3 == 0, (predicted + 1) % 5, predicted)  # right on 2 of 3 in eval mode
    statistics = torch_utils.buffers_numpy(model)
    model.train()
    accuracy = framework.check_accuracy(model, X, y, batch_size=8)
    assert isinstance(accuracy, float)
    assert_close(accuracy, 2 / 3, name="accuracy", function="framework.check_accuracy", against="eval mode's")
    for before, after in zip(statistics, torch_utils.buffers_numpy(model)):
        assert_close(after, before, name="batch norm's running statistics", function="framework.check_accuracy",
                     against="theirs before (eval mode leaves them)", rtol=0, atol=0)  # fmt: skip


def test_train_histories(rng, torch_seed):
    data = {"X_train": rng.standard_normal((50, 4)), "y_train": rng.integers(3, size=50),
            "X_val": rng.standard_normal((10, 4)), "y_val": rng.integers(3, size=10)}  # fmt: skip
    history = framework.train(framework.FullyConnectedNet([8], input_dim=4, num_classes=3), data, batch_size=20,
                              num_epochs=3)  # fmt: skip
    assert {key: len(value) for key, value in history.items()} == {
        "loss_history": 9, "train_acc_history": 3, "val_acc_history": 3
    }  # fmt: skip


def test_trains_to_ninety_percent_on_the_digits(torch_seed):
    data = get_digits_data()
    model = framework.FullyConnectedNet([100], input_dim=64, num_classes=10, dropout_keep_ratio=0.8,
                                        normalization="batchnorm")  # fmt: skip
    history = framework.train(model, data, learning_rate=1e-2, num_epochs=5)
    assert history["val_acc_history"][-1] >= 0.9
    accuracy = np.mean(torch_utils.forward_numpy(model, data["X_test"]).argmax(axis=1) == data["y_test"])
    assert accuracy >= 0.9, f"held-out accuracy {accuracy:.1%}; the grader asks for 90%"

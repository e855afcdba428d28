"""Hidden checks of the PyTorch part: parameter shapes and counts, scores against the reference
with the same parameters, the train/eval switch (dropout, batch norm's statistics), training
steps, check_accuracy's mode, and a trained model's held-out accuracy.

The part needs PyTorch (its `requires` in grading.toml): where the grader's Python lacks it, no
check runs and the part is not graded. Torch objects cannot cross the sandbox's codec: models,
tensors and optimizers stay in the worker as handles, and the kit's `backprop.torch_utils` (staged
from the kit, never the student's) turns them into NumPy there. The reference modules are imported
on first use, once the hidden tests' plugin has made sure that PyTorch is installed.
"""

import importlib
import math

import numpy as np
import pytest

from autograder.sandbox.client import RemoteObject
from tests.support import cases
from tests.support.checks import assert_close, assert_shape

pytestmark = pytest.mark.framework

FC, CNN = "FullyConnectedNet", "ThreeLayerConvNet"
FLOAT32 = dict(rtol=1e-4, atol=1e-5)
"""Tolerance of float32 scores computed by the same layers in another order."""
ACCURACY_BAR = 0.90
"""Held-out accuracy on the embedded digits a trained model must reach (the reference: 0.96-0.99)."""
FC_NETS = [
    pytest.param(dict(hidden_dims=[7, 5], input_dim=6, num_classes=4), id="plain"),
    pytest.param(dict(hidden_dims=[6], input_dim=12, num_classes=3, normalization="batchnorm"), id="batchnorm"),
    pytest.param(dict(hidden_dims=[5, 6], input_dim=8, num_classes=3, normalization="layernorm",
                      dropout_keep_ratio=0.7), id="layernorm-dropout"),
    pytest.param(dict(hidden_dims=[9, 4, 5], input_dim=5, num_classes=6, normalization="batchnorm",
                      dropout_keep_ratio=0.5), id="batchnorm-dropout"),
]  # fmt: skip
BN_NET = dict(hidden_dims=[8, 6], input_dim=5, num_classes=4, normalization="batchnorm")
CNNS = [
    pytest.param(dict(input_dim=(3, 8, 6), num_filters=4, filter_size=3, hidden_dim=5, num_classes=3), id="filter3"),
    pytest.param(dict(input_dim=(2, 6, 6), num_filters=3, filter_size=5, hidden_dim=4, num_classes=5), id="filter5"),
]


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> None:
    """One PyTorch thread in this process too, as in the worker: small networks run faster on one
    thread than on two contending ones, and the replays that diagnose a failed check run here."""
    importlib.import_module("torch").set_num_threads(1)


class _OnFirstUse:
    """A module imported when one of its names is first used (collecting this file needs no PyTorch)."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attribute: str):
        if attribute.startswith("_"):  # collection probes objects for `__wrapped__`, `_mock_name` and the like
            raise AttributeError(attribute)
        return getattr(importlib.import_module(self._name), attribute)


reference = _OnFirstUse("backprop.framework")
utils = _OnFirstUse("backprop.torch_utils")
"""The reference and the kit's torch_utils, in this trusted process."""


def _input(rng: np.random.Generator, init: dict, N: int) -> np.ndarray:
    """N inputs for a net built with `init`: (N, D) for a fully-connected net, (N, C, H, W) for a ConvNet."""
    shape = init["input_dim"] if isinstance(init["input_dim"], tuple) else (init["input_dim"],)
    return rng.standard_normal((N, *shape))


def _labels(rng: np.random.Generator, init: dict, N: int) -> np.ndarray:
    return rng.integers(init["num_classes"], size=N)


def build(student, name: str, init: dict, seed: int = 0) -> RemoteObject:
    """The student's `framework.<name>(**init)`, built after seeding PyTorch's generator."""
    student.torch_utils.manual_seed(seed)
    model = getattr(student.framework, name)(**init)
    if not isinstance(model, RemoteObject):
        raise AssertionError(f"framework.{name}(...) should make an nn.Module, got {type(model).__name__}")
    return model


def expect(condition: bool, message: str) -> None:
    """Fail the check with `message` unless `condition` holds. An explicit AssertionError, not an
    `assert` statement: pytest adds object addresses to those, and the diagnosis compares messages."""
    __tracebackhide__ = True
    if not condition:
        raise AssertionError(message)


def assert_same_shapes(student, model: RemoteObject, expected, name: str) -> None:
    """Assert the student's model has the reference's parameter shapes, in the same order."""
    __tracebackhide__ = True
    got = [tuple(shape) for shape in student.torch_utils.parameter_shapes(model)]
    want = [tuple(p.shape) for p in expected.parameters()]
    if got != want:
        count, expected_count = sum(math.prod(shape) for shape in got), sum(math.prod(shape) for shape in want)
        raise AssertionError(
            f"framework.{name}: the parameters, in the order the model registers them (model.parameters()), "
            f"have shapes\n  {got} ({count} numbers)\nexpected\n  {want} ({expected_count} numbers)\nBuild the "
            "layers in the order they run (nn.Linear keeps its weight as (out, in)), each affine layer with its "
            "bias and each normalization layer with its weight and bias."
        )


def random_state(rng: np.random.Generator, model) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Random parameters and batch-norm statistics for the reference `model`'s shapes."""
    parameters = [0.4 * rng.standard_normal(tuple(p.shape)) for p in model.parameters()]
    buffers = [
        rng.uniform(0.5, 2.0, size=b.shape) if name.endswith("running_var") else rng.standard_normal(b.shape)
        for name, b in model.named_buffers()
        if b.is_floating_point()
    ]
    return parameters, buffers


def twins(student, name: str, init: dict, rng: np.random.Generator):
    """The student's model and the reference's, with the same random parameters and statistics."""
    model = build(student, name, init)
    expected = getattr(reference, name)(**init)
    assert_same_shapes(student, model, expected, name)
    parameters, buffers = random_state(rng, expected)
    student.torch_utils.load_numpy(model, parameters, buffers)
    utils.load_numpy(expected, parameters, buffers)
    return model, expected


def assert_buffers_close(student, model: RemoteObject, expected, function: str, when: str) -> None:
    """Assert the student's batch-norm statistics are close to the reference model's."""
    __tracebackhide__ = True
    got, want = student.torch_utils.buffers_numpy(model), utils.buffers_numpy(expected)
    expect(len(got) == len(want), f"{function}: the model has {len(got)} batch-norm statistics, expected {len(want)}")
    for index, (value, target) in enumerate(zip(got, want)):
        kind = "running_mean" if index % 2 == 0 else "running_var"
        assert_close(value, target, name=f"the {kind} of batch-norm layer {index // 2 + 1} {when}", function=function,
                     against="the reference's (nn.BatchNorm1d's defaults: momentum 0.1 weighs the new batch)",
                     **FLOAT32)  # fmt: skip


# --- shapes ---------------------------------------------------------------------------------------
@pytest.mark.check("shape")
@pytest.mark.parametrize("init", FC_NETS)
def test_fc_parameter_shapes_and_scores_shape(student, rng, init):
    model = build(student, FC, init)
    assert_same_shapes(student, model, reference.FullyConnectedNet(**init), FC)
    scores = student.torch_utils.forward_numpy(model, _input(rng, init, 4))
    assert_shape(scores, (4, init["num_classes"]), name="scores", function=f"{FC}.forward", hint="(N, num_classes)")


@pytest.mark.check("shape")
def test_fc_flattens_its_input(student, rng):
    init = dict(hidden_dims=[5], input_dim=12, num_classes=3)
    scores = student.torch_utils.forward_numpy(build(student, FC, init), rng.standard_normal((2, 3, 4)))
    assert_shape(scores, (2, 3), name="scores", function=f"{FC}.forward",
                 hint="(an (N, 3, 4) input is flattened to (N, 12) first)")  # fmt: skip


@pytest.mark.check("shape")
@pytest.mark.parametrize("init", CNNS)
def test_convnet_parameter_shapes_and_scores_shape(student, rng, init):
    model = build(student, CNN, init)
    assert_same_shapes(student, model, reference.ThreeLayerConvNet(**init), CNN)
    scores = student.torch_utils.forward_numpy(model, _input(rng, init, 3))
    assert_shape(scores, (3, init["num_classes"]), name="scores", function=f"{CNN}.forward", hint="(N, num_classes)")


def _numpy_convnet(init: dict, rng: np.random.Generator):
    """The NumPy reference ThreeLayerConvNet (float64) with random parameters."""
    from backprop.classifiers.cnn import ThreeLayerConvNet

    model = ThreeLayerConvNet(**init, dtype=np.float64)
    model.params = cases.random_params(rng, {name: value.shape for name, value in model.params.items()})
    return model


def _functional_scores(student, x: np.ndarray, params: dict) -> object:
    """The student's three_layer_convnet on float64 tensors, as NumPy (or what it returned instead)."""
    x_tensor, *tensors = student.torch_utils.to_tensor.each([(value, "float64") for value in (x, *params.values())])
    returned = student.framework.three_layer_convnet(x_tensor, dict(zip(params, tensors)))
    if not (isinstance(returned, RemoteObject) and returned.type_name == "Tensor"):
        got = returned.type_name if isinstance(returned, RemoteObject) else type(returned).__name__
        raise AssertionError(f"framework.three_layer_convnet should return the scores as a tensor, got {got}")
    return student.torch_utils.to_numpy(returned)


@pytest.mark.check("shape")
@pytest.mark.parametrize("init", CNNS)
def test_functional_scores_shape(student, rng, init):
    x = _input(rng, init, 2)
    scores = _functional_scores(student, x, _numpy_convnet(init, rng).params)
    assert_shape(scores, (2, init["num_classes"]), name="scores", function="framework.three_layer_convnet")


# --- values against the reference -----------------------------------------------------------------
@pytest.mark.check("value")
@pytest.mark.parametrize("init", CNNS)
def test_functional_matches_the_numpy_convnet(student, rng, init):
    model = _numpy_convnet(init, rng)
    x = _input(rng, init, 3)
    assert_close(_functional_scores(student, x, model.params), model.loss(x), name="scores",
                 function="framework.three_layer_convnet",
                 against="classifiers.cnn.ThreeLayerConvNet.loss(X) with the same (float64) parameters")  # fmt: skip


@pytest.mark.check("value")
@pytest.mark.parametrize("init", CNNS)
def test_convnet_scores_match_reference(student, rng, init):
    model, expected = twins(student, CNN, init, rng)
    x = _input(rng, init, 3)
    assert_close(student.torch_utils.forward_numpy(model, x), utils.forward_numpy(expected, x), name="scores",
                 function=f"{CNN}.forward", against="the reference's with the same parameters", **FLOAT32)  # fmt: skip


@pytest.mark.check("value")
@pytest.mark.parametrize("init", FC_NETS)
def test_fc_eval_scores_match_reference(student, rng, init):
    model, expected = twins(student, FC, init, rng)
    x = _input(rng, init, 6)
    assert_close(student.torch_utils.forward_numpy(model, x), utils.forward_numpy(expected, x), name="scores",
                 function=f"{FC}.forward (eval mode: batch norm on its running statistics, no dropout)",
                 against="the reference's with the same parameters and statistics", **FLOAT32)  # fmt: skip


@pytest.mark.check("value")
@pytest.mark.parametrize("init", [p for p in FC_NETS if "dropout_keep_ratio" not in p.values[0]])
def test_fc_train_scores_match_reference(student, rng, init):
    model, expected = twins(student, FC, init, rng)
    x = _input(rng, init, 6)
    got = student.torch_utils.forward_numpy(model, x, train=True)
    assert_close(got, utils.forward_numpy(expected, x, train=True), name="scores",
                 function=f"{FC}.forward (train mode: batch norm on the batch's statistics)",
                 against="the reference's with the same parameters", **FLOAT32)  # fmt: skip


# --- the train/eval switch ------------------------------------------------------------------------
@pytest.mark.check("edge")
def test_eval_mode_is_deterministic_and_per_example(student, rng):
    init = dict(hidden_dims=[9, 7], input_dim=6, num_classes=5, normalization="batchnorm", dropout_keep_ratio=0.5)
    model, _ = twins(student, FC, init, rng)
    x = _input(rng, init, 8)
    function = f"{FC}.forward in eval mode"
    first = student.torch_utils.forward_numpy(model, x)
    assert_close(student.torch_utils.forward_numpy(model, x), first, name="scores of a second call", function=function,
                 against="the first call's (eval mode has no dropout)", rtol=0, atol=0)  # fmt: skip
    alone = student.torch_utils.forward_numpy(model, x[:1])
    assert_close(alone, first[:1], name="the scores of x[:1] alone", function=function,
                 against="its row in the scores of the whole batch (eval mode uses the running statistics, not "
                 "the batch's)", **FLOAT32)  # fmt: skip


DROPOUT_WIDTH, DROPOUT_N = 40, 200
KEEP_RATIOS = [pytest.param(0.75, id="keep0.75"), pytest.param(0.4, id="keep0.4")]


def _dropout_net(student, keep: float) -> RemoteObject:
    """One hidden layer of DROPOUT_WIDTH units, each a copy of the single input, then the identity plus 1.

    For an input of 2, a unit's score is 1 when dropout dropped it and 1 + 2 / keep when it kept it.
    """
    init = dict(hidden_dims=[DROPOUT_WIDTH], input_dim=1, num_classes=DROPOUT_WIDTH, dropout_keep_ratio=keep)
    model = build(student, FC, init)
    assert_same_shapes(student, model, reference.FullyConnectedNet(**init), FC)
    ones, identity = np.ones((DROPOUT_WIDTH, 1)), np.eye(DROPOUT_WIDTH)
    student.torch_utils.load_numpy(model, [ones, np.zeros(DROPOUT_WIDTH), identity, np.ones(DROPOUT_WIDTH)])
    return model


@pytest.mark.check("edge")
@pytest.mark.parametrize("keep", KEEP_RATIOS)
def test_train_mode_applies_dropout_after_each_hidden_relu(student, keep):
    model = _dropout_net(student, keep)
    x = np.full((DROPOUT_N, 1), 2.0)
    function = f"{FC}(dropout_keep_ratio={keep}).forward in train mode"
    scores = np.asarray(student.torch_utils.forward_numpy(model, x, train=True), dtype=np.float64)
    assert_shape(scores, (DROPOUT_N, DROPOUT_WIDTH), name="scores", function=function)
    kept_value = 1 + 2 / keep
    dropped, kept = np.isclose(scores, 1.0, atol=1e-5), np.isclose(scores, kept_value, rtol=1e-5)
    found = ", ".join(f"{value:.4g}" for value in np.unique(np.round(scores, 4))[:6])
    expect(
        bool((dropped | kept).all()),
        f"{function}: with every hidden unit equal to 2 and the last layer the identity plus 1, each score should be "
        f"1 (unit dropped) or 1 + 2 / keep = {kept_value:.4g} (unit kept and scaled by 1 / keep); found {found}. "
        "Dropout goes after each hidden ReLU (not after the last affine layer), and nn.Dropout scales the kept units.",
    )
    fraction = dropped.mean()
    expect(
        abs(fraction - (1 - keep)) < 0.05,
        f"{function}: {fraction:.1%} of the units were dropped, expected about {1 - keep:.0%}. nn.Dropout(p) "
        "takes the probability of DROPPING a unit; dropout_keep_ratio is the probability of keeping it.",
    )
    whole_rows = np.mean(dropped.all(axis=1) | kept.all(axis=1))
    expect(
        whole_rows < 0.5,
        f"{function}: in {whole_rows:.0%} of the examples every unit was dropped or every unit kept: dropout should "
        "drop each hidden unit on its own, after the ReLU, not the input.",
    )
    again = student.torch_utils.forward_numpy(model, x, train=True)
    expect(not np.array_equal(again, scores), f"{function}: two calls drew the same dropout mask")


@pytest.mark.check("edge")
def test_eval_mode_turns_dropout_off(student):
    keep = 0.75
    model = _dropout_net(student, keep)
    model.train()  # forward_numpy switches it to eval mode: F.dropout must follow the switch (training=...)
    scores = student.torch_utils.forward_numpy(model, np.full((5, 1), 2.0))
    assert_close(scores, np.full((5, DROPOUT_WIDTH), 3.0, dtype=np.float32), name="scores",
                 function=f"{FC}(dropout_keep_ratio={keep}).forward in eval mode",
                 against="the scores without dropout (in eval mode nn.Dropout is the identity)", **FLOAT32)  # fmt: skip


@pytest.mark.check("state")
def test_train_mode_updates_the_batchnorm_statistics(student, rng):
    model, expected = twins(student, FC, BN_NET, rng)
    x = _input(rng, BN_NET, 10) * 2 + 1
    student.torch_utils.forward_numpy(model, x, train=True)
    utils.forward_numpy(expected, x, train=True)
    assert_buffers_close(student, model, expected, f"{FC}.forward in train mode", "after one batch")


@pytest.mark.check("state")
def test_eval_mode_keeps_the_batchnorm_statistics(student, rng):
    model, expected = twins(student, FC, BN_NET, rng)
    student.torch_utils.forward_numpy(model, _input(rng, BN_NET, 10) * 2 + 1)
    assert_buffers_close(student, model, expected, f"{FC}.forward in eval mode", "after one batch")


# --- training -------------------------------------------------------------------------------------
def _step(student, model, X: np.ndarray, y: np.ndarray, optimizer: RemoteObject) -> float:
    """The student's train_step on (X, y), checked to return a Python float."""
    loss = student.framework.train_step(model, optimizer, *student.torch_utils.to_tensor.each([(X,), (y,)]))
    if not isinstance(loss, float):
        got = loss.type_name if isinstance(loss, RemoteObject) else type(loss).__name__
        raise AssertionError(f"framework.train_step should return the loss as a Python float (loss.item()), got {got}")
    return loss


@pytest.mark.check("value")
@pytest.mark.parametrize("init", [pytest.param(BN_NET, id="batchnorm"), pytest.param(CNNS[0].values[0], id="convnet")])
def test_two_train_steps_match_reference(student, rng, init):
    name = CNN if "filter_size" in init else FC
    model, expected = twins(student, name, init, rng)
    optimizer = student.torch_utils.make_optimizer(model, "sgd", 0.1)
    expected_optimizer = utils.make_optimizer(expected, "sgd", 0.1)
    X, y = _input(rng, init, 6), _labels(rng, init, 6)
    for step in ("first", "second"):
        loss = _step(student, model, X, y, optimizer)
        expected_loss = reference.train_step(expected, expected_optimizer, utils.to_tensor(X), utils.to_tensor(y))
        function = f"framework.train_step ({step} step, SGD on {name})"
        assert_close(loss, expected_loss, name="the returned loss", function=function,
                     against="the reference's (the loss before the update)", **FLOAT32)  # fmt: skip
        got = student.torch_utils.parameters_numpy(model)
        for index, (value, target) in enumerate(zip(got, utils.parameters_numpy(expected))):
            assert_close(value, target, name=f"parameter {index} after the update", function=function,
                         against="the reference's (are the old gradients cleared before each backward pass?)",
                         **FLOAT32)  # fmt: skip


@pytest.mark.check("value")
def test_one_step_lowers_the_loss_on_a_fixed_batch(student, rng):
    init = dict(input_dim=(1, 8, 8), num_filters=6, filter_size=3, hidden_dim=20, num_classes=10)
    model = build(student, CNN, init, seed=3)
    X, y = _input(rng, init, 32), _labels(rng, init, 32)
    before = student.torch_utils.loss_numpy(model, X, y)
    _step(student, model, X, y, student.torch_utils.make_optimizer(model, "sgd", 0.05))
    after = student.torch_utils.loss_numpy(model, X, y)
    expect(
        after < before - 1e-4,
        f"framework.train_step: one SGD step (learning rate 0.05) on a fixed batch took the loss from {before:.5f} "
        f"to {after:.5f}; it should go down. Clear the gradients, backpropagate the loss, then step the optimizer.",
    )


@pytest.mark.check("edge")
def test_train_step_switches_to_train_mode(student, rng):
    model, expected = twins(student, FC, BN_NET, rng)
    X, y = _input(rng, BN_NET, 8) * 2 + 1, _labels(rng, BN_NET, 8)
    model.eval()
    optimizer = student.torch_utils.make_optimizer(model, "sgd", 0.1)
    loss = _step(student, model, X, y, optimizer)
    expected.eval()
    expected_loss = reference.train_step(expected, utils.make_optimizer(expected, "sgd", 0.1), utils.to_tensor(X),
                                         utils.to_tensor(y))  # fmt: skip
    function = "framework.train_step on a model left in eval mode"
    assert_close(loss, expected_loss, name="the returned loss", function=function, **FLOAT32,
                 against="the reference's, which puts the model in train mode first (batch statistics)")  # fmt: skip
    assert_buffers_close(student, model, expected, function, "after the step (train mode updates them)")


def _accuracy_case(student, rng):
    """A batch-norm and dropout net whose running statistics are far from the batch's, and labels
    on which the eval-mode accuracy is exactly 2/3."""
    init = dict(hidden_dims=[12, 10], input_dim=6, num_classes=5, normalization="batchnorm", dropout_keep_ratio=0.5)
    model, expected = twins(student, FC, init, rng)
    X = _input(rng, init, 45) * 3 + 2
    predicted = utils.forward_numpy(expected, X).argmax(axis=1)
    y = np.where(np.arange(45) % 3 == 2, (predicted + 1) % 5, predicted)
    return model, expected, X, y


@pytest.mark.check("edge")
def test_check_accuracy_uses_eval_mode(student, rng):
    model, _, X, y = _accuracy_case(student, rng)
    model.train()
    accuracy = student.framework.check_accuracy(model, X, y, batch_size=7)
    got = type(accuracy).__name__
    expect(isinstance(accuracy, float), f"framework.check_accuracy should return a Python float, got {got}")
    expect(
        abs(accuracy - 2 / 3) < 1e-9,
        f"framework.check_accuracy returned {accuracy:.4f} on examples where the model in eval mode is right "
        "exactly 2/3 of the time (45 examples, batch_size=7). Evaluate in eval mode (no dropout, batch norm on its "
        "running statistics), count every example once, and divide by N.",
    )


@pytest.mark.check("state")
def test_check_accuracy_keeps_the_batchnorm_statistics(student, rng):
    model, expected, X, y = _accuracy_case(student, rng)
    student.framework.check_accuracy(model, X, y)
    function = "framework.check_accuracy"
    assert_buffers_close(student, model, expected, function, "after it ran (eval mode keeps them)")


@pytest.mark.check("shape")
def test_train_returns_its_histories(student, rng):
    init = dict(hidden_dims=[10], input_dim=7, num_classes=3)
    data = {"X_train": _input(rng, init, 70), "y_train": _labels(rng, init, 70),
            "X_val": _input(rng, init, 20), "y_val": _labels(rng, init, 20)}  # fmt: skip
    history = student.framework.train(build(student, FC, init), data, batch_size=16, num_epochs=2)
    function = "framework.train (70 examples, batch_size=16, num_epochs=2)"
    expect(isinstance(history, dict), f"{function} should return a dict of histories, got {type(history).__name__}")
    lengths = {key: len(value) for key, value in history.items() if isinstance(value, (list, tuple))}
    expected = {"loss_history": 10, "train_acc_history": 2, "val_acc_history": 2}
    expect(
        lengths == expected,
        f"{function}: expected histories of lengths {expected} (one loss per minibatch, one accuracy per epoch), "
        f"got {lengths}",
    )
    accuracies = [value for key in ("train_acc_history", "val_acc_history") for value in history[key]]
    expect(all(0 <= value <= 1 for value in accuracies), f"{function}: accuracies lie in [0, 1], got {accuracies}")


@pytest.fixture(scope="module")
def digits():
    from backprop.data_utils import get_digits_data

    return get_digits_data()


@pytest.mark.check("value")
@pytest.mark.parametrize(
    ("name", "init", "settings"),
    [
        pytest.param(FC, dict(hidden_dims=[100], input_dim=64, num_classes=10, dropout_keep_ratio=0.8,
                              normalization="batchnorm"), dict(learning_rate=1e-2), id="fc-batchnorm-dropout"),
        pytest.param(CNN, dict(input_dim=(1, 8, 8), num_filters=16, filter_size=3, hidden_dim=64, num_classes=10),
                     dict(learning_rate=3e-3), id="convnet"),
    ],
)  # fmt: skip
def test_trained_model_reaches_the_accuracy_bar(student, digits, name, init, settings):
    model = build(student, name, init)
    training = {key: digits[key] for key in ("X_train", "y_train", "X_val", "y_val")}
    student.framework.train(model, training, batch_size=64, num_epochs=5, seed=0, **settings)
    predicted = student.torch_utils.forward_numpy(model, digits["X_test"]).argmax(axis=1)
    accuracy = float(np.mean(predicted == digits["y_test"]))
    expect(
        accuracy >= ACCURACY_BAR,
        f"framework.train: {name} trained on the digits ({len(digits['X_train'])} examples, 5 epochs, {settings}) "
        f"classifies {accuracy:.1%} of the {len(digits['X_test'])} held-out test digits correctly, in eval mode; "
        f"it should reach {ACCURACY_BAR:.0%} (the reference reaches 96-99%).",
    )

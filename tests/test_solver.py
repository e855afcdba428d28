"""The provided Solver, driving a small linear classifier defined here (no student code needed)."""

import pickle

import numpy as np
import pytest

from backprop.solver import Solver

pytestmark = pytest.mark.provided

NUM_CLASSES = 3


class LinearSoftmax:
    """scores = X @ W + b with a softmax loss, written out here so that the Solver's tests do not
    depend on any layer a student writes."""

    def __init__(self, rng: np.random.Generator, input_dim: int = 2) -> None:
        self.params = {
            "W": 0.01 * rng.standard_normal((input_dim, NUM_CLASSES)),
            "b": np.zeros(NUM_CLASSES),
        }

    def loss(self, X: np.ndarray, y: np.ndarray | None = None):
        scores = X @ self.params["W"] + self.params["b"]
        if y is None:
            return scores
        probs = np.exp(scores - scores.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        rows = np.arange(len(y))
        loss = -np.log(probs[rows, y]).mean()
        dscores = probs
        dscores[rows, y] -= 1
        dscores /= len(y)
        return loss, {"W": X.T @ dscores, "b": dscores.sum(axis=0)}


def blobs(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n points in 2-D around three far-apart centres, and their labels."""
    centres = np.array([[0.0, 4.0], [4.0, -2.0], [-4.0, -2.0]])
    y = rng.integers(NUM_CLASSES, size=n)
    return centres[y] + 0.5 * rng.standard_normal((n, 2)), y


@pytest.fixture
def data(rng):
    X_train, y_train = blobs(rng, 60)
    X_val, y_val = blobs(rng, 30)
    return {"X_train": X_train, "y_train": y_train, "X_val": X_val, "y_val": y_val}


def make_solver(rng, data, **kwargs) -> Solver:
    settings = dict(
        optim_config={"learning_rate": 0.5}, batch_size=10, num_epochs=4, verbose=False, seed=0
    )
    return Solver(LinearSoftmax(rng), data, **{**settings, **kwargs})


def test_training_separates_the_blobs(rng, data):
    solver = make_solver(rng, data)
    solver.train()
    assert solver.loss_history[-1] < solver.loss_history[0] / 2
    assert solver.train_acc_history[-1] >= 0.95
    assert solver.best_val_acc >= 0.95


def test_histories_have_one_entry_per_iteration_and_per_epoch(rng, data):
    solver = make_solver(rng, data, num_epochs=3)
    solver.train()
    assert len(solver.loss_history) == 3 * (60 // 10)
    assert len(solver.train_acc_history) == len(solver.val_acc_history) == 3 + 1  # and at the start
    assert solver.epoch == 3


def test_learning_rate_decays_once_per_epoch(rng, data):
    solver = make_solver(rng, data, num_epochs=3, lr_decay=0.5)
    solver.train()
    for name, config in solver.optim_configs.items():
        assert config["learning_rate"] == pytest.approx(0.5 * 0.5**3), name


def test_best_parameters_are_restored(rng, data):
    solver = make_solver(rng, data)
    solver.train()
    assert solver.best_val_acc == max(solver.val_acc_history)
    for name, value in solver.best_params.items():
        np.testing.assert_array_equal(solver.model.params[name], value)


def test_same_seed_same_run(rng, data):
    model = LinearSoftmax(rng)
    initial = {name: value.copy() for name, value in model.params.items()}
    histories = []
    for _ in range(2):
        model.params = {name: value.copy() for name, value in initial.items()}
        solver = Solver(
            model,
            data,
            optim_config={"learning_rate": 0.5},
            batch_size=10,
            num_epochs=2,
            verbose=False,
            seed=3,
        )
        solver.train()
        histories.append(solver.loss_history)
    assert histories[0] == histories[1]


def test_check_accuracy(rng, data):
    solver = make_solver(rng, data)
    solver.train()
    accuracy = solver.check_accuracy(data["X_val"], data["y_val"], batch_size=7)
    assert 0.95 <= accuracy <= 1.0
    assert 0.0 <= solver.check_accuracy(data["X_val"], data["y_val"], num_samples=5) <= 1.0


def test_verbose_prints_progress(rng, data, capsys):
    make_solver(rng, data, num_epochs=1, verbose=True, print_every=1).train()
    printed = capsys.readouterr().out
    assert "(Epoch 0 / 1)" in printed and "(Iteration 1 / 6)" in printed


def test_checkpoints_are_written(rng, data, tmp_path):
    make_solver(rng, data, num_epochs=1, checkpoint_name=str(tmp_path / "run")).train()
    with open(tmp_path / "run_epoch_1.pkl", "rb") as f:
        checkpoint = pickle.load(f)
    assert checkpoint["epoch"] == 1 and len(checkpoint["loss_history"]) == 6


@pytest.mark.parametrize("kwargs", [{"learning_rate": 0.1}, {"update_rule": "no_such_rule"}])
def test_bad_arguments_raise(rng, data, kwargs):
    with pytest.raises(ValueError):
        Solver(LinearSoftmax(rng), data, **kwargs)

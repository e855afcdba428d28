"""The provided data loaders: the embedded digits, and CIFAR-10 from a tiny fake copy."""

import pickle

import numpy as np
import pytest

from backprop import data_utils

pytestmark = pytest.mark.provided

SPLITS = ("train", "val", "test")


def test_load_digits():
    X, y = data_utils.load_digits()
    assert X.shape == (1797, 1, 8, 8) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(y)) == set(range(10))


def test_get_digits_data_splits():
    data = data_utils.get_digits_data(num_training=100, num_validation=30, num_test=20)
    for split, n in zip(SPLITS, (100, 30, 20)):
        assert data[f"X_{split}"].shape == (n, 1, 8, 8), split
        assert data[f"y_{split}"].shape == (n,), split
        assert data[f"X_{split}"].dtype == np.float64 and data[f"y_{split}"].dtype == np.int64
    np.testing.assert_allclose(
        data["X_train"].mean(axis=0), 0.0, atol=1e-12
    )  # mean image subtracted


def test_get_digits_data_is_repeatable_per_seed():
    first, again = data_utils.get_digits_data(seed=1), data_utils.get_digits_data(seed=1)
    other = data_utils.get_digits_data(seed=2)
    np.testing.assert_array_equal(first["y_train"], again["y_train"])
    assert not np.array_equal(first["y_train"], other["y_train"])


def test_get_digits_data_refuses_too_many_images():
    with pytest.raises(ValueError):
        data_utils.get_digits_data(num_training=1700, num_validation=100)


def write_fake_cifar10(folder, rng: np.random.Generator, per_batch: int = 2, test: int = 3) -> None:
    """data_batch_1..5 and test_batch in CIFAR-10's python format: pickled dicts whose `data`
    rows hold 1024 red, then 1024 green, then 1024 blue values of a 32x32 image."""
    folder.mkdir()
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name, n in zip(names, [per_batch] * 5 + [test]):
        batch = {
            "data": rng.integers(0, 256, size=(n, 3072), dtype=np.uint8),
            "labels": [int(label) for label in rng.integers(10, size=n)],
        }
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f)


def test_load_cifar10_from_the_python_batches(tmp_path, rng):
    root = tmp_path / "cifar-10-batches-py"
    write_fake_cifar10(root, rng)
    X_train, y_train, X_test, y_test = data_utils.load_CIFAR10(str(root))
    assert X_train.shape == (10, 32, 32, 3) and y_train.shape == (10,)
    assert X_test.shape == (3, 32, 32, 3) and y_test.shape == (3,)
    with open(root / "data_batch_2", "rb") as f:
        batch = pickle.load(f)
    first_image = batch["data"][0].reshape(3, 32, 32)  # channels first in the file
    np.testing.assert_array_equal(X_train[2], first_image.transpose(1, 2, 0))  # channels last
    np.testing.assert_array_equal(y_train[2:4], batch["labels"])


def test_get_cifar10_data_from_a_folder(tmp_path, rng):
    root = tmp_path / "cifar-10-batches-py"
    write_fake_cifar10(root, rng)
    data = data_utils.get_CIFAR10_data(
        num_training=6, num_validation=2, num_test=2, cifar10_dir=str(root)
    )
    for split, n in zip(SPLITS, (6, 2, 2)):
        assert data[f"X_{split}"].shape == (n, 3, 32, 32), split
    X_train, _, _, _ = data_utils.load_CIFAR10(str(root))
    mean_image = X_train[:6].mean(axis=0).transpose(2, 0, 1)
    expected_val = X_train[6:8].transpose(0, 3, 1, 2) - mean_image  # images 6 and 7 validate
    np.testing.assert_allclose(data["X_val"], expected_val, atol=1e-9)


def test_missing_cifar10_says_how_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="cifar-10-python.tar.gz"):
        data_utils.load_CIFAR10(str(tmp_path / "nowhere"))


def test_get_data_falls_back_to_the_digits(tmp_path, capsys):
    data = data_utils.get_data(
        num_training=50, num_validation=10, num_test=10, cifar10_dir=str(tmp_path / "nowhere")
    )
    assert data["X_train"].shape == (50, 1, 8, 8)
    assert "digits" in capsys.readouterr().out

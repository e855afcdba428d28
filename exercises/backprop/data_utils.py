"""Data sets: CIFAR-10 as in CS231n, and embedded 8x8 digits that need no download.

Both ``get_CIFAR10_data`` and ``get_digits_data`` return the same dict: ``X_train``, ``y_train``,
``X_val``, ``y_val``, ``X_test``, ``y_test``, images channels first (N, C, H, W) as float64 and
labels as int64 (N,). ``get_data`` picks CIFAR-10 when it has been downloaded, else the digits.
"""

import os
import pickle
import shlex

import numpy as np

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_ENV_VAR = "BACKPROP_CIFAR10_DIR"
DEFAULT_CIFAR10_DIR = os.path.join("datasets", "cifar-10-batches-py")
DIGITS_PATH = os.path.join(os.path.dirname(__file__), "datasets", "digits.npz")


def load_CIFAR_batch(filename: str) -> tuple[np.ndarray, np.ndarray]:
    """Load one CIFAR-10 python batch file (a pickled dict with ``data`` and ``labels``).

    Args:
        filename: path to ``data_batch_i`` or ``test_batch``.

    Returns:
        X: (N, 32, 32, 3) float64 images, channels last, values 0..255.
        y: (N,) int64 labels in 0..9.
    """
    with open(filename, "rb") as f:
        batch = pickle.load(f, encoding="latin1")
    data = batch["data"] if "data" in batch else batch[b"data"]
    labels = batch["labels"] if "labels" in batch else batch[b"labels"]
    X = np.asarray(data).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).astype(np.float64)
    y = np.asarray(labels, dtype=np.int64)
    return X, y


def _resolve_cifar10_dir(cifar10_dir: str | None) -> str:
    """The CIFAR-10 folder: ``cifar10_dir``, else $BACKPROP_CIFAR10_DIR, else the default.

    The default, ``datasets/cifar-10-batches-py``, is relative to the working directory.
    """
    if cifar10_dir is not None:
        return cifar10_dir
    return os.environ.get(CIFAR10_ENV_VAR) or DEFAULT_CIFAR10_DIR


def _download_hint(root: str) -> str:
    """Where to download CIFAR-10 from and where to extract it so that it lands in ``root``."""
    parent = os.path.dirname(os.path.abspath(root))
    return f"download {CIFAR10_URL} (about 170 MB) and extract it into {parent!r}"


def _cifar10_missing_message(root: str) -> str:
    """How to get CIFAR-10 into ``root`` (CS231n's get_datasets.sh step)."""
    parent = shlex.quote(os.path.dirname(os.path.abspath(root)))
    return (
        f"CIFAR-10 not found: no folder {root!r}. To get it, {_download_hint(root)}; the archive "
        f"holds the folder 'cifar-10-batches-py' with data_batch_1..5 and test_batch. E.g.\n"
        f"    mkdir -p {parent} && curl -L {CIFAR10_URL} | tar -xz -C {parent}\n"
        f"Or point ${CIFAR10_ENV_VAR} at an existing cifar-10-batches-py folder. "
        f"Without CIFAR-10, get_data() uses the embedded 8x8 digits."
    )


def load_CIFAR10(root: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load all of CIFAR-10 from the folder of python batches.

    Args:
        root: folder holding ``data_batch_1`` .. ``data_batch_5`` and ``test_batch``.

    Returns:
        X_train: (50000, 32, 32, 3) float64. y_train: (50000,) int64.
        X_test: (10000, 32, 32, 3) float64. y_test: (10000,) int64.

    Raises:
        FileNotFoundError: when ``root`` is not a folder; the message says how to download it.
    """
    if not os.path.isdir(root):
        raise FileNotFoundError(_cifar10_missing_message(root))
    batches = [load_CIFAR_batch(os.path.join(root, f"data_batch_{i}")) for i in range(1, 6)]
    X_train = np.concatenate([X for X, _ in batches])
    y_train = np.concatenate([y for _, y in batches])
    del batches  # free the per-batch arrays before loading the test batch
    X_test, y_test = load_CIFAR_batch(os.path.join(root, "test_batch"))
    return X_train, y_train, X_test, y_test


def _finish_splits(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    subtract_mean: bool,
) -> dict[str, np.ndarray]:
    """Subtract the training mean image and pack the splits into a dict.

    The subtraction is in place: pass arrays that nothing else holds.
    """
    if subtract_mean:
        mean_image = X_train.mean(axis=0)
        for X in (X_train, X_val, X_test):
            X -= mean_image
    return {
        "X_train": X_train,
        "y_train": y_train,
        "X_val": X_val,
        "y_val": y_val,
        "X_test": X_test,
        "y_test": y_test,
    }


def _check_split_sizes(sizes: dict[str, int], available: int, what: str) -> None:
    """Raise ValueError unless every size is non-negative and together they fit ``available``."""
    if any(n < 0 for n in sizes.values()) or sum(sizes.values()) > available:
        listed = ", ".join(f"{name}={n}" for name, n in sizes.items())
        raise ValueError(f"{what} has {available} images; cannot split {listed}")


def _channels_first(X: np.ndarray) -> np.ndarray:
    """A contiguous copy of (N, H, W, C) images as (N, C, H, W)."""
    return np.ascontiguousarray(X.transpose(0, 3, 1, 2))


def get_CIFAR10_data(
    num_training: int = 49000,
    num_validation: int = 1000,
    num_test: int = 1000,
    subtract_mean: bool = True,
    cifar10_dir: str | None = None,
) -> dict[str, np.ndarray]:
    """CIFAR-10, split and preprocessed for the classifiers, as in CS231n.

    Training images 0..num_training-1 train, the next num_validation validate; the first num_test
    test images test. The mean image of the training split is subtracted from all three.

    Args:
        num_training: size of the training split.
        num_validation: size of the validation split (num_training + num_validation <= 50000).
        num_test: size of the test split (<= 10000).
        subtract_mean: subtract the training mean image.
        cifar10_dir: the folder of python batches; default $BACKPROP_CIFAR10_DIR, else
            ``datasets/cifar-10-batches-py`` relative to the working directory.

    Returns:
        dict with X_train (num_training, 3, 32, 32), y_train (num_training,), X_val, y_val,
        X_test, y_test; float64 images, int64 labels.

    Raises:
        FileNotFoundError: when the folder is missing; the message says how to download it.
        ValueError: when the split sizes do not fit.
    """
    X_all, y_all, X_test_all, y_test_all = load_CIFAR10(_resolve_cifar10_dir(cifar10_dir))
    train_sizes = {"num_training": num_training, "num_validation": num_validation}
    _check_split_sizes(train_sizes, len(X_all), "The CIFAR-10 training set")
    _check_split_sizes({"num_test": num_test}, len(X_test_all), "The CIFAR-10 test set")

    end_val = num_training + num_validation
    return _finish_splits(
        _channels_first(X_all[:num_training]),
        y_all[:num_training].copy(),
        _channels_first(X_all[num_training:end_val]),
        y_all[num_training:end_val].copy(),
        _channels_first(X_test_all[:num_test]),
        y_test_all[:num_test].copy(),
        subtract_mean,
    )


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The embedded 8x8 handwritten digits (UCI, 1797 images, 10 classes; see datasets/README.md).

    Returns:
        X: (1797, 1, 8, 8) float64, pixel counts 0..16 scaled to [0, 1].
        y: (1797,) int64 labels in 0..9.
    """
    with np.load(DIGITS_PATH) as digits:
        images, labels = digits["images"], digits["labels"]
    X = images[:, np.newaxis].astype(np.float64) / 16.0
    return X, labels.astype(np.int64)


def get_digits_data(
    num_training: int = 1297,
    num_validation: int = 250,
    num_test: int = 250,
    subtract_mean: bool = True,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """The embedded digits, shuffled once by ``seed`` and split like ``get_CIFAR10_data``.

    After a seeded permutation, the first num_training images train, the next num_validation
    validate and the next num_test test. The mean image of the training split is subtracted.

    Args:
        num_training: size of the training split.
        num_validation: size of the validation split.
        num_test: size of the test split (the three sum to at most 1797).
        subtract_mean: subtract the training mean image.
        seed: seed of the shuffle; the same seed gives the same splits.

    Returns:
        dict with X_train (num_training, 1, 8, 8), y_train (num_training,), X_val, y_val,
        X_test, y_test; float64 images, int64 labels.

    Raises:
        ValueError: when the split sizes do not fit.
    """
    X, y = load_digits()
    sizes = {"num_training": num_training, "num_validation": num_validation, "num_test": num_test}
    _check_split_sizes(sizes, len(X), "The digits data set")

    order = np.random.default_rng(seed).permutation(len(X))
    X, y = X[order], y[order]
    end_train, end_val = num_training, num_training + num_validation
    end_test = end_val + num_test
    return _finish_splits(
        X[:end_train],
        y[:end_train],
        X[end_train:end_val],
        y[end_train:end_val],
        X[end_val:end_test],
        y[end_val:end_test],
        subtract_mean,
    )


def get_data(
    num_training: int | None = None,
    num_validation: int | None = None,
    num_test: int | None = None,
    subtract_mean: bool = True,
    cifar10_dir: str | None = None,
) -> dict[str, np.ndarray]:
    """CIFAR-10 when its folder exists, else the embedded digits; prints which one it used.

    Args:
        num_training: size of the training split; None for the data set's default
            (49000 for CIFAR-10, 1297 for the digits). Likewise ``num_validation``
            (1000, 250) and ``num_test`` (1000, 250).
        subtract_mean: subtract the training mean image.
        cifar10_dir: where to look for CIFAR-10 (see ``get_CIFAR10_data``).

    Returns:
        The dict of ``get_CIFAR10_data`` (images (N, 3, 32, 32)) or of ``get_digits_data``
        (images (N, 1, 8, 8)).
    """
    sizes = {"num_training": num_training, "num_validation": num_validation, "num_test": num_test}
    sizes = {name: n for name, n in sizes.items() if n is not None}
    root = _resolve_cifar10_dir(cifar10_dir)
    if os.path.isdir(root):
        data = get_CIFAR10_data(subtract_mean=subtract_mean, cifar10_dir=root, **sizes)
        source = f"CIFAR-10 from {root!r}"
    else:
        data = get_digits_data(subtract_mean=subtract_mean, **sizes)
        source = (
            f"the embedded 8x8 digits (no CIFAR-10 folder {root!r}; to use CIFAR-10, "
            f"{_download_hint(root)})"
        )
    print(
        f"Using {source}: {len(data['X_train'])} train, {len(data['X_val'])} val, "
        f"{len(data['X_test'])} test images of shape {data['X_train'].shape[1:]}."
    )
    return data

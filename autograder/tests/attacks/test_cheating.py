"""Code that cheats: reading the reference or the hidden tests from disk, importing the kit,
monkeypatching NumPy or the test helpers, returning objects that lie.

The comparisons run in the trusted process on decoded plain arrays, so nothing the worker does to
its own NumPy or helpers reaches them; anything that is not a plain array or number arrives as a
RemoteObject, which no check accepts.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.sandbox import RemoteObject, StudentError, StudentProxy
from autograder.tests.attacks.conftest import needs
from autograder.tests.sandbox.conftest import LIMITS
from tests.support import checks
from tests.support.manifest import ROOT

SECRETS = [
    ROOT / "solutions" / "backprop" / "layers.py",
    ROOT / "autograder" / "hidden" / "test_affine.py",
    ROOT / "autograder" / "hidden" / "conftest.py",
    ROOT / "tests" / "support" / "checks.py",
    ROOT / "grading.toml",
    ROOT / ".git" / "HEAD",
]

READER = """
    import os

    def read(path):
        with open(path) as file:
            return file.read()

    def search():
        found = []
        for folder, dirs, files in os.walk("/"):
            if folder == "/":
                dirs[:] = [name for name in dirs if name not in ("proc", "dev", "usr")]
            found += [os.path.join(folder, name) for name in dirs if name in ("hidden", "solutions")]
            found += [os.path.join(folder, name) for name in files if name in ("grading.toml", "test_affine.py")]
        return found

    def import_name(name):
        __import__(name)
"""

PATCHER = """
    import numpy as np
    import numpy.testing

    np.allclose = np.array_equal = lambda *args, **kwargs: True
    np.isclose = lambda a, b, **kwargs: np.ones(np.shape(a), dtype=bool)
    np.testing.assert_allclose = np.testing.assert_array_equal = lambda *args, **kwargs: None

    def forward(x):
        return np.zeros_like(x)

    def patch_helpers():
        os_path = "tests/support"
        import os
        os.makedirs(os_path, exist_ok=True)
        for folder in ("tests", "tests/support"):
            open(os.path.join(folder, "__init__.py"), "w").close()
        with open("tests/support/checks.py", "w") as file:
            file.write("def assert_close(*args, **kwargs):\\n    pass\\n")
        import tests.support.checks
        return tests.support.checks.__file__
"""

LIARS = """
    import numpy as np

    class AlwaysClose(np.ndarray):
        def __eq__(self, other):
            return np.ones(np.shape(self), dtype=bool)

        def __sub__(self, other):
            return np.zeros(np.shape(self))

        __rsub__ = __sub__

        def __abs__(self):
            return np.zeros(np.shape(self))

    class Float(np.float64):
        def __eq__(self, other):
            return True

    class ArrayLike:
        def __init__(self, values):
            self.values = values

        def __array__(self, dtype=None, copy=None):
            return np.asarray(self.values, dtype=dtype)

    def lie(kind, right):
        if kind == "subclass overriding comparisons and arithmetic":
            return np.asarray(right).view(AlwaysClose)
        if kind == "object with __array__ giving the right values":
            return ArrayLike(right)
        if kind == "object array":
            return np.asarray(right).astype(object)
        if kind == "matrix":
            return np.asmatrix(right)
        if kind == "complex array":
            return np.asarray(right) + 0j
        if kind == "nan":
            return np.full(np.shape(right), np.nan)
        if kind == "inf":
            return np.full(np.shape(right), np.inf)
        if kind == "one nan among right values":
            wrong = np.array(right, dtype=float)
            wrong.flat[0] = np.nan
            return wrong
        if kind == "nan scalar":
            return float("nan")
        if kind == "float subclass scalar":
            return Float(right)
        if kind == "list of the right values":
            return np.asarray(right).tolist()
        raise ValueError(kind)
"""

RIGHT = np.arange(6.0).reshape(2, 3)
ARRAY_LIES = [
    "subclass overriding comparisons and arithmetic", "object with __array__ giving the right values",
    "object array", "matrix", "complex array", "nan", "inf", "one nan among right values",
    "list of the right values",
]  # fmt: skip


@needs("secrets")
@pytest.mark.parametrize("path", SECRETS, ids=lambda path: str(path.relative_to(ROOT)))
def test_the_reference_hidden_tests_and_manifest_cannot_be_read(hostile, path):
    assert path.exists()  # the grader can
    with pytest.raises(StudentError) as caught:
        StudentProxy(hostile(READER)).layers.read(str(path))
    assert caught.value.kind in ("FileNotFoundError", "PermissionError")


@needs("filesystem")
def test_nothing_like_the_kit_is_anywhere_the_worker_can_see(hostile):
    worker = hostile(READER, limits=LIMITS.__class__(30.0, 60.0, LIMITS.memory_mb))
    assert StudentProxy(worker).layers.search() == []


@pytest.mark.parametrize("name", ["autograder", "autograder.hidden", "autograder.sandbox", "tests.support.checks",
                                  "solutions"])
def test_the_kits_own_modules_cannot_be_imported(hostile, name):
    with pytest.raises(StudentError) as caught:
        StudentProxy(hostile(READER)).layers.import_name(name)
    assert caught.value.kind == "ModuleNotFoundError"


def test_monkeypatching_numpy_in_the_worker_changes_nothing_in_the_checks(hostile):
    x = np.arange(1.0, 7.0)
    out = StudentProxy(hostile(PATCHER)).layers.forward(x)
    assert not np.allclose(out, x) and not np.isclose(out, x).any()
    with pytest.raises(AssertionError, match="does not match"):
        checks.assert_close(out, x, name="out", function="layers.forward")


def test_monkeypatching_the_test_helpers_only_patches_a_copy_in_the_worker(hostile):
    helpers = (ROOT / "tests" / "support" / "checks.py").read_text()
    worker = hostile(PATCHER)
    patched = StudentProxy(worker).layers.patch_helpers()
    assert not patched.startswith(str(ROOT))  # its own file, in its own folder
    assert (ROOT / "tests" / "support" / "checks.py").read_text() == helpers
    with pytest.raises(AssertionError):
        checks.assert_close(np.zeros(3), np.ones(3), name="out", function="layers.forward")


@pytest.mark.parametrize("kind", ARRAY_LIES)
def test_arrays_that_lie_fail_the_checks(hostile, kind):
    returned = StudentProxy(hostile(LIARS)).layers.lie(kind, RIGHT)
    if kind in ("subclass overriding comparisons and arithmetic", "object with __array__ giving the right values",
                "object array", "matrix", "complex array"):
        assert isinstance(returned, RemoteObject)  # stays in the worker; its methods never run here
    with pytest.raises(AssertionError) as caught:
        checks.assert_close(returned, RIGHT, name="out", function="layers.lie")
    if kind in ("nan", "inf", "one nan among right values"):
        assert "nan or inf" in str(caught.value)


@pytest.mark.parametrize("kind", ["nan scalar", "float subclass scalar"])
def test_numbers_that_lie_fail_the_checks(hostile, kind):
    returned = StudentProxy(hostile(LIARS)).layers.lie(kind, 2.5)
    with pytest.raises(AssertionError):
        checks.assert_close(returned, 2.5, name="loss", function="layers.lie")

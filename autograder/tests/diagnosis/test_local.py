"""A bug's package in this process, called through LocalWorker as the sandboxed worker calls a
submission: same values back, same flags, same write-backs, same errors."""

import numpy as np
import pytest

from autograder.catalog import find
from autograder.catalog.variants import REFERENCE
from autograder.diagnosis.local import LocalWorker
from autograder.diagnosis.packages import bug_package, load_package
from autograder.sandbox import NotStarted, RemoteObject, StudentError, StudentProxy, Worker
from autograder.tests.sandbox.conftest import LIMITS, make_package

FILES = {
    "layers.py": """
        import numpy as np

        def forward(x, factor):
            return x * factor, (x, float(factor), object())

        def backward(dout, cache):
            return dout * cache[1]

        def doubles_in_place(x):
            x *= 2
            return x

        def counts(param):
            param["count"] = param.get("count", 0) + 1
            return np.float32(param["count"])

        def fails(x):
            raise ValueError(f"bad shape {x.shape}")

        def todo():
            raise NotImplementedError
    """,
    "classifiers/net.py": """
        import numpy as np
        from ..layers import forward

        class Net:
            def __init__(self, size):
                self.params = {"W": np.ones(size)}

            def loss(self, X):
                return float((forward(X, 2.0)[0] @ self.params["W"]).sum())
    """,
}


def _calls(student):
    """What a test sees from a few calls, made the same way on either side."""
    x = np.arange(6.0).reshape(2, 3)
    out, cache = student.layers.forward(x, 3)
    seen = [out, type(cache).__name__, type(cache[2]).__name__, student.layers.backward(np.ones((2, 3)), cache)]
    student.layers.doubles_in_place(x)
    seen += [x, student._worker.last.mutated_args]
    param = {"mode": "train"}
    value = student.layers.counts(param)
    seen += [value, type(value).__name__, param, student._worker.last.mutated_args]
    net = student.classifiers.net.Net(3)
    net.set("params", "W", np.full(3, 0.5))
    seen += [isinstance(net, RemoteObject), net.type_name, net.loss(np.ones((1, 3))), net.get("params")]
    with pytest.raises(StudentError) as raised:
        student.layers.fails(x)
    seen += [raised.value.kind, raised.value.message]
    with pytest.raises(NotStarted):
        student.layers.todo()
    return seen


def _same(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def test_local_worker_behaves_like_the_sandboxed_worker(tmp_path):
    root = make_package(tmp_path, FILES)
    with Worker(root, LIMITS) as worker:
        remote = _calls(StudentProxy(worker))
    local = _calls(StudentProxy(LocalWorker(load_package(root / "backprop", {}, "_local_test"))))
    assert len(local) == len(remote)
    for index, (mine, theirs) in enumerate(zip(local, remote)):
        assert _same(mine, theirs), (index, mine, theirs)


def test_a_bug_package_runs_the_bugs_code_and_leaves_the_reference_alone():
    bug = find("affine.bias_missing")
    package = bug_package(bug)
    assert bug_package(bug) is package
    student = StudentProxy(LocalWorker(package))
    x, w, b = np.ones((2, 3)), np.ones((3, 4)), np.arange(4.0)
    out, _ = student.layers.affine_forward(x, w, b)
    assert np.array_equal(out, np.full((2, 4), 3.0))
    assert package.__name__ != "backprop" and str(REFERENCE) not in str(getattr(package, "__file__", ""))
    net = student.classifiers.fc_net.TwoLayerNet(input_dim=3, hidden_dim=2, num_classes=2)
    assert net.type_name == "TwoLayerNet"

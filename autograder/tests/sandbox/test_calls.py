"""Calling student code through the proxy: values, handles, dict write-back, output, errors."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from autograder.sandbox import BadValue, NotStarted, RemoteObject, SandboxOptions, StudentError, StudentProxy, Worker

LAYERS = """
    import numpy as np

    def affine_forward(x, w, b):
        out = x.reshape(x.shape[0], -1) @ w + b
        return out, (x, w, b)

    def affine_backward(dout, cache):
        x, w, b = cache
        return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)

    class Cache:
        def __init__(self, x):
            self.x = x

    def relu_forward(x):
        return np.maximum(x, 0), Cache(x)

    def relu_backward(dout, cache):
        return dout * (cache.x > 0)

    def batchnorm_forward(x, gamma, beta, bn_param):
        bn_param.setdefault("running_mean", np.zeros(x.shape[1]))
        bn_param["running_mean"] = 0.9 * bn_param["running_mean"] + 0.1 * x.mean(axis=0)
        bn_param["seen"] = bn_param.get("seen", 0) + 1
        return x * gamma + beta, None

    def scale_in_place(x, factor=2.0):
        x *= factor
        return x

    class LyingArray(np.ndarray):
        pass

    def lying(x):
        return x.view(LyingArray)

    def object_array():
        return np.array([1, "one"], dtype=object)

    def mixed(x):
        return (x, x.view(LyingArray))

    def same_cache_twice():
        cache = Cache(1.0)
        return cache, cache

    def dtype_of(dtype):
        return np.zeros(2, dtype=dtype), dtype

    def todo(x):
        raise NotImplementedError("affine_forward is not written yet")

    def broken(x):
        return helper(x)

    def helper(x):
        raise ValueError(f"bad shape {x.shape}")

    def loud_failure():
        print("about to fail")
        raise RuntimeError("failed loudly")

    def chatty(lines):
        for i in range(lines):
            print(f"line {i}")
        return lines
"""

FC_NET = """
    import numpy as np
    from ..layers import affine_forward
    from backprop.layers import *

    class TwoLayerNet:
        def __init__(self, input_dim=3, hidden_dim=4, reg=0.0):
            self.params = {"W1": np.ones((input_dim, hidden_dim)), "b1": np.zeros(hidden_dim)}
            self.reg = reg

        def loss(self, X, y=None):
            scores, _ = affine_forward(X, self.params["W1"], self.params["b1"])
            if y is None:
                return scores
            return float(scores.sum() + self.reg), {"W1": np.ones_like(self.params["W1"])}
"""


@pytest.fixture
def worker(spawn) -> Worker:
    return spawn({"layers.py": LAYERS, "classifiers/fc_net.py": FC_NET, "optim.py": "def sgd(w): return w"})


@pytest.fixture
def student(worker) -> StudentProxy:
    return StudentProxy(worker)


def test_forward_and_backward_with_a_tuple_cache(student):
    x, w, b = np.arange(6.0).reshape(2, 3), np.ones((3, 4)), np.arange(4.0)
    out, cache = student.layers.affine_forward(x, w, b)
    np.testing.assert_array_equal(out, x @ w + b)
    dx, dw, db = student.layers.affine_backward(np.ones((2, 4)), cache)
    assert (dx.shape, dw.shape, db.shape) == ((2, 3), (3, 4), (4,))


def test_object_caches_stay_in_the_worker_as_handles(student):
    out, cache = student.layers.relu_forward(np.array([-1.0, 2.0]))
    assert isinstance(cache, RemoteObject) and cache.type_name == "Cache"
    np.testing.assert_array_equal(cache.get("x"), [-1.0, 2.0])
    np.testing.assert_array_equal(student.layers.relu_backward(np.ones(2), cache), [0.0, 1.0])
    assert out.flags.writeable


def test_the_same_worker_object_is_the_same_handle(student):
    first, second = student.layers.same_cache_twice()
    assert first is second


def test_models_are_remote_objects_with_methods_get_and_set(student):
    model = student.classifiers.fc_net.TwoLayerNet(input_dim=3, hidden_dim=2, reg=0.5)
    assert isinstance(model, RemoteObject) and model.type_name == "TwoLayerNet"
    X = np.ones((4, 3))
    assert model.loss(X).shape == (4, 2)
    loss, grads = model.loss(X, np.zeros(4, dtype=np.int64))
    assert loss == 24.5 and set(grads) == {"W1"}
    assert set(model.get("params")) == {"W1", "b1"} and model.get("reg") == 0.5
    model.set("params", "W1", np.zeros((3, 2)))
    model.set("reg", 0.0)
    np.testing.assert_array_equal(model.get("params", "W1"), np.zeros((3, 2)))
    assert model.get("reg") == 0.0 and model.loss(X, np.zeros(4))[0] == 0.0


def test_dict_arguments_are_written_back_in_place(student):
    bn_param = {"mode": "train"}
    keep = bn_param
    student.layers.batchnorm_forward(np.ones((2, 3)), 1.0, 0.0, bn_param)
    student.layers.batchnorm_forward(np.ones((2, 3)), 1.0, 0.0, bn_param=bn_param)
    assert keep is bn_param and bn_param["seen"] == 2 and bn_param["mode"] == "train"
    np.testing.assert_allclose(bn_param["running_mean"], 0.19 * np.ones(3))


def test_inputs_are_copies_and_mutation_is_reported(student, worker):
    x = np.ones(3)
    np.testing.assert_array_equal(student.layers.scale_in_place(x), 2 * np.ones(3))
    np.testing.assert_array_equal(x, np.ones(3))
    assert worker.last.mutated_args == (True,)
    student.layers.affine_forward(x.reshape(1, 3), np.ones((3, 1)), np.zeros(1))
    assert worker.last.mutated_args == (False, False, False)
    student.layers.scale_in_place(x=x, factor=1.0)
    assert worker.last.mutated_kwargs == {"x": False, "factor": False}


def test_ndarray_subclasses_and_object_arrays_come_back_as_handles(student):
    lying = student.layers.lying(np.zeros(2))
    assert isinstance(lying, RemoteObject) and lying.type_name == "LyingArray"
    assert student.layers.object_array().type_name == "ndarray"
    plain, handle = student.layers.mixed(np.zeros(2))
    assert type(plain) is np.ndarray and handle.type_name == "LyingArray"


def test_dtypes_travel_both_ways(student):
    zeros, dtype = student.layers.dtype_of(np.float32)
    assert zeros.dtype == np.float32 and dtype is np.float32


def test_output_is_captured_per_call_and_a_flood_is_truncated(student, worker):
    assert student.layers.chatty(3) == 3
    assert worker.last.output == "line 0\nline 1\nline 2\n"
    assert student.layers.chatty(200_000) == 200_000
    output = worker.last.output
    assert output.startswith("line 0\n") and output.endswith("line 199999\n")
    assert "bytes omitted" in output and len(output) < 5000
    assert student.layers.chatty(1) == 1 and worker.last.output == "line 0\n"


def test_not_implemented_is_not_started_with_a_student_only_traceback(student):
    with pytest.raises(NotStarted) as caught:
        student.layers.todo(np.zeros(1))
    error = caught.value
    assert error.kind == "NotImplementedError" and error.target == "layers.todo" and error.phase == "call"
    assert 'File "backprop/layers.py"' in error.traceback and "worker_main" not in error.traceback


def test_other_exceptions_are_student_errors_naming_the_student_frames(student):
    with pytest.raises(StudentError) as caught:
        student.layers.broken(np.zeros((2, 3)))
    error = caught.value
    assert not isinstance(error, NotStarted)
    assert error.kind == "ValueError" and error.message == "bad shape (2, 3)"
    assert "in broken" in error.traceback and "in helper" in error.traceback and "worker_main" not in error.traceback


def test_errors_carry_what_the_call_printed(student):
    with pytest.raises(StudentError) as caught:
        student.layers.loud_failure()
    assert caught.value.output == "about to fail\n" and caught.value.kind == "RuntimeError"


def test_missing_names_are_lookup_errors(student):
    with pytest.raises(StudentError) as caught:
        student.layers.no_such_function()
    assert caught.value.kind == "AttributeError" and caught.value.phase == "lookup"
    with pytest.raises(StudentError) as caught:
        student.no_such_module.f()
    assert caught.value.kind == "AttributeError"


def test_a_syntax_error_breaks_only_its_module(spawn):
    files = {"layers.py": "def f(:\n    pass\n", "optim.py": "def sgd(w, dw):\n    return w - dw\n"}
    student = StudentProxy(spawn(files))
    with pytest.raises(StudentError) as caught:
        student.layers.f()
    error = caught.value
    assert error.kind == "SyntaxError" and error.phase == "import" and "backprop/layers.py" in error.traceback
    assert student.optim.sgd(3.0, 1.0) == 2.0


def test_released_handles_are_gone_and_collected_ones_are_released(student, worker):
    _, cache = student.layers.relu_forward(np.ones(2))
    stale_copy = RemoteObject(worker, cache.ref)
    cache.release()
    with pytest.raises(StudentError, match="released") as caught:
        student.layers.relu_backward(np.ones(2), stale_copy)
    assert caught.value.kind == "StaleHandle"
    _, cache = student.layers.relu_forward(np.ones(2))
    ref = cache.ref
    del cache
    gc.collect()
    worker.ping()
    with pytest.raises(StudentError, match="released"):
        student.layers.relu_backward(np.ones(2), RemoteObject(worker, ref))


def test_arguments_that_cannot_travel_are_refused_before_sending(student):
    with pytest.raises(TypeError, match="cannot send set"):
        student.layers.relu_forward({1, 2})
    assert student.optim.sgd(1) == 1


def test_garbage_on_the_response_pipe_is_a_bad_value(spawn):
    forge = """
        import fcntl, os, struct

        def forge():  # the response pipe: the one pipe this process may only write to
            fd = next(
                int(fd) for fd in os.listdir("/proc/self/fd")
                if os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:")
                and fcntl.fcntl(int(fd), fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY
            )
            os.write(fd, struct.pack(">Q", 12) + struct.pack(">I", 8) + b"\\x80garbage")
            return 1

        def fine():
            return 2
    """
    worker = spawn({"layers.py": forge})
    student = StudentProxy(worker)
    with pytest.raises(BadValue):
        student.layers.forge()
    assert student.layers.fine() == 2 and worker.starts == 2


def test_results_and_arguments_over_the_frame_limit_are_refused(spawn):
    worker = spawn({"layers.py": "import numpy as np\ndef big(n):\n    return np.zeros(n)\n"},
                   options=SandboxOptions(max_frame_bytes=10_000))
    student = StudentProxy(worker)
    assert student.layers.big(10).shape == (10,)
    with pytest.raises(BadValue) as caught:
        student.layers.big(10_000)
    assert caught.value.kind == "ResultTooLarge"
    with pytest.raises(ValueError, match="max_frame_bytes"):
        student.layers.big(np.zeros(10_000))
    assert student.layers.big(1).shape == (1,)

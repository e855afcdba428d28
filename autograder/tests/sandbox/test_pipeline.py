"""Requests written ahead of their answers (Worker.set_each, call_each, set_then_call): the results,
errors and restarts of the same requests made one by one."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.sandbox import StudentError, StudentProxy, StudentTimeout, Worker

MODEL = """
    import threading
    import time

    import numpy as np

    def scaled(x, factor):
        if factor < 0:
            raise ValueError("negative factor")
        return x * factor, {"factor": factor}

    class Model:
        def __init__(self, size):
            self.params = {"w": np.zeros(size)}

        def loss(self, X, y):
            w = self.params["w"]
            if w[0] > 5000:
                time.sleep(60)
            if w[0] > 1000:
                threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
            if w[0] < -50:
                raise ValueError(f"w[0] = {w[0]} is too small")
            print(f"loss at {w[0]:g}")
            return float(np.sum((X @ w - y) ** 2)), {"w": 2 * X.T @ (X @ w - y)}
"""


@pytest.fixture
def worker(spawn) -> Worker:
    return spawn({"models.py": MODEL})


def _setup(worker: Worker, size: int = 3):
    rng = np.random.default_rng(0)
    model = StudentProxy(worker).models.Model(size)
    return model, rng.standard_normal((4, size)), rng.standard_normal(4), rng


def _one_by_one(model, values, X, y) -> list:
    results = []
    for value in values:
        model.set("params", "w", value)
        results.append(model.loss(X, y))
    return results


def test_the_results_are_those_of_the_requests_one_by_one(worker):
    model, X, y, rng = _setup(worker)
    values = [rng.standard_normal(3) for _ in range(7)]
    together = worker.set_then_call(model, ["params", "w"], values, "loss", X, y)
    assert worker.last.output == "".join(f"loss at {value[0]:g}\n" for value in values)  # all they printed
    np.testing.assert_array_equal(model.get("params", "w"), values[-1])
    assert [loss for loss, _ in together] == [loss for loss, _ in _one_by_one(model, values, X, y)]


def test_a_value_put_back_is_set_after_the_calls(worker):
    model, X, y, rng = _setup(worker)
    original = rng.standard_normal(3)
    model.set("params", "w", original)
    values = [rng.standard_normal(3) for _ in range(3)]
    losses = worker.set_then_call(model, ["params", "w"], values, "loss", X, y, item=0, then=original)
    np.testing.assert_array_equal(model.get("params", "w"), original)
    assert losses == [loss for loss, _ in _one_by_one(model, values, X, y)]


def test_requests_beyond_the_pipe_are_sent_a_batch_at_a_time(worker):
    size = 20_000  # 160 kB a parameter: one request per batch, and answers as large
    model, X, y, rng = _setup(worker, size)
    values = [rng.standard_normal(size) for _ in range(5)]
    assert 2 * values[0].nbytes > worker._process.request_capacity
    together = worker.set_then_call(model, ["params", "w"], values, "loss", X, y)
    expected = _one_by_one(model, values, X, y)
    assert [loss for loss, _ in together] == [loss for loss, _ in expected]
    np.testing.assert_array_equal(together[-1][1]["w"], expected[-1][1]["w"])


def test_the_first_error_is_raised_and_the_worker_goes_on(worker):
    model, X, y, _ = _setup(worker)
    values = [np.full(3, v) for v in (1.0, -60.0, -70.0, 2.0)]
    pid = worker.pid
    with pytest.raises(StudentError, match="w\\[0\\] = -60.0 is too small"):
        worker.set_then_call(model, ["params", "w"], values, "loss", X, y)
    assert worker.pid == pid  # every answer was read: the stream is in step, the handles alive
    np.testing.assert_array_equal(model.get("params", "w"), values[-1])


def test_a_call_that_leaves_a_thread_restarts_the_worker_and_the_rest_find_a_stale_handle(worker):
    model, X, y, _ = _setup(worker)
    values = [np.full(3, v) for v in (1.0, 2000.0, 3.0)]
    with pytest.raises(StudentError) as raised:
        worker.set_then_call(model, ["params", "w"], values, "loss", X, y)
    assert raised.value.kind == "StaleHandle"  # as the next set would, one by one
    assert StudentProxy(worker).models.Model(3).get("params", "w").shape == (3,)  # a new worker serves


def test_a_hang_is_a_timeout_counted_against_the_method(worker):
    model, X, y, _ = _setup(worker)
    values = [np.full(3, v) for v in (1.0, 6000.0, 2.0)]
    with pytest.raises(StudentTimeout):
        worker.set_then_call(model, ["params", "w"], values, "loss", X, y)
    assert worker._timeouts["Model.loss"] == 1
    assert StudentProxy(worker).models.Model(3).loss(X, y)[0] == pytest.approx(float(np.sum(y**2)))


def test_a_function_called_with_each_argument_tuple(worker):
    x = np.arange(3.0)
    scaled = StudentProxy(worker).models.scaled
    results = scaled.each([(x, 1.0), (x, 2.5), (x, 0.0)])
    assert [factor for _, factor in results] == [{"factor": 1.0}, {"factor": 2.5}, {"factor": 0.0}]
    np.testing.assert_array_equal(results[1][0], x * 2.5)
    with pytest.raises(StudentError, match="negative factor"):
        scaled.each([(x, 1.0), (x, -1.0), (x, -2.0), (x, 3.0)])
    assert scaled(x, 2.0)[1] == {"factor": 2.0}  # the stream is in step


def test_several_values_set_at_once(worker):
    model, _, _, rng = _setup(worker)
    w, extra = rng.standard_normal(3), rng.standard_normal(2)
    worker.set_each(model, [("params", "w", w), ("params", "extra", extra), ("size", 3)])
    np.testing.assert_array_equal(model.get("params", "w"), w)
    np.testing.assert_array_equal(model.get("params", "extra"), extra)
    assert model.get("size") == 3
    with pytest.raises(StudentError, match="AttributeError|KeyError"):
        worker.set_each(model, [("params", "w", w), ("missing", "inner", 1), ("size", 4)])
    assert model.get("size") == 4  # the rest were still made, and the stream is in step
    worker.set_each(model, [])


def test_an_item_of_each_result_alone_comes_back(worker):
    model, X, y, rng = _setup(worker)
    values = [rng.standard_normal(3) for _ in range(3)]
    losses = worker.set_then_call(model, ["params", "w"], values, "loss", X, y, item=0)
    assert losses == [loss for loss, _ in _one_by_one(model, values, X, y)]
    x = np.arange(3.0)
    scaled = StudentProxy(worker).models.scaled
    assert scaled.each([(x, 1.0), (x, 2.0)], item=1) == [{"factor": 1.0}, {"factor": 2.0}]


def test_a_result_without_that_item_is_the_students_error(worker):
    with pytest.raises(StudentError) as caught:
        StudentProxy(worker).models.scaled.each([(np.arange(3.0), 1.0)], item=2)
    assert caught.value.kind == "IndexError" and caught.value.phase == "call"


def test_what_setting_raises_is_the_calls_error(worker):
    model, X, y, rng = _setup(worker)
    with pytest.raises(StudentError) as caught:
        worker.set_then_call(model, ["weights", "w"], [rng.standard_normal(3)], "loss", X, y)
    assert caught.value.kind == "AttributeError" and caught.value.target == "Model.loss"
    assert model.loss(X, y)[0] == pytest.approx(float(np.sum(y**2)))  # nothing was set; the stream is in step

"""Traces of a check's run (tests/support/traces.py): what they keep, when two are alike, how
they are stored for the public tests, and how a replay stops once it departs."""

import json

import numpy as np
import pytest

from tests.support.checks import assert_close, assert_shape, directional_check, watch
from tests.support.diagnosis import Mistake, describe, known_mistakes, trace_from_json, trace_to_json
from tests.support.traces import Differs, Recorder, Sketch, Step


def _run(check, like=None):
    recorder = Recorder(like)
    with watch(recorder):
        try:
            check()
        except AssertionError as error:
            return recorder.trace(error)
    return recorder.trace(None)


def _compare_out(out):
    def check():
        assert_shape(out, (2, 3), name="out", function="f")
        assert_close(out, np.ones((2, 3)), name="out", function="f")

    return check


def test_runs_with_the_same_wrong_values_are_alike_and_others_are_not():
    wrong = _run(_compare_out(np.full((2, 3), 2.0)))
    assert [step.passed for step in wrong.steps] == [True, False] and wrong.ending == ("failed",)
    assert wrong.alike(_run(_compare_out(np.full((2, 3), 2.0 + 1e-9))))
    assert not wrong.alike(_run(_compare_out(np.full((2, 3), 3.0))))
    assert not wrong.alike(_run(_compare_out(np.full((2, 3), 2.0, dtype=np.float32))))
    assert not wrong.alike(_run(_compare_out(np.ones((2, 3)))))
    assert not wrong.alike(_run(_compare_out(np.full((3, 2), 2.0))))


def test_nan_and_inf_agree_only_with_themselves():
    nan = _run(_compare_out(np.full((2, 3), np.nan)))
    assert nan.alike(_run(_compare_out(np.full((2, 3), np.nan))))
    inf = _run(_compare_out(np.full((2, 3), np.inf)))
    assert not inf.alike(nan) and not inf.alike(_run(_compare_out(np.full((2, 3), 1e300))))


def test_failures_outside_comparisons_are_compared_by_message():
    def raising(message):
        def check():
            raise AssertionError(message)

        return check

    assert _run(raising("x changed")).alike(_run(raising("x changed")))
    assert not _run(raising("x changed")).alike(_run(raising("w changed")))
    first = _run(raising("too slow: <Solver object at 0x7f06>\nassert 0.7 == 1.0\n + where 0.7 = <at 0x7f06>"))
    again = _run(raising("too slow: <Solver object at 0x7fa7>\nassert 0.7 == 1.0\n + where 0.7 = <at 0x7fa7>"))
    assert first.ending == ("failed", "too slow: <Solver object>") and first.alike(again)


def test_errors_of_the_code_are_compared_by_kind_and_message():
    recorder = Recorder()
    first = recorder.trace(ValueError("operands could not be broadcast"))
    assert first.ending == ("error", "ValueError", "operands could not be broadcast")
    assert first.alike(Recorder().trace(ValueError("operands could not be broadcast")))
    assert not first.alike(Recorder().trace(TypeError("operands could not be broadcast")))


def test_a_replay_stops_as_soon_as_it_departs():
    like = _run(_compare_out(np.full((2, 3), 2.0)))
    with pytest.raises(Differs):
        _run(_compare_out(np.full((3, 3), 2.0)), like)
    assert _run(_compare_out(np.full((2, 3), 2.0)), like).alike(like)


def test_a_directional_check_keeps_the_derivatives_it_compared():
    def check(dx):
        rng = np.random.default_rng(3)  # a replay draws the same directions
        return lambda: directional_check(lambda x: 2 * x, np.ones(4), dx, rng, dout=np.ones(4), function="f")

    wrong = _run(check(np.full(4, 3.0)))
    assert not wrong.steps[0].passed and wrong.steps[0].expected is not None
    assert wrong.alike(_run(check(np.full(4, 3.0))))
    assert not wrong.alike(_run(check(np.full(4, 4.0))))


@pytest.mark.parametrize("size", [3, 50])
def test_stored_traces_keep_what_matters(size):
    value = np.linspace(-1.0, 2.0, size)
    trace = _run(_compare_out_vector(value))
    stored = trace_from_json(trace_to_json(trace))
    assert stored.alike(trace) and trace.alike(stored)
    assert stored.alike(_run(_compare_out_vector(value * (1 + 1e-9))))
    nudged = value.copy()
    nudged[size // 2] += 1e-3
    assert not stored.alike(_run(_compare_out_vector(nudged)))
    assert isinstance(stored.steps[0].value, Sketch) == (size > 8)


def _compare_out_vector(value):
    return lambda: assert_close(value, np.zeros_like(value), name="out", function="f")


def test_a_sketch_accepts_whatever_agrees_within_the_tolerance(rng):
    array = rng.standard_normal((7, 9)) * 100
    sketch = Sketch.of(array)
    for _ in range(20):
        within = array * (1 + rng.uniform(-1e-6, 1e-6, array.shape)) + rng.uniform(-1e-8, 1e-8, array.shape)
        assert sketch.matches(within, 1e-6, 1e-8, shape_only=False)
    assert not sketch.matches(array + 1e-3, 1e-6, 1e-8, shape_only=False)
    assert sketch.matches(np.zeros((7, 9)), 1e-6, 1e-8, shape_only=True)


def test_the_feedback_names_the_mistakes_best_first():
    one = describe([Mistake("a.x", "dx is flattened", "Keep x's shape.")])
    assert "dx is flattened [a.x]" in one and "Hint: Keep x's shape." in one
    many = describe([Mistake(f"a.{n}", f"mistake {n}", "hint") for n in "uvwxyz"])
    assert many.index("[a.u]") < many.index("[a.v]") and "[a.x]" not in many and "(and 3 more)" in many
    assert describe([]) == ""


def test_known_mistakes_are_read_from_the_recorded_runs(tmp_path):
    trace = _run(_compare_out(np.full((2, 3), 2.0)))
    path = tmp_path / "known.json"
    path.write_text(json.dumps({
        "mistakes": {"a.x": {"part": "a", "name": "doubles", "hint": "h"}},
        "runs": {"layers/test_a.py::test_b": {"a.x": trace_to_json(trace)}},
    }))  # fmt: skip
    assert known_mistakes("layers/test_a.py::test_b", trace, path) == [Mistake("a.x", "doubles", "h")]
    assert known_mistakes("layers/test_a.py::test_c", trace, path) == []
    assert known_mistakes("layers/test_a.py::test_b", _run(_compare_out(np.ones((2, 3)))), path) == []
    assert Step(True).agrees(Step(True)) and not Step(True).agrees(Step(False))

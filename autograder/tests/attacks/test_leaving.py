"""Code that leaves: sys.exit, os._exit, KeyboardInterrupt, SystemExit and other BaseExceptions,
at import or inside a call. Each costs the call (or the module) it is in; the next call works."""

from __future__ import annotations

import pytest

from autograder.sandbox import StudentError, StudentProxy, WorkerCrashed

OTHER_MODULE = "def sgd(w):\n    return w\n"

# (statement, what the grader reports: the exception's name, or WorkerCrashed when the process ends)
LEAVING = {
    "sys.exit": ("import sys; sys.exit(3)", "SystemExit"),
    "raise SystemExit": ("raise SystemExit('bye')", "SystemExit"),
    "KeyboardInterrupt": ("raise KeyboardInterrupt", "KeyboardInterrupt"),
    "GeneratorExit": ("raise GeneratorExit", "GeneratorExit"),
    "own BaseException": ("raise type('Escape', (BaseException,), {})()", "Escape"),
    "os._exit(0)": ("import os; os._exit(0)", "WorkerCrashed"),
    "os.abort": ("import os; os.abort()", "WorkerCrashed"),
    "SIGTERM to itself": ("import signal; signal.raise_signal(signal.SIGTERM)", "WorkerCrashed"),
    "closes its pipes": ("import os; os.closerange(3, 64)", "WorkerCrashed"),
}


@pytest.mark.parametrize(("statement", "reported"), LEAVING.values(), ids=LEAVING.keys())
def test_leaving_inside_a_call_costs_that_call(hostile, statement, reported):
    worker = hostile(f"def ok():\n    return 1\n\ndef leave():\n    {statement}\n", optim=OTHER_MODULE)
    student = StudentProxy(worker)
    with pytest.raises(StudentError) as caught:
        student.layers.leave()
    assert caught.value.kind == reported and caught.value.phase == "call"
    assert student.layers.ok() == 1 and student.optim.sgd(2) == 2


@pytest.mark.parametrize(("statement", "reported"), LEAVING.values(), ids=LEAVING.keys())
def test_leaving_at_import_costs_that_module_only(hostile, statement, reported):
    worker = hostile(f"{statement}\n\ndef ok():\n    return 1\n", optim=OTHER_MODULE)
    student = StudentProxy(worker)
    for _ in range(2):
        with pytest.raises(StudentError) as caught:
            student.layers.ok()
        assert caught.value.kind == reported and caught.value.phase == "import"
    assert student.optim.sgd(2) == 2


def test_a_crash_names_how_the_worker_ended(hostile):
    worker = hostile("import os\n\ndef leave():\n    os._exit(7)\n")
    with pytest.raises(WorkerCrashed, match=r"os\._exit\(7\)"):
        StudentProxy(worker).layers.leave()

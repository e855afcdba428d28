"""Student code that hangs, exits, crashes or eats memory: the grader reports it and carries on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder.sandbox import StudentError, StudentProxy, StudentTimeout, WorkerCrashed
from autograder.tests.sandbox.conftest import processes_in

LAYERS = """
    import os, signal, subprocess, sys

    def ok(x):
        return x

    def spin():
        while True:
            pass

    def stubborn():
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        child = subprocess.Popen(["sleep", "120"])
        print(child.pid, os.readlink("/proc/self/ns/pid"), flush=True)
        while True:
            pass

    def leave(code):
        sys.exit(code)

    def hard_exit(code):
        os._exit(code)

    def interrupt():
        raise KeyboardInterrupt

    def kill_self():
        os.kill(os.getpid(), signal.SIGKILL)

    def memory_bomb():
        return bytearray(4 << 30)
"""


@pytest.fixture
def worker(spawn):
    return spawn({"layers.py": LAYERS})


def test_an_infinite_loop_times_out_and_the_next_call_restarts_the_worker(worker):
    student = StudentProxy(worker)
    assert student.layers.ok(1) == 1
    first_pid = worker.pid
    with pytest.raises(StudentTimeout) as caught:
        student.layers.spin()
    assert caught.value.kind == "Timeout" and caught.value.target == "layers.spin"
    assert not worker.running
    assert student.layers.ok(2) == 2
    assert worker.starts == 2 and worker.pid != first_pid


def test_a_timeout_kills_code_that_ignores_signals_and_its_children(worker):
    student = StudentProxy(worker)
    with pytest.raises(StudentTimeout) as caught:
        student.layers.stubborn()
    child, namespace = caught.value.output.split()
    if worker.isolation.jail:
        assert not processes_in(namespace)
    else:
        assert _dead(int(child))


def _dead(pid: int) -> bool:
    """No such process, or only a zombie waiting for a reaper."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status


@pytest.mark.parametrize("how", ["timeout", "restart()"])
def test_handles_from_before_a_restart_are_stale(spawn, how):
    worker = spawn({"layers.py": LAYERS, "model.py": "class Model:\n    pass\n"})
    student = StudentProxy(worker)
    model = student.model.Model()
    assert student.layers.ok(model) is model
    if how == "restart()":
        worker.restart()
    else:
        with pytest.raises(StudentTimeout):
            student.layers.spin()
    with pytest.raises(StudentError, match="restarted") as caught:
        student.layers.ok(model)
    assert caught.value.kind == "StaleHandle"


@pytest.mark.parametrize(("function", "kind"), [("leave", "SystemExit"), ("interrupt", "KeyboardInterrupt")])
def test_sys_exit_and_keyboard_interrupt_in_a_call_are_errors_and_the_worker_lives(worker, function, kind):
    student = StudentProxy(worker)
    with pytest.raises(StudentError) as caught:
        getattr(student.layers, function)(*([3] if function == "leave" else []))
    assert caught.value.kind == kind
    assert student.layers.ok(1) == 1 and worker.starts == 1


def test_os_exit_is_a_crash_naming_the_exit_code(worker):
    student = StudentProxy(worker)
    with pytest.raises(WorkerCrashed, match=r"os\._exit\(3\)"):
        student.layers.hard_exit(3)
    assert student.layers.ok(1) == 1 and worker.starts == 2


def test_a_killed_worker_is_a_crash_naming_the_signal(worker):
    with pytest.raises(WorkerCrashed, match="SIGKILL"):
        StudentProxy(worker).layers.kill_self()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import sys\nsys.exit(1)\n", "SystemExit"),
        ("raise KeyboardInterrupt\n", "KeyboardInterrupt"),
        ("import os\nos._exit(4)\n", "WorkerCrashed"),
    ],
    ids=["sys.exit", "KeyboardInterrupt", "os._exit"],
)
def test_exits_at_import_break_only_that_module(spawn, source, expected):
    worker = spawn({"layers.py": source, "optim.py": "def sgd(w):\n    return w\n"})
    student = StudentProxy(worker)
    with pytest.raises(StudentError) as caught:
        student.layers.affine_forward()
    assert caught.value.kind == expected
    if expected != "WorkerCrashed":
        assert caught.value.phase == "import"
    assert student.optim.sgd(5) == 5


def test_a_memory_bomb_is_an_error_and_the_worker_restarts(worker):
    student = StudentProxy(worker)
    with pytest.raises(StudentError) as caught:
        student.layers.memory_bomb()
    assert caught.value.kind == "MemoryError" and "memory limit" in caught.value.message
    assert student.layers.ok(1) == 1 and worker.starts == 2


def test_no_worker_process_outlives_close(spawn):
    worker = spawn({"layers.py": LAYERS})
    StudentProxy(worker).layers.ok(1)
    pid = worker.pid
    worker.close()
    assert _dead(pid) and not os.path.exists(f"/proc/{pid}")

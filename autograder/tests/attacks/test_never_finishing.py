"""Code that never finishes: infinite loops, sleeping at import, ignoring SIGTERM and SIGALRM."""

from __future__ import annotations

import dataclasses

import pytest

from autograder.sandbox import StudentError, StudentProxy, StudentTimeout
from autograder.tests.attacks.conftest import needs
from autograder.tests.sandbox.conftest import LIMITS, processes_in

LOOPS = """
    import os, signal, subprocess, time

    def ok():
        return 1

    def spin():
        while True:
            pass

    def stubborn():
        for sig in (signal.SIGTERM, signal.SIGALRM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        child = subprocess.Popen(["sleep", "600"], start_new_session=True)
        print(child.pid, os.readlink("/proc/self/ns/pid"), flush=True)
        while True:
            try:
                time.sleep(1)
            except BaseException:
                pass

    def arm_alarm():
        signal.setitimer(signal.ITIMER_REAL, 0.2)  # SIGALRM's default action ends the process
        return 1

    def wait(seconds):
        time.sleep(seconds)
        return 2
"""

SLEEPS_AT_IMPORT = """
    import time
    time.sleep(10_000)

    def affine_forward(x, w, b):
        return x
"""


def test_an_infinite_loop_costs_one_timeout_and_the_worker_comes_back(hostile):
    worker = hostile(LOOPS)
    layers = StudentProxy(worker).layers
    with pytest.raises(StudentTimeout) as caught:
        layers.spin()
    assert caught.value.target == "layers.spin" and "restart" in caught.value.message
    assert layers.ok() == 1 and worker.starts == 2


@needs("processes")
def test_ignoring_sigterm_and_sigalrm_does_not_help_and_children_in_their_own_session_die_too(hostile):
    worker = hostile(LOOPS)
    with pytest.raises(StudentTimeout) as caught:
        StudentProxy(worker).layers.stubborn()
    _, namespace = caught.value.output.split()
    assert processes_in(namespace) == []


def test_a_function_that_keeps_hanging_is_not_called_again(hostile):
    worker = hostile(LOOPS, limits=dataclasses.replace(LIMITS, call_timeout_s=1.0))
    layers = StudentProxy(worker).layers
    for _ in range(worker.options.timeouts_per_target):
        with pytest.raises(StudentTimeout):
            layers.spin()
    starts = worker.starts
    with pytest.raises(StudentTimeout, match="not called again"):
        layers.spin()
    assert worker.starts == starts  # refused without starting a worker, let alone waiting
    assert layers.ok() == 1


def test_sleeping_at_import_costs_one_timeout_for_the_module_and_nothing_for_the_others(hostile):
    worker = hostile(SLEEPS_AT_IMPORT, optim="def sgd(w):\n    return w\n")
    student = StudentProxy(worker)
    with pytest.raises(StudentTimeout) as caught:
        student.layers.affine_forward(1, 2, 3)
    assert caught.value.phase == "import"
    starts = worker.starts
    with pytest.raises(StudentTimeout, match="not tried again") as caught:
        student.layers.relu_forward(1)
    assert caught.value.phase == "import" and worker.starts == starts
    assert student.optim.sgd(4) == 4


def test_a_timer_armed_in_one_call_never_fires_in_a_later_one(hostile):
    worker = hostile(LOOPS)
    layers = StudentProxy(worker).layers
    assert layers.arm_alarm() == 1
    assert layers.wait(0.5) == 2 and worker.starts == 1


def test_a_hang_is_reported_as_a_student_error_not_a_grader_error(hostile):
    worker = hostile(LOOPS)
    with pytest.raises(StudentError) as caught:
        StudentProxy(worker).layers.spin()
    assert caught.value.kind == "Timeout" and "infinite loop" in str(caught.value)

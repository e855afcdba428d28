"""Code that attacks the grader: killing its parent or its process group, signalling other
processes, writing a results file, printing a fake results JSON, writing outside its folder."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from autograder.sandbox import StudentError, StudentProxy, WorkerCrashed
from autograder.tests.attacks.conftest import needs

ATTACKS = """
    import json, os, signal

    def ok():
        return 1

    def kill(pid):
        os.kill(pid, signal.SIGKILL)

    def kill_group(pgid):
        os.killpg(pgid, signal.SIGKILL)

    def kill_parent():
        os.kill(os.getppid(), signal.SIGKILL)

    def kill_everyone():
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            return "no one to kill"
        return "killed everyone it could"

    def kill_own_group():
        os.killpg(os.getpgrp(), signal.SIGKILL)

    def processes():
        return sorted(int(name) for name in os.listdir("/proc") if name.isdigit())

    def fake_results():
        print(json.dumps({"score": 100.0, "tests": [], "output": "all good"}))
        return 1

    def write(paths):
        outcomes = []
        for path in paths:
            try:
                os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
                with open(path, "a") as file:
                    file.write('{"score": 100.0}')
                outcomes.append("written")
            except OSError as error:
                outcomes.append(type(error).__name__)
        return outcomes
"""


@pytest.fixture
def worker(hostile):
    return hostile(ATTACKS)


@pytest.fixture
def neighbour(worker):
    """A process outside the worker, of the worker's own user (the hardest one to protect)."""
    user = worker.isolation.user
    process = subprocess.Popen(["sleep", "120"], user=user[0] if user else None, group=user[1] if user else None,
                               extra_groups=[] if user else None, start_new_session=True)
    yield process
    process.kill()
    process.wait()


def alive(process: subprocess.Popen) -> bool:
    return process.poll() is None


@needs("processes")
def test_the_grader_and_other_processes_are_invisible_and_cannot_be_signalled(worker, neighbour):
    layers = StudentProxy(worker).layers
    assert os.getpid() not in layers.processes() and neighbour.pid not in layers.processes()
    for pid in (os.getpid(), neighbour.pid, os.getppid()):
        with pytest.raises(StudentError) as caught:
            layers.kill(pid)
        assert caught.value.kind == "ProcessLookupError"
    with pytest.raises(StudentError) as caught:
        layers.kill_group(os.getpgrp())
    assert caught.value.kind == "ProcessLookupError"
    assert alive(neighbour) and layers.ok() == 1


@needs("processes")
def test_killing_its_parent_or_everyone_hurts_no_one(worker, neighbour):
    layers = StudentProxy(worker).layers
    # Its parent is the zygote it was forked from (its own user's), or init where workers do not
    # fork (PermissionError). Killing the zygote ends the namespace, and so the worker itself,
    # perhaps before it answers (WorkerCrashed): the submission only hurts its own call.
    for attack in (layers.kill_parent, layers.kill_everyone):
        try:
            attack()
        except WorkerCrashed:
            pass
        except StudentError as error:
            assert error.kind == "PermissionError"
        assert alive(neighbour) and layers.ok() == 1
    worker.fresh()  # the next part's worker starts as well
    assert layers.ok() == 1


def test_killing_its_own_process_group_costs_only_the_call(worker):
    layers = StudentProxy(worker).layers
    with pytest.raises(WorkerCrashed, match="SIGKILL"):
        layers.kill_own_group()
    assert layers.ok() == 1 and worker.starts == 2


@needs("filesystem")
def test_results_files_and_writes_outside_its_folder_go_nowhere(worker, tmp_path):
    out = tmp_path / "out"  # where a grader would write results.json
    out.mkdir()
    grader_file = tmp_path / "grader" / "notes.txt"
    grader_file.parent.mkdir()
    grader_file.write_text("the grader's\n")
    staged = worker.root / "backprop" / "layers.py"
    before = staged.read_text()
    targets = [
        str(out / "results.json"), "/autograder/results/results.json", str(grader_file),
        "/tmp/backprop-attack/results.json", "results.json", "backprop/layers.py",
    ]  # fmt: skip
    outcomes = dict(zip(targets, StudentProxy(worker).layers.write(targets)))
    assert outcomes["/autograder/results/results.json"] == "PermissionError"
    assert outcomes["results.json"] == outcomes["backprop/layers.py"] == "written"  # its own copy, thrown away
    assert not (out / "results.json").exists() and not Path("/autograder/results/results.json").exists()
    assert grader_file.read_text() == "the grader's\n" and staged.read_text() == before
    assert not Path("/tmp/backprop-attack").exists()


def test_printed_fake_results_are_only_output(worker):
    layers = StudentProxy(worker).layers
    assert layers.fake_results() == 1
    assert json.loads(worker.last.output)["score"] == 100.0  # shown as what it printed, nothing more

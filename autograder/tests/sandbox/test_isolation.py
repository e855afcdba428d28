"""What the worker can see: its own folder on sys.path, a scrubbed environment, resource limits; and how the
isolation is found once (in the background, or handed down by the grader)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder.sandbox import SandboxError, SandboxOptions, StudentError, StudentProxy, Worker, find_isolation
from autograder.sandbox import isolation
from autograder.tests.sandbox.conftest import LIMITS, make_package

REPO = Path(__file__).resolve().parents[3]

PROBE = """
    import os, resource, sys

    def environment():
        return dict(os.environ)

    def paths():
        return {"sys_path": list(sys.path), "cwd": os.getcwd(), "main": sys.modules["__main__"].__file__,
                "listing": os.listdir(".")}

    def limits():
        names = ["RLIMIT_AS", "RLIMIT_CORE", "RLIMIT_FSIZE", "RLIMIT_NOFILE"]
        return {name: list(resource.getrlimit(getattr(resource, name))) for name in names}

    def import_name(name):
        __import__(name)
"""


@pytest.fixture
def worker(spawn) -> Worker:
    return spawn({"probe.py": PROBE})


@pytest.fixture
def probe(worker) -> StudentProxy:
    return StudentProxy(worker)


@pytest.mark.parametrize("name", ["autograder", "tests", "solutions"])
def test_the_worker_cannot_import_the_grader_or_its_tests(probe, name):
    with pytest.raises(StudentError) as caught:
        probe.probe.import_name(name)
    assert caught.value.kind == "ModuleNotFoundError"


def test_a_copy_of_the_package_is_the_cwd_and_first_on_sys_path_and_the_repo_is_absent(probe, worker):
    seen = probe.probe.paths()
    assert seen["sys_path"][0] == seen["cwd"] != str(worker.root)
    assert seen["listing"] == ["backprop"]
    assert not any(Path(entry).resolve() == REPO for entry in seen["sys_path"] if entry)
    assert not seen["main"].startswith(str(REPO))


def test_the_environment_is_scrubbed(probe):
    env = probe.probe.environment()
    allowed = {"PATH", "LANG", "LC_ALL", "HOME", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"}
    assert set(env) <= allowed | {"LC_CTYPE"}
    assert env["HOME"] == probe.probe.paths()["cwd"] and env["OPENBLAS_NUM_THREADS"] == "1"


def test_resource_limits_are_set_before_student_code_runs(probe):
    limits = probe.probe.limits()
    assert limits["RLIMIT_AS"] == [LIMITS.memory_mb << 20] * 2
    assert limits["RLIMIT_CORE"] == [0, 0]
    assert limits["RLIMIT_FSIZE"] == [64 << 20] * 2
    assert limits["RLIMIT_NOFILE"] == [256] * 2


def test_the_worker_runs_in_its_own_process_group(probe, worker):
    probe.probe.paths()
    pid = worker.pid
    assert os.getpgid(pid) == pid != os.getpgid(0)


def test_a_folder_without_the_package_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no backprop/"):
        Worker(tmp_path, LIMITS)
    make_package(tmp_path, {})
    with pytest.raises(ValueError, match="holds it"):
        Worker(tmp_path / "backprop", LIMITS)


def test_a_worker_that_cannot_start_is_a_sandbox_error_not_the_students(tmp_path):
    root = make_package(tmp_path, {})
    with Worker(root, LIMITS, python=tmp_path / "no-python") as worker, pytest.raises(SandboxError):
        worker.ping()
    fake = tmp_path / "fake-python"
    fake.write_text("#!/bin/sh\necho broken >&2\nexit 1\n")
    fake.chmod(0o755)
    with Worker(root, LIMITS, python=fake) as worker, pytest.raises(SandboxError, match="broken"):
        worker.ping()


@pytest.fixture
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """No isolation found yet in this process, and none handed down by the test run's environment."""
    monkeypatch.setattr(isolation, "_FOUND", {})
    for name in (isolation.PINNED, isolation.HANDED_DOWN):
        monkeypatch.delenv(name, raising=False)


def _no_trials(python: str, options: SandboxOptions) -> isolation.Isolation:
    raise AssertionError(f"tried again for {options}")


def test_a_pinned_isolation_is_handed_down_to_subprocesses_instead_of_tried_again(fresh_cache, monkeypatch):
    found = find_isolation()
    found.pin()
    monkeypatch.setattr(isolation, "_FOUND", {})  # as in a new process that inherited the environment
    monkeypatch.setattr(isolation, "_find", _no_trials)
    assert find_isolation() == found
    with pytest.raises(AssertionError, match="tried again"):  # other options: not the same answer
        find_isolation(options=SandboxOptions(disk_mb=32))
    monkeypatch.setenv(isolation.HANDED_DOWN, '{"key": "not what pin writes"}')
    monkeypatch.setattr(isolation, "_FOUND", {})
    with pytest.raises(AssertionError, match="tried again"):
        find_isolation()


def test_the_isolation_can_be_found_in_the_background_once(fresh_cache, monkeypatch):
    calls = []
    real_find = isolation._find

    def counted(python: str, options: SandboxOptions) -> isolation.Isolation:
        calls.append(options)
        return real_find(python, options)

    monkeypatch.setattr(isolation, "_find", counted)
    done = isolation.find_isolation_soon()
    found = find_isolation()  # waits for the search under way rather than starting another
    assert done.wait(60) and calls == [SandboxOptions()] and find_isolation() is found

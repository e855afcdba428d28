"""Code that exhausts resources: memory, processes, threads left running, files, disk, output floods.

Each stays within the worker's limits, costs only the call that did it, and what a call leaves
behind (threads, processes, open files, memory held) ends that worker before the next call.
"""

from __future__ import annotations

import dataclasses
import os
import secrets

import pytest

from autograder.sandbox import SandboxOptions, StudentError, StudentProxy
from autograder.tests.attacks.conftest import needs
from autograder.tests.sandbox.conftest import LIMITS, processes_in

HOGS = """
    import os, sys, threading, time
    import numpy as np

    KEPT = []

    def ok():
        return 1

    def allocate(gigabytes):
        return bytearray(gigabytes << 30)

    def numpy_allocate():
        return np.ones((1 << 20, 1 << 20))

    def hold(megabytes):
        KEPT.append(np.empty(megabytes << 17))  # 8 bytes per entry
        return 1

    def fork_bomb():
        children = []
        try:
            while len(children) < 10_000:
                pid = os.fork()
                if pid == 0:
                    time.sleep(600)
                    os._exit(0)
                children.append(pid)
        except OSError as error:
            return len(children), error.errno, os.readlink("/proc/self/ns/pid")
        return len(children), 0, ""

    def thread_bomb():
        started = 0
        try:
            while started < 10_000:
                threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
                started += 1
        except RuntimeError:
            return started
        return started

    def leave_a_thread_that_kills_later():
        threading.Thread(target=lambda: (time.sleep(0.3), os._exit(9))).start()
        return 1

    def wait(seconds):
        time.sleep(seconds)
        return 2

    def blind_the_checks_then_leave_a_thread():
        # /proc/loadavg, where this process has it open, is made to read as if nothing had been
        # created since the worker started (its own PID the last handed out); then a thread is left.
        fake = os.open(f"/tmp/fake-{os.getpid()}", os.O_RDWR | os.O_CREAT)
        os.write(fake, f"0.00 0.00 0.00 1/1 {os.getpid()}\\n".encode())
        for fd in range(3, 256):
            try:
                if os.readlink(f"/proc/self/fd/{fd}") == "/proc/loadavg":
                    os.dup2(fake, fd)
            except OSError:
                pass
        threading.Thread(target=lambda: (time.sleep(0.3), os._exit(9))).start()
        return 1

    def open_files(count):
        try:
            while len(KEPT) < count:
                KEPT.append(open("/dev/null"))
        except OSError as error:
            return len(KEPT), error.errno
        return len(KEPT), 0

    def fill_disk(name, megabytes):
        block = b"x" * (1 << 20)
        with open(name, "wb") as file:
            for _ in range(megabytes):
                file.write(block)

    def many_files(folder, count):
        os.makedirs(folder, exist_ok=True)
        for index in range(count):
            open(os.path.join(folder, str(index)), "w").close()

    def locked_folder(folder):
        os.makedirs(os.path.join(folder, "inside"))
        open(os.path.join(folder, "inside", "file"), "w").close()
        os.chmod(os.path.join(folder, "inside"), 0)
        os.chmod(folder, 0o500)

    def listing(folder):
        return sorted(os.listdir(folder))

    def flood(megabytes, stream):
        line = "x" * 65535 + "\\n"
        for _ in range(megabytes * 16):
            if stream == "stdout":
                sys.stdout.write(line)
            else:
                os.write(2, line.encode())
        return 1

    def flood_ignoring_errors(megabytes):
        line = b"y" * 65535 + b"\\n"
        for _ in range(megabytes * 16):
            try:
                os.write(1, line)
            except OSError:
                pass
        return 1
"""


@pytest.fixture
def worker(hostile):
    return hostile(HOGS)


@pytest.mark.parametrize("function", ["allocate", "numpy_allocate"])
def test_a_memory_bomb_is_a_memory_error_and_the_worker_restarts(worker, function):
    layers = StudentProxy(worker).layers
    with pytest.raises(StudentError) as caught:
        getattr(layers, function)(*([8] if function == "allocate" else []))
    assert caught.value.kind == "MemoryError" and f"{LIMITS.memory_mb} MB" in caught.value.message
    assert layers.ok() == 1 and worker.starts == 2


def test_memory_held_after_a_call_ends_that_worker(worker):
    layers = StudentProxy(worker).layers
    assert layers.hold(LIMITS.memory_mb * 3 // 4) == 1
    assert "over half the memory limit" in worker.last.restarted and not worker.running
    assert layers.ok() == 1 and worker.starts == 2


@needs("user", "processes")
def test_a_fork_bomb_stops_at_the_task_limit_and_all_of_it_is_killed(worker):
    layers = StudentProxy(worker).layers
    count, errno, namespace = layers.fork_bomb()
    assert errno == 11 and 0 < count <= worker.options.extra_tasks  # EAGAIN
    assert "process(es) running" in worker.last.restarted
    assert len(processes_in(namespace)) <= 2  # at most init and the zygote: the worker and all it forked are gone
    assert layers.ok() == 1


@needs("user")
def test_a_thread_bomb_stops_at_the_task_limit(worker):
    layers = StudentProxy(worker).layers
    assert layers.thread_bomb() < worker.options.extra_tasks
    assert "thread(s) running" in worker.last.restarted
    assert layers.ok() == 1


def test_a_thread_left_running_cannot_act_in_a_later_call(worker):
    layers = StudentProxy(worker).layers
    assert layers.leave_a_thread_that_kills_later() == 1
    assert "thread(s) running" in worker.last.restarted
    assert layers.wait(0.6) == 2 and worker.starts == 2


def test_replacing_the_checks_descriptors_does_not_hide_a_thread_left_running(worker):
    layers = StudentProxy(worker).layers
    assert layers.blind_the_checks_then_leave_a_thread() == 1
    assert worker.last.restarted
    assert layers.wait(0.6) == 2 and worker.starts == 2


def test_running_out_of_file_descriptors_stops_at_the_limit_and_leaked_ones_end_the_worker(worker):
    layers = StudentProxy(worker).layers
    count, errno = layers.open_files(100_000)
    assert errno == 24 and count < worker.options.open_files  # EMFILE
    assert "files open" in worker.last.restarted
    assert layers.open_files(50) == (50, 0) and "50 file(s) open" in worker.last.restarted
    assert layers.ok() == 1 and worker.starts == 3


@needs("filesystem")
def test_filling_the_disk_stops_at_the_private_file_system_and_leaves_the_machines_disk_alone(hostile):
    name = f"/tmp/backprop-attack-{secrets.token_hex(4)}"
    layers = StudentProxy(hostile(HOGS, limits=dataclasses.replace(LIMITS, call_timeout_s=20.0))).layers
    with pytest.raises(StudentError) as caught:
        layers.fill_disk(name, 200)
    assert caught.value.kind == "OSError" and "No space left" in caught.value.message
    with pytest.raises(StudentError, match="No space left"):
        layers.many_files(f"{name}-many", 100_000)  # the file system's inodes run out
    assert not os.path.exists(name) and not os.path.exists(f"{name}-many")


@needs("filesystem")
def test_a_part_that_fills_the_disk_leaves_the_next_part_all_of_it(hostile):
    worker = hostile(HOGS, limits=dataclasses.replace(LIMITS, call_timeout_s=20.0))
    layers = StudentProxy(worker).layers
    before = layers.listing("/tmp")
    with pytest.raises(StudentError, match="No space left"):
        layers.fill_disk("/tmp/full", 200)
    layers.many_files("own-folder", 10)
    layers.locked_folder("/dev/shm/locked")
    launcher = worker.pid
    worker.fresh()  # the next part
    assert layers.listing("/tmp") == before and layers.listing("/dev/shm") == [] and layers.listing(".") == ["backprop"]
    layers.fill_disk("/tmp/again", SandboxOptions().disk_mb // 2)  # the space the last part filled is free again
    assert worker.pid == launcher  # the same jail: its zygote emptied it


def test_a_file_past_the_size_limit_is_an_error(hostile):
    worker = hostile(HOGS, options=SandboxOptions(fsize_mb=4, disk_mb=64))
    with pytest.raises(StudentError, match="File too large"):
        StudentProxy(worker).layers.fill_disk("big", 8)


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_an_output_flood_stops_at_the_file_size_limit_and_only_its_ends_are_kept(worker, stream):
    layers = StudentProxy(worker).layers
    with pytest.raises(StudentError) as caught:
        layers.flood(1024, stream)  # 1 GB
    assert caught.value.kind == "OSError" and "File too large" in caught.value.message
    assert "bytes omitted" in caught.value.output and len(caught.value.output) < 5000
    assert layers.ok() == 1 and worker.last.output == ""


def test_an_output_flood_that_ignores_errors_fills_nothing_beyond_the_limit(worker):
    layers = StudentProxy(worker).layers
    assert layers.flood_ignoring_errors(1024) == 1
    capture = worker._process.capture_path
    assert capture.stat().st_size <= worker.options.fsize_mb << 20
    assert len(worker.last.output) < 5000

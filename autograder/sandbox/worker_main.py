"""The worker program: imports the student's package and runs calls into it for the grader.

Started by `client.Worker` as `python -I -B <runtime>/worker_main.py ...` from a private runtime
folder holding this file and a copy of codec.py, with cwd = the staged folder holding the package,
a scrubbed environment, its own session, stdout/stderr on a capture file, and two pipes (requests
in, responses out). It imports neither the autograder nor the reference: only the standard
library, NumPy and the codec loaded by path. Resource limits are set before any student code runs.

Requests are codec-encoded dicts with an `op` (`call`, `get`, `set`, `release`, `ping`) and a
`release` list of handle ids the grader no longer needs; every response is a dict with `status`
`ok` or `error` (see `ok` and `failure`). Objects that cannot be encoded stay here in a handle
table and travel as Refs.
"""

from __future__ import annotations

import argparse
import ctypes
import faulthandler
import importlib
import importlib.util
import linecache  # noqa: F401 - traceback needs it; imported before the student's folder is on sys.path
import os
import resource
import signal
import sys
import tokenize  # noqa: F401 - likewise (linecache reads source files with it)
import traceback
from types import ModuleType
from typing import Any

import numpy as np

MESSAGE_CHARS = 2000
TRACEBACK_CHARS = 8000
PR_SET_PDEATHSIG = 1


class Failure(Exception):
    """A failed step: the exception to report and the phase it happened in."""

    def __init__(self, error: BaseException, phase: str):
        super().__init__(phase)
        self.error = error
        self.phase = phase


class HandleError(Exception):
    """A request named a handle this worker does not hold."""


def load_codec() -> ModuleType:
    """The codec.py copied next to this file, loaded by path under a private name."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "codec.py")
    spec = importlib.util.spec_from_file_location("_sandbox_codec", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGKILL this worker if the grader dies; exit now if it already has."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the grader's close() and the pipe's EOF still end the worker
    if os.getppid() != parent_pid:
        os._exit(0)


def count_my_tasks() -> int | None:
    """Processes and threads owned by this real uid (what RLIMIT_NPROC counts), if /proc says."""
    uid = os.getuid()
    try:
        pids = [name for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return None
    total = 0
    for pid in pids:
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                total += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            continue
    return total


def set_limits(memory_mb: int, fsize_mb: int, extra_tasks: int) -> None:
    """Address space, file size, no core dumps; and, unless root, a few more tasks than now."""

    def cap(which: int, value: int) -> None:
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))

    cap(resource.RLIMIT_AS, memory_mb << 20)
    cap(resource.RLIMIT_FSIZE, fsize_mb << 20)
    cap(resource.RLIMIT_CORE, 0)
    # RLIMIT_NPROC counts every task of the real user and root is exempt from it, so it is set
    # relative to the current count and skipped for root (run the grader as a normal user).
    tasks = count_my_tasks() if os.getuid() != 0 else None
    if tasks is not None:
        cap(resource.RLIMIT_NPROC, tasks + extra_tasks)


class Handles:
    """Objects kept in the worker, by handle id; the same object keeps the same id while held."""

    def __init__(self, codec: ModuleType, token: str):
        self.codec = codec
        self.token = token
        self.objects: dict[int, Any] = {}
        self.ids: dict[int, int] = {}
        self.next_id = 1

    def register(self, obj: Any) -> Any:
        handle = self.ids.get(id(obj))
        if handle is None:
            handle, self.next_id = self.next_id, self.next_id + 1
            self.objects[handle] = obj
            self.ids[id(obj)] = handle
        return self.codec.Ref(handle, str(type(obj).__name__)[:200], self.token)

    def resolve(self, ref: Any) -> Any:
        if ref.worker != self.token:
            raise HandleError(f"the {ref.type_name} handle belongs to a worker that has since restarted")
        if ref.id not in self.objects:
            raise HandleError(f"the {ref.type_name} handle #{ref.id} was released")
        return self.objects[ref.id]

    def release(self, handle: Any) -> None:
        if type(handle) is int and handle in self.objects:
            del self.ids[id(self.objects.pop(handle))]


class Worker:
    """Serves requests from the grader until the request pipe closes."""

    def __init__(self, codec: ModuleType, options: argparse.Namespace):
        self.codec = codec
        self.scratch = os.path.realpath(options.scratch)
        self.package = options.package
        self.limits = codec.FrameLimits(max_bytes=options.max_bytes)
        self.handles = Handles(codec, options.token)
        self.fd_in = options.request_fd
        self.fd_out = options.response_fd

    # --- transport -----------------------------------------------------------------------
    def read_exact(self, count: int) -> bytes | None:
        chunks, got = [], 0
        while got < count:
            chunk = os.read(self.fd_in, min(count - got, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def send(self, message: dict) -> None:
        try:
            chunks = self.codec.encode(message, to_ref=self.handles.register)
            size = sum(memoryview(chunk).nbytes for chunk in chunks) - self.codec.PREFIX.size
            if size > self.limits.max_bytes:
                message = self.failure(
                    MemoryError(f"the result takes {size} bytes, over the limit of {self.limits.max_bytes}"),
                    "encode", kind="ResultTooLarge",
                )
                chunks = self.codec.encode(message)
        except Exception as error:  # a bug here must still produce an answer
            chunks = self.codec.encode(self.failure(error, "encode"))
        for chunk in chunks:
            view = memoryview(chunk).cast("B")
            while view:
                view = view[os.write(self.fd_out, view) :]

    def serve(self) -> None:
        self.send({"status": "ready", "pid": os.getpid()})
        while True:
            prefix = self.read_exact(self.codec.PREFIX.size)
            if prefix is None:
                return
            body = self.read_exact(self.codec.frame_length(prefix, self.limits))
            if body is None:
                return
            self.send(self.handle(body))

    # --- requests ------------------------------------------------------------------------
    def decode(self, body: bytes) -> Any:
        return self.codec.decode(body, limits=self.limits, make_ref=self.handles.resolve)

    def handle(self, body: bytes) -> dict:
        """Run one request. Releases come last: the request itself never names a released handle."""
        request: dict = {}
        try:
            request = self.decode(body)
            op = request["op"]
            if op in ("ping", "release"):
                return self.ok(None)
            if op == "call":
                return self.call(request, pristine=self.decode(body))
            if op == "get":
                return self.ok(self.walk(request["target"], request["path"]))
            if op == "set":
                return self.set(request)
            raise ValueError(f"unknown op {op!r}")
        except Failure as failure:
            return self.failure(failure.error, failure.phase)
        except HandleError as error:
            return self.failure(error, "worker", kind="StaleHandle")
        except BaseException as error:
            return self.failure(error, "worker")
        finally:
            flush_output()
            for handle in request.get("release", ()):
                self.handles.release(handle)

    def call(self, request: dict, pristine: dict) -> dict:
        function = self.find(request["target"], request.get("method"))
        args, kwargs = request["args"], request["kwargs"]
        try:
            value = function(*args, **kwargs)
        except BaseException as error:
            raise Failure(error, "call") from None
        return self.ok(
            value,
            mutated_args=[not same(a, b) for a, b in zip(args, pristine["args"])],
            mutated_kwargs={name: not same(kwargs[name], pristine["kwargs"][name]) for name in kwargs},
            writeback_args=[a if type(a) is dict else None for a in args],
            writeback_kwargs={name: a for name, a in kwargs.items() if type(a) is dict},
        )

    def find(self, target: Any, method: str | None) -> Any:
        """The callable: a dotted name inside the package, or a method of a held object."""
        if isinstance(target, str):
            obj = self.import_path(target)
        else:
            obj = target
        if method is None:
            return obj
        try:
            return getattr(obj, method)
        except BaseException as error:
            raise Failure(error, "lookup") from None

    def import_path(self, target: str) -> Any:
        """Import module by module, so a broken module only breaks the names inside it."""
        parts = target.split(".")
        if not all(part.isidentifier() for part in parts):
            raise Failure(ValueError(f"bad target {target!r}"), "lookup")
        name = self.package
        try:
            obj = importlib.import_module(name)
        except BaseException as error:
            raise Failure(error, "import") from None
        for part in parts:
            name = f"{name}.{part}"
            try:
                is_module = hasattr(obj, "__path__") and importlib.util.find_spec(name) is not None
                if is_module:
                    obj = importlib.import_module(name)
            except BaseException as error:
                raise Failure(error, "import") from None
            if not is_module:
                try:
                    obj = getattr(obj, part)
                except BaseException as error:
                    raise Failure(error, "lookup") from None
        return obj

    def walk(self, obj: Any, path: list) -> Any:
        """Follow attribute names, dict keys and indexes; a str step on a dict is a key."""
        try:
            for step in path:
                obj = obj[step] if isinstance(obj, dict) or type(step) is int else getattr(obj, step)
            return obj
        except BaseException as error:
            raise Failure(error, "lookup") from None

    def set(self, request: dict) -> dict:
        path = request["path"]
        if not path:
            raise ValueError("set needs a path")
        container = self.walk(request["target"], path[:-1])
        step = path[-1]
        try:
            if isinstance(container, dict) or type(step) is int:
                container[step] = request["value"]
            else:
                setattr(container, step, request["value"])
        except BaseException as error:
            raise Failure(error, "call") from None
        return self.ok(None)

    # --- responses -----------------------------------------------------------------------
    @staticmethod
    def ok(
        value: Any,
        *,
        mutated_args: list[bool] | None = None,
        mutated_kwargs: dict[str, bool] | None = None,
        writeback_args: list[dict | None] | None = None,
        writeback_kwargs: dict[str, dict] | None = None,
    ) -> dict:
        """A success: the value, which arguments changed, and the dict arguments' new contents."""
        return {
            "status": "ok",
            "value": value,
            "mutated_args": mutated_args or [],
            "mutated_kwargs": mutated_kwargs or {},
            "writeback_args": writeback_args or [],
            "writeback_kwargs": writeback_kwargs or {},
        }

    def failure(self, error: BaseException, phase: str, *, kind: str | None = None) -> dict:
        return {
            "status": "error",
            "kind": kind or str(type(error).__name__)[:200],
            "message": safe_str(error)[:MESSAGE_CHARS],
            "traceback": self.student_traceback(error)[-TRACEBACK_CHARS:],
            "phase": phase,
            "not_implemented": isinstance(error, NotImplementedError),
            "restart": isinstance(error, MemoryError) and kind is None,
        }

    def student_traceback(self, error: BaseException) -> str:
        """The traceback limited to frames in the staged folder, with paths relative to it."""
        prefix = self.scratch + os.sep
        try:
            frames = [
                frame for frame in traceback.extract_tb(error.__traceback__)
                if os.path.realpath(frame.filename).startswith(prefix)
            ]
            for frame in frames:
                frame.filename = os.path.relpath(os.path.realpath(frame.filename), self.scratch)
            lines = ["Traceback (most recent call last):\n"] + traceback.format_list(frames) if frames else []
            lines += traceback.format_exception_only(type(error), error)
            return "".join(lines).replace(prefix, "")
        except BaseException:
            return ""


def safe_str(error: BaseException) -> str:
    try:
        return str(error)
    except BaseException:
        return "<the exception could not be printed>"


def same(before: Any, after: Any) -> bool:
    """Whether a decoded argument still equals its pristine copy (arrays bit for bit)."""
    if type(before) is not type(after):
        return False
    if type(before) in (list, tuple):
        return len(before) == len(after) and all(same(a, b) for a, b in zip(before, after))
    if type(before) is dict:
        return before.keys() == after.keys() and all(same(before[k], after[k]) for k in before)
    if type(before) is np.ndarray or isinstance(before, np.generic):
        return before.dtype == after.dtype and before.shape == after.shape and before.tobytes() == after.tobytes()
    if type(before) is float:
        return before.hex() == after.hex()
    if type(before) in (type(None), bool, int, str):
        return before == after
    return before is after or before == after


def flush_output() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except BaseException:
            pass


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--request-fd", type=int, required=True)
    parser.add_argument("--response-fd", type=int, required=True)
    parser.add_argument("--scratch", required=True)
    parser.add_argument("--package", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--fsize-mb", type=int, required=True)
    parser.add_argument("--extra-tasks", type=int, required=True)
    parser.add_argument("--max-bytes", type=int, required=True)
    parser.add_argument("--parent-pid", type=int, required=True)
    return parser.parse_args()


def main() -> None:
    options = parse_args()
    die_with_parent(options.parent_pid)
    faulthandler.enable()
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an output flood gets EFBIG, not a dead worker
    for fd in (options.request_fd, options.response_fd):
        os.set_inheritable(fd, False)
    codec = load_codec()
    set_limits(options.memory_mb, options.fsize_mb, options.extra_tasks)
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    scratch = os.path.realpath(options.scratch)
    os.chdir(scratch)
    sys.path[:] = [scratch] + [entry for entry in sys.path if entry and os.path.realpath(entry) != scratch]
    Worker(codec, options).serve()


if __name__ == "__main__":
    main()

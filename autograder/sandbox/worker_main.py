"""The worker program: imports the student's package and runs calls into it for the grader.

Started by the launcher (launcher.py) as `python -I -B <runtime>/worker_main.py ...`, with limits
already set, as the sandbox's user, in the sandbox's namespaces when the machine allows them; cwd
is its own copy of the package's folder; stdout/stderr go to a capture file; two pipes carry
requests in and responses out. It imports neither the autograder nor the reference: only the
standard library, NumPy and the codec loaded by path.

Requests are codec-encoded dicts with an `op` (`import`, `call`, `get`, `set`, `release`, `ping`)
and a `release` list of handle ids the grader no longer needs (a `call` may first `assign` a value
as `set` does, and with an `item` it answers that item of the result alone); every response is a
dict with `status` `ok` or `error` (see `ok` and `failure`), and `unclean`: what the student's
code left behind that should end this worker once the answer is in (threads, processes, open
files, memory held), or "". Objects that cannot be encoded stay here in a handle table and travel
as Refs.
"""

from __future__ import annotations

import argparse
import errno
import faulthandler
import gc
import importlib
import importlib.util
import io
import linecache  # noqa: F401 - traceback needs it; imported before the student's folder is on sys.path
import os
import py_compile
import re
import shutil
import signal
import socket
import sys
import tempfile
import time
import tokenize  # noqa: F401 - likewise (linecache reads source files with it)
import traceback
from types import ModuleType
from typing import Any

import numpy as np

MESSAGE_CHARS = 2000
TRACEBACK_CHARS = 8000
SPARE_FILES = 16
"""Open files a request may leave beyond those open at start before the worker is replaced."""
TIMERS = (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF)
PR_SET_DUMPABLE = 4
END_ROUNDS = 100
"""Rounds of SIGKILL the zygote sends to what a worker left before it gives up (a fork bomb)."""
WRITABLE = ("/tmp", "/dev/shm")
"""The jail's folders every user may write to, besides the workers' own copies of the package."""
COMPILE_TIMEOUT_S = 10.0
"""How long the zygote's child has to compile the package's modules (see Zygote.compile)."""


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


class Hygiene:
    """What the worker holds at start, to tell what a request left behind.

    It keeps its own references to the functions it uses, taken before any student code runs, so
    that replacing `os.listdir` or `open` does not hide what was left. The /proc files it reads
    after every request stay open (opening them each time would cost more than the rest of the
    check); before each read it makes sure that the descriptor is still the file it opened, since
    the submission may close it or open another file on its number.
    """

    def __init__(self, memory_mb: int, own_pid_namespace: bool):
        self.listdir, self.setitimer, self.fstat, self.pread = os.listdir, signal.setitimer, os.fstat, os.pread
        self.os_open, self.os_read, self.os_close, self.read_only = os.open, os.read, os.close, os.O_RDONLY
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.memory_bytes = memory_mb << 20
        self.own_pid_namespace = own_pid_namespace
        self.pid = os.getpid()
        self.expected = {1, self.pid, os.getppid()}
        """Init, this worker, and the zygote it was forked from (or init again)."""
        self.loadavg, self.statm, self.fd_folder = (
            self.keep(path) for path in ("/proc/loadavg", "/proc/self/statm", "/proc/self/fd")
        )
        """(descriptor, (device, inode)) of each /proc file read after every request; None without /proc."""
        self.tasks = self.count("/proc/self/task")
        self.files = self.open_files()

    def keep(self, path: str) -> tuple[int, tuple[int, int]] | None:
        """A descriptor on `path` to keep open, and the file's identity; None where there is no /proc."""
        try:
            fd = self.os_open(path, self.read_only | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        status = self.fstat(fd)
        return fd, (status.st_dev, status.st_ino)

    def checked(self, kept: tuple[int, tuple[int, int]]) -> int:
        """The kept descriptor, once it is known to be the file it was opened on (OSError if not)."""
        fd, identity = kept
        status = self.fstat(fd)
        if (status.st_dev, status.st_ino) != identity:
            raise OSError(errno.EBADF, "one of its descriptors was replaced")
        return fd

    def count(self, folder: str) -> int | None:
        """Entries of a /proc folder; None where there is no /proc."""
        try:
            return len(self.listdir(folder))
        except FileNotFoundError:
            return None

    def open_files(self) -> int | None:
        """How many files this worker has open (the kept descriptors among them); None without /proc."""
        return None if self.fd_folder is None else len(self.listdir(self.checked(self.fd_folder)))

    def leftovers(self) -> str:
        """Cancel timers, then say what the last request left that should end this worker ("" if nothing)."""
        try:
            for timer in TIMERS:
                self.setitimer(timer, 0)
            return self.left_running() or self.left_open() or self.held_memory()
        except OSError as error:
            if error.errno == errno.EMFILE:
                return "the submission left so many files open that no other can be opened"
            return f"the worker could not check what the submission left behind ({error})"
        except BaseException as error:  # the check itself was sabotaged: do not trust this worker
            return f"the worker could not check what the submission left behind ({type(error).__name__})"

    def created_nothing(self) -> bool:
        """Whether no thread or process has been created since this worker was: the last PID handed
        out in its PID namespace (/proc/loadavg's fifth field) is still its own, which cannot be
        handed out again while it runs."""
        if self.loadavg is None:
            return False
        try:
            return int(self.pread(self.checked(self.loadavg), 4096, 0).split()[4]) == self.pid
        except (OSError, ValueError, IndexError):
            return False

    def left_running(self) -> str:
        if self.created_nothing():
            return ""
        try:
            tasks = self.listdir("/proc/self/task")
        except FileNotFoundError:
            return ""  # no /proc: nothing to tell
        if self.tasks is not None and len(tasks) > self.tasks:
            return f"the submission left {len(tasks) - self.tasks} thread(s) running"
        if self.own_pid_namespace:  # only init, the zygote this worker was forked from, and itself belong here
            try:
                names = self.listdir("/proc")
            except FileNotFoundError:
                names = []
            processes = sum(name.isdigit() and int(name) not in self.expected for name in names)
        else:
            processes = self.children(tasks)
        return f"the submission left {processes} process(es) running" if processes else ""

    def children(self, tasks: list[str]) -> int:
        """The child processes of this worker, over all its threads (`tasks`)."""
        found = 0
        for task in tasks:
            try:
                found += len(self.read(f"/proc/self/task/{task}/children").split())
            except OSError:
                pass  # the thread has just ended
        return found

    def read(self, path: str) -> bytes:
        """The start of a small /proc file (the descriptor functions, not `open`: they are faster)."""
        fd = self.os_open(path, self.read_only)
        try:
            return self.os_read(fd, 4096)
        finally:
            self.os_close(fd)

    def left_open(self) -> str:
        files = self.open_files()
        if files is not None and self.files is not None and files > self.files + SPARE_FILES:
            return f"the submission left {files - self.files} file(s) open"
        return ""

    def held_memory(self) -> str:
        if self.statm is None:
            return ""
        try:
            size = int(self.pread(self.checked(self.statm), 4096, 0).split()[0]) * self.page
        except ValueError:
            return ""
        if size > self.memory_bytes // 2:
            return f"the submission holds {size >> 20} MB, over half the memory limit"
        return ""


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
        self.hygiene = Hygiene(options.memory_mb, options.own_pid_namespace)

    # --- transport -----------------------------------------------------------------------
    def send(self, message: dict) -> None:
        try:
            chunks = self.codec.encode(message, to_ref=self.handles.register)
            size = sum(memoryview(chunk).nbytes for chunk in chunks) - self.codec.PREFIX.size
            if size > self.limits.max_bytes:
                too_large = MemoryError(f"the result takes {size} bytes, over the limit of {self.limits.max_bytes}")
                chunks = self.codec.encode(self.instead(message, too_large, kind="ResultTooLarge"))
        except Exception as error:  # a bug here must still produce an answer
            chunks = self.codec.encode(self.instead(message, error))
        write_frame(self.codec, self.fd_out, chunks)

    def serve(self) -> None:
        self.send({"status": "ready", "pid": os.getpid()})
        while True:
            body = read_frame(self.codec, self.fd_in, self.limits)
            if body is None:
                return
            self.send(self.handle(body))

    # --- requests ------------------------------------------------------------------------
    def decode(self, body: bytes) -> Any:
        return self.codec.decode(body, limits=self.limits, make_ref=self.handles.resolve)

    def handle(self, body: bytes) -> dict:
        """Run one request and check what it left behind."""
        response = self.run(body)
        response["unclean"] = response["unclean"] or self.hygiene.leftovers()
        return response

    def run(self, body: bytes) -> dict:
        """Run one request. Releases come last: the request itself never names a released handle."""
        request: dict = {}
        try:
            request = self.decode(body)
            op = request["op"]
            if op in ("ping", "release"):
                return self.ok(None)
            if op == "import":
                return self.ok(self.import_module(request["name"]))
            if op == "call":
                return self.call(request, pristine=copy_values(request))
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
        if "assign" in request:
            self.assign(request["target"], *request["assign"])
        function = self.find(request["target"], request.get("method"))
        args, kwargs = request["args"], request["kwargs"]
        try:
            value = function(*args, **kwargs)
            if "item" in request:
                value = value[request["item"]]
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

    def import_module(self, name: str) -> bool:
        """Import `package.name` if it is a module (its parent already imported); False if it is not."""
        full = f"{self.package}.{name}" if name else self.package
        if full in sys.modules:
            return True
        if name and not all(part.isidentifier() for part in name.split(".")):
            raise Failure(ValueError(f"bad module name {name!r}"), "lookup")
        parent = sys.modules.get(full.rpartition(".")[0]) if name else None
        if name and not hasattr(parent, "__path__"):
            return False
        try:
            if importlib.util.find_spec(full) is None:
                return False
            importlib.import_module(full)
        except BaseException as error:
            raise Failure(error, "import") from None
        return True

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
        self.assign(request["target"], request["path"], request["value"])
        return self.ok(None)

    def assign(self, target: Any, path: list, value: Any) -> None:
        """`target.path[0][path[1]]... = value`, steps as in `walk`."""
        if not path:
            raise ValueError("set needs a path")
        container = self.walk(target, path[:-1])
        step = path[-1]
        try:
            if isinstance(container, dict) or type(step) is int:
                container[step] = value
            else:
                setattr(container, step, value)
        except BaseException as error:
            raise Failure(error, "call") from None

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
            "unclean": "",
        }

    def failure(self, error: BaseException, phase: str, *, kind: str | None = None) -> dict:
        return {
            "status": "error",
            "kind": kind or str(type(error).__name__)[:200],
            "message": safe_str(error)[:MESSAGE_CHARS],
            "traceback": self.student_traceback(error)[-TRACEBACK_CHARS:],
            "phase": phase,
            "not_implemented": isinstance(error, NotImplementedError),
            "unclean": "the submission ran out of memory" if isinstance(error, MemoryError) and kind is None else "",
        }

    def instead(self, message: dict, error: BaseException, *, kind: str | None = None) -> dict:
        """The failure to send when `message` cannot be sent, keeping its verdict on leftovers."""
        failure = self.failure(error, "encode", kind=kind)
        failure["unclean"] = failure["unclean"] or message.get("unclean", "")
        return failure

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


def read_frame(codec: ModuleType, fd: int, limits: Any) -> bytes | None:
    """The body of the next frame on `fd`; None once the other end has closed it."""
    prefix = read_exact(fd, codec.PREFIX.size)
    return None if prefix is None else read_exact(fd, codec.frame_length(prefix, limits))


def read_exact(fd: int, count: int) -> bytes | None:
    chunks, got = [], 0
    while got < count:
        chunk = os.read(fd, min(count - got, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def write_frame(codec: ModuleType, fd: int, chunks: list) -> None:
    left = codec.unwritten(chunks, 0)
    while left:
        left = codec.unwritten(left, os.writev(fd, left[: codec.IOV_MAX]))


class Zygote:
    """Forks a fresh worker for each part of the grading, so that starting one costs a fork.

    It runs before any student code and never runs any itself: each worker is forked from it,
    pristine (NumPy and the preloaded packages imported, nothing of the submission), and gets a
    fresh copy of the package, written from the bytes read at start. Commands come on a control
    socket of its own (one datagram each), which the workers close first thing: `spawn` comes with
    the worker's token and the two ends of its pipes, and forks it; `end` kills it and every other
    process left in the namespace, so that nothing of one part reaches the next, and says how the
    worker ended if it had died on its own. The zygote is not dumpable, so a worker, running as the
    same user, can neither trace it nor open its descriptors.
    """

    def __init__(self, codec: ModuleType, options: argparse.Namespace):
        set_dumpable(False)
        self.codec = codec
        self.options = options
        self.control = socket.socket(fileno=options.control)
        self.package = os.path.join(os.path.realpath(options.scratch), options.package)
        self.files = package_files(self.package)
        self.child: int | None = None
        self.compiling = self.compile()
        """The child compiling the package meanwhile (see `compile`): its pid, its folder, the pyc of each
        module by source path, and when it must be done."""

    def run(self) -> None:
        importlib.import_module("numpy.random")  # else imported on first use: some 10 ms in each worker that draws
        self.files.update(self.compiled())
        gc.freeze()  # no worker's collections walk what it inherits: those pages stay shared, not copied
        self.reply({"status": "ready"})
        while True:
            data, fds, _, _ = socket.recv_fds(self.control, self.codec.CONTROL_BYTES, 2)
            if not data:
                self.end()
                return
            command = self.codec.loads(data)
            if command.get("op") == "spawn" and self.child is None and len(fds) == 2:
                self.spawn(str(command.get("token")), *fds)
                self.reply({"status": "spawned"})
            elif command.get("op") == "end":
                wait = command.get("wait")
                self.reply({"status": "ended", **self.end(min(float(wait), 5.0) if type(wait) is float else 0.0)})
            else:
                for fd in fds:
                    os.close(fd)
                self.reply({"status": "refused"})

    def reply(self, message: dict) -> None:
        self.control.send(self.codec.dumps(message))

    def compile(self) -> tuple[int, str, dict[str, str], float]:
        """Start compiling the package's modules ahead, so that no worker compiles them again; the
        zygote goes on (importing what it preloads) while a child compiles, and `compiled` collects
        the result. The child runs none of the modules: compiling runs no code, but a module made to
        take all the memory or time allowed to compile costs this zygote nothing. What the child
        has not compiled within COMPILE_TIMEOUT_S, or cannot compile (a syntax error, for the
        student's import to report), each worker compiles as it imports it.
        """
        cached = {relative: importlib.util.cache_from_source(relative) for relative in self.files
                  if relative.endswith(".py")}  # fmt: skip
        folder = tempfile.mkdtemp(prefix=".compiled-", dir=os.path.dirname(self.package))
        deadline = time.monotonic() + COMPILE_TIMEOUT_S
        pid = os.fork()
        if pid == 0:
            try:
                self.control.close()
                for relative, pyc in cached.items():
                    try:
                        py_compile.compile(os.path.join(self.package, relative), os.path.join(folder, pyc),
                                           doraise=True, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
                    except Exception:
                        pass
            finally:
                os._exit(0)
        return pid, folder, cached, deadline

    def compiled(self) -> dict[str, bytes]:
        """What the child `compile` started has compiled: the `__pycache__` files, by path relative
        to the package. They are checked-hash pycs, which Python loads only while the source they
        were compiled from is unchanged."""
        pid, folder, cached, deadline = self.compiling
        if waited(pid, deadline) is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        compiled = {}
        for pyc in cached.values():
            try:
                with open(os.path.join(folder, pyc), "rb") as file:
                    compiled[pyc] = file.read()
            except OSError:
                pass
        remove(folder)
        return compiled

    def spawn(self, token: str, request_fd: int, response_fd: int) -> None:
        """Fork a worker that serves these pipes from a fresh copy of the package."""
        scratch = tempfile.mkdtemp(prefix=".part-", dir=os.path.dirname(self.package))  # new: none can plant files
        write_package(os.path.join(scratch, self.options.package), self.files)
        pid = os.fork()
        if pid == 0:
            try:
                self.control.close()
                set_dumpable(True)
                os.setpgid(0, 0)  # killing its own process group spares the zygote
                os.environ["HOME"] = scratch
                np.random.seed()  # its own draws, as if it had imported numpy.random itself
                serve(self.codec, argparse.Namespace(**{
                    **vars(self.options), "scratch": scratch, "token": token, "request_fd": request_fd,
                    "response_fd": response_fd,
                }))  # fmt: skip
            finally:
                os._exit(1)
        os.close(request_fd)
        os.close(response_fd)
        self.child = pid

    def end(self, wait: float = 0.0) -> dict:
        """Kill the worker (once it has had `wait` seconds to end on its own) and whatever else
        runs here but init and this zygote. Returns `clean` (whether all are gone) and `exit`: the
        worker's exit code (-signal) if it had ended on its own."""
        exit_code = None
        if self.child is not None:
            status = waited(self.child, time.monotonic() + wait)
            if status is None:
                os.kill(self.child, signal.SIGKILL)
                os.waitpid(self.child, 0)
            else:
                exit_code = os.waitstatus_to_exitcode(status)
            self.child = None
        me = os.getpid()
        for _ in range(END_ROUNDS):
            others = [pid for pid in living_processes() if pid not in (1, me)]
            if not others:
                return {"clean": self.wipe(), "exit": exit_code}
            for pid in others:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        return {"clean": False, "exit": exit_code}

    def wipe(self) -> bool:
        """Remove all the workers could write, now that none runs: the copies of the package and
        the jail's temporary folders, so that nothing a part's code wrote reaches the next part (a
        part that filled the disk leaves the next one all of it). Whether all is gone: if not, the
        grader starts a new jail."""
        folders = [os.path.dirname(self.package), *(folder for folder in WRITABLE if os.path.isdir(folder))]
        kept = [os.path.dirname(os.path.realpath(__file__)), *mount_points()]  # the jail's own: they stay

        def left(folder: str) -> list[str]:
            paths = [os.path.join(folder, name) for name in os.listdir(folder)]
            return [path for path in paths if not any(k == path or k.startswith(path + os.sep) for k in kept)]

        try:
            for folder in folders:
                for path in left(folder):
                    remove(path)
            return not any(left(folder) for folder in folders)
        except Exception:  # a tree too deep to walk, say
            return False


def waited(pid: int, deadline: float) -> int | None:
    """The wait status of the child `pid` once it has ended; None if it is still running at `deadline`."""
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.002)


def mount_points() -> list[str]:
    """Where something is mounted in this process's view (none where there is no /proc)."""
    try:
        with open("/proc/self/mounts", encoding="utf-8", errors="surrogateescape") as mounts:
            fields = [line.split()[1] for line in mounts if len(line.split()) > 1]
    except OSError:
        return []
    return [re.sub(r"\\([0-7]{3})", lambda code: chr(int(code.group(1), 8)), field) for field in fields]


def remove(path: str) -> None:
    """Remove a file, or a folder tree whatever permissions its folders were given; what cannot go stays."""
    if not os.path.isdir(path) or os.path.islink(path):
        try:
            os.unlink(path)
        except OSError:
            pass
        return
    folders = [path]
    while folders:  # open every folder up first: one made unreadable or read-only cannot be emptied
        folder = folders.pop()
        try:
            os.chmod(folder, 0o700)
            with os.scandir(folder) as entries:
                folders.extend(entry.path for entry in entries if entry.is_dir(follow_symlinks=False))
        except OSError:
            pass
    shutil.rmtree(path, ignore_errors=True)


def living_processes() -> list[int]:
    """The processes /proc lists, zombies left out."""
    living = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as stat:
                    if stat.read().rpartition(b")")[2].split()[0] != b"Z":
                        living.append(int(name))
            except (OSError, IndexError):
                pass
    return living


def package_files(folder: str) -> dict[str, bytes]:
    """Every file under `folder`, by path relative to it."""
    files = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as file:
                files[os.path.relpath(path, folder)] = file.read()
    return files


def write_package(folder: str, files: dict[str, bytes]) -> None:
    for relative, data in files.items():
        path = os.path.join(folder, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as file:
            file.write(data)


def set_dumpable(on: bool) -> None:
    """prctl(PR_SET_DUMPABLE): whether processes of the same user may trace this one (Linux)."""
    import ctypes

    ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, int(on), 0, 0, 0)


def serve(codec: ModuleType, options: argparse.Namespace) -> None:
    """Serve requests from the package folder `options.scratch` until the pipe closes, then exit."""
    scratch = os.path.realpath(options.scratch)
    os.chdir(scratch)
    sys.path[:] = [scratch] + [entry for entry in sys.path if entry and os.path.realpath(entry) != scratch]
    Worker(codec, options).serve()
    flush_output()
    os._exit(0)  # threads the submission left running must not keep the worker alive


def copy_values(value: Any) -> Any:
    """A copy of the arrays and containers in a decoded value; the objects held here are kept as
    they are (as decoding the request again would give them)."""
    if type(value) is np.ndarray:
        return value.copy()
    if type(value) in (list, tuple):
        return type(value)(copy_values(item) for item in value)
    if type(value) is dict:
        return {key: copy_values(item) for key, item in value.items()}
    return value


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


def preload(modules: list[str]) -> None:
    """Import installed packages a part needs (torch) before any student code runs; one that fails
    is left for the student's own import to report."""
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:
            pass


def flush_output() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except BaseException:
            pass


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--request-fd", type=int)
    parser.add_argument("--response-fd", type=int)
    parser.add_argument("--scratch", required=True)
    parser.add_argument("--package", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--max-bytes", type=int, required=True)
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--own-pid-namespace", action="store_true")
    parser.add_argument("--preload", action="append", default=[], metavar="MODULE")
    parser.add_argument("--control", type=int, help="a socket: fork a worker per command (Zygote) instead of serving")
    return parser.parse_args()


def main() -> None:
    options = parse_args()
    faulthandler.enable()
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an output flood gets EFBIG, not a dead worker
    for fd in (options.request_fd, options.response_fd, options.control):
        if fd is not None:
            os.set_inheritable(fd, False)
    codec = load_codec()
    # Unbuffered: a write that fails (past the file size limit) keeps nothing for a later call to print.
    for fd, name in ((1, "stdout"), (2, "stderr")):
        stream = io.TextIOWrapper(io.FileIO(fd, "w", closefd=False), encoding="utf-8", errors="backslashreplace",
                                  write_through=True)
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)
    zygote = None if options.control is None else Zygote(codec, options)  # compiling the package meanwhile
    preload(options.preload)  # before the submission's folder is on sys.path: it cannot shadow them
    if zygote is not None:
        zygote.run()
        os._exit(0)
    serve(codec, options)


if __name__ == "__main__":
    main()

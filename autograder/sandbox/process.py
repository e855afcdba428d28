"""One worker process seen from the trusted side: start it through the launcher, talk to it over two
pipes with a deadline on every step, read what it printed, and kill everything it started.

Each start gets a fresh runtime folder (kept private to the grader):

    backprop-worker-XXXX/
        worker_main.py, codec.py    the worker program
        scratch/backprop/...        the worker's own copy of the package: its cwd, HOME, sys.path[0]
        scratch/.part-XXXX/backprop/...   where workers fork from a zygote (a jail): a fresh copy per worker
        output.txt                  its stdout and stderr (bounded by RLIMIT_FSIZE)
        jail/                       where the jail's file system is mounted (in its namespace only)

In a jail, the worker sees copies of the program and of scratch/ at the same paths, on its
private tmpfs; without one it uses these files directly (handed to its user when it has one).
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.sandbox import codec
from autograder.sandbox.errors import SandboxError
from autograder.sandbox.isolation import PATH, Isolation, launch_spec, launcher_command
from autograder.sandbox.options import LimitsLike, SandboxOptions

HERE = Path(__file__).resolve().parent
RUNTIME_FILES = ("worker_main.py", "codec.py")
SWEEP_ROUNDS = 20
PR_SET_CHILD_SUBREAPER = 36
_LAUNCHED: set[int] = set()
"""Process ids of the running workers' launchers started by this process."""


class Deadline(Exception):
    """The per-call deadline passed."""


class Closed(Exception):
    """The worker closed its end of a pipe (it died, or closed the descriptor)."""


class WorkerProcess:
    """One running worker with its pipes, capture file and runtime folder.

    With `forks`, what runs is a zygote (worker_main.Zygote) instead: `spawn` forks a fresh worker
    from it, with pipes of its own, and `end` kills that worker and all it left behind, so the
    next `spawn` starts clean at the cost of a fork. It needs a jail (a PID namespace of its own).
    """

    def __init__(self, root: Path, package: str, limits: LimitsLike, options: SandboxOptions, found: Isolation,
                 preload: tuple[str, ...] = (), forks: bool = False):
        self.token = secrets.token_hex(8)
        self.found = found
        self.forks = forks
        self.modules: dict[str, bool] = {}
        """Dotted names inside the package this worker imported (True) or found not to be modules."""
        self.runtime = Path(tempfile.mkdtemp(prefix="backprop-worker-"))
        self.scratch = self.runtime / "scratch"
        self.capture_path = self.runtime / "output.txt"
        self.popen: subprocess.Popen | None = None
        self.capture = None
        self.control: socket.socket | None = None
        self.zygote_ready = False
        self.inits: list[int] = []
        """The inits of the worker's PID namespaces, once it has been killed (see `kill_soon`)."""
        self.request_fd = self.response_fd = -1
        self.request_capacity = 0
        """Bytes the request pipe holds: requests written ahead of their answers must fit in it."""
        passed: list[int] = []
        try:
            self._prepare(root, package)
            self.capture = open(self.capture_path, "ab")  # O_APPEND: truncating it rewinds the writer
            if forks:
                self.control, zygote_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                self.control.setblocking(False)
                passed = [zygote_end.detach()]
                channel = ["--control", str(passed[0])]
            else:
                passed = self._pipes()
                channel = ["--request-fd", str(passed[0]), "--response-fd", str(passed[1])]
            spec = launch_spec(
                found, options, limits.memory_mb,
                argv=self.command(package, options, limits) + channel + [
                    argument for module in preload for argument in ("--preload", module)
                ],
                cwd=str(self.scratch), keep_fds=tuple(passed),
                copies=tuple((str(path), str(path)) for path in self._runtime_paths()),
                owned=(str(self.scratch),), root=str(self.runtime / "jail") if found.jail else None,
            )  # fmt: skip
            self.popen = subprocess.Popen(
                launcher_command(spec), cwd="/", env={"PATH": PATH}, stdin=subprocess.DEVNULL,
                stdout=self.capture, stderr=self.capture, pass_fds=tuple(passed), start_new_session=True,
            )  # fmt: skip
            _LAUNCHED.add(self.popen.pid)
        except OSError as error:
            self.close()
            raise SandboxError(f"cannot start the worker with {found.python}: {error}") from error
        finally:
            for fd in passed:
                os.close(fd)

    def _pipes(self) -> list[int]:
        """New request and response pipes: keeps this side's ends, returns the worker's (read, write)."""
        for fd in (self.request_fd, self.response_fd):
            if fd >= 0:
                os.close(fd)
        request_read, self.request_fd = os.pipe()
        self.response_fd, response_write = os.pipe()
        os.set_blocking(self.request_fd, False)
        os.set_blocking(self.response_fd, False)
        self.request_capacity = fcntl.fcntl(self.request_fd, fcntl.F_GETPIPE_SZ)
        return [request_read, response_write]

    # --- the zygote ------------------------------------------------------------------------
    def await_zygote(self, deadline: float) -> None:
        """Wait for the zygote's ready message (once)."""
        if not self.zygote_ready:
            ready = self.zygote_message(deadline)
            if ready.get("status") != "ready":
                raise codec.ProtocolError(f"the zygote sent {ready!r} instead of its ready message")
            self.zygote_ready = True

    def zygote_message(self, deadline: float) -> dict:
        """The zygote's next message (its ready message, or the answer to a command)."""
        self.wait_for(self.control.fileno(), select.POLLIN, deadline)
        try:
            data = self.control.recv(codec.CONTROL_BYTES)
        except OSError:
            raise Closed from None
        if not data:
            raise Closed
        message = codec.loads(data)
        if type(message) is not dict:
            raise codec.ProtocolError(f"the zygote sent {message!r}")
        return message

    def spawn(self, deadline: float) -> None:
        """Fork a fresh worker with a new token and new pipes; its ready message is still to read."""
        self.token = secrets.token_hex(8)
        self.modules = {}
        ends = self._pipes()
        try:
            socket.send_fds(self.control, [codec.dumps({"op": "spawn", "token": self.token})], ends)
        except OSError:
            raise Closed from None
        finally:
            for fd in ends:
                os.close(fd)
        answer = self.zygote_message(deadline)
        if answer.get("status") != "spawned":
            raise codec.ProtocolError(f"the zygote answered {answer!r} to spawn")

    def end(self, deadline: float, wait: float = 0.0) -> dict:
        """Have the zygote kill the worker (after waiting up to `wait` seconds for it to end on its
        own) and all it left; its answer: `clean` (all gone) and `exit` (the worker's exit code if
        it had ended on its own, else None)."""
        try:
            self.control.send(codec.dumps({"op": "end", "wait": wait}))
        except OSError:
            raise Closed from None
        answer = self.zygote_message(deadline)
        if answer.get("status") != "ended" or type(answer.get("clean")) is not bool:
            raise codec.ProtocolError(f"the zygote answered {answer!r} to end")
        return answer

    def _runtime_paths(self) -> list[Path]:
        return [self.runtime / name for name in RUNTIME_FILES] + [self.scratch]

    def _prepare(self, root: Path, package: str) -> None:
        """The runtime folder: the worker program and a copy of the package, for the worker's user."""
        for name in RUNTIME_FILES:
            shutil.copyfile(HERE / name, self.runtime / name)
        shutil.copytree(root / package, self.scratch / package, symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
        if self.found.jail:
            (self.runtime / "jail").mkdir()
        elif self.found.user:
            adopt_orphans()
            self.runtime.chmod(0o755)
            for folder, dirnames, filenames in os.walk(self.scratch):
                for path in [folder, *(os.path.join(folder, name) for name in dirnames + filenames)]:
                    os.chown(path, *self.found.user, follow_symlinks=False)

    def command(self, package: str, options: SandboxOptions, limits: LimitsLike) -> list[str]:
        command = [
            self.found.python, "-I", "-B", str(self.runtime / "worker_main.py"),
            "--scratch", str(self.scratch),
            "--package", package,
            "--token", self.token,
            "--max-bytes", str(options.max_frame_bytes),
            "--memory-mb", str(int(limits.memory_mb)),
        ]  # fmt: skip
        return command + (["--own-pid-namespace"] if self.found.jail else [])

    def kill(self) -> None:
        """SIGKILL the worker and everything it started; return once they are all gone."""
        if self.popen is None:
            return
        inits = self.kill_soon()
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        _LAUNCHED.discard(self.popen.pid)
        if self.found.user and not self.found.jail:
            kill_orphans(self.found.user[0])
        for init in inits:  # its exit completes only once every process of its namespace is gone
            _wait_gone(init)

    def kill_soon(self) -> list[int]:
        """SIGKILL the worker and everything it started, without waiting for them to go (`kill`
        waits); the inits of its PID namespaces, which are gone once all of it is."""
        if self.popen is None:
            return []
        inits = self.inits = self.inits or (_children(self.popen.pid) if self.found.jail else [])
        for send in (os.killpg, os.kill):
            try:
                send(self.popen.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        return inits

    def close(self) -> None:
        self.kill()
        for fd in (self.request_fd, self.response_fd):
            if fd >= 0:
                os.close(fd)
        self.request_fd = self.response_fd = -1
        if self.control is not None:
            self.control.close()
        if self.capture is not None:
            self.capture.close()
        shutil.rmtree(self.runtime, ignore_errors=True)

    def clear_output(self) -> None:
        if os.fstat(self.capture.fileno()).st_size:
            os.ftruncate(self.capture.fileno(), 0)

    def output(self, limit: int) -> str:
        """The captured output since the last clear: all of it, or its head and tail."""
        if not os.fstat(self.capture.fileno()).st_size:
            return ""  # most calls print nothing
        try:
            with open(self.capture_path, "rb") as file:
                size = os.fstat(file.fileno()).st_size
                if size <= limit:
                    data = file.read(limit)
                else:
                    half = limit // 2
                    head = file.read(half)
                    file.seek(size - half)
                    data = head + f"\n... [{size - 2 * half} bytes omitted] ...\n".encode() + file.read(half)
        except OSError:
            return ""
        return data.decode("utf-8", "replace")

    def wait_for(self, fd: int, events: int, deadline: float) -> None:
        poller = select.poll()
        poller.register(fd, events | select.POLLHUP | select.POLLERR)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Deadline
            if poller.poll(max(1, int(remaining * 1000) + 1)):
                return

    def write(self, chunks: list[bytes | memoryview], deadline: float) -> None:
        left = codec.unwritten(chunks, 0)
        while left:
            try:
                left = codec.unwritten(left, os.writev(self.request_fd, left[: codec.IOV_MAX]))
            except BlockingIOError:  # the pipe is full: wait (most requests fit at once)
                self.wait_for(self.request_fd, select.POLLOUT, deadline)
            except BrokenPipeError:
                raise Closed from None

    def read_exact(self, count: int, deadline: float) -> bytearray:
        buffer = bytearray(count)
        view = memoryview(buffer)
        got = 0
        while got < count:
            try:
                n = os.readv(self.response_fd, [view[got:]])
            except BlockingIOError:  # nothing yet: wait (often the answer is there already)
                self.wait_for(self.response_fd, select.POLLIN, deadline)
                continue
            if n == 0:
                raise Closed
            got += n
        return buffer

    def exit_status(self) -> int | None:
        """The worker's exit code once it has stopped on its own (waiting up to a second)."""
        if self.forks:
            try:
                return self.end(time.monotonic() + 2, wait=1.0)["exit"]
            except (Deadline, Closed, codec.ProtocolError):
                pass  # the zygote is gone too: the launcher tells how it ended
        try:
            return self.popen.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return None


def _status(pid: int) -> tuple[int, bool] | None:
    """(real uid, is a zombie) of a process; None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
        return int(fields["Uid"].split()[0]), fields["State"].strip().startswith("Z")
    except (OSError, ValueError, KeyError):
        return None


def _children(pid: int) -> list[int]:
    """The child processes of `pid`, of all its threads (where Linux lists them)."""
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                found += [int(child) for child in children.read().split()]
    except (OSError, ValueError):
        pass
    return found


def _wait_gone(pid: int, timeout: float = 10.0) -> None:
    """Wait until `pid` has exited (gone, or a zombie), for at most `timeout` seconds: on a pidfd,
    which becomes readable when it exits, where Linux has them; else looking every millisecond."""
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):  # no pidfds here, or the process is already gone
        deadline = time.monotonic() + timeout
        while (_status(pid) or (0, True))[1] is False and time.monotonic() < deadline:
            time.sleep(0.001)
        return
    try:
        select.select([fd], [], [], timeout)
    finally:
        os.close(fd)


def adopt_orphans() -> None:
    """Make this process the parent of its descendants' orphans (Linux), so that what a worker
    leaves behind without a PID namespace, even in a session of its own, stays findable here."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def kill_orphans(uid: int) -> None:
    """SIGKILL and reap this process's children of `uid` that no running worker owns: the processes
    a stopped worker left behind (adopted by `adopt_orphans`). Other graders' are not touched."""
    for _ in range(SWEEP_ROUNDS):
        left = [(pid, _status(pid)) for pid in _children(os.getpid()) if pid not in _LAUNCHED]
        left = [(pid, status[1]) for pid, status in left if status and status[0] == uid]
        if not left:
            return
        for pid, zombie in left:
            try:
                if not zombie:
                    os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass


def describe_exit(status: int | None, memory_mb: int) -> str:
    """A sentence naming how the worker ended."""
    if status is None:
        return "the worker closed its result channel (did the submission close file descriptors it does not own?)"
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        if name == "SIGKILL":
            return (
                f"the worker was killed by SIGKILL: by the system for using too much memory (limit {memory_mb} MB), "
                "or by the submission itself"
            )
        if name == "SIGSEGV":
            return "the worker crashed with SIGSEGV (segmentation fault)"
        return f"the worker was killed by {name}"
    return (
        f"the worker exited with code {status} in the middle of the call: "
        f"the submission probably called os._exit({status})"
    )

"""How much isolation this machine allows the worker, found out once per process by trying it.

    found = find_isolation(python)     # cached per (python, options)
    probed = find_isolation_soon(python)   # the same, in a thread: `probed` is set once it is known
    if found.off:
        print(found.summary())         # say once which protections are off, then grade anyway
    found.pin()                        # subprocesses (the hidden tests' pytest) may not do with less,
                                       # and take it as found instead of trying again

The candidates, strongest first; the first whose trial run works is used:

1. a jail (Linux namespaces; see launcher.py): as root, as the unprivileged `options.user`; as a
   normal user, inside a user namespace where the system allows one;
2. as root without namespaces: the unprivileged user alone (it must be able to run the Python);
3. nothing but the resource limits.

A trial runs the launcher exactly as a worker start does, with a probe program instead of the
worker, which also reports which secret folders (the kit's own folder) it can read.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from autograder.sandbox.errors import SandboxError
from autograder.sandbox.options import SandboxOptions

PINNED = "BACKPROP_SANDBOX_PROTECTIONS"
"""Environment variable listing the protections a grader found on (`Isolation.pin`): a process that
inherits it refuses to start workers with fewer, so a passing failure cannot quietly weaken them."""
HANDED_DOWN = "BACKPROP_SANDBOX_ISOLATION"
"""Environment variable holding the isolation a grader found (`Isolation.pin`), with the interpreter
and options it was found for, as JSON: a subprocess that looks for the same takes it instead of
trying again (the trials start subprocesses of their own: a few tenths of a second)."""
LAUNCHER = Path(__file__).resolve().parent / "launcher.py"
PACKAGE = Path(__file__).resolve().parents[1]
"""The autograder package (the hidden tests live in it), wherever it is installed."""
KIT = PACKAGE.parent
"""The kit's checkout when it holds grading.toml (reference, tests, release, history)."""
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc/ld.so.cache", "/etc/localtime")
"""Exposed read-only in the jail: programs and shared libraries (top-level symlinks stay symlinks)."""
JAIL_INODES = 8192
PROBE_MEMORY_MB = 1024
PATH = "/usr/local/bin:/usr/bin:/bin"
DESCRIBE = "import json, sys, numpy; print(json.dumps([sys.prefix, sys.base_prefix, sys.exec_prefix, *sys.path]))"
PROBE = """
import json, os, sys, numpy
secrets, exposed = json.loads(sys.argv[1]), json.loads(sys.argv[2])

def on_the_way(path):
    return any(folder == path or folder.startswith(path + "/") for folder in exposed)

def readable(secret):
    try:
        if not os.path.isdir(secret):
            with open(secret, "rb") as file:
                return bool(file.read(1))  # a covered file reads as empty
        return any(not on_the_way(os.path.join(secret, name)) for name in os.listdir(secret))
    except OSError:
        return False

print(json.dumps({"uid": os.getuid(), "readable": [secret for secret in secrets if readable(secret)]}))
"""
"""Run as the worker would be: its user, and the secrets it can read (beyond the folders leading to
exposed ones, such as the kit's own virtual environment)."""


@dataclass(frozen=True)
class Protection:
    """One protection of the worker, on or off, with what it means or why it is off."""

    name: str
    """`user`, `secrets`, `filesystem`, `network` or `processes`."""
    on: bool
    detail: str


@dataclass(frozen=True)
class Isolation:
    """How workers are started on this machine."""

    python: str
    """The worker's interpreter."""
    jail: bool
    """Linux namespaces: a private file system, no network, a PID namespace."""
    user_namespace: bool
    """The jail is built inside a user namespace (the grader is not root)."""
    user: tuple[int, int] | None
    """(uid, gid) the worker switches to; None keeps the grader's."""
    exposed: tuple[str, ...]
    """Folders and files shown read-only in the jail."""
    secrets: tuple[str, ...]
    """Folders the worker must not read."""
    protections: tuple[Protection, ...]

    @property
    def off(self) -> tuple[Protection, ...]:
        return tuple(protection for protection in self.protections if not protection.on)

    def pin(self, options: SandboxOptions = SandboxOptions()) -> None:
        """Require these protections in the subprocesses this process starts from now on, and hand
        them this isolation, found with `options`, so that they need not try again."""
        os.environ[PINNED] = ",".join(protection.name for protection in self.protections if protection.on)
        os.environ[HANDED_DOWN] = json.dumps({"key": [self.python, repr(options)], "isolation": asdict(self)})

    def summary(self) -> str:
        """One paragraph naming the protections that are off and why; empty when all are on."""
        if not self.off:
            return ""
        lines = [f"- {protection.name}: {protection.detail}" for protection in self.off]
        return "\n".join(["Sandbox protections off (student code is graded without them):", *lines])


@dataclass(frozen=True)
class _Mode:
    jail: bool
    user_namespace: bool
    user: tuple[int, int] | None


_FOUND: dict[tuple[str, SandboxOptions], Isolation] = {}
_FINDING = threading.Lock()


def find_isolation(python: str | Path = sys.executable, options: SandboxOptions = SandboxOptions()) -> Isolation:
    """The strongest isolation that works here for workers running `python` (tried once, then cached).

    Raises:
        SandboxError: `python` cannot run at all, or has no NumPy; or a protection the grader pinned
            (see `Isolation.pin`) is off here.
    """
    key = (os.path.abspath(python), options)
    with _FINDING:  # a search already under way (find_isolation_soon) is waited for, not repeated
        if key not in _FOUND:
            found = _handed_down(key) or _find(key[0], options)
            pinned = [name for name in os.environ.get(PINNED, "").split(",") if name]
            lost = [protection for protection in found.off if protection.name in pinned]
            if lost:
                details = "; ".join(f"{protection.name}: {protection.detail}" for protection in lost)
                raise SandboxError(f"sandbox protections the grader requires are off in this process: {details}")
            _FOUND[key] = found
        return _FOUND[key]


def _handed_down(key: tuple[str, SandboxOptions]) -> Isolation | None:
    """The isolation the grader that started this process found for `key` (see `Isolation.pin`), if any."""
    try:
        handed = json.loads(os.environ.get(HANDED_DOWN, "null"))
        if handed is None or handed["key"] != [key[0], repr(key[1])]:
            return None
        fields = handed["isolation"]
        return Isolation(
            python=fields["python"], jail=fields["jail"], user_namespace=fields["user_namespace"],
            user=None if fields["user"] is None else tuple(fields["user"]), exposed=tuple(fields["exposed"]),
            secrets=tuple(fields["secrets"]), protections=tuple(Protection(**item) for item in fields["protections"]),
        )  # fmt: skip
    except (ValueError, KeyError, TypeError):
        return None


def find_isolation_soon(
    python: str | Path = sys.executable, options: SandboxOptions = SandboxOptions()
) -> threading.Event:
    """Start `find_isolation` in a thread, so that its trial runs (subprocesses: a few tenths of a
    second) overlap the caller's work; the event returned is set once it is done. A failure is not
    kept: the next `find_isolation` tries again and raises it."""
    done = threading.Event()

    def search() -> None:
        try:
            find_isolation(python, options)
        except Exception:
            pass  # not kept: find_isolation raises it again where the answer is needed
        finally:
            done.set()

    threading.Thread(target=search, name="find-isolation", daemon=True).start()
    return done


def worker_environment(home: str, threads: int) -> dict[str, str]:
    """Only what Python and NumPy need; no PYTHON*, no grader secrets."""
    env = {"PATH": PATH, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": home}
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    return env


def launch_spec(found: Isolation, options: SandboxOptions, memory_mb: int, *, argv: list[str], cwd: str,
                keep_fds: tuple[int, ...] = (), copies: tuple[tuple[str, str], ...] = (),
                owned: tuple[str, ...] = (), root: str | None = None) -> dict[str, Any]:
    """The launcher's instructions: run `argv` in `cwd` with these protections.

    Args:
        copies: (host path, path in the jail) to copy into the jail's file system.
        owned: paths in the jail (among the copies' targets) to give to the worker's user.
        root: an empty folder to mount the jail on (a jail only).
    """
    jail = None
    if found.jail:
        jail = {
            "root": root, "user_namespace": found.user_namespace, "disk_mb": options.disk_mb, "inodes": JAIL_INODES,
            "expose": list(found.exposed), "secrets": list(found.secrets),
            "copies": [list(pair) for pair in copies], "owned": list(owned),
        }  # fmt: skip
    return {
        "argv": argv, "env": worker_environment(cwd, options.threads), "cwd": cwd, "keep_fds": list(keep_fds),
        "parent_pid": os.getpid(), "user": list(found.user) if found.user else None, "jail": jail,
        "limits": {"memory_mb": int(memory_mb), "fsize_mb": options.fsize_mb, "open_files": options.open_files,
                   "extra_tasks": options.extra_tasks},
    }  # fmt: skip


def launcher_command(spec: dict[str, Any]) -> list[str]:
    return [sys.executable, "-I", "-S", "-B", str(LAUNCHER), json.dumps(spec)]


# --- finding out -------------------------------------------------------------------------------
def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _python_paths(python: str, timeout: float) -> list[str]:
    """The folders `python -I` runs from: its prefixes and the absolute entries of its sys.path."""
    try:
        result = subprocess.run(
            [python, "-I", "-c", DESCRIBE], capture_output=True, text=True, timeout=timeout,
            stdin=subprocess.DEVNULL, env=worker_environment("/", 1), cwd="/",
        )  # fmt: skip
        paths = json.loads(result.stdout) if result.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError) as error:
        raise SandboxError(f"cannot start the worker with {python}: {error}") from error
    if not isinstance(paths, list):
        raise SandboxError(f"cannot start the worker with {python} (does it have NumPy?):\n{result.stderr.strip()}")
    paths += [os.path.dirname(python), os.path.dirname(os.path.realpath(python))]
    return [os.path.realpath(path) for path in paths if os.path.isabs(path) and os.path.exists(path)]


def _secrets(options: SandboxOptions) -> tuple[str, ...]:
    secrets = [str(PACKAGE), *([str(KIT)] if (KIT / "grading.toml").exists() else [])]
    secrets += [os.path.realpath(path) for path in options.hidden_paths]
    return tuple(dict.fromkeys(secrets))


def _exposed(python_paths: list[str], secrets: tuple[str, ...]) -> tuple[str, ...]:
    """System paths and Python's folders, minus those inside another one and the secrets themselves."""
    candidates = [path for path in SYSTEM_PATHS if os.path.lexists(path)] + python_paths
    kept: list[str] = []
    for path in sorted(dict.fromkeys(candidates), key=len):
        if path not in secrets and not any(_under(path, folder) for folder in kept if not os.path.islink(folder)):
            kept.append(path)
    return tuple(kept)


def _modes(options: SandboxOptions) -> list[_Mode]:
    root = os.geteuid() == 0
    user = options.user if root else None
    modes = []
    if options.namespaces and sys.platform.startswith("linux"):
        modes.append(_Mode(jail=True, user_namespace=not root, user=user))
    if user:
        modes.append(_Mode(jail=False, user_namespace=False, user=user))
    modes.append(_Mode(jail=False, user_namespace=False, user=None))
    return modes


def _trial(mode: _Mode, python: str, exposed: tuple[str, ...], secrets: tuple[str, ...],
           options: SandboxOptions) -> dict[str, Any] | str:
    """Run the probe as a worker would be run: its report, or why it failed."""
    found = Isolation(python, mode.jail, mode.user_namespace, mode.user, exposed, secrets, ())
    root = tempfile.mkdtemp(prefix="backprop-probe-") if mode.jail else None
    try:
        argv = [python, "-I", "-B", "-c", PROBE, json.dumps(secrets), json.dumps(exposed)]
        spec = launch_spec(found, options, PROBE_MEMORY_MB, argv=argv, cwd="/", root=root)
        result = subprocess.run(
            launcher_command(spec), capture_output=True, text=True, timeout=options.startup_timeout_s,
            stdin=subprocess.DEVNULL, cwd="/", env={"PATH": PATH}, start_new_session=True,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    finally:
        if root:
            shutil.rmtree(root, ignore_errors=True)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        report = None
    if result.returncode != 0 or not isinstance(report, dict):
        lines = (result.stderr.strip() or f"exit status {result.returncode}").splitlines()
        return lines[-1].removeprefix("sandbox: ")
    if mode.user and report.get("uid") != mode.user[0]:
        return f"the probe ran as uid {report.get('uid')}, not {mode.user[0]}"
    return report


def _find(python: str, options: SandboxOptions) -> Isolation:
    secrets = _secrets(options)
    exposed = _exposed(_python_paths(python, options.startup_timeout_s), secrets)
    failures: dict[_Mode, str] = {}
    for mode in _modes(options):
        report = _trial(mode, python, exposed, secrets, options)
        if isinstance(report, dict):
            protections = _protections(mode, report, failures, python, options)
            return Isolation(python, mode.jail, mode.user_namespace, mode.user, exposed, secrets, protections)
        failures[mode] = report
    raise SandboxError(f"cannot start the worker with {python}: {report}")


def _protections(mode: _Mode, report: dict[str, Any], failures: dict[_Mode, str], python: str,
                 options: SandboxOptions) -> tuple[Protection, ...]:
    root = os.geteuid() == 0
    jail_failure = next((why for tried, why in failures.items() if tried.jail), None)
    user_failure = next((why for tried, why in failures.items() if tried.user and not tried.jail), None)
    if not options.namespaces:
        no_jail = "namespaces are turned off (SandboxOptions(namespaces=False))"
    elif not sys.platform.startswith("linux"):
        no_jail = f"Linux namespaces do not exist on {sys.platform}"
    else:
        no_jail = (
            f"Linux namespaces are not available here ({jail_failure}); run the grader as root with "
            "CAP_SYS_ADMIN, or allow unprivileged user namespaces"
        )
    if mode.user:
        uid, gid = mode.user
        user = Protection("user", True, f"the worker runs as uid {uid} (gid {gid}), not as the grader")
    elif not root:
        within = ", in a user namespace without privileges outside it" if mode.user_namespace else ""
        user = Protection("user", False, f"the grader is not root, so the worker keeps the grader's user{within}")
    elif options.user is None:
        user = Protection("user", False, "the worker runs as root: turned off (SandboxOptions(user=None))")
    else:
        user = Protection("user", False, (
            f"the worker runs as root, as uid {options.user[0]} cannot use the worker's Python ({user_failure}); "
            f"install the kit's Python where uid {options.user[0]} can read it"
        ))  # fmt: skip
    readable = report["readable"]
    if not readable:
        where = "they are outside its file system" if mode.jail else "file permissions"
        secrets = Protection("secrets", True, f"the worker cannot read the kit (reference, hidden tests): {where}")
    else:
        why = "" if mode.jail else f": {no_jail}"
        fix = f"; or make them unreadable to uid {mode.user[0]}" if mode.user and not mode.jail else ""
        secrets = Protection("secrets", False, f"the worker can read {', '.join(readable)}{why}{fix}")
    if mode.jail:
        return (
            user, secrets,
            Protection("filesystem", True, (
                "the worker sees only Python, the system libraries and its own copy of the submission, "
                f"and writes to a private {options.disk_mb} MB file system"
            )),
            Protection("network", True, "the worker has no network (an empty network namespace)"),
            Protection("processes", True, (
                "the worker sees and signals no other process, and whatever it starts ends with it (a PID namespace)"
            )),
        )  # fmt: skip
    if mode.user:
        processes = (
            "the worker sees the machine's processes and may signal those of its own user; those it leaves "
            "behind are still killed (the grader adopts them)"
        )
    else:
        processes = "the worker may signal the grader, and processes it starts in a new session may outlive it"
    return (
        user, secrets,
        Protection("filesystem", False, f"the worker sees the machine's files, writes where its user may: {no_jail}"),
        Protection("network", False, f"the worker can use the network: {no_jail}"),
        Protection("processes", False, f"{processes}: {no_jail}"),
    )  # fmt: skip

"""Start the worker inside the sandbox: namespaces, a private file system, limits, another user.

Run by the trusted grader as `python -I -S -B launcher.py SPEC`, SPEC being the JSON that
`isolation.launch_spec` writes. It uses the standard library only and runs before any student
code, as the grader's user (root on Gradescope and in CI).

With a jail (Linux namespaces), three processes:

    launcher: outside the new PID namespace; waits, then ends the way the worker ended
      init:   PID 1 of the namespace; builds the file system, reaps orphans, stays root
        worker: PID 2; the worker program, with limits, as the sandbox user

init exits as soon as the worker does, and the kernel then kills every process left in the
namespace, even those in a session of their own. init dies with the launcher and the launcher with
the grader (PR_SET_PDEATHSIG). The worker's file system is a size-limited tmpfs holding read-only
binds of the exposed folders (Python and the system libraries), fresh /dev nodes and /proc, and
its own copies of the files to copy (the worker program and the submission); secret folders that
an exposed folder contains are covered by empty file systems. The network namespace is empty.

Without a jail the launcher sets the limits, changes user if asked, and becomes the worker.
A setup failure prints `sandbox: ...` on stderr and exits with SETUP_FAILED.
"""

import ctypes
import json
import os
import resource
import shutil
import signal
import struct
import sys

SETUP_FAILED = 125
STATUS = struct.Struct("=i")

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC, MS_PRIVATE, MS_RELATIME = 1024, 2048, 4096, 16384, 1 << 18, 1 << 21
PR_SET_PDEATHSIG, PR_SET_DUMPABLE = 1, 4
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
DEVICE_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
                "stderr": "/proc/self/fd/2"}
# Flags a read-only remount must keep (the kernel refuses to drop them inside a user namespace).
KEPT_FLAGS = {"ST_NOSUID": MS_NOSUID, "ST_NODEV": MS_NODEV, "ST_NOEXEC": MS_NOEXEC,
              "ST_NOATIME": MS_NOATIME, "ST_NODIRATIME": MS_NODIRATIME, "ST_RELATIME": MS_RELATIME}

LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


class SetupError(Exception):
    """A protection could not be put in place; the message names the step."""


def libc_call(what, name, *args):
    """Call a libc function that returns 0 on success; SetupError saying `what` failed otherwise."""
    if getattr(LIBC, name)(*args) != 0:
        raise SetupError(f"{what}: {os.strerror(ctypes.get_errno())}")


def encoded(text):
    return None if text is None else os.fsencode(text)


def mount(source, target, fstype, flags, data=None):
    what = f"mount {fstype or source or ''} on {target}".replace("  ", " ")
    libc_call(what, "mount", encoded(source), encoded(target), encoded(fstype), ctypes.c_ulong(flags), encoded(data))


def die_with_parent():
    """SIGKILL this process when its parent dies (Linux only; cleared by a change of user)."""
    if LIBC is not None:
        LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def count_tasks(uid):
    """Processes and threads of `uid` on the machine: what RLIMIT_NPROC counts."""
    total = 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    total += len(os.listdir(f"/proc/{name}/task"))
            except OSError:
                continue
    return total


def task_limit(spec):
    """RLIMIT_NPROC for the worker: its user's current tasks plus a few; None for root (exempt)."""
    uid = spec["user"][0] if spec["user"] else os.getuid()
    if uid == 0 or not os.path.isdir("/proc"):
        return None
    return count_tasks(uid) + spec["limits"]["extra_tasks"]


def set_limits(limits, tasks):
    """Address space, file size, open files, no core dumps, and the task limit when there is one."""

    def cap(which, value):
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))

    cap(resource.RLIMIT_AS, limits["memory_mb"] << 20)
    cap(resource.RLIMIT_FSIZE, limits["fsize_mb"] << 20)
    cap(resource.RLIMIT_NOFILE, limits["open_files"])
    cap(resource.RLIMIT_CORE, 0)
    if tasks is not None:
        cap(resource.RLIMIT_NPROC, tasks)


def become_worker(spec, tasks):
    """Close stray descriptors, set the limits, change user, and exec the worker (never returns)."""
    keep = sorted(spec["keep_fds"])
    previous = 2
    for fd in [*keep, resource.getrlimit(resource.RLIMIT_NOFILE)[0]]:
        os.closerange(previous + 1, fd)
        previous = fd
    for fd in keep:
        os.set_inheritable(fd, True)
    set_limits(spec["limits"], tasks)
    if spec["user"]:
        uid, gid = spec["user"]
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    die_with_parent()
    os.chdir(spec["cwd"])
    argv = spec["argv"]
    os.execve(argv[0], argv, spec["env"])


# --- the jail's file system -------------------------------------------------------------------
def kept_flags(path):
    flags = os.statvfs(path).f_flag
    return sum(ms for name, ms in KEPT_FLAGS.items() if flags & getattr(os, name, 0))


def make_mountpoint(target, directory):
    os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
    if directory:
        os.makedirs(target, mode=0o755, exist_ok=True)
    elif not os.path.exists(target):
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))


def bind(source, target, readonly=True):
    """Show `source` at `target`; a symlink is copied as a symlink."""
    if os.path.islink(source):
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        os.symlink(os.readlink(source), target)
        return
    make_mountpoint(target, os.path.isdir(source))
    mount(source, target, None, MS_BIND | MS_REC)
    flags = MS_BIND | MS_REMOUNT | MS_NOSUID | kept_flags(target) | (MS_RDONLY if readonly else 0)
    mount(None, target, None, flags)


def mask(target):
    """Cover a secret folder (or file) that an exposed folder contains with an empty one."""
    if os.path.isdir(target):
        mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k,nr_inodes=64,mode=755")
    else:
        bind("/dev/null", target)


def copy_in(source, target, owner):
    """Copy a file or folder into the jail, owned by `owner` (uid, gid) when given."""
    os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
    if os.path.isdir(source):
        shutil.copytree(source, target, symlinks=True)
    else:
        shutil.copy2(source, target)
    if owner:
        os.chown(target, *owner, follow_symlinks=False)
        for folder, dirnames, filenames in os.walk(target):
            for name in dirnames + filenames:
                os.chown(os.path.join(folder, name), *owner, follow_symlinks=False)


def build_root(jail, owner):
    """Mount the jail's file system at jail['root'] (in this process's private mount namespace)."""
    root = jail["root"]
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV,
          f"size={jail['disk_mb']}m,nr_inodes={jail['inodes']},mode=755")
    for name, mode in (("tmp", 0o1777), ("dev", 0o755), ("dev/shm", 0o1777), ("proc", 0o555)):
        os.mkdir(os.path.join(root, name))
        os.chmod(os.path.join(root, name), mode)
    for device in DEVICES:
        if os.path.exists(device):
            bind(device, root + device, readonly=False)
    for name, target in DEVICE_LINKS.items():
        os.symlink(target, os.path.join(root, "dev", name))
    exposed, secrets = set(jail["expose"]), set(jail["secrets"])
    for path in sorted(exposed | secrets, key=lambda p: (p.count("/"), p)):
        if path in exposed:
            bind(path, root + path)
        elif os.path.lexists(root + path):
            mask(root + path)
    try:
        # hidepid: the worker sees only its own user's processes (not init, which stays root)
        mount("proc", os.path.join(root, "proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2")
    except SetupError:
        pass  # some containers refuse a new /proc; the worker then has none
    for source, target in jail["copies"]:
        copy_in(source, root + target, owner if target in jail["owned"] else None)


# --- processes ----------------------------------------------------------------------------------
def enter_namespaces(jail):
    """Unshare the namespaces; as a normal user, inside a user namespace mapping only itself."""
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    if jail["user_namespace"]:
        flags |= CLONE_NEWUSER
    libc_call("unshare (new namespaces)", "unshare", ctypes.c_int(flags))
    if jail["user_namespace"]:
        # Map the user to itself (not to 0): the worker then execs without any capability.
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as file:
                file.write(text)


def run_init(spec, tasks, status_write):
    """PID 1: build the file system, start the worker, reap, report its status, exit (never returns)."""
    try:
        die_with_parent()
        os.umask(0o022)
        build_root(spec["jail"], spec["user"])
        os.chroot(spec["jail"]["root"])
        os.chdir("/")
        if LIBC is not None:
            LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # the worker may not ptrace init
    except (OSError, SetupError) as error:
        fail(error)
    worker = os.fork()
    if worker == 0:
        os.close(status_write)
        start_worker(spec, tasks)
    for fd in spec["keep_fds"]:
        os.close(fd)
    while True:
        pid, status = os.wait()
        if pid == worker:
            os.write(status_write, STATUS.pack(status))
            os._exit(0)


def mirror(init, status_read):
    """End this process the way the worker ended: the same exit code, or the same signal."""
    _, init_status = os.waitpid(init, 0)
    data = os.read(status_read, STATUS.size)
    if len(data) == STATUS.size:
        (status,) = STATUS.unpack(data)
    elif os.WIFEXITED(init_status):
        os._exit(os.WEXITSTATUS(init_status))  # init failed to set up (it said why)
    else:
        status = init_status
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if number not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
        os.kill(os.getpid(), signal.SIGKILL)
    os._exit(os.WEXITSTATUS(status))


def start_worker(spec, tasks):
    try:
        become_worker(spec, tasks)
    except (OSError, SetupError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        print(f"sandbox: cannot start {spec['argv'][0]}: {reason}", file=sys.stderr, flush=True)
    os._exit(127)


def fail(error):
    print(f"sandbox: {error}", file=sys.stderr, flush=True)
    os._exit(SETUP_FAILED)


def main():
    spec = json.loads(sys.argv[1])
    die_with_parent()
    if os.getppid() != spec["parent_pid"]:
        os._exit(SETUP_FAILED)  # the grader is already gone
    try:
        tasks = task_limit(spec)
        if spec["jail"] is None:
            start_worker(spec, tasks)
        enter_namespaces(spec["jail"])
        die_with_parent()
        status_read, status_write = os.pipe()
        init = os.fork()
    except (OSError, SetupError) as error:
        fail(error)
    if init == 0:
        os.close(status_read)
        run_init(spec, tasks, status_write)
    os.close(status_write)
    for fd in spec["keep_fds"]:
        os.close(fd)
    mirror(init, status_read)


if __name__ == "__main__":
    main()

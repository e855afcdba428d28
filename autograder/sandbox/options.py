"""Settings of the sandbox beyond the manifest's limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class LimitsLike(Protocol):
    """What the worker reads from the manifest's Limits."""

    call_timeout_s: float
    memory_mb: int


@dataclass(frozen=True)
class SandboxOptions:
    """Settings of the worker beyond the manifest's limits."""

    threads: int = 1
    """OMP/OPENBLAS/MKL_NUM_THREADS in the worker."""
    fsize_mb: int = 64
    """Largest file the worker may write (RLIMIT_FSIZE), its captured output included."""
    open_files: int = 256
    """Most files the worker may hold open at once (RLIMIT_NOFILE)."""
    extra_tasks: int = 16
    """RLIMIT_NPROC above the worker user's current task count (root is exempt: see `user`)."""
    output_chars: int = 4096
    """Captured output kept per call: the head and the tail when longer."""
    max_frame_bytes: int = 256 << 20
    """Largest message accepted from (and sent to) the worker."""
    startup_timeout_s: float = 60.0
    """Time allowed for the worker to start (Python and NumPy imports)."""
    user: tuple[int, int] | None = (65534, 65534)
    """(uid, gid) the worker runs as when the grader runs as root; None keeps root."""
    namespaces: bool = True
    """Use Linux namespaces where the system allows: a private file system, no network, a PID
    namespace (as root, or as a normal user where unprivileged user namespaces are allowed)."""
    disk_mb: int = 64
    """Size of the worker's private file system (its /tmp and its copy of the submission)."""
    hidden_paths: tuple[str, ...] = ()
    """Further files or folders the worker must not read; the kit's own folder always is one."""
    timeouts_per_target: int | None = 3
    """After this many timeouts of one function or method, later calls to it fail at once (so a
    hang costs its own checks, not the time budget of the others); None retries every time."""

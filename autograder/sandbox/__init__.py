"""Run student code in a separate, isolated, resource-limited worker process and talk to it safely.

The trusted grader process alone imports the reference; the student's package is imported in the
worker (`worker_main.py`), started by `launcher.py` in a jail (namespaces, another user) as far as
the machine allows (`isolation.py`), and reached through `StudentProxy`/`Worker` (`client.py`). Values
cross in the `codec` format, never pickled; objects that cannot cross stay in the worker as
RemoteObjects. In a jail, the launched process is a zygote that has imported NumPy and never runs
student code; `Worker.fresh()` gives the next requests a new worker forked from it (a few
milliseconds), with everything the previous one left killed.
"""

from autograder.sandbox.client import CallResult, RemoteMethod, RemoteObject, StudentProxy, Worker
from autograder.sandbox.codec import FrameLimits, ProtocolError, Ref
from autograder.sandbox.errors import (
    BadValue,
    NotStarted,
    SandboxError,
    StudentError,
    StudentTimeout,
    WorkerCrashed,
)
from autograder.sandbox.isolation import Isolation, Protection, find_isolation
from autograder.sandbox.options import SandboxOptions

__all__ = [
    "BadValue",
    "CallResult",
    "FrameLimits",
    "Isolation",
    "NotStarted",
    "ProtocolError",
    "Protection",
    "Ref",
    "RemoteMethod",
    "RemoteObject",
    "SandboxError",
    "SandboxOptions",
    "StudentError",
    "StudentProxy",
    "StudentTimeout",
    "Worker",
    "WorkerCrashed",
    "find_isolation",
]

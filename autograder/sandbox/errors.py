"""What a call into student code can raise on the trusted side.

StudentError and its subclasses are the student's failures and become feedback; SandboxError is the
grader's own failure (the worker cannot start) and must not be blamed on the submission.
"""

from __future__ import annotations


class SandboxError(RuntimeError):
    """The worker could not be started or driven; a grader problem, not the student's."""


class StudentError(Exception):
    """A call into student code failed.

    Attributes:
        kind: the exception type name raised in student code (`ValueError`), or the sandbox's
            name for the failure (`Timeout`, `WorkerCrashed`, `BadValue`, `StaleHandle`).
        message: the exception's message.
        traceback: the traceback, limited to frames in the student's files (paths relative to
            the staged folder); empty when there is none.
        output: what the student code printed during the call (head and tail when long).
        target: what was called, e.g. `layers.affine_forward` or `TwoLayerNet.loss`.
        phase: where it failed: `import` (loading the module), `lookup` (finding the name),
            `call`, `encode` (sending the result back) or `worker` (the worker itself).
    """

    def __init__(self, kind: str, message: str, *, traceback: str = "", output: str = "",
                 target: str = "", phase: str = "call"):
        super().__init__(kind, message)
        self.kind = kind
        self.message = message
        self.traceback = traceback
        self.output = output
        self.target = target
        self.phase = phase

    def __str__(self) -> str:
        where = {"import": "importing the module of ", "lookup": "looking up "}.get(self.phase, "")
        head = f"{where}{self.target}: {self.kind}: {self.message}" if self.target else f"{self.kind}: {self.message}"
        return f"{head}\n{self.traceback}".rstrip() if self.traceback else head


class NotStarted(StudentError):
    """The student code raised NotImplementedError: the exercise is not done yet."""


class StudentTimeout(StudentError):
    """The call ran past the per-call time limit; the worker was killed and will restart."""


class WorkerCrashed(StudentError):
    """The worker process died during the call (os._exit, a signal, the memory limit)."""


class BadValue(StudentError):
    """The worker sent back something that is not a valid value (or too large to accept)."""

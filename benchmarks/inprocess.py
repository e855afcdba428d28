"""A pytest plugin for benchmarks only: the hidden tests with the reference called in-process.

    pytest autograder/hidden ... --submission STAGED -p benchmarks.inprocess

bench_grading uses it to measure what the sandboxed worker costs. The hidden tests' `student`
fixture makes a `RecordingWorker`; this plugin puts `InProcessWorker` in its place, a stand-in
with the same interface (call, call_method, get, set, set_each, call_each, set_then_call, release,
last, printed) that calls the package imported in this process. That package is the trusted process's
`backprop`, the reference, so the staged submission must be the reference: the plugin refuses any
other. The checks, the comparisons and the reports stay exactly as in a real grading run.

What the stand-in still does, because the checks need it: objects that would stay in the worker
come back as RemoteObject handles, and each call's array arguments are copied first, so that it
can tell which arguments the call changed (`last.mutated_args`). What it leaves out is the
sandbox: no process, no encoding, no limits, no copies of results.
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograder.run import SOLUTIONS
from autograder.sandbox import CallResult, NotStarted, Ref, RemoteObject, StudentError
from autograder.sandbox.client import OneByOne
from autograder.sandbox.worker_main import copy_values, same

PLAIN = (type(None), bool, int, float, str, np.ndarray, np.dtype)
"""Types that travel as values (as in the codec); anything else stays behind a handle."""
HIDDEN_CONFTEST = "autograder.hidden.conftest"
REQUESTS_LINE = "benchmarks.inprocess requests (all, together): "
"""Starts the line of pytest's summary that counts the requests, and those sent together (bench_grading
reads it)."""


class InProcessWorker(OneByOne):
    """The worker's interface over the package imported in this process (see the module docstring).

    Args:
        package_root: the staged folder holding `backprop/`; it must hold the reference's files.
        limits: unused (no limits apply in-process).
        package: the package name.
    """

    def __init__(self, package_root: Path | str, limits: Any, *, package: str = "backprop", **_: Any):
        _require_reference(Path(package_root) / package)
        self.package = package
        self.last: CallResult | None = None
        self.printed: list[str] = []
        self.requests = 0
        """Requests served (calls, gets and sets): what the worker would have been sent."""
        self.together = 0
        """Of those, the ones the worker would have been sent together (set_each, call_each, set_then_call)."""
        self._objects: dict[int, Any] = {}
        self._ids = itertools.count(1)

    def __enter__(self) -> InProcessWorker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._objects.clear()

    def prepare(self, *preloads: tuple[str, ...]) -> None:
        """Called by the hidden tests' conftest while pytest collects (the worker launches its
        processes; here nothing is launched)."""

    def schedule(self, plan: Any) -> None:
        """Called by the hidden tests' conftest with what each part's worker imports ahead (here a
        package is imported where the check needs it)."""

    def begin(self, part: str) -> None:
        """Called by the hidden tests' conftest before each check of `part` (the worker's is fresh per part)."""
        self.printed.clear()

    # --- the Worker's requests ------------------------------------------------------------------
    def set_each(self, obj: RemoteObject, assignments: Any, /) -> None:
        self.together += len(assignments)
        super().set_each(obj, assignments)

    def call_each(self, target: str, calls: Any, /, *, item: int | None = None) -> list[Any]:
        self.together += len(calls)
        return super().call_each(target, calls, item=item)

    def set_then_call(self, obj: RemoteObject, path: Any, values: Any, method: str, /, *args: Any,
                      item: int | None = None, then: Any = None) -> list[Any]:
        self.together += len(values) + (then is not None)
        results = super().set_then_call(obj, path, values, method, *args, item=item, then=then)
        self.requests -= len(values)  # counted as a set and a call each: the worker gets the two in one request
        return results

    def call(self, target: str, /, *args: Any, **kwargs: Any) -> Any:
        self.requests += 1
        return self._call(self._find(target), target, args, kwargs)

    def call_method(self, obj: RemoteObject, method: str | None, /, *args: Any, **kwargs: Any) -> Any:
        self.requests += 1
        real = self._objects[obj.ref.id]
        label = f"{obj.type_name}.{method}" if method else obj.type_name
        return self._call(getattr(real, method) if method else real, label, args, kwargs)

    def get(self, obj: RemoteObject, *path: str | int) -> Any:
        self.requests += 1
        value = self._outward(self._walk(self._objects[obj.ref.id], path))
        self.last = CallResult(value)
        return value

    def set(self, obj: RemoteObject, *path_and_value: Any) -> None:
        self.requests += 1
        *path, value = path_and_value
        container, step = self._walk(self._objects[obj.ref.id], path[:-1]), path[-1]
        if isinstance(container, dict) or type(step) is int:
            container[step] = self._inward(value)
        else:
            setattr(container, step, self._inward(value))
        self.last = CallResult(None)

    def release(self, obj: RemoteObject) -> None:
        self._objects.pop(obj.ref.id, None)

    # --- internals ----------------------------------------------------------------------------------
    def _find(self, target: str) -> Any:
        """The object at a dotted path inside the package, importing modules on the way."""
        obj, name = importlib.import_module(self.package), self.package
        for part in target.split("."):
            name = f"{name}.{part}"
            obj = importlib.import_module(name) if name in sys.modules or _is_module(obj, name) else getattr(obj, part)
        return obj

    def _call(self, function: Any, label: str, args: tuple, kwargs: dict) -> Any:
        args, kwargs = self._inward(args), self._inward(kwargs)
        pristine_args, pristine_kwargs = copy_values(args), copy_values(kwargs)
        self.last = None
        try:
            value = function(*args, **kwargs)
        except NotImplementedError as error:
            raise NotStarted("NotImplementedError", str(error), target=label) from None
        except Exception as error:
            raise StudentError(type(error).__name__, str(error), target=label) from None
        value = self._outward(value)
        self.last = CallResult(
            value,
            mutated_args=tuple(not same(a, b) for a, b in zip(args, pristine_args)),
            mutated_kwargs={name: not same(kwargs[name], pristine_kwargs[name]) for name in kwargs},
        )
        return value

    def _walk(self, obj: Any, path: Any) -> Any:
        for step in path:
            obj = obj[step] if isinstance(obj, dict) or type(step) is int else getattr(obj, step)
        return obj

    def _inward(self, value: Any) -> Any:
        """Handles replaced by their objects, inside containers too. A container without handles is
        passed as it is, so that the call updates a dict argument in place (the worker writes it back)."""
        if isinstance(value, RemoteObject):
            return self._objects[value.ref.id]
        if type(value) in (list, tuple):
            items = [self._inward(item) for item in value]
            same_items = all(new is old for new, old in zip(items, value))
            return value if same_items else type(value)(items)
        if type(value) is dict:
            items = {key: self._inward(item) for key, item in value.items()}
            return value if all(items[key] is item for key, item in value.items()) else items
        return value

    def _outward(self, value: Any) -> Any:
        """Objects that would stay in the worker replaced by handles, inside containers too."""
        if type(value) in (list, tuple):
            return type(value)(self._outward(item) for item in value)
        if type(value) is dict:
            return {key: self._outward(item) for key, item in value.items()}
        if isinstance(value, PLAIN) or isinstance(value, np.generic):
            return value
        handle = next(self._ids)
        self._objects[handle] = value
        return RemoteObject(self, Ref(handle, type(value).__name__, "in-process"))


def _is_module(parent: Any, name: str) -> bool:
    return hasattr(parent, "__path__") and importlib.util.find_spec(name) is not None


def _require_reference(staged: Path) -> None:
    """UsageError unless every .py file of the staged package is the reference's."""
    reference = SOLUTIONS / staged.name
    differ = [
        str(path.relative_to(staged)) for path in sorted(staged.rglob("*.py"))
        if path.read_bytes() != (reference / path.relative_to(staged)).read_bytes()
    ]  # fmt: skip
    if differ:
        raise pytest.UsageError(f"benchmarks.inprocess grades the reference only; staged files differ: {differ}")


class _Counting(InProcessWorker):
    """The stand-in the hidden tests get: it records itself, so the summary can count its requests."""

    made: list[InProcessWorker] = []

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.made.append(self)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    conftest = sys.modules.get(HIDDEN_CONFTEST)
    if conftest is None or not hasattr(conftest, "RecordingWorker"):
        raise pytest.UsageError(f"benchmarks.inprocess needs the hidden tests ({HIDDEN_CONFTEST} is not loaded)")
    conftest.RecordingWorker = _Counting


def pytest_terminal_summary(terminalreporter: Any) -> None:
    requests = sum(worker.requests for worker in _Counting.made)
    together = sum(worker.together for worker in _Counting.made)
    terminalreporter.write_line(f"{REQUESTS_LINE}{requests} {together}")

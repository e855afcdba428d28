"""The worker's interface over a trusted package in this process: a catalogued bug's code, called
the way the hidden tests call a submission.

`StudentProxy(LocalWorker(package))` works as a test's `student` does: the same calls, the same
values back. Values cross as they cross to and from the sandboxed worker (through the codec, so
arguments are copies and results have the types a submission's would have), dict arguments are
written back, mutated arguments are flagged in `last`, objects that cannot cross stay here behind
RemoteObject handles, and an exception raised by the package becomes a StudentError.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType
from typing import Any

from autograder.sandbox import codec
from autograder.sandbox.client import CallResult, OneByOne, RemoteObject
from autograder.sandbox.codec import Ref
from autograder.sandbox.errors import NotStarted, StudentError
from autograder.sandbox.worker_main import same

MESSAGE_CHARS = 2000


class LocalWorker(OneByOne):
    """Calls into `package` (a module) with the semantics of `autograder.sandbox.Worker`."""

    def __init__(self, package: ModuleType, shown_as: str = "backprop"):
        self.package = shown_as
        """The package name, as a StudentProxy shows it."""
        self.last: CallResult | None = None
        self._root = package
        self._token = f"local:{package.__name__}"
        self._objects: dict[int, Any] = {}
        self._handles: dict[int, RemoteObject] = {}

    # --- the Worker interface -------------------------------------------------------------------
    def call(self, target: str, /, *args: Any, **kwargs: Any) -> Any:
        return self._run(target, lambda: self._lookup(target), args, kwargs)

    def call_method(self, obj: RemoteObject, method: str | None, /, *args: Any, **kwargs: Any) -> Any:
        label = f"{obj.type_name}.{method}" if method else obj.type_name
        held = self._held(obj)
        return self._run(label, lambda: getattr(held, method) if method else held, args, kwargs)

    def get(self, obj: RemoteObject, *path: str | int) -> Any:
        value = self._guard(obj.type_name, lambda: self._walk(self._held(obj), path))
        value = self._back(value)
        self.last = CallResult(value)
        return value

    def set(self, obj: RemoteObject, *path_and_value: Any) -> None:
        *path, value = path_and_value
        container = self._guard(obj.type_name, lambda: self._walk(self._held(obj), path[:-1]))
        step, value = path[-1], self._there(value)

        def assign() -> None:
            if isinstance(container, dict) or type(step) is int:
                container[step] = value
            else:
                setattr(container, step, value)

        self._guard(obj.type_name, assign)
        self.last = CallResult(None)

    def release(self, obj: RemoteObject) -> None:
        self._objects.pop(obj.ref.id, None)
        self._handles.pop(obj.ref.id, None)

    # --- internals ------------------------------------------------------------------------------
    def _run(self, label: str, find: Any, args: tuple, kwargs: dict) -> Any:
        self.last = None
        function = self._guard(label, find)
        sent_args, sent_kwargs = self._there([list(args), dict(kwargs)])
        pristine_args, pristine_kwargs = self._there([list(args), dict(kwargs)])
        value = self._guard(label, lambda: function(*sent_args, **sent_kwargs))
        for before, after in [*zip(args, sent_args), *((kwargs[name], sent_kwargs[name]) for name in kwargs)]:
            if type(before) is dict and type(after) is dict:
                before.clear()
                before.update(self._back(after))
        value = self._back(value)
        self.last = CallResult(
            value,
            mutated_args=tuple(not same(a, b) for a, b in zip(sent_args, pristine_args)),
            mutated_kwargs={name: not same(sent_kwargs[name], pristine_kwargs[name]) for name in kwargs},
        )
        return value

    @staticmethod
    def _guard(label: str, step: Any) -> Any:
        """Run `step`, turning what the package raises into the StudentError a worker would raise."""
        try:
            return step()
        except Exception as error:
            cls = NotStarted if isinstance(error, NotImplementedError) else StudentError
            raise cls(type(error).__name__, str(error)[:MESSAGE_CHARS], target=label) from None

    def _lookup(self, target: str) -> Any:
        """A dotted name inside the package, importing its modules on the way."""
        obj, name = self._root, self._root.__name__
        for part in target.split("."):
            name = f"{name}.{part}"
            if hasattr(obj, "__path__") and importlib.util.find_spec(name) is not None:
                obj = importlib.import_module(name)
            else:
                obj = getattr(obj, part)
        return obj

    @staticmethod
    def _walk(obj: Any, path: Any) -> Any:
        for step in path:
            obj = obj[step] if isinstance(obj, dict) or type(step) is int else getattr(obj, step)
        return obj

    def _held(self, obj: RemoteObject) -> Any:
        if obj.ref.worker != self._token or obj.ref.id not in self._objects:
            raise StudentError("StaleHandle", f"this {obj.type_name} is not held here", phase="worker")
        return self._objects[obj.ref.id]

    def _there(self, value: Any) -> Any:
        """`value` as the package receives it: a copy, with handles turned back into their objects."""

        def to_ref(item: Any) -> Ref:
            if not isinstance(item, RemoteObject):
                raise TypeError(f"cannot send {type(item).__name__} to the student's code")
            return item.ref

        frame = codec.dumps(value, to_ref=to_ref)
        return codec.loads(frame, make_ref=lambda ref: self._objects[ref.id])

    def _back(self, value: Any) -> Any:
        """`value` as a test receives it: a copy, objects that cannot cross kept here as handles."""
        return codec.loads(codec.dumps(value, to_ref=self._register), make_ref=self._handle)

    def _register(self, obj: Any) -> Ref:
        key = id(obj)
        self._objects.setdefault(key, obj)
        return Ref(key, type(obj).__name__, self._token)

    def _handle(self, ref: Ref) -> RemoteObject:
        if ref.id not in self._handles:
            self._handles[ref.id] = RemoteObject(self, ref)  # type: ignore[arg-type]
        return self._handles[ref.id]

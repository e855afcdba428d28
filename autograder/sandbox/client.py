"""The trusted side: start the worker, send calls, and read answers with a deadline on every step.

    with Worker(staged_folder, manifest.limits) as worker:
        student = StudentProxy(worker)
        out, cache = student.layers.affine_forward(x, w, b)   # cache: RemoteObject (or plain values)
        dx, dw, db = student.layers.affine_backward(dout, cache)
        model = student.classifiers.fc_net.TwoLayerNet(input_dim=5, hidden_dim=4)
        loss, grads = model.loss(X, y)
        model.set("params", "W1", w1)
        outs = student.layers.affine_forward.each([(x1, w, b), (x2, w, b)])   # requests sent together
        losses = worker.set_then_call(model, ["params", "W1"], [w1, w2], "loss", X, y, item=0, then=w0)

Arguments are encoded (arrays copied); dicts passed as top-level arguments are updated in place
with their contents after the call (bn_param's running statistics, optimizer configs). Objects
that cannot travel as values come back as RemoteObject handles. `worker.last` describes the last
successful request: captured output and which arguments the call mutated.

A Worker is not thread-safe. A timeout kills the worker and everything it started; the next
request starts a new worker, and handles from the old one raise StudentError (kind StaleHandle).
"""

from __future__ import annotations

import sys
import threading
import time
import weakref
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.sandbox import codec
from autograder.sandbox.codec import FrameLimits, ProtocolError, Ref
from autograder.sandbox.errors import (
    BadValue,
    NotStarted,
    SandboxError,
    StudentError,
    StudentTimeout,
    WorkerCrashed,
)
from autograder.sandbox.isolation import Isolation, find_isolation, find_isolation_soon
from autograder.sandbox.options import LimitsLike, SandboxOptions
from autograder.sandbox.process import Closed, Deadline, WorkerProcess, describe_exit

OK_KEYS = {"status", "value", "mutated_args", "mutated_kwargs", "writeback_args", "writeback_kwargs", "unclean"}
ERROR_KEYS = {"status", "kind", "message", "traceback", "phase", "not_implemented", "unclean"}
PHASES = {"import", "lookup", "call", "encode", "worker"}
MESSAGE_CHARS, TRACEBACK_CHARS = 2000, 8000
END_TIMEOUT_S = 5.0
"""Time a zygote has to end its worker and what it left before the whole process is killed."""


@dataclass(frozen=True)
class CallResult:
    """The last successful request to the worker."""

    value: Any
    """The decoded value returned."""
    output: str = ""
    """What the student code printed (head and tail when long)."""
    mutated_args: tuple[bool, ...] = ()
    """Per positional argument: whether the call changed the worker's copy of it."""
    mutated_kwargs: dict[str, bool] = field(default_factory=dict)
    """Per keyword argument: whether the call changed the worker's copy of it."""
    restarted: str = ""
    """Why the worker was stopped after answering (threads, processes or files left behind, memory
    held); empty when it goes on serving."""


class Worker:
    """A sandboxed worker process running the student's package; starts on first use.

    The worker runs on its own copy of the package, isolated as far as this machine allows (see
    `find_isolation`). After each answer it checks that the student's code left nothing behind
    (threads, processes, open files, memory held); if it did, the worker is stopped once the answer
    is in, so that nothing started in one call can act during another. Use a Worker from one
    thread that outlives it: Linux ends the worker when the thread that started it ends.

    Args:
        package_root: the staged folder that HOLDS the package folder (`<root>/backprop/`); the
            worker's cwd, HOME and sys.path[0] hold a copy of it.
        limits: the manifest's Limits (`call_timeout_s`, `memory_mb` are used).
        python: the interpreter to run the worker with (it needs NumPy).
        package: the package name; call targets are dotted paths inside it.
        options: further settings (isolation, limits, output kept, frame size, startup time).
    """

    def __init__(self, package_root: Path | str, limits: LimitsLike, *, python: str | Path = sys.executable,
                 package: str = "backprop", options: SandboxOptions = SandboxOptions()):
        self.root = Path(package_root).resolve()
        if not (self.root / package).is_dir():
            hint = " (pass the folder that holds it, not the package itself)" if self.root.name == package else ""
            raise ValueError(f"{self.root} holds no {package}/ package folder{hint}")
        self.limits = limits
        self.python = str(python)
        self.package = package
        self.options = options
        self.frame_limits = FrameLimits(max_bytes=options.max_frame_bytes)
        self.last: CallResult | None = None
        """The last successful request's result; None before any (or after a failure)."""
        self.starts = 0
        """How many worker processes have been started (restarts included)."""
        self._process: WorkerProcess | None = None
        """The process whose worker serves the requests now (a zygote's, where workers fork)."""
        self._launched: dict[tuple[str, ...], tuple[WorkerProcess, weakref.finalize]] = {}
        """The processes launched, by the packages they preloaded: one at a time for each, where
        workers do not fork; zygotes kept for the session where they do."""
        self._preload: tuple[str, ...] = ()
        """What the next worker is to have preloaded (see `fresh`)."""
        self._wanted: dict[tuple[str, ...], None] = {}
        """Preloads `prepare` was asked for whose processes wait for the isolation to be known."""
        self._probed: threading.Event | None = None
        """Set once the isolation is known (see `prepare`); None before `prepare` is first called."""
        self._remotes: weakref.WeakValueDictionary[int, RemoteObject] = weakref.WeakValueDictionary()
        self._dropped: deque[tuple[str, int]] = deque()
        """(worker token, handle id) of RemoteObjects garbage collected since the last request."""
        self._timeouts: Counter[str] = Counter()
        """Timeouts per call label (`layers.relu_forward`, `TwoLayerNet.loss`)."""
        self._broken_imports: dict[str, StudentError] = {}
        """Module (dotted name inside the package) -> the timeout or crash its import ended in."""

    # --- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def running(self) -> bool:
        return self._process is not None

    @property
    def pid(self) -> int | None:
        """The process id of the worker's launcher (the worker itself without a jail); None when stopped."""
        return self._process.popen.pid if self._process else None

    @property
    def isolation(self) -> Isolation:
        """How this machine isolates the worker (found out on first use, then cached)."""
        return find_isolation(self.python, self.options)

    def start(self) -> None:
        """Start the worker now (calls start it on demand) and wait until it is ready.

        Where workers fork (a jail), it is forked from the zygote that preloaded what `fresh`
        asked for, launched now if it is not yet running; should that zygote fail, a new one is
        launched once in its place.
        """
        if self._process is not None:
            return
        if self._wanted:
            self._launch_wanted()
        launched = self._launched.get(self._preload)
        try:
            self._start(launched is None)
        except SandboxError:
            if launched is None:
                raise
            self._start(True)  # the zygote launched earlier died (a submission may kill it): anew
        self.starts += 1

    def _start(self, launch: bool) -> None:
        if launch:
            self._drop(self._preload)
            self._launch(self._preload)
        process = self._process = self._launched[self._preload][0]
        deadline = time.monotonic() + self.options.startup_timeout_s
        try:
            if process.forks:
                process.await_zygote(deadline)
                process.spawn(deadline)
            ready = self._receive(deadline)
        except (Deadline, Closed, ProtocolError) as error:
            output = process.output(self.options.output_chars)
            self._drop(self._preload)
            raise SandboxError(f"the worker did not start ({type(error).__name__}):\n{output}") from None
        if not (isinstance(ready, dict) and ready.get("status") == "ready"):
            self._drop(self._preload)
            raise SandboxError(f"the worker sent {ready!r} instead of its ready message")

    def prepare(self, *preloads: tuple[str, ...]) -> None:
        """Launch ahead the zygotes that workers preloading each of `preloads` (installed packages,
        imported before any student code) fork from, so that their imports overlap other work.
        Only where workers fork (a jail); elsewhere this does nothing, and the worker imports what
        it needs when it needs it.

        It never waits. The isolation is found in a thread (its trial runs take a few tenths of a
        second); until it is known, the launches wait for a later call (with or without
        `preloads`) or for the next request.
        """
        self._wanted.update(dict.fromkeys(preloads))
        if self._probed is None:
            self._probed = find_isolation_soon(self.python, self.options)
        if self._probed.is_set():
            self._launch_wanted()

    def _launch_wanted(self) -> None:
        """Launch what `prepare` was asked for and is not running yet (waiting for the isolation)."""
        wanted, self._wanted = self._wanted, {}
        if self.isolation.jail:
            for preload in wanted:
                if preload not in self._launched:
                    self._launch(preload)

    def discard(self, preload: tuple[str, ...]) -> None:
        """Stop the process launched for `preload` (see `prepare`), and its worker if one is running:
        nothing needs it any more."""
        self._wanted.pop(preload, None)
        self._drop(preload)

    def _launch(self, preload: tuple[str, ...]) -> None:
        """Launch the process for `preload` (a zygote where there is a jail) and keep it in `_launched`."""
        process = WorkerProcess(self.root, self.package, self.limits, self.options, self.isolation, preload,
                                forks=self.isolation.jail)  # fmt: skip
        self._launched[preload] = (process, weakref.finalize(self, process.close))

    def fresh(self, preload: tuple[str, ...] = ()) -> None:
        """Stop the current worker and everything it started: the next request runs in a new one,
        with the installed packages in `preload` imported ahead. Existing handles become stale."""
        self._stop()
        self._preload = tuple(preload)

    def close(self) -> None:
        """Stop the worker and every process launched for it, with everything they started, and
        remove their runtime folders."""
        for process, _ in self._launched.values():
            process.kill_soon()  # all at once, so that they end together
        self._process = None  # killed with the rest: no zygote is left to ask to end it
        self._stop()
        for preload in list(self._launched):
            self._drop(preload)

    def restart(self) -> None:
        """Stop the worker and start a fresh one; existing handles become stale."""
        self._stop()
        self.start()

    def _stop(self) -> None:
        """Stop the current worker and everything it started. A forked one is ended by its zygote,
        which is kept for the next; otherwise (or if the zygote fails) the whole process goes."""
        process, self._process = self._process, None
        if process is not None:
            try:
                clean = process.forks and process.end(time.monotonic() + END_TIMEOUT_S)["clean"]
            except (Deadline, Closed, ProtocolError):
                clean = False
            if not clean:
                self._drop(self._preload)  # the current process is always the one launched for it
        self._remotes.clear()
        self._take_dropped()

    def _drop(self, preload: tuple[str, ...]) -> None:
        """Kill the process launched for `preload`, if any, and remove its runtime folder."""
        launched = self._launched.pop(preload, None)
        if launched is not None:
            if launched[0] is self._process:
                self._process = None
            launched[1]()

    # --- requests ----------------------------------------------------------------------------
    def call(self, target: str, /, *args: Any, **kwargs: Any) -> Any:
        """Call `target`, a dotted path inside the package (`layers.affine_forward`,
        `classifiers.fc_net.TwoLayerNet`), and return its decoded result."""
        return self._call({"op": "call", "target": target, "method": None}, target, args, kwargs)

    def call_method(self, obj: RemoteObject, method: str | None, /, *args: Any, **kwargs: Any) -> Any:
        """Call `obj.method(*args, **kwargs)` in the worker (`obj(...)` when method is None)."""
        label = f"{obj.type_name}.{method}" if method else obj.type_name
        return self._call({"op": "call", "target": obj, "method": method}, label, args, kwargs)

    def get(self, obj: RemoteObject, *path: str | int) -> Any:
        """`obj.path[0][path[1]]...`: a str step is an attribute, or a key when the object is a dict."""
        response, output, restarted = self._request({"op": "get", "target": obj, "path": list(path)}, _label(obj, path))
        self.last = CallResult(response["value"], output, restarted=restarted)
        return response["value"]

    def set(self, obj: RemoteObject, *path_and_value: Any) -> None:
        """`set(model, "params", "W1", w)` does `model.params["W1"] = w` in the worker."""
        if len(path_and_value) < 2:
            raise TypeError("set needs a path of at least one step and a value")
        *path, value = path_and_value
        _, output, restarted = self._request(*_setting(obj, path, value))
        self.last = CallResult(None, output, restarted=restarted)

    def set_each(self, obj: RemoteObject, assignments: Sequence[tuple], /) -> None:
        """`set(obj, *path_and_value)` for each of `assignments`, the requests written ahead of their
        answers as in `set_then_call`: a model's parameters, all at once."""
        _, output, restarted = self._pipeline([_setting(obj, path, value) for *path, value in assignments])
        self.last = CallResult(None, output, restarted=restarted)

    def call_each(self, target: str, calls: Sequence[tuple], /, *, item: int | None = None) -> list[Any]:
        """`call(target, *args)` for each `args` of `calls`; the results (each one's `[item]` alone,
        taken in the worker, when `item` is given: a forward pass's output without its cache). The
        requests are written ahead of their answers, as in `set_then_call`: the points of a numeric
        gradient at once."""
        self._refuse_after_timeouts(target)
        self._import_modules(target)
        request = {"op": "call", "target": target, "method": None, "kwargs": {}, **_picking(item)}
        requests = [({**request, "args": list(args)}, target) for args in calls]
        with self._counting_timeouts(target):
            answers, output, restarted = self._pipeline(requests)
        return [self._called(answer, target, args, {}, output, restarted) for answer, args in zip(answers, calls)]

    def set_then_call(self, obj: RemoteObject, path: Sequence[str | int], values: Sequence[Any], method: str,
                      /, *args: Any, item: int | None = None, then: Any = None) -> list[Any]:
        """For each of `values`: `set(obj, *path, value)`, then `obj.method(*args)`; the calls' results
        (each one's `[item]` alone, taken in the worker, when `item` is given: a model's loss without
        its gradients). With `then`, `set(obj, *path, then)` last (a parameter put back), in the same
        batch of requests.

        The same as made one by one, with the same results and errors (one that setting raises
        is the call's), but each set and its call in one request, written ahead of their answers
        (as many as the request pipe holds at once), so the worker runs them while this process
        encodes and decodes, and neither waits for the other to wake up. A numeric gradient of a
        model's loss is this: its parameter set to each point, the loss at each. The first error is
        raised once the answers already asked for are in, the worker still running; `last` is the
        last call's, with what all of them printed.
        """
        label = f"{obj.type_name}.{method}"
        self._refuse_after_timeouts(label)
        request = {"op": "call", "target": obj, "method": method, "args": list(args), "kwargs": {}, **_picking(item)}
        requests = [({**request, "assign": [list(path), value]}, label) for value in values]
        if then is not None:
            requests.append(_setting(obj, path, then))
        with self._counting_timeouts(label):
            answers, output, restarted = self._pipeline(requests)
        return [self._called(answer, label, args, {}, output, restarted) for answer in answers[: len(values)]]

    def release(self, obj: RemoteObject) -> None:
        """Let the worker drop the object now (it is also dropped when `obj` is garbage collected)."""
        ref = obj.ref
        if ref.worker == self._token:
            self._remotes.pop(ref.id, None)
            self._dropped.append((ref.worker, ref.id))
            self._request({"op": "release"}, "release")

    def ping(self) -> bool:
        """Start the worker if needed and check that it answers."""
        self._request({"op": "ping"}, "ping")
        return True

    # --- internals --------------------------------------------------------------------------
    @property
    def _token(self) -> str:
        return self._process.token if self._process else ""

    def _take_dropped(self) -> list[tuple[str, int]]:
        """Empty the queue of collected handles (finalizers may append to it at any moment)."""
        taken = []
        while self._dropped:
            taken.append(self._dropped.popleft())
        return taken

    def _import_modules(self, target: str) -> None:
        """Import the modules on the way to `target` one by one, each once per worker.

        A module whose import timed out or crashed the worker is not imported again: later calls
        into it fail at once with the same error, so a hang at import costs one timeout, not one
        per check.
        """
        parts = target.split(".")
        prefixes = [".".join(parts[:end]) for end in range(len(parts))]
        for name in prefixes:
            broken = self._broken_imports.get(name)
            if broken is not None:
                raise type(broken)(broken.kind, f"{broken.message} (not tried again)", output=broken.output,
                                   target=target, phase="import")
        for name in prefixes:
            self.start()
            process = self._process
            known = process.modules.get(name)
            if known is None:
                try:
                    response, _, _ = self._request({"op": "import", "name": name}, target, phase="import")
                except (StudentTimeout, WorkerCrashed) as error:
                    self._broken_imports[name] = error
                    raise
                known = response["value"] is True
                process.modules[name] = known
            if not known:
                return

    def _refuse_after_timeouts(self, label: str) -> None:
        """Raise StudentTimeout at once if `label` has timed out as often as allowed."""
        strikes, allowed = self._timeouts[label], self.options.timeouts_per_target
        if allowed is not None and strikes >= allowed:
            raise StudentTimeout(
                "Timeout",
                f"not run: {label} already took longer than {self.limits.call_timeout_s:g} s {strikes} times, so it "
                "is not called again (that would use up the time of the other checks)",
                target=label,
            )

    @contextmanager
    def _counting_timeouts(self, label: str) -> Iterator[None]:
        """Count the timeouts of `label` (see `_refuse_after_timeouts`) among the requests made inside."""
        try:
            yield
        except StudentTimeout as error:
            if error.target == label:
                self._timeouts[label] += 1
            raise

    def _call(self, request: dict, label: str, args: tuple, kwargs: dict) -> Any:
        self._refuse_after_timeouts(label)
        if isinstance(request["target"], str):
            self._import_modules(request["target"])
        request.update(args=list(args), kwargs=dict(kwargs))
        with self._counting_timeouts(label):
            response, output, restarted = self._request(request, label)
        return self._called(response, label, args, kwargs, output, restarted)

    def _called(self, response: dict, label: str, args: tuple, kwargs: dict, output: str, restarted: str) -> Any:
        """The value of a call's ok answer, once it is checked against the call's arguments (dict
        arguments updated in place with their new contents); `last` describes it."""
        mutated_args, mutated_kwargs = response["mutated_args"], response["mutated_kwargs"]
        after_args, after_kwargs = response["writeback_args"], response["writeback_kwargs"]
        if (
            len(mutated_args) != len(args) or len(after_args) != len(args)
            or not all(type(flag) is bool for flag in mutated_args)
            or mutated_kwargs.keys() != kwargs.keys() or not all(type(f) is bool for f in mutated_kwargs.values())
            or not after_kwargs.keys() <= kwargs.keys()
        ):
            raise self._bad(label, "the worker's answer does not match the call's arguments", output)
        self._write_back(label, list(zip(args, after_args)) + [(kwargs[k], v) for k, v in after_kwargs.items()])
        self.last = CallResult(response["value"], output, tuple(mutated_args), dict(mutated_kwargs), restarted)
        return response["value"]

    def _write_back(self, label: str, pairs: list[tuple[Any, Any]]) -> None:
        """Update dict arguments in place with their contents after the call."""
        for before, after in pairs:
            if type(before) is dict:
                if type(after) is not dict:
                    raise BadValue("BadValue", "a dict argument came back as something else", target=label)
                before.clear()
                before.update(after)

    def _request(self, request: dict, label: str, phase: str = "call") -> tuple[dict, str, str]:
        """Send one request; return the validated ok response, the output, and why the worker was then
        stopped (empty if it was not). Raise StudentError otherwise."""
        ((frame, _),) = self._encode([(request, label)])
        self.start()
        deadline = time.monotonic() + self.limits.call_timeout_s
        self._process.clear_output()
        with self._failures(label, phase):
            self._process.write(frame, deadline)
        response = self._answer(label, phase, deadline)
        output = self._output()
        restarted = response["unclean"]
        if restarted:
            self._stop()
        return response, output, restarted

    def _pipeline(self, requests: list[tuple[dict, str]]) -> tuple[list[dict], str, str]:
        """Send (request, label) pairs written ahead of their answers, as many at a time as the
        request pipe holds (so that writing never waits for the worker, which may be waiting for its
        answers to be read), and read the answers in order. Returns the validated ok answers, what
        all printed, and why the worker was then stopped. Errors are those of the same requests
        made one by one: the first is raised, once the answers already asked for are read.

        A request that leaves the worker unclean stops it, as it would one by one, and the rest are
        sent anew: to the next worker, where a handle from the old one is stale."""
        if not requests:
            return [], "", ""
        encoded = self._encode(requests)
        self.start()
        process = self._process
        process.clear_output()
        limit = process.request_capacity // 2
        answers: list[dict] = []
        while len(answers) < len(requests):
            batch, size = [], 0
            for frame, frame_size in encoded[len(answers):]:
                size += frame_size
                if batch and size > limit:
                    break
                batch.append(frame)
            first = len(answers)
            deadline = time.monotonic() + self.limits.call_timeout_s
            with self._failures(requests[first][1], "call"):
                process.write([chunk for frame in batch for chunk in frame], deadline)
            failure: StudentError | None = None
            unclean = ""
            for index in range(first, first + len(batch)):
                label = requests[index][1]
                try:
                    answers.append(self._answer(label, "call", time.monotonic() + self.limits.call_timeout_s))
                except StudentError as error:
                    if self._process is not process:  # the worker was stopped: no answer is left to read
                        raise (failure or error) from None
                    failure = failure or error  # the rest of the batch is read, the worker going on
                    answers.append({})
                    continue
                unclean = unclean or answers[-1]["unclean"]
                if failure is None and unclean and index + 1 < len(requests):
                    output = self._output()
                    self._stop()  # as one by one: what comes next goes to the next worker
                    rest, _, _ = self._pipeline(requests[index + 1 :])
                    return answers + rest, output, unclean
            if failure is not None:
                if unclean:
                    self._stop()
                raise failure
        output = self._output()
        restarted = answers[-1]["unclean"]
        if restarted:
            self._stop()
        return answers, output, restarted

    def _encode(self, requests: list[tuple[dict, str]]) -> list[tuple[list[bytes | memoryview], int]]:
        """The frames of (request, label) pairs, each with its size in bytes (prefix included); the
        first one also releases the handles collected since the last request. `last` is cleared."""
        self.last = None
        dropped = self._take_dropped()
        requests[0][0]["release"] = sorted(
            {handle for owner, handle in dropped if owner == self._token and handle not in self._remotes}
        )
        frames = []
        try:
            for request, label in requests:
                request.setdefault("release", [])
                chunks = codec.encode(request, to_ref=lambda value, label=label: self._to_ref(value, label))
                size = sum(memoryview(chunk).nbytes for chunk in chunks)
                if size - codec.PREFIX.size > self.options.max_frame_bytes:
                    raise ValueError(f"the arguments take {size - codec.PREFIX.size} bytes, over "
                                     f"max_frame_bytes={self.options.max_frame_bytes}")  # fmt: skip
                frames.append((chunks, size))
        except BaseException:
            self._dropped.extend(dropped)
            raise
        return frames

    def _answer(self, label: str, phase: str, deadline: float) -> dict:
        """The next answer, read by `deadline` and validated; StudentError if it is an error."""
        with self._failures(label, phase):
            response = self._receive(deadline)
        return self._check(response, label)

    @contextmanager
    def _failures(self, label: str, phase: str) -> Iterator[None]:
        """A deadline passed, a worker gone or a malformed stream, as the student's error; the worker
        is stopped."""
        process = self._process
        try:
            yield
        except Deadline:
            process.kill()
            output = self._output()
            self._stop()
            what = "the import did not finish" if phase == "import" else "no answer"
            raise StudentTimeout(
                "Timeout",
                f"{what} within {self.limits.call_timeout_s:g} s (an infinite loop, or far too slow); "
                "the worker was stopped and will restart",
                output=output, target=label, phase=phase,
            ) from None
        except Closed:
            status = process.exit_status()
            process.kill()
            output = self._output()
            self._stop()
            raise WorkerCrashed(
                "WorkerCrashed", describe_exit(status, self.limits.memory_mb), output=output, target=label,
                phase=phase,
            ) from None
        except ProtocolError as error:
            raise self._bad(label, str(error), self._output()) from None

    def _receive(self, deadline: float) -> Any:
        process = self._process
        prefix = process.read_exact(codec.PREFIX.size, deadline)
        body = process.read_exact(codec.frame_length(bytes(prefix), self.frame_limits), deadline)
        return codec.decode(body, limits=self.frame_limits, make_ref=self._remote)

    def _check(self, response: Any, label: str) -> dict:
        """Validate the envelope of an untrusted response; raise the student's error if it is one."""
        status = response.get("status") if type(response) is dict else None
        if status == "ok" and response.keys() == OK_KEYS:
            if (
                type(response["mutated_args"]) is list and type(response["writeback_args"]) is list
                and type(response["mutated_kwargs"]) is dict and type(response["writeback_kwargs"]) is dict
                and type(response["unclean"]) is str
            ):
                response["unclean"] = response["unclean"][:MESSAGE_CHARS]
                return response
        elif status == "error" and response.keys() == ERROR_KEYS:
            if all(type(response[key]) is str for key in ("kind", "message", "traceback", "phase", "unclean")) and (
                type(response["not_implemented"]) is bool
            ) and response["phase"] in PHASES:
                raise self._student_error(response, label)
        raise self._bad(label, "the worker's answer is malformed", self._output())

    def _student_error(self, response: dict, label: str) -> StudentError:
        kind, message = response["kind"][:200], response["message"][:MESSAGE_CHARS]
        output = self._output()
        if response["unclean"]:
            if kind == "MemoryError":
                limit = self.limits.memory_mb
                message = f"{message or 'out of memory'} (memory limit {limit} MB; the worker will restart)"
            self._stop()
        cls = StudentError
        if response["not_implemented"]:
            cls = NotStarted
        elif kind == "ResultTooLarge":
            cls = BadValue
        return cls(kind, message, traceback=response["traceback"][-TRACEBACK_CHARS:], output=output, target=label,
                   phase=response["phase"])

    def _bad(self, label: str, why: str, output: str) -> BadValue:
        """Undecodable or malformed output: the stream cannot be trusted, so stop the worker."""
        self._stop()
        return BadValue("BadValue", f"the worker sent back an invalid value: {why}", output=output, target=label)

    def _output(self) -> str:
        return self._process.output(self.options.output_chars) if self._process else ""

    def _to_ref(self, value: Any, label: str) -> Ref:
        """Encoding hook for arguments: RemoteObjects travel as their Ref; nothing else may."""
        if not isinstance(value, RemoteObject):
            raise TypeError(
                f"cannot send {type(value).__name__} to the student's code; send arrays, numbers, strings, "
                "dtypes, lists/tuples/dicts of them, or RemoteObjects"
            )
        if value.ref.worker != self._token:
            raise StudentError(
                "StaleHandle",
                f"this {value.type_name} came from a worker that has since been restarted (after a timeout, "
                "crash, memory error, or a call that left threads or processes behind), so it no longer "
                "exists; create it again",
                target=label, phase="worker",
            )
        return value.ref

    def _remote(self, ref: Ref) -> RemoteObject:
        """Decoding hook for handles: one live RemoteObject per worker object."""
        known = self._remotes.get(ref.id) if ref.worker == self._token else None
        if known is not None and known.ref == ref:
            return known
        remote = RemoteObject(self, ref)
        if ref.worker == self._token:
            self._remotes[ref.id] = remote
            weakref.finalize(remote, self._dropped.append, (ref.worker, ref.id))
        return remote


def _label(obj: RemoteObject, path: Any) -> str:
    return ".".join([obj.type_name, *map(str, path)])


def _picking(item: int | None) -> dict[str, int]:
    """The part of a call request that asks for its result's `[item]` alone (nothing for all of it)."""
    return {} if item is None else {"item": item}


def _setting(obj: RemoteObject, path: Sequence[str | int], value: Any) -> tuple[dict, str]:
    """The request that sets `obj.path = value` in the worker, and its label."""
    return {"op": "set", "target": obj, "path": list(path), "value": value}, _label(obj, path)


class OneByOne:
    """`set_each`, `call_each` and `set_then_call` as the requests they stand for, made one by one:
    for the stand-ins of a Worker that run in this process (their `call`, `call_method` and `set`)."""

    def set_each(self, obj: RemoteObject, assignments: Sequence[tuple], /) -> None:
        for path_and_value in assignments:
            self.set(obj, *path_and_value)

    def call_each(self, target: str, calls: Sequence[tuple], /, *, item: int | None = None) -> list[Any]:
        return [_picked(self.call(target, *args), item) for args in calls]

    def set_then_call(self, obj: RemoteObject, path: Sequence[str | int], values: Sequence[Any], method: str,
                      /, *args: Any, item: int | None = None, then: Any = None) -> list[Any]:
        results = []
        for value in values:
            self.set(obj, *path, value)
            results.append(_picked(self.call_method(obj, method, *args), item))
        if then is not None:
            self.set(obj, *path, then)
        return results


def _picked(value: Any, item: int | None) -> Any:
    return value if item is None else value[item]


class RemoteObject:
    """A handle to an object living in the worker: a model, a cache, or a value that cannot travel.

    `obj.method(...)` calls the method in the worker; `get(*path)` fetches attributes or items as
    values; `set(*path, value)` assigns one. Attribute access never fetches data: use `get`.
    """

    def __init__(self, worker: Worker, ref: Ref):
        self._worker = worker
        self.ref = ref

    @property
    def type_name(self) -> str:
        """The remote object's type name, e.g. 'TwoLayerNet'."""
        return self.ref.type_name

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return RemoteMethod(self, name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._worker.call_method(self, None, *args, **kwargs)

    def get(self, *path: str | int) -> Any:
        """The value at `path`: `model.get("params", "W1")` is `model.params["W1"]`."""
        return self._worker.get(self, *path)

    def set(self, *path_and_value: Any) -> None:
        """`model.set("params", "W1", w)` does `model.params["W1"] = w`; `model.set("reg", 0.1)`."""
        self._worker.set(self, *path_and_value)

    def release(self) -> None:
        """Let the worker drop the object now."""
        self._worker.release(self)

    def __repr__(self) -> str:
        return f"<remote {self.type_name} #{self.ref.id}>"


class RemoteMethod:
    """A method of a RemoteObject, called in the worker."""

    def __init__(self, owner: RemoteObject, name: str):
        self.owner = owner
        self.name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.owner._worker.call_method(self.owner, self.name, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<remote method {self.owner.type_name}.{self.name} (use .get({self.name!r}) for an attribute)>"


class StudentProxy:
    """The student's package as seen from a test: `student.layers.affine_forward(x, w, b)`."""

    def __init__(self, worker: Worker, path: str = ""):
        self._worker = worker
        self._path = path

    def __getattr__(self, name: str) -> StudentProxy:
        if name.startswith("_"):
            raise AttributeError(name)
        return StudentProxy(self._worker, f"{self._path}.{name}" if self._path else name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self._path:
            raise TypeError("call a function of the package, e.g. student.layers.affine_forward(...)")
        return self._worker.call(self._path, *args, **kwargs)

    def each(self, calls: Sequence[tuple], *, item: int | None = None) -> list[Any]:
        """This function called with each argument tuple of `calls`, the requests sent together
        (Worker.call_each, `item` as there). A function of the package named `each` is reached with
        `call` instead."""
        if not self._path:
            raise TypeError("call a function of the package, e.g. student.layers.affine_forward.each([...])")
        return self._worker.call_each(self._path, calls, item=item)

    def __repr__(self) -> str:
        return f"<student {self._worker.package}{'.' + self._path if self._path else ''}>"

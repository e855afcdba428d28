"""The hidden tests' plugin: the student's code behind a sandboxed worker, and grading metadata.

Run by `autograder.run` (or by hand: `pytest autograder/hidden --submission FOLDER`, where FOLDER
holds a staged `backprop/` package; the trusted process imports the reference `backprop` from
`solutions/`, which must be on sys.path).

Conventions every hidden test follows (a test that breaks them fails to collect):

- exactly one part marker, a part id of grading.toml (`pytestmark = pytest.mark.affine`);
- exactly one `check(kind)` marker, `kind` a key of grading.toml's [weights]
  (`@pytest.mark.check("gradient")`);
- it reaches student code only through the `student` fixture
  (`out, cache = student.layers.affine_forward(x, w, b)`), and draws inputs from `rng`;
- a part that needs an optional package says so in grading.toml (`requires = { module = "torch",
  extra = "framework" }`): where the module cannot be imported in this trusted process, its checks
  do not run and read `unavailable`, and the part is not graded.

Each part runs in a fresh worker process, forked where the sandbox allows from a zygote that
imported NumPy (and, for a part that requires a large package, that package) before any student
code ran; see autograder.sandbox.

Each test's entry in pytest-json-report's report gets `{"part", "check", "weight", "status",
"feedback"}`: status `passed`, `failed` (an assertion: the feedback is its message), `not_started`
(the student code raised NotImplementedError), `unavailable` (a package the part requires is not
installed where the grader runs) or `error` (the student code raised, crashed or timed out, or the
check could not run); the feedback teaches. What student code prints or warns is never
a failure by itself; it is shown, truncated, with the failure it came with.

A check that fails is replayed with each catalogued bug of its part (autograder.diagnosis): its
feedback names the bugs that behave exactly like the submission there, and its entry lists their
ids under `diagnosis`. The replays take at most DIAGNOSIS_SHARE of the submission's time limit.
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograder.diagnosis.plugin import DiagnosisPlugin, diagnosis_text, seeded_rng
from autograder.run import KIT_BUG
from autograder.sandbox import NotStarted, SandboxError, StudentError, StudentProxy, Worker
from tests.support.manifest import DEFAULT_PATH, Manifest, Requirement, load_manifest

MANIFEST = pytest.StashKey[Manifest]()
DEADLINE = pytest.StashKey[float | None]()
GRADED_AS = pytest.StashKey[tuple[str, str]]()
"""(part, check kind) of a hidden test, set when it is collected."""
FEEDBACK_CHARS = 6_000
OUTPUT_CHARS = 2_000
DIAGNOSIS_SHARE = 0.1
"""The share of the submission's time limit that diagnosing failed checks may take in all."""


class OutOfTime(Exception):
    """The submission's time limit was reached before this check started."""


class PartUnavailable(Exception):
    """A package the check's part requires cannot be imported here: the part is not graded."""


class RecordingWorker(Worker):
    """A Worker that also keeps what student code printed in the calls that succeeded.

    A failed call carries its own output (StudentError.output); this keeps the rest, so a check
    that fails on an assertion can show what the student's code printed on the way.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.printed: list[str] = []
        self.part: str | None = None
        """The part whose checks this worker runs; a new part gets a fresh worker."""
        self.plan: dict[str, tuple[str, ...]] = {}
        """What the workers of parts that require a package import ahead (see `_plan`)."""

    def schedule(self, plan: dict[str, tuple[str, ...]]) -> None:
        """Learn what each part's workers import ahead. Their processes are launched now, so that
        the imports overlap pytest's collection and the other parts' checks (the parts that import
        a large package run last); those that no part of the plan needs any more are stopped."""
        for preload in set(self.plan.values()) - set(plan.values()):
            self.discard(preload)
        self.plan = dict(plan)
        self.prepare((), *self.plan.values())

    def begin(self, part: str) -> None:
        """Run the checks of `part` in a fresh worker: nothing one part's code did reaches the next."""
        self.printed.clear()
        if part != self.part:
            self.fresh(self.plan.get(part, ()))
            self.part = part

    def _keep_output(self) -> None:
        if self.last is not None and self.last.output:
            self.printed.append(self.last.output)

    def call(self, target: str, /, *args: Any, **kwargs: Any) -> Any:
        value = super().call(target, *args, **kwargs)
        self._keep_output()
        return value

    def call_method(self, obj: Any, method: str | None, /, *args: Any, **kwargs: Any) -> Any:
        value = super().call_method(obj, method, *args, **kwargs)
        self._keep_output()
        return value

    def call_each(self, target: str, calls: Sequence[tuple], /, *, item: int | None = None) -> list[Any]:
        values = super().call_each(target, calls, item=item)
        self._keep_output()
        return values

    def set_then_call(self, obj: Any, path: Sequence[str | int], values: Sequence[Any], method: str, /,
                      *args: Any, item: int | None = None, then: Any = None) -> list[Any]:
        results = super().set_then_call(obj, path, values, method, *args, item=item, then=then)
        self._keep_output()
        return results


WORKER = pytest.StashKey[RecordingWorker]()


def truncate(text: str, limit: int) -> str:
    """`text` cut to about `limit` characters, keeping its head and its tail."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n... ({len(text) - 2 * half} characters cut) ...\n{text[-half:]}"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("autograder", "the autograder's hidden tests")
    group.addoption("--submission", type=Path, metavar="FOLDER", help="folder holding the staged backprop/ package")
    group.addoption("--manifest", type=Path, default=DEFAULT_PATH, metavar="TOML", help="grading.toml to grade by")
    group.addoption("--time-limit", type=float, metavar="SECONDS", help="start no check after this many seconds")


def pytest_configure(config: pytest.Config) -> None:
    manifest = load_manifest(config.getoption("--manifest"))
    config.stash[MANIFEST] = manifest
    for part in manifest.parts:
        config.addinivalue_line("markers", f"{part.id}: hidden checks of {part.title} ({part.points:g} points)")
    kinds = ", ".join(manifest.weights)
    config.addinivalue_line("markers", f"check(kind): the kind of a hidden check, one of {kinds}")
    limit = config.getoption("--time-limit")
    config.stash[DEADLINE] = None if limit is None else time.monotonic() + limit
    budget = DIAGNOSIS_SHARE * manifest.limits.submission_timeout_s
    config.pluginmanager.register(DiagnosisPlugin(budget, _part_of, config.stash[DEADLINE]), "diagnosis")


def _part_of(item: pytest.Item) -> str:
    return item.stash[GRADED_AS][0]


def _graded_as(item: pytest.Item, manifest: Manifest) -> tuple[str, str] | str:
    """(part, kind) of a hidden test, or what is wrong with its markers."""
    parts = sorted({mark.name for mark in item.iter_markers() if mark.name in manifest.part_ids})
    checks = list(item.iter_markers("check"))
    if len(parts) != 1:
        have = f"part markers {parts}" if parts else "no part marker"
        return f"{item.nodeid} has {have}; it needs exactly one of {list(manifest.part_ids)}"
    if len(checks) != 1 or len(checks[0].args) != 1 or checks[0].kwargs:
        return f"{item.nodeid} needs exactly one check marker, e.g. @pytest.mark.check('value')"
    kind = checks[0].args[0]
    if kind not in manifest.weights:
        return f"{item.nodeid}: check kind {kind!r} is not in grading.toml's [weights] ({', '.join(manifest.weights)})"
    return parts[0], kind


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    """Turn the collection of a test with missing, extra or unknown grading markers into an error."""
    report = yield
    if report.passed:
        manifest = collector.config.stash[MANIFEST]
        problems = []
        for node in report.result:
            if isinstance(node, pytest.Item):
                graded_as = _graded_as(node, manifest)
                if isinstance(graded_as, str):
                    problems.append(graded_as)
                else:
                    node.stash[GRADED_AS] = graded_as
        if problems:
            report.outcome = "failed"
            report.longrepr = "\n".join(problems)
    return report


def _require(requirement: Requirement) -> None:
    """Raise PartUnavailable unless the module imports in this process (the worker runs the same Python).

    Once it is imported, everything this process holds is frozen out of the garbage collector's
    reach (gc.freeze): a large package (torch) holds objects by the hundred thousand, which every
    full collection would otherwise walk again, for nothing, some half a second in a grading.
    """
    module, extra = requirement.module, requirement.extra
    if module in sys.modules:
        return
    try:
        importlib.import_module(module)
    except ImportError as error:
        raise PartUnavailable(
            f"Not graded: this part needs the Python package {module!r}, which is not installed where the grader "
            f"runs ({error}). It counts toward neither your score nor the maximum. Instructors: install the "
            f"kit's {extra!r} extra (pip install '.[{extra}]')."
        ) from None
    gc.freeze()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Make the session's worker now, so that its processes start while pytest collects."""
    root = session.config.getoption("--submission")
    if root is not None:
        manifest = session.config.stash[MANIFEST]
        worker = session.config.stash[WORKER] = RecordingWorker(Path(root), manifest.limits)
        worker.schedule(_plan(manifest))


def pytest_collectstart(collector: pytest.Collector) -> None:
    """Launch the processes the worker was asked for, once it knows how to isolate them (it finds
    that out in the background, while pytest collects; see Worker.prepare)."""
    worker = collector.config.stash.get(WORKER, None)
    if worker is not None:
        worker.prepare()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The checks of parts that require an optional package run last: their worker's process
    imports the package meanwhile (see RecordingWorker.schedule)."""
    manifest = config.stash[MANIFEST]
    items.sort(key=lambda item: manifest.part(item.stash[GRADED_AS][0]).requires is not None)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Stop the processes launched ahead for parts that have no check to run (`-m` left them out)."""
    worker = session.config.stash.get(WORKER, None)
    if worker is not None:
        collected = {item.stash[GRADED_AS][0] for item in session.items}
        plan = _plan(session.config.stash[MANIFEST])
        worker.schedule({part: preload for part, preload in plan.items() if part in collected})


def pytest_sessionfinish(session: pytest.Session) -> None:
    worker = session.config.stash.get(WORKER, None)
    if worker is not None:
        worker.close()


def _plan(manifest: Manifest) -> dict[str, tuple[str, ...]]:
    """For each part that requires a package, what its worker imports ahead: the package and the
    modules to warm. A part whose package is not installed is left out (its checks do not run)."""
    return {
        part.id: (part.requires.module, *part.requires.warm) for part in manifest.parts
        if part.requires is not None and importlib.util.find_spec(part.requires.module) is not None
    }  # fmt: skip


def pytest_runtest_setup(item: pytest.Item) -> None:
    requirement = item.config.stash[MANIFEST].part(item.stash[GRADED_AS][0]).requires
    if requirement is not None:
        _require(requirement)
    deadline = item.config.stash[DEADLINE]
    if deadline is not None and time.monotonic() > deadline:
        raise OutOfTime(
            "Not run: grading reached the time limit for the whole submission. "
            "The checks that ran before keep their credit; look for slow code (loops over every entry?)."
        )
    worker = item.config.stash.get(WORKER, None)
    if worker is not None:
        worker.begin(item.stash[GRADED_AS][0])


def _outcome(excinfo: pytest.ExceptionInfo[BaseException] | None) -> tuple[str, str]:
    """(status, feedback) of one test phase, without what the student's code printed."""
    if excinfo is None:
        return "passed", ""
    error = excinfo.value
    if isinstance(error, NotStarted):
        return "not_started", f"Not started: {error.target or 'the function'} still raises NotImplementedError."
    if isinstance(error, StudentError):
        return "error", str(error)
    if isinstance(error, AssertionError):
        return "failed", str(error)
    if isinstance(error, OutOfTime):
        return "error", str(error)
    if isinstance(error, PartUnavailable):
        return "unavailable", str(error)
    if isinstance(error, SandboxError):
        return "error", f"The grader could not run your code: {error}\n{KIT_BUG}"
    if excinfo.errisinstance(pytest.skip.Exception):
        return "error", f"This check was skipped ({error}).\n{KIT_BUG}"
    return "error", (
        f"The check stopped on {excinfo.exconly()}. "
        "This usually means a value your code returned has the wrong type or shape."
    )


@pytest.hookimpl(optionalhook=True)
def pytest_json_runtest_metadata(item: pytest.Item, call: pytest.CallInfo[None]) -> dict[str, Any]:
    """The grading metadata of a test: written at setup when setup fails, else at the call."""
    if call.when == "teardown" or (call.when == "setup" and call.excinfo is None):
        return {}
    part, kind = item.stash[GRADED_AS]
    status, feedback = _outcome(call.excinfo)
    if status != "passed" and diagnosis_text(item):
        feedback += f"\n{diagnosis_text(item)}"
    worker = item.config.stash.get(WORKER, None)
    printed = list(worker.printed) if worker else []
    if call.excinfo is not None and isinstance(call.excinfo.value, StudentError):
        printed.append(call.excinfo.value.output)
    if status != "passed" and any(printed):
        feedback += f"\nYour code printed (this costs nothing):\n{truncate(''.join(printed), OUTPUT_CHARS)}"
    weight = item.config.stash[MANIFEST].weights[kind]
    feedback = truncate(feedback, FEEDBACK_CHARS)
    return {"part": part, "check": kind, "weight": weight, "status": status, "feedback": feedback}


@pytest.fixture(scope="session")
def student(pytestconfig: pytest.Config) -> StudentProxy:
    """The staged submission's package, its calls running in the session's sandboxed worker (a
    fresh process for each part)."""
    worker = pytestconfig.stash.get(WORKER, None)
    if worker is None:
        pytest.exit("the hidden tests need --submission FOLDER (a folder holding a staged backprop/ package)", 4)
    return StudentProxy(worker)


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """A generator seeded from the test's id: the same draws on every run, different per test."""
    return seeded_rng(request.node.nodeid)

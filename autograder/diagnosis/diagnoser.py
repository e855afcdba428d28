"""Name the catalogued bugs a failed hidden check behaves like, by replaying the check with each.

When a hidden check fails, the check is run again in this (trusted) process, once per bug of its
part, with the bug's code in place of the submission (`LocalWorker` over `bug_package`) and the
same draws (the same `rng` seed). A bug matches when its run is alike the submission's
(tests.support.traces: the same comparisons, with the same outcomes and values within each
comparison's tolerance, and the same ending). A replay stops as soon as it departs from the
submission's run. Matches are ranked by how many failed checks of the session each bug matched.
"""

from __future__ import annotations

import copy
import inspect
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from autograder.catalog import BUGS, Bug, CatalogError
from autograder.catalog.variants import by_part
from autograder.diagnosis.local import LocalWorker
from autograder.diagnosis.packages import bug_package
from autograder.sandbox.client import StudentProxy
from tests.support.checks import watch
from tests.support.diagnosis import Mistake, describe
from tests.support.traces import Differs, Recorder, Trace

STUDENT = "student"
"""The test argument the submission comes through."""
UNCAUGHT = (KeyboardInterrupt, SystemExit, GeneratorExit)


@dataclass(frozen=True)
class Diagnosis:
    """The bugs a failed check behaves like, most likely first, and the feedback naming them."""

    ids: tuple[str, ...]
    text: str


def behaves_alike(test: Callable[..., object], arguments: Mapping[str, object], like: Trace) -> bool:
    """Whether running `test(**arguments)` is alike the run traced in `like`.

    NumPy's global generator is left as it was (the bug's code may seed or draw from it).
    """
    recorder = Recorder(like)
    state = np.random.get_state()
    error: BaseException | None = None
    try:
        with watch(recorder):
            test(**arguments)
    except Differs:
        return False
    except UNCAUGHT:
        raise
    except BaseException as raised:  # the ending of the run, whatever it is
        error = raised
    finally:
        np.random.set_state(state)
    return recorder.trace(error).alike(like)


class Diagnoser:
    """Diagnoses the failed checks of one session within a time budget.

    Args:
        budget_s: seconds the replays may take in all; once spent, checks get no diagnosis.
        bugs: the catalogued bugs to try; each check tries those of its own part.
    """

    def __init__(self, budget_s: float, bugs: Sequence[Bug] = BUGS):
        self.budget_s = budget_s
        self.spent = 0.0
        self._bugs = by_part(bugs)
        self._matched: Counter[str] = Counter()
        """Bug id -> how many failed checks of the session it matched."""

    def diagnose(
        self,
        part: str,
        test: Callable[..., object],
        arguments: Mapping[str, object],
        trace: Trace,
        fresh: Mapping[str, Callable[[], object]] | None = None,
    ) -> Diagnosis:
        """The bugs of `part` whose run of `test` is alike the submission's run, `trace`.

        Args:
            part: the check's part id.
            test: the test function.
            arguments: its arguments in the submission's run; `student` is replaced by each bug's
                code, the others are deep-copied for each replay.
            trace: the submission's run.
            fresh: arguments made anew for each replay, by name (the seeded `rng`).
        """
        fresh = fresh or {}
        matches = []
        for bug in self._bugs.get(part, ()):
            if self.spent >= self.budget_s:
                break
            start = time.monotonic()
            try:
                package = bug_package(bug)
            except CatalogError:  # the bug no longer fits the reference (the catalog's tests say so)
                continue
            try:
                replayed = {
                    name: fresh[name]() if name in fresh else copy.deepcopy(value)
                    for name, value in arguments.items()
                    if name != STUDENT
                }
                replayed[STUDENT] = StudentProxy(LocalWorker(package))  # type: ignore[arg-type]
                if behaves_alike(test, replayed, trace):
                    matches.append(bug)
            finally:
                self.spent += time.monotonic() - start
        self._matched.update(bug.id for bug in matches)
        ranked = sorted(matches, key=lambda bug: -self._matched[bug.id])
        return Diagnosis(
            tuple(bug.id for bug in ranked), describe([Mistake(bug.id, bug.name, bug.hint) for bug in ranked])
        )


def arguments_of(test: Callable[..., object], available: Mapping[str, object]) -> dict[str, object]:
    """The arguments `test` takes, picked from `available` (a pytest item's funcargs)."""
    return {name: available[name] for name in inspect.signature(test).parameters}

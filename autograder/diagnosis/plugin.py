"""The hidden tests' diagnosis hooks: trace each check, diagnose the ones that fail.

Registered by autograder/hidden/conftest.py. A check's call is traced (`checks.watch`); when it
fails, it is replayed with each bug of its part (`Diagnoser`) and the diagnosis is stashed on the
item: the conftest adds its text to the check's feedback, and this plugin adds its ids to the
check's JSON metadata under `diagnosis` (the catalog's proof reads them).
"""

from __future__ import annotations

import time
import traceback
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from autograder.diagnosis.diagnoser import Diagnoser, Diagnosis, arguments_of
from autograder.sandbox import BadValue, NotStarted, SandboxError, StudentTimeout, WorkerCrashed
from tests.support.checks import watch
from tests.support.traces import Recorder

DIAGNOSIS = pytest.StashKey[Diagnosis]()
"""The diagnosis of a failed check, set when its call fails."""
UNDIAGNOSED = (NotStarted, StudentTimeout, WorkerCrashed, BadValue, SandboxError)
"""Failures no replay reproduces (or that are not the student's)."""


def seeded_rng(nodeid: str) -> np.random.Generator:
    """A test's generator, seeded from its id: the same draws on every run, and in a replay."""
    return np.random.default_rng(zlib.crc32(nodeid.encode()))


class DiagnosisPlugin:
    """Diagnoses failed checks within a time budget.

    Args:
        budget_s: seconds the replays may take in all.
        part_of: the part id of a collected hidden test.
        deadline: time.monotonic() after which no check starts (None: no limit); past it, nothing
            is diagnosed either.
    """

    def __init__(self, budget_s: float, part_of: Callable[[pytest.Item], str], deadline: float | None):
        self.diagnoser = Diagnoser(budget_s)
        self.part_of = part_of
        self.deadline = deadline

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        recorder = Recorder()
        with watch(recorder):
            try:
                return (yield)
            except Exception as error:
                self._diagnose(item, recorder, error)
                raise

    def _diagnose(self, item: pytest.Item, recorder: Recorder, error: Exception) -> None:
        if isinstance(error, UNDIAGNOSED) or getattr(error, "kind", "") == "StaleHandle":
            return
        if not isinstance(item, pytest.Function) or (self.deadline is not None and time.monotonic() > self.deadline):
            return
        try:
            diagnosis = self.diagnoser.diagnose(
                self.part_of(item), item.obj, arguments_of(item.obj, item.funcargs), recorder.trace(error),
                fresh={"rng": lambda: seeded_rng(item.nodeid)},
            )  # fmt: skip
        except Exception:  # a fault of the diagnosis must never cost the check: log it, say nothing
            item.add_report_section("call", "diagnosis fault", traceback.format_exc())
            return
        item.stash[DIAGNOSIS] = diagnosis
        if diagnosis.text:
            item.add_report_section("call", "known mistake", diagnosis.text)

    @pytest.hookimpl(optionalhook=True)
    def pytest_json_runtest_metadata(self, item: pytest.Item, call: pytest.CallInfo[None]) -> dict[str, Any]:
        diagnosis = item.stash.get(DIAGNOSIS, None)
        if call.when != "call" or diagnosis is None:
            return {}
        return {"diagnosis": list(diagnosis.ids)}


def diagnosis_text(item: pytest.Item) -> str:
    """The feedback naming the mistakes a failed check behaves like ("" when none)."""
    diagnosis = item.stash.get(DIAGNOSIS, None)
    return diagnosis.text if diagnosis is not None else ""

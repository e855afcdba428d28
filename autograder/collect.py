"""Collect: pytest-json-report's report.json -> one CheckResult per hidden test.

The hidden tests' conftest attaches to each test's report entry the metadata read here (part,
check, weight, status, feedback). A run that went wrong as a whole (nothing staged, a time limit,
pytest dying, hidden tests that fail to collect: see `run`) or a report without that metadata
yields no checks and a `problem` saying why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from autograder.run import KIT_BUG, Ran

STATUSES = ("passed", "failed", "not_started", "error", "unavailable")
"""A check's status: `error` when student code raised, crashed or timed out, or the check could not run;
`unavailable` when a package its part requires is not installed where the grader runs."""
METADATA_KEYS = ("part", "check", "weight", "status", "feedback")
"""The keys the hidden tests' conftest attaches to each test's JSON report entry."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one hidden test."""

    part: str
    """Part id from grading.toml."""
    check: str
    """Kind of check, a key of grading.toml's [weights]."""
    weight: float
    """Weight of the check within its part."""
    status: str
    """One of STATUSES."""
    feedback: str
    """What to tell the student; empty when the check passed."""
    nodeid: str
    """pytest's id of the test."""

    @property
    def name(self) -> str:
        """The test's name without its file: `test_affine_forward_values[4d]`."""
        return self.nodeid.rpartition("::")[2]


@dataclass(frozen=True)
class Collected:
    """Every check of one run, with what staging and the run had to say."""

    checks: tuple[CheckResult, ...]
    problem: str | None
    """Why nothing could be graded; None when the checks stand for the submission."""
    notes: tuple[str, ...]
    """Staging notes, for the student."""
    seconds: float
    """Wall-clock time of the run."""


class _BadReport(ValueError):
    """report.json does not say what the grader needs."""


def _check(test: dict[str, Any]) -> CheckResult:
    metadata = test.get("metadata") or {}
    missing = [key for key in METADATA_KEYS if key not in metadata]
    if missing:
        raise _BadReport(f"hidden test {test.get('nodeid')} has no {', '.join(missing)} in its report entry")
    if metadata["status"] not in STATUSES:
        raise _BadReport(f"hidden test {test['nodeid']} has an unknown status {metadata['status']!r}")
    return CheckResult(
        part=str(metadata["part"]),
        check=str(metadata["check"]),
        weight=float(metadata["weight"]),
        status=metadata["status"],
        feedback=str(metadata["feedback"]),
        nodeid=str(test["nodeid"]),
    )


def collect(ran: Ran) -> Collected:
    """The checks of `ran`, read from its report.json; never raises for a bad run or report."""
    notes = ran.staged.notes
    if ran.problem or ran.report is None:
        return Collected((), ran.problem or "The grader's test run wrote no report.", notes, ran.seconds)
    try:
        report = json.loads(ran.report.read_text(encoding="utf-8"))
        checks = tuple(_check(test) for test in report["tests"])
    except (OSError, ValueError, TypeError, KeyError) as error:
        return Collected((), f"The grader could not read its test report: {error}\n{KIT_BUG}", notes, ran.seconds)
    return Collected(checks, None, notes, ran.seconds)

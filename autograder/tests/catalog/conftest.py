"""Grading the catalog's variants, two at a time, and the mutation score and the diagnosis's
confusion at the end of the run.

Each selected variant is graded once, restricted to its part (a bug) or to its part and the parts
that depend on it (an alternative); the grades run in a small thread pool (each grade is a pytest
subprocess plus a sandboxed worker), started when the first test asks for one. The hidden tests
run with the `leaks` plugin, which checks what their diagnoses show.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from autograder import api
from autograder.catalog import Bug, Variant, make_submission
from autograder.score import GradeResult
from tests.support.manifest import load_manifest

PARALLEL = 2
"""Grades running at once."""
LEAKS_PLUGIN = "-p autograder.tests.catalog.leaks"
VERDICTS = ("itself", "another", "nothing")


def graded_parts(variant: Variant) -> list[str]:
    """A bug's own part; an alternative's part and every part that depends on it."""
    if isinstance(variant, Bug):
        return [variant.part]
    return [variant.part, *(part.id for part in load_manifest().parts if variant.part in part.depends_on)]


def _grade(variant: Variant, scratch: Path) -> GradeResult:
    folder = scratch / variant.id
    return api.grade(make_submission(variant, folder / "submission"), folder / "out", parts=graded_parts(variant))


def verdict(bug_id: str, diagnosed: Counter[str]) -> str:
    """`itself` when the bug is named in as many failed checks as any other bug, `another` when
    other bugs are named more often, `nothing` when no failed check names a bug."""
    if not diagnosed:
        return "nothing"
    return "itself" if diagnosed[bug_id] == max(diagnosed.values()) else "another"


@dataclass
class Grades:
    """Futures of the grades of the variants the session selected, and what the tests concluded."""

    pool: ThreadPoolExecutor
    scratch: Path
    futures: dict[str, Future] = field(default_factory=dict)
    caught: dict[str, bool] = field(default_factory=dict)
    """Bug id -> whether its part lost points."""
    full_marks: dict[str, bool] = field(default_factory=dict)
    """Alternative id -> whether every graded part got full marks."""
    diagnosed: dict[str, Counter[str]] = field(default_factory=dict)
    """Bug id -> how many of its failed checks named each bug."""

    def submit(self, variant: Variant) -> None:
        if variant.id not in self.futures:
            self.futures[variant.id] = self.pool.submit(_grade, variant, self.scratch)

    def result(self, variant: Variant) -> GradeResult:
        self.submit(variant)
        return self.futures[variant.id].result()

    def checks(self, variant: Variant) -> list[dict]:
        """The JSON metadata of every hidden check of the variant's grade."""
        self.result(variant)
        report = json.loads((self.scratch / variant.id / "out" / "report.json").read_text(encoding="utf-8"))
        return [test["metadata"] for test in report["tests"]]


GRADES = pytest.StashKey[Grades]()


@pytest.fixture(scope="session")
def grades(request: pytest.FixtureRequest) -> Iterator[Grades]:
    """Grades of the selected variants, all queued up front so that two run at any time."""
    addopts = os.environ.get("PYTEST_ADDOPTS")
    os.environ["PYTEST_ADDOPTS"] = f"{addopts or ''} {LEAKS_PLUGIN}".strip()
    with tempfile.TemporaryDirectory(prefix="backprop-catalog-") as scratch, ThreadPoolExecutor(PARALLEL) as pool:
        recorder = Grades(pool, Path(scratch))
        request.config.stash[GRADES] = recorder
        for item in request.session.items:
            variant = getattr(item, "callspec", None) and item.callspec.params.get("variant")
            if variant is not None and "grades" in item.fixturenames:
                recorder.submit(variant)
        try:
            yield recorder
        finally:
            for future in recorder.futures.values():
                future.cancel()
            if addopts is None:
                os.environ.pop("PYTEST_ADDOPTS", None)
            else:
                os.environ["PYTEST_ADDOPTS"] = addopts


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    recorder = config.stash.get(GRADES, None)
    if recorder is None or not (recorder.caught or recorder.full_marks or recorder.diagnosed):
        return
    terminalreporter.section("bug catalog")
    if recorder.caught:
        caught = sum(recorder.caught.values())
        terminalreporter.write_line(f"mutation score: {caught}/{len(recorder.caught)} bugs caught in their own part")
        by_part: dict[str, list[bool]] = {}
        for bug_id, was_caught in recorder.caught.items():
            by_part.setdefault(bug_id.split(".")[0], []).append(was_caught)
        terminalreporter.write_line(
            "  " + ", ".join(f"{part} {sum(flags)}/{len(flags)}" for part, flags in by_part.items())
        )
        for bug_id, was_caught in recorder.caught.items():
            if not was_caught:
                terminalreporter.write_line(f"  NOT CAUGHT: {bug_id}")
    if recorder.full_marks:
        full = sum(recorder.full_marks.values())
        terminalreporter.write_line(f"alternatives: {full}/{len(recorder.full_marks)} with full marks")
        for alternative_id, ok in recorder.full_marks.items():
            if not ok:
                terminalreporter.write_line(f"  MARKED DOWN: {alternative_id}")
    if recorder.diagnosed:
        _write_confusion(terminalreporter, recorder.diagnosed)


def _write_confusion(terminalreporter: pytest.TerminalReporter, diagnosed: dict[str, Counter[str]]) -> None:
    """How each bug's failed checks were diagnosed: as itself, as another bug, as nothing."""
    verdicts = {bug_id: verdict(bug_id, counts) for bug_id, counts in diagnosed.items()}
    totals = Counter(verdicts.values())
    terminalreporter.write_line(
        f"diagnosis: {len(verdicts)} bugs diagnosed as "
        + ", ".join(f"{name} {totals[name]}" for name in VERDICTS)
    )
    by_part: dict[str, list[str]] = {}
    for bug_id, name in verdicts.items():
        by_part.setdefault(bug_id.split(".")[0], []).append(name)
    per_part = ", ".join(f"{part} {names.count('itself')}/{len(names)}" for part, names in by_part.items())
    terminalreporter.write_line(f"  itself per part: {per_part}")
    for bug_id, counts in diagnosed.items():
        others = {other: count for other, count in counts.most_common() if other != bug_id}
        if verdicts[bug_id] != "itself":
            named = ", ".join(f"{other} x{count}" for other, count in others.items()) or "no bug"
            terminalreporter.write_line(f"  {verdicts[bug_id].upper()}: {bug_id} -> {named}")
        elif others:
            shared = ", ".join(f"{other} x{count}" for other, count in others.items())
            terminalreporter.write_line(f"  {bug_id}: itself x{counts[bug_id]}, also named with it: {shared}")

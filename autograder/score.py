"""Score: a pure function of (collected checks, manifest) -> per-part scores with partial credit.

A part scores its points times the weighted fraction of its checks that passed, each check weighing
what grading.toml's [weights] gives its kind. A part without any check is a bug in the kit and
raises KitError. When a part fails and parts it depends on fail too, its feedback says to fix those
first. A part none of whose checks could run here (a package it requires is missing) is UNAVAILABLE:
it scores 0 out of 0, so the rest of the grade is unaffected.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass

from autograder.collect import CheckResult, Collected
from tests.support.manifest import Manifest, Part

PART_STATUSES = ("passed", "partial", "failed", "not_started")
UNAVAILABLE = "unavailable"
"""The status of a part that was not graded here, beside PART_STATUSES: its max_score is 0."""


class KitError(ValueError):
    """The kit is inconsistent (a part without hidden checks, a check of an unknown kind)."""


@dataclass(frozen=True)
class PartScore:
    """One part's grade."""

    part_id: str
    title: str
    score: float
    max_score: float
    status: str
    """One of PART_STATUSES, or UNAVAILABLE."""
    feedback: tuple[str, ...]
    """What to tell the student, one paragraph per entry."""
    visibility: str
    """Gradescope visibility, from grading.toml."""


@dataclass(frozen=True)
class GradeResult:
    """The grade of one submission; every report format is written from this object alone."""

    assignment: str
    """The assignment's name, from grading.toml."""
    parts: tuple[PartScore, ...]
    notes: tuple[str, ...]
    """Staging notes (files skipped, syntax errors, ...)."""
    problem: str | None
    """Why nothing could be graded; None when the parts were graded."""
    execution_time: float
    """Seconds the hidden tests took."""

    @property
    def score(self) -> float:
        return sum(part.score for part in self.parts)

    @property
    def max_score(self) -> float:
        return sum(part.max_score for part in self.parts)


def _status(checks: list[CheckResult], fraction: float) -> str:
    if all(check.status == "passed" for check in checks):
        return "passed"
    if fraction > 0:
        return "partial"
    if all(check.status in ("passed", "not_started") for check in checks):
        return "not_started"
    return "failed"


def _failures(checks: list[CheckResult]) -> list[str]:
    """One paragraph per distinct feedback of the checks that did not pass."""
    grouped: dict[str, list[CheckResult]] = defaultdict(list)
    for check in checks:
        if check.status != "passed":
            grouped[check.feedback].append(check)
    paragraphs = []
    for feedback, group in grouped.items():
        first = group[0]
        more = f" (and {len(group) - 1} more)" if len(group) > 1 else ""
        label = first.status.replace("_", " ")
        paragraphs.append(f"{label}: {first.name} [{first.check}]{more}\n{feedback}".rstrip())
    return paragraphs


def _grade_part(part: Part, checks: list[CheckResult], weights: dict[str, float]) -> PartScore:
    if not checks:
        raise KitError(f"part {part.id!r} has no hidden checks; every part needs at least one")
    for check in checks:
        if check.check not in weights:
            raise KitError(f"{check.nodeid}: check kind {check.check!r} is not in [weights]")
    graded = [check for check in checks if check.status != UNAVAILABLE]
    if not graded:
        reasons = tuple(dict.fromkeys(check.feedback for check in checks))
        return PartScore(part.id, part.title, 0.0, 0.0, UNAVAILABLE, reasons, part.visibility)
    checks = graded
    total = sum(weights[check.check] for check in checks)
    if total <= 0:
        raise KitError(f"part {part.id!r}: its checks weigh 0 in total")
    passed = sum(weights[check.check] for check in checks if check.status == "passed")
    fraction = passed / total
    count = sum(check.status == "passed" for check in checks)
    summary = f"{count} of {len(checks)} checks passed."
    return PartScore(
        part.id, part.title, part.points * fraction, part.points, _status(checks, fraction),
        (summary, *_failures(checks)), part.visibility,
    )  # fmt: skip


def _with_hint(part: PartScore, manifest: Manifest, failing: dict[str, PartScore]) -> PartScore:
    """`part` with a first paragraph naming the failing parts it depends on, when it fails itself."""
    if part.status not in ("failed", "partial"):
        return part
    blockers = [failing[dep] for dep in manifest.part(part.part_id).depends_on if dep in failing]
    if not blockers:
        return part
    names = ", ".join(f"{blocker.title} ({blocker.part_id})" for blocker in blockers)
    them, fail = ("it", "it fails") if len(blockers) == 1 else ("them", "they fail")
    hint = f"Fix first: {names}. This part builds on {them}, and {fail} checks too."
    return dataclasses.replace(part, feedback=(part.feedback[0], hint, *part.feedback[1:]))


def score(collected: Collected, manifest: Manifest) -> GradeResult:
    """Grade every part of `manifest` from `collected`.

    Args:
        collected: the checks of one run; when it has a problem, every part scores 0 with that reason.
        manifest: the parts, their points and dependencies, and the weight of each kind of check.

    Returns:
        The grade, parts in the manifest's order.

    Raises:
        KitError: a part has no checks, a check names an unknown part or kind, or weights sum to 0.
    """
    if collected.problem:
        parts = tuple(
            PartScore(part.id, part.title, 0.0, part.points, "failed", (collected.problem,), part.visibility)
            for part in manifest.parts
        )
        return GradeResult(manifest.name, parts, collected.notes, collected.problem, collected.seconds)
    by_part: dict[str, list[CheckResult]] = defaultdict(list)
    for check in collected.checks:
        if check.part not in manifest.part_ids:
            raise KitError(f"{check.nodeid}: part {check.part!r} is not in the manifest")
        by_part[check.part].append(check)
    graded = [_grade_part(part, by_part[part.id], manifest.weights) for part in manifest.parts]
    failing = {part.part_id: part for part in graded if part.status not in ("passed", UNAVAILABLE)}
    parts = tuple(_with_hint(part, manifest, failing) for part in graded)
    return GradeResult(manifest.name, parts, collected.notes, None, collected.seconds)

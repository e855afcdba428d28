"""The per-part summary table printed at the end of a test run, as plain text."""

from collections.abc import Sequence
from dataclasses import dataclass

PASSED, NOT_STARTED, FAILING = "passed", "not started", "failing"
OUTCOMES = (PASSED, NOT_STARTED, FAILING)
"""What a test can come to, from best to worst."""


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    part: str
    """The part's id (its pytest marker)."""
    title: str
    """The part's title."""
    counts: dict[str, int] | None
    """Tests per outcome; None when no test of the part was selected (blank cells)."""

    @property
    def status(self) -> str:
        """The worst outcome any test had ("" when none ran)."""
        counts = self.counts or {}
        return next((o for o in reversed(OUTCOMES) if counts.get(o)), "")


def _count(row: Row, outcome: str) -> str:
    return "" if row.counts is None else str(row.counts.get(outcome, 0))


def format_table(rows: Sequence[Row]) -> list[str]:
    """Part and title left-aligned, counts right-aligned; blank counts for unselected parts."""
    header = ("part", "title", *OUTCOMES)
    cells = [(row.part, row.title, *(_count(row, outcome) for outcome in OUTCOMES)) for row in rows]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]

    def render(line: Sequence[str]) -> str:
        left = [f"{cell:<{width}}" for cell, width in zip(line[:2], widths[:2])]
        right = [f"{cell:>{width}}" for cell, width in zip(line[2:], widths[2:])]
        return "  ".join(left + right).rstrip()

    return [render(header), *(render(line) for line in cells)]

"""Report: the formats written at the edge, each from one GradeResult.

- `results.json` in Gradescope's schema (one test per part, per-part scores under `extra_data.parts`);
- `feedback.md`, a readable report for the student;
- rich tables for the terminal: one submission, or several side by side.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.table import Table

from autograder.score import UNAVAILABLE, GradeResult, PartScore

RESULTS_NAME = "results.json"
FEEDBACK_NAME = "feedback.md"
STATUS_STYLES = {"passed": "green", "partial": "yellow", "failed": "red", "not_started": "dim", UNAVAILABLE: "dim"}


def points(value: float) -> str:
    """`8`, `6.22`: at most two decimals, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _summary(result: GradeResult) -> str:
    lines = [f"{result.assignment}: {points(result.score)} / {points(result.max_score)} points."]
    if result.problem:
        lines += ["", result.problem]
    if result.notes:
        lines += ["", "About your submission:", *(f"- {note}" for note in result.notes)]
    return "\n".join(lines)


def _test(part: PartScore) -> dict[str, Any]:
    return {
        "name": f"{part.title} ({part.part_id})",
        "score": round(part.score, 2),
        "max_score": part.max_score,
        "status": "passed" if part.status in ("passed", UNAVAILABLE) else "failed",  # not graded: nothing failed
        "output": "\n\n".join(part.feedback),
        "visibility": part.visibility,
    }


def gradescope(result: GradeResult) -> dict[str, Any]:
    """The Gradescope results object: score, execution_time, output, tests[] (one per part), extra_data."""
    return {
        "score": round(result.score, 2),
        "execution_time": round(result.execution_time, 2),
        "output": _summary(result),
        "tests": [_test(part) for part in result.parts],
        "extra_data": {
            "parts": {
                part.part_id: {"score": round(part.score, 2), "max_score": part.max_score} for part in result.parts
            }
        },
    }


def _fenced(text: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}text\n{text}\n{fence}"


def _part_section(part: PartScore) -> list[str]:
    status = part.status.replace("_", " ")
    lines = [f"## {part.title} ({part.part_id}): {points(part.score)} / {points(part.max_score)}, {status}", ""]
    for paragraph in part.feedback:
        head, _, body = paragraph.partition("\n")
        lines.append(head)
        lines += ["", _fenced(body), ""] if body else [""]
    return lines


def feedback_markdown(result: GradeResult) -> str:
    """A readable report: the total, a table of parts, then each part's feedback."""
    lines = [f"# {result.assignment}", "", f"**Score: {points(result.score)} / {points(result.max_score)}**", ""]
    if result.problem:
        lines += [_fenced(result.problem), ""]
    if result.notes:
        lines += ["About your submission:", "", *(f"- {note}" for note in result.notes), ""]
    lines += ["| Part | Score | Status |", "|---|---|---|"]
    for part in result.parts:
        status = part.status.replace("_", " ")
        lines.append(f"| {part.title} ({part.part_id}) | {points(part.score)} / {points(part.max_score)} | {status} |")
    lines.append("")
    for part in result.parts:
        lines += _part_section(part)
    return "\n".join(lines).rstrip() + "\n"


def write(result: GradeResult, out: Path) -> Path:
    """Write `out/results.json` and `out/feedback.md`; returns the path of results.json."""
    out.mkdir(parents=True, exist_ok=True)
    results = out / RESULTS_NAME
    results.write_text(json.dumps(gradescope(result), indent=1) + "\n", encoding="utf-8")
    (out / FEEDBACK_NAME).write_text(feedback_markdown(result), encoding="utf-8")
    return results


def _status(part: PartScore) -> str:
    style = STATUS_STYLES[part.status]
    return f"[{style}]{part.status.replace('_', ' ')}[/{style}]"


def _score_and_status(part: PartScore) -> str:
    return f"{points(part.score)}/{points(part.max_score)} {_status(part)}"


def table(result: GradeResult) -> Table:
    """Part, score / max and status of one submission, with the total."""
    grid = Table(title=result.assignment, show_footer=True)
    grid.add_column("Part", footer="Total")
    grid.add_column("Score", justify="right", footer=f"{points(result.score)} / {points(result.max_score)}")
    grid.add_column("Status")
    for part in result.parts:
        score_text = f"{points(part.score)} / {points(part.max_score)}"
        grid.add_row(f"{part.title} ({part.part_id})", score_text, _status(part))
    return grid


def comparison_table(results: Mapping[str, GradeResult]) -> Table:
    """Several submissions side by side: a row per part (by id, to fit a terminal), a column per submission."""
    graded = list(results.values())
    grid = Table(title="Per-part scores", show_footer=True)
    grid.add_column("Part", footer="Total")
    for name, result in results.items():
        grid.add_column(name, footer=f"{points(result.score)}/{points(result.max_score)}")
    for row, part in enumerate(graded[0].parts if graded else ()):
        grid.add_row(part.part_id, *(_score_and_status(result.parts[row]) for result in graded))
    return grid

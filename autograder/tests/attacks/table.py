"""Grade every hostile scenario end to end and print a table: the attack, what happened, how long.

    python -m autograder.tests.attacks.table

Uses the scenarios' short limits (see scenarios.py); prints the protections that are off first.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from autograder import api
from autograder.report import points
from autograder.sandbox import find_isolation
from autograder.score import GradeResult
from autograder.tests.attacks.scenarios import (
    CALL_TIMEOUT_S,
    PARTS,
    SCENARIOS,
    Scenario,
    write_manifest,
    write_submission,
)

WHAT_CHARS = 110


def _what_happened(result: GradeResult, scenario: Scenario) -> str:
    """The first line of feedback of the first part that lost points, or 'contained'."""
    if result.problem:
        return f"grading failed: {result.problem.splitlines()[0]}"
    for part in result.parts:
        if part.score < part.max_score and len(part.feedback) > 1:
            detail = part.feedback[1].splitlines()
            line = next((text for text in detail[1:] if text.strip()), detail[0]).strip()
            return line[:WHAT_CHARS] + ("..." if len(line) > WHAT_CHARS else "")
    return "contained: no part lost points" if set(scenario.full) == set(PARTS) else "no part lost points (!)"


def _row(scenario: Scenario, folder: Path, manifest: Path) -> str:
    off = [protection.name for protection in find_isolation().off if protection.name in scenario.needs]
    where = "import" if scenario.at_import else scenario.function
    if off:
        return f"| {scenario.threat} | {scenario.name} | {where} | skipped: {', '.join(off)} off | | |"
    out = folder / "out"
    start = time.monotonic()
    result = api.grade(write_submission(scenario, folder / "submission", out), out, manifest, PARTS)
    seconds = time.monotonic() - start
    scores = ", ".join(f"{part.part_id} {points(part.score)}/{points(part.max_score)}" for part in result.parts)
    what = _what_happened(result, scenario)
    return f"| {scenario.threat} | {scenario.name} | {where} | {scores} | {what} | {seconds:.1f} |"


def main() -> None:
    found = find_isolation()
    found.pin()
    print(found.summary() or "Every sandbox protection is on.")
    print(f"\nParts graded: {', '.join(PARTS)}; call timeout {CALL_TIMEOUT_S:g} s.\n")
    print("| threat | attack | where | scores | what happened | grading (s) |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="backprop-attacks-") as scratch:
        manifest = write_manifest(Path(scratch) / "grading.toml")
        for index, scenario in enumerate(SCENARIOS):
            print(_row(scenario, Path(scratch) / str(index), manifest), flush=True)


if __name__ == "__main__":
    main()

"""Every bug of the catalog is diagnosed as itself, and no diagnosis shows what it must not.

The grades are those of test_mutation.py (each bug graded on its own part). A failed hidden check
names the bugs whose replay behaves exactly like the submission there; a bug is diagnosed as
itself when it is named in as many of its failed checks as any other bug (see `verdict`). The run
ends with the confusion: how many bugs were diagnosed as themselves, as another bug, as nothing.
"""

import functools
import re
from collections import Counter

import numpy as np
import pytest

from autograder.catalog import BUGS
from autograder.catalog.variants import REFERENCE
from autograder.tests.catalog.conftest import verdict
from autograder.tests.catalog.leaks import diagnosis_parts, shown_inputs
from tests.support.manifest import load_manifest

UNDIAGNOSABLE = {
    "two_layer_net.random_biases": "its only failed check reads biases drawn from the worker's unseeded global "
    "generator: no replay can draw the same values, so no bug's run is alike (the check's message still says the "
    "biases should be 0)",
}
"""Bugs no diagnosis can name, each with the reason; the proof fails if one of them becomes diagnosable."""
SOLUTION = re.compile(r"^[ \t]*### BEGIN SOLUTION\n(.*?)^[ \t]*### END SOLUTION", re.MULTILINE | re.DOTALL)
SHORTEST_LINE = 16
"""Reference lines shorter than this (`dx = dout`, `return out`) are too common to count as shown."""


@functools.cache
def reference_lines() -> frozenset[str]:
    """The stripped code lines of every solution region of the reference's editable files."""
    lines = set()
    for path in load_manifest().editable:
        source = REFERENCE / path
        if source.is_file():
            for region in SOLUTION.findall(source.read_text(encoding="utf-8")):
                lines.update(line.strip() for line in region.splitlines())
    return frozenset(line for line in lines if len(line) >= SHORTEST_LINE and not line.startswith("#"))


def _failed(checks: list[dict]) -> list[dict]:
    """The checks that failed or errored (not those not started, or of a part not graded here)."""
    return [check for check in checks if check["status"] in ("failed", "error")]


@pytest.mark.parametrize("variant", BUGS, ids=[bug.id for bug in BUGS])
def test_bug_is_diagnosed_as_itself(grades, variant):
    failed = _failed(grades.checks(variant))
    if not failed:
        pytest.skip(f"no check of {variant.part} failed here (see test_mutation.py)")
    diagnosed = Counter(bug_id for check in failed for bug_id in check.get("diagnosis", []))
    grades.diagnosed[variant.id] = diagnosed
    found = verdict(variant.id, diagnosed)
    if variant.id in UNDIAGNOSABLE:
        assert found != "itself", f"{variant.id} is diagnosed now: take it off UNDIAGNOSABLE"
        return
    assert found == "itself", f"{variant.id} is diagnosed as {found}: {dict(diagnosed)}"
    named = [check for check in failed if variant.id in check.get("diagnosis", [])]
    assert all(variant.name in check["feedback"] and variant.hint in check["feedback"] for check in named)


@pytest.mark.parametrize("variant", BUGS, ids=[bug.id for bug in BUGS])
def test_diagnosis_shows_no_reference_code_and_no_hidden_input(grades, variant):
    for check in _failed(grades.checks(variant)):
        assert "shown_inputs" in check, "the leaks plugin did not run"
        assert check["shown_inputs"] == [], f"the diagnosis shows hidden input values: {check['feedback']}"
        shown = diagnosis_parts(check["feedback"])
        assert not [line for line in reference_lines() if line in shown], shown


def test_a_verdict_counts_the_checks_naming_each_bug():
    assert verdict("a.x", Counter()) == "nothing"
    assert verdict("a.x", Counter({"a.x": 3, "a.y": 3})) == "itself"
    assert verdict("a.x", Counter({"a.x": 2, "a.y": 3})) == "another"
    assert verdict("a.x", Counter({"a.y": 1})) == "another"


def test_the_leak_check_finds_input_values_and_reference_lines():
    inputs = [np.array([0.123456789, -2.5])]
    assert shown_inputs("  hint: got 0.1235 there", inputs) == ["0.1235"]
    assert shown_inputs("  hint: every entry is 0.35 times, or -2.5", inputs) == []
    feedback = "x: out is off.\n  worst: got 0.1235\n  hint: a\nKnown mistake: b\n  Hint: c\nYour code printed:\nd"
    assert diagnosis_parts(feedback) == "  hint: a\nKnown mistake: b\n  Hint: c"
    assert any("x.reshape(x.shape[0], -1)" in line for line in reference_lines())

"""Collect: report.json and the run's outcome -> checks, or a problem saying why there are none."""

import json
from pathlib import Path

from autograder.collect import collect
from autograder.run import Ran
from autograder.stage import Staged

STAGED = Staged(root=Path("staged"), submitted=("backprop/layers.py",), from_stubs=(), notes=("a note",))
METADATA = {"part": "affine", "check": "value", "weight": 2, "status": "failed", "feedback": "out is off"}


def _ran(tmp_path, report: object, problem: str | None = None) -> Ran:
    path = tmp_path / "report.json"
    path.write_text(report if isinstance(report, str) else json.dumps(report))
    return Ran(STAGED, path, 1, 2.5, problem)


def test_each_test_becomes_a_check(tmp_path):
    report = {"exitcode": 1, "tests": [{"nodeid": "autograder/hidden/test_affine.py::test_x[4d]", "metadata": METADATA}]}
    collected = collect(_ran(tmp_path, report))
    assert collected.problem is None
    (check,) = collected.checks
    assert (check.part, check.check, check.weight) == ("affine", "value", 2.0)
    assert (check.status, check.feedback) == ("failed", "out is off")
    assert check.name == "test_x[4d]"
    assert (collected.notes, collected.seconds) == (("a note",), 2.5)


def test_a_test_without_metadata_is_a_problem(tmp_path):
    collected = collect(_ran(tmp_path, {"exitcode": 1, "tests": [{"nodeid": "t::x"}]}))
    assert collected.checks == ()
    assert "t::x has no part, check, weight, status, feedback" in collected.problem


def test_an_unknown_status_is_a_problem(tmp_path):
    report = {"exitcode": 1, "tests": [{"nodeid": "t::x", "metadata": {**METADATA, "status": "xfailed"}}]}
    assert "unknown status 'xfailed'" in collect(_ran(tmp_path, report)).problem


def test_an_unreadable_report_is_a_problem(tmp_path):
    assert "could not read its test report" in collect(_ran(tmp_path, "{not json")).problem


def test_the_run_problem_is_passed_on(tmp_path):
    collected = collect(Ran(STAGED, None, None, 900.0, "Grading stopped: took too long."))
    assert (collected.checks, collected.problem) == ((), "Grading stopped: took too long.")

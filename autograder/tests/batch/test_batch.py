"""Grading a class: every submission graded whatever the others do, results kept, re-runs resumable."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from autograder import batch
from autograder.cli import main
from autograder.run import SOLUTIONS
from autograder.tests.batch.conftest import HANGING, PARTS, Graded, layers, reference, small_limits, stubs_zip

STUDENTS = ["ada", "bob", "cy", "dee", "eve", "fay"]


def _statuses(result) -> dict[str, str]:
    return {part.part_id: part.status for part in result.parts}


def _copy(graded: Graded, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the graded class and its output folder, to change without touching `graded`."""
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    shutil.copytree(graded.submissions, submissions, symlinks=True)
    shutil.copytree(graded.out, out)
    return submissions, out


def test_every_submission_graded_whatever_the_others_do(graded):
    outcomes = {outcome.student: outcome for outcome in graded.batch.outcomes}
    assert list(outcomes) == STUDENTS
    assert {outcome.status for outcome in outcomes.values()} == {"graded"}
    results = graded.batch.results
    assert results["ada"].score == results["ada"].max_score == 12
    assert _statuses(results["bob"]) == {"affine": "not_started", "relu": "not_started"}
    assert _statuses(results["cy"]) == {"affine": "partial", "relu": "passed"}
    assert _statuses(results["dee"]) == {"affine": "passed", "relu": "failed"}  # the hang costs relu only
    assert any("time" in line for line in results["dee"].parts[1].feedback)
    assert _statuses(results["fay"]) == {"affine": "failed", "relu": "passed"}  # the crash costs affine only
    assert graded.batch.failures == {"eve": "Nothing to grade: the zip cannot be read (it is not a valid zip file)."}


def test_each_student_gets_results_feedback_and_a_fingerprint(graded):
    for student in STUDENTS:
        folder = graded.out / student
        assert {"results.json", "feedback.md", batch.RECORD_NAME} <= {path.name for path in folder.iterdir()}
        record = json.loads((folder / batch.RECORD_NAME).read_text())
        assert len(record["fingerprint"]) == 64
    assert json.loads((graded.out / "cy" / "results.json").read_text())["score"] == pytest.approx(8.62)
    assert not (graded.out / batch.WORK_NAME).exists()


def test_the_class_csv_has_a_column_per_part_and_the_total(graded):
    with graded.batch.csv.open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["student", *PARTS, "total"]
    assert [row["student"] for row in rows] == STUDENTS
    assert rows[0] == {"student": "ada", "affine": "8", "relu": "4", "total": "12"}
    assert rows[2] == {"student": "cy", "affine": "4.62", "relu": "4", "total": "8.62"}


def test_the_summary_gives_means_not_started_and_failures(graded):
    console = Console(record=True, width=150)
    console.print(batch.summary_table(graded.batch))
    text = console.export_text()
    assert "6 submissions: 6 graded, 0 unchanged since graded, 0 failed to grade" in text
    affine = next(line for line in text.splitlines() if "(affine)" in line)
    # ada 8, cy 4.62, dee 8, the rest 0: mean 20.62 / 6; passed ada and dee, partial cy, failed eve and fay.
    assert [cell.strip() for cell in affine.split("│")[2:7]] == ["3.44 / 8", "2", "1", "2", "1"]
    assert "1 of them started no part" in text


def test_a_rerun_skips_the_unchanged_and_grades_the_changed(graded, tmp_path):
    submissions, out = _copy(graded, tmp_path)
    again = batch.grade_batch(submissions, out, manifest_path=graded.manifest, parts=PARTS)
    assert {outcome.student: outcome.status for outcome in again.outcomes} == dict.fromkeys(STUDENTS, "unchanged")
    assert again.results == graded.batch.results
    # cy fixes the bug: only cy is graded again.
    shutil.copy(SOLUTIONS / "backprop" / "layers.py", submissions / "cy" / "backprop" / "layers.py")
    fixed = batch.grade_batch(submissions, out, manifest_path=graded.manifest, parts=PARTS)
    assert {outcome.student for outcome in fixed.outcomes if outcome.status == "graded"} == {"cy"}
    assert _statuses(fixed.results["cy"]) == {"affine": "passed", "relu": "passed"}
    assert "cy,8,4,12" in fixed.csv.read_text()


def test_a_grader_that_fails_costs_one_job_and_is_retried(tmp_path):
    broken = tmp_path / "broken.toml"  # a kind of check the hidden tests use is missing: they fail to collect
    broken.write_text(small_limits(tmp_path).read_text().replace("edge = 1 ", "# edge = 1 "))
    jobs = [
        batch.Job("ada", SOLUTIONS, tmp_path / "missing.toml", (), "1" * 64),
        batch.Job("bob", SOLUTIONS, broken, ("affine",), "2" * 64),
    ]
    finished = list(batch.run_local(jobs, 2, lambda job: tmp_path / "work" / job.student))
    assert sorted(job.student for job in finished) == ["ada", "bob"]
    records = {job.student: json.loads((tmp_path / "work" / job.student / "grade.json").read_text()) for job in jobs}
    assert "missing.toml" in records["ada"]["error"]
    assert "This is a problem of the grader" in records["bob"]["result"]["problem"]
    # In a batch, the grader's own failure is reported, its files are kept, and the next run retries.
    submissions = tmp_path / "submissions"
    reference(submissions / "ada")
    first = batch.grade_batch(submissions, tmp_path / "out", manifest_path=broken, parts=["affine"])
    assert first.outcomes[0].status == "failed" and "This is a problem of the grader" in first.failures["ada"]
    assert (tmp_path / "out" / "ada" / "pytest.log").exists()
    again = batch.grade_batch(submissions, tmp_path / "out", manifest_path=broken, parts=["affine"])
    assert again.outcomes[0].status == "failed"
    assert (tmp_path / "out" / batch.CSV_NAME).read_text() == "student,affine,total\nada,,\n"


def _graders_of(out: Path) -> list[int]:
    """Processes whose command line names `out` (grading processes, pytest runs)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(out).encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


PROGRAM = """
import signal, sys
from pathlib import Path
signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
from autograder import batch
submissions, out, manifest = map(Path, sys.argv[1:])
batch.grade_batch(submissions, out, jobs=1, manifest_path=manifest, parts=["relu"])
"""


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc to find the processes left")
def test_an_interrupted_run_loses_nothing_and_the_next_completes_it(tmp_path):
    manifest = small_limits(tmp_path)
    submissions = tmp_path / "submissions"
    reference(submissions / "a_ref")
    layers(submissions / "b_hang", HANGING)  # in flight when Ctrl-C comes
    stubs_zip(submissions / "c_stubs.zip")
    out = tmp_path / "out"
    environment = {**os.environ, "PYTHONPATH": str(batch.ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", PROGRAM, str(submissions), str(out), str(manifest)], env=environment,
        cwd=batch.ROOT, start_new_session=True,
    )  # fmt: skip
    try:
        while not (out / "a_ref").exists() and process.poll() is None:
            time.sleep(0.1)
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: the signal goes to the whole process group
        assert process.wait(timeout=120) != 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    for _ in range(100):  # the pytest runs in flight are killed on the way out
        if not _graders_of(out):
            break
        time.sleep(0.1)
    assert _graders_of(out) == []
    assert sorted(path.name for path in out.iterdir()) == ["a_ref"]  # whole results or none
    finished = batch.grade_batch(submissions, out, manifest_path=manifest, parts=["relu"])
    statuses = {outcome.student: outcome.status for outcome in finished.outcomes}
    assert statuses == {"a_ref": "unchanged", "b_hang": "graded", "c_stubs": "graded"}
    assert [part.status for part in finished.results["b_hang"].parts] == ["failed"]


def test_discover_takes_folders_and_zips_and_passes_over_the_rest(tmp_path):
    (tmp_path / "ada").mkdir()
    (tmp_path / "bob.ZIP").write_bytes(b"")
    (tmp_path / "roster.csv").write_text("ada,bob\n")
    (tmp_path / ".DS_Store").write_text("")
    (tmp_path / "__MACOSX").mkdir()
    (tmp_path / "graded").mkdir()
    students, ignored = batch.discover(tmp_path, out=tmp_path / "graded")
    assert students == {"ada": (tmp_path / "ada").resolve(), "bob": (tmp_path / "bob.ZIP").resolve()}
    assert ignored == ("roster.csv",)


def test_discover_refuses_two_submissions_of_one_student(tmp_path):
    (tmp_path / "ada").mkdir()
    (tmp_path / "ada.zip").write_bytes(b"")
    with pytest.raises(batch.BatchError, match="two submissions for student 'ada': ada and ada.zip"):
        batch.discover(tmp_path)


def test_the_fingerprint_follows_the_files_not_their_place(tmp_path):
    grader = batch.grader_fingerprint()
    first = reference(tmp_path / "first")
    second = reference(tmp_path / "second")
    assert batch.fingerprint(first, grader) == batch.fingerprint(second, grader)
    (second / "backprop" / "notes.txt").write_text("a new file counts too")
    assert batch.fingerprint(first, grader) != batch.fingerprint(second, grader)
    assert batch.grader_fingerprint(parts=["affine"]) != grader


def test_cli_grade_batch_prints_the_summary_and_writes_csv_and_gradebook(tmp_path):
    from nbgrader.api import Gradebook

    submissions = tmp_path / "submissions"
    reference(submissions / "ada")
    stubs_zip(submissions / "bob.zip")
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    command = ["grade-batch", str(submissions), "--out", str(tmp_path / "out"), "--jobs", "2", "--part", "affine"]
    outcome = CliRunner().invoke(main, [*command, "--gradebook", url])
    assert outcome.exit_code == 0, outcome.output
    assert "2 submissions: 2 graded" in outcome.output and "Affine layer (affine)" in outcome.output
    assert (tmp_path / "out" / batch.CSV_NAME).read_text() == "student,affine,total\nada,8,8\nbob,0,0\n"
    with Gradebook(url) as gradebook:
        scores = {s.student.id: s.score for s in gradebook.find_assignment("backprop_nn_code").submissions}
    assert scores == {"ada": 8, "bob": 0}
    again = CliRunner().invoke(main, command)
    assert again.exit_code == 0 and "2 unchanged since graded" in again.output


def test_cli_grade_batch_refuses_an_unknown_part(tmp_path):
    (tmp_path / "ada").mkdir()
    outcome = CliRunner().invoke(main, ["grade-batch", str(tmp_path), "--out", str(tmp_path / "out"), "--part", "nope"])
    assert outcome.exit_code == 2 and "unknown part(s) nope" in outcome.output


def test_cli_grade_batch_refuses_a_missing_folder(tmp_path):
    outcome = CliRunner().invoke(main, ["grade-batch", str(tmp_path / "none"), "--out", str(tmp_path / "out")])
    assert outcome.exit_code == 2

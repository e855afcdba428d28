"""The same batch on a Dask cluster (a LocalCluster of worker processes) gives the same results."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest

from autograder import batch
from autograder.tests.batch.conftest import PARTS, Graded

distributed = pytest.importorskip("distributed")

STUDENTS = ("ada", "bob.zip", "cy")


def _timeless(results: dict) -> dict:
    return {student: dataclasses.replace(result, execution_time=0.0) for student, result in results.items()}


def _results_json(out, student: str) -> dict:
    results = json.loads((out / student / "results.json").read_text())
    results.pop("execution_time")
    return results


def test_a_cluster_grades_as_a_local_run_does(graded: Graded, tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    for name in STUDENTS:
        source = graded.submissions / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, submissions / name)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = batch.grade_batch(
            submissions, tmp_path / "out", scheduler=cluster.scheduler_address, manifest_path=graded.manifest,
            parts=PARTS,
        )  # fmt: skip
    assert [outcome.status for outcome in remote.outcomes] == ["graded"] * 3
    local = {student: graded.batch.results[student] for student in ("ada", "bob", "cy")}
    assert _timeless(remote.results) == _timeless(local)
    for student in local:
        assert _results_json(tmp_path / "out", student) == _results_json(graded.out, student)
    assert remote.csv.read_text() == "".join(graded.batch.csv.read_text().splitlines(keepends=True)[:4])


def test_an_unreachable_scheduler_is_a_batch_error(tmp_path, monkeypatch):
    from autograder import distributed as cluster_runner

    monkeypatch.setattr(cluster_runner, "CONNECT_TIMEOUT_S", 1.0)
    (tmp_path / "submissions" / "ada").mkdir(parents=True)
    with pytest.raises(batch.BatchError, match="cannot reach the Dask scheduler"):
        batch.grade_batch(tmp_path / "submissions", tmp_path / "out", scheduler="tcp://127.0.0.1:9")

"""The Gradescope autograder zip: what it holds, and run_autograder run for real on an /autograder-like tree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import gradescope
from autograder.tests.batch.conftest import reference
from tests.support.manifest import load_manifest


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gradescope.build(tmp_path_factory.mktemp("gradescope") / "autograder.zip")


def test_the_zip_holds_the_scripts_the_grader_the_reference_and_the_config(archive):
    with zipfile.ZipFile(archive) as bundle:
        names = set(bundle.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in bundle.infolist()}
    for name in (
        "setup.sh", "run_autograder", "grading.toml", "pyproject.toml", "autograder/__main__.py",
        "autograder/api.py", "autograder/sandbox/worker_main.py", "autograder/hidden/conftest.py",
        "autograder/hidden/test_affine.py", "tests/__init__.py", "tests/support/manifest.py",
        "solutions/backprop/layers.py",
    ):  # fmt: skip
        assert name in names, name
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert not [name for name in names if name.startswith(("autograder/tests/", "autograder/examples/"))]
    assert not [name for name in names if "__pycache__" in name or name.startswith(("exercises/", "release/"))]


def test_the_zip_is_the_same_bytes_every_time(archive, tmp_path):
    assert gradescope.build(tmp_path / "again.zip").read_bytes() == archive.read_bytes()


def test_setup_sh_is_valid_bash(archive, tmp_path):
    with zipfile.ZipFile(archive) as bundle:
        bundle.extract("setup.sh", tmp_path)
    subprocess.run(["bash", "-n", str(tmp_path / "setup.sh")], check=True)


@pytest.mark.skipif(shutil.which("bash") is None, reason="run_autograder is a bash script")
def test_run_autograder_grades_the_submission_into_results_json(archive, tmp_path):
    root = tmp_path / "autograder"  # Gradescope's /autograder
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(root / "source")
    reference(root / "submission")
    (root / "results").mkdir()
    environment = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable}
    environment.pop("PYTHONPATH", None)  # the grader comes from the zip alone
    run = root / "source" / "run_autograder"
    run.chmod(0o755)
    finished = subprocess.run([str(run)], env=environment, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    manifest = load_manifest(root / "source" / "grading.toml")
    assert [test["name"] for test in results["tests"]] == [f"{part.title} ({part.id})" for part in manifest.parts]
    graded = [test for test in results["tests"] if test["max_score"] > 0]  # a part may be left ungraded here
    assert results["score"] == sum(test["max_score"] for test in graded) >= 100
    assert {test["status"] for test in graded} == {"passed"}


def test_cli_gradescope_writes_the_zip(tmp_path):
    from click.testing import CliRunner

    from autograder.cli import main

    outcome = CliRunner().invoke(main, ["gradescope", "--out", str(tmp_path / "gs.zip")])
    assert outcome.exit_code == 0, outcome.output
    assert zipfile.is_zipfile(tmp_path / "gs.zip")

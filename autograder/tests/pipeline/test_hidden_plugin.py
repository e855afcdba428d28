"""The hidden tests' plugin (autograder/hidden/conftest.py): marker rules and grading metadata.

Each test runs pytest in a subprocess on a small test file written here, with the plugin loaded
by `-p`, and reads the metadata it attached to pytest-json-report's report.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.manifest import DEFAULT_PATH, ROOT

HEADER = """
import pytest
from autograder.sandbox import NotStarted, StudentError
pytestmark = pytest.mark.affine
"""


def _pytest(tmp_path: Path, body: str, *options: str) -> tuple[subprocess.CompletedProcess, dict | None]:
    (tmp_path / "test_sample.py").write_text(HEADER + body)
    report = tmp_path / "report.json"
    command = [
        sys.executable, "-m", "pytest", str(tmp_path), "-c", os.devnull, "--rootdir", str(tmp_path),
        "-p", "autograder.hidden.conftest", "-p", "pytest_jsonreport.plugin", "-p", "no:cacheprovider",
        "--json-report", "--json-report-file", str(report), *options,
    ]  # fmt: skip
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    process = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120)
    return process, json.loads(report.read_text()) if report.exists() else None


def _metadata(report: dict) -> dict[str, dict]:
    return {test["nodeid"].rpartition("::")[2]: test["metadata"] for test in report["tests"]}


def test_statuses_and_feedback(tmp_path):
    body = '''
@pytest.mark.check("value")
def test_passes():
    print("trusted output")

@pytest.mark.check("gradient")
def test_asserts():
    raise AssertionError("layers.affine_backward: dx does not match")

@pytest.mark.check("shape")
def test_stub():
    raise NotStarted("NotImplementedError", "not yet", target="layers.affine_forward")

@pytest.mark.check("numeric")
def test_student_raises():
    raise StudentError("ValueError", "bad shapes", traceback="File backprop/layers.py, line 3", output="hi there\\n",
                       target="layers.affine_forward")

@pytest.mark.check("edge")
def test_check_breaks():
    return None + 1
'''
    process, report = _pytest(tmp_path, body)
    assert process.returncode == 1, process.stdout + process.stderr
    metadata = _metadata(report)
    assert metadata["test_passes"] == {"part": "affine", "check": "value", "weight": 2, "status": "passed", "feedback": ""}
    assert metadata["test_asserts"]["status"] == "failed"
    assert metadata["test_asserts"]["feedback"] == "layers.affine_backward: dx does not match"
    assert metadata["test_stub"]["status"] == "not_started"
    assert metadata["test_stub"]["feedback"] == "Not started: layers.affine_forward still raises NotImplementedError."
    student = metadata["test_student_raises"]
    assert student["status"] == "error" and student["check"] == "numeric"
    assert "layers.affine_forward: ValueError: bad shapes\nFile backprop/layers.py, line 3" in student["feedback"]
    assert "Your code printed (this costs nothing):\nhi there" in student["feedback"]
    assert metadata["test_check_breaks"]["status"] == "error"
    assert "TypeError" in metadata["test_check_breaks"]["feedback"]


def test_no_check_starts_after_the_time_limit(tmp_path):
    process, report = _pytest(tmp_path, '@pytest.mark.check("value")\ndef test_late():\n    pass\n', "--time-limit", "0")
    (metadata,) = _metadata(report).values()
    assert metadata["status"] == "error"
    assert "time limit for the whole submission" in metadata["feedback"]


def test_a_test_without_a_check_marker_fails_to_collect(tmp_path):
    process, _ = _pytest(tmp_path, "def test_unmarked():\n    pass\n")
    assert process.returncode == 2
    assert "test_unmarked needs exactly one check marker" in process.stdout


def test_an_unknown_kind_fails_to_collect(tmp_path):
    process, _ = _pytest(tmp_path, '@pytest.mark.check("speed")\ndef test_fast():\n    pass\n')
    assert process.returncode == 2
    assert "check kind 'speed' is not in grading.toml's [weights]" in process.stdout


def test_two_parts_fail_to_collect(tmp_path):
    process, _ = _pytest(tmp_path, '@pytest.mark.relu\n@pytest.mark.check("value")\ndef test_both():\n    pass\n')
    assert process.returncode == 2
    assert "test_both has part markers ['affine', 'relu']" in process.stdout


def test_a_part_whose_package_is_missing_is_unavailable_and_runs_last(tmp_path):
    manifest = tmp_path / "grading.toml"
    requires = 'requires = { module = "no_such_package_for_this_test", extra = "demo" }'
    manifest.write_text(DEFAULT_PATH.read_text().replace('id = "affine"\n', f'id = "affine"\n{requires}\n', 1))
    other_part = 'import pytest\n\n@pytest.mark.relu\n@pytest.mark.check("value")\ndef test_other_part():\n    pass\n'
    (tmp_path / "test_zz_other_part.py").write_text(other_part)  # collected after the sample, run before it
    body = '@pytest.mark.check("value")\ndef test_needs_it():\n    raise AssertionError("never runs")\n'
    process, report = _pytest(tmp_path, body, "--manifest", str(manifest))
    assert [test["nodeid"].rpartition("::")[2] for test in report["tests"]] == ["test_other_part", "test_needs_it"]
    metadata = _metadata(report)
    assert metadata["test_other_part"]["status"] == "passed", process.stdout
    assert metadata["test_needs_it"]["status"] == "unavailable", process.stdout
    assert "needs the Python package 'no_such_package_for_this_test'" in metadata["test_needs_it"]["feedback"]
    assert "pip install '.[demo]'" in metadata["test_needs_it"]["feedback"]

"""The public part of the catalog (tests/support/known_mistakes.json): in sync, free of code, and
shown by the public tests when a check fails like a public bug."""

import json
import os
import subprocess
import sys

from autograder.catalog import BUGS, find
from autograder.diagnosis import export
from autograder.tests.catalog.test_diagnosis import reference_lines
from tests.support.diagnosis import KNOWN_MISTAKES, TESTS
from tests.support.manifest import ROOT


def test_the_file_is_in_sync_with_the_catalog_and_the_public_tests():
    assert export.recorded_digest() == export.digest(), (
        "tests/support/known_mistakes.json is stale: run `python -m autograder catalog-export`"
    )


def test_the_file_holds_public_bugs_only_and_no_code():
    text = KNOWN_MISTAKES.read_text(encoding="utf-8")
    content = json.loads(text)
    public = {bug.id for bug in BUGS if bug.public}
    assert set(content["mistakes"]) == public
    assert {bug_id for runs in content["runs"].values() for bug_id in runs} <= public
    assert not [line for line in reference_lines() if line in text]
    assert export.render(content) == text


def test_the_public_tests_name_a_public_bug(tmp_path):
    bug = find("conv.dx_crop_minus_pad")
    folder = export._write_package(bug, tmp_path)
    command = [sys.executable, "-m", "pytest", str(TESTS), "-m", "conv", f"--impl={folder}", "-p", "no:cacheprovider"]
    ran = subprocess.run(
        command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, check=False
    )
    assert ran.returncode == 1, ran.stdout[-2000:]
    assert "known mistake" in ran.stdout and f"{bug.name} [{bug.id}]" in ran.stdout and bug.hint in ran.stdout

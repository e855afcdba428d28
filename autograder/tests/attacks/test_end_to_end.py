"""Hostile submissions through the whole grader (`autograder.api.grade`): the harmful code costs its
own part and nothing else, every submission gets a valid results.json written by the grader alone,
and a bad configuration is refused before anything is graded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder import api, report
from autograder.sandbox import find_isolation
from autograder.tests.attacks.scenarios import PARTS, SCENARIOS, Scenario, write_manifest, write_submission
from tests.support.manifest import DEFAULT_PATH, ManifestError


def _skip_without(scenario: Scenario) -> None:
    off = [protection.name for protection in find_isolation().off if protection.name in scenario.needs]
    if off:
        pytest.skip(f"protections off here: {', '.join(off)}")


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_manifest(tmp_path_factory.mktemp("manifest") / "grading.toml")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.name)
def test_a_hostile_part_costs_only_itself(scenario, manifest, tmp_path):
    _skip_without(scenario)
    out = tmp_path / "out"
    result = api.grade(write_submission(scenario, tmp_path / "submission", out), out, manifest, PARTS)
    assert result.problem is None  # graded within its limits, by a grader that survived
    scores = {part.part_id: (part.score, part.max_score) for part in result.parts}
    for part_id, (score, max_score) in scores.items():
        if part_id in scenario.full:
            assert score == max_score, f"{part_id} lost points: {result.parts}"
        else:
            assert score < max_score, f"{part_id} kept its points: {result.parts}"
    results = json.loads((out / report.RESULTS_NAME).read_text())
    assert results == json.loads(json.dumps(report.gradescope(result)))  # written by the grader, from its grade
    assert len((out / report.RESULTS_NAME).read_bytes()) < 200_000  # feedback stays small, floods included


def test_a_typo_in_grading_toml_is_refused_before_grading(tmp_path):
    manifest = tmp_path / "grading.toml"
    manifest.write_text(DEFAULT_PATH.read_text().replace("call_timeout_s", "call_timout_s"))
    out = tmp_path / "out"
    with pytest.raises(ManifestError, match="did you mean 'call_timeout_s'"):
        api.grade(write_submission(SCENARIOS[0], tmp_path / "submission", out), out, manifest)
    assert not out.exists()


def test_a_dependency_on_a_missing_part_is_refused_before_grading(tmp_path):
    manifest = tmp_path / "grading.toml"
    manifest.write_text(DEFAULT_PATH.read_text().replace('depends_on = ["batchnorm"]', 'depends_on = ["batchnrom"]'))
    out = tmp_path / "out"
    with pytest.raises(ManifestError, match="batchnrom"):
        api.grade(write_submission(SCENARIOS[0], tmp_path / "submission", out), out, manifest)
    assert not out.exists()


def test_an_unknown_part_is_refused_before_grading(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="unknown part"):
        api.grade(write_submission(SCENARIOS[0], tmp_path / "submission", out), out, parts=("affine", "relus"))
    assert not out.exists()

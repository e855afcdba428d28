"""Grading end to end: real staging, the hidden tests in a pytest subprocess, the sandboxed worker.

The affine-only tests run one part's hidden tests and are quick; the last ones grade the bundled
examples on the full manifest: the reference gets full marks, the untouched stubs read "not
started" everywhere, the typical mistakes cost the parts they touch. Those pass once every part
has hidden tests.
"""

import json
import tempfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from autograder import api
from autograder.cli import main
from autograder.run import SOLUTIONS
from autograder.score import UNAVAILABLE
from tests.support.manifest import DEFAULT_PATH, ManifestError

EXERCISES = api.EXAMPLES["stubs"]
REFERENCE_LAYERS = SOLUTIONS / "backprop" / "layers.py"


def _results(out: Path) -> dict:
    return json.loads((out / "results.json").read_text())


def _manifest_with_limits(tmp_path: Path, call_timeout_s: float, submission_timeout_s: float) -> Path:
    text = DEFAULT_PATH.read_text()
    text = text.replace("call_timeout_s = 20", f"call_timeout_s = {call_timeout_s}")
    text = text.replace("submission_timeout_s = 900", f"submission_timeout_s = {submission_timeout_s}")
    path = tmp_path / "grading.toml"
    path.write_text(text)
    return path


def _submission(tmp_path: Path, layers: str) -> Path:
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "layers.py").write_text(layers)
    return folder


def test_reference_affine_full_marks(tmp_path):
    result = api.grade(SOLUTIONS, tmp_path / "out", parts=["affine"])
    (affine,) = result.parts
    assert (affine.score, affine.status) == (8, "passed")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert {test["metadata"]["part"] for test in report["tests"]} == {"affine"}
    assert _results(tmp_path / "out")["score"] == 8


def test_stubs_affine_not_started(tmp_path):
    (affine,) = api.grade(EXERCISES, tmp_path / "out", parts=["affine"]).parts
    assert (affine.score, affine.status) == (0, "not_started")
    assert "layers.affine_forward still raises NotImplementedError" in affine.feedback[1]


def test_a_zip_of_the_reference_layers(tmp_path):
    archive = tmp_path / "hw.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.write(REFERENCE_LAYERS, "my work/backprop/layers.py")
    (affine,) = api.grade(archive, tmp_path / "out", parts=["affine"]).parts
    assert affine.status == "passed"


def test_a_bug_costs_its_checks_and_prints_cost_nothing(tmp_path):
    layers = REFERENCE_LAYERS.read_text().replace(
        "    dx = (dout @ w.T).reshape(x.shape)\n", "    print('debugging dx')\n    dx = dout @ w.T\n"
    )
    (affine,) = api.grade(_submission(tmp_path, layers), tmp_path / "out", parts=["affine"]).parts
    assert affine.status == "partial" and 0 < affine.score < 8
    feedback = "\n".join(affine.feedback)
    assert "layers.affine_backward: dx has shape" in feedback
    assert "Your code printed (this costs nothing):\ndebugging dx" in feedback


def test_a_syntax_error_elsewhere_keeps_affine_credit(tmp_path):
    folder = _submission(tmp_path, REFERENCE_LAYERS.read_text())
    (folder / "fc_net.py").write_text("class TwoLayerNet(:\n")
    result = api.grade(folder, tmp_path / "out", parts=["affine"])
    assert result.parts[0].status == "passed"
    assert any("fc_net.py has a syntax error" in note for note in result.notes)


def test_a_syntax_error_costs_the_parts_of_its_file(tmp_path):
    (affine,) = api.grade(_submission(tmp_path, "def affine_forward(:\n"), tmp_path / "out", parts=["affine"]).parts
    assert affine.status == "failed"
    assert "SyntaxError" in affine.feedback[1]


def test_an_empty_submission_still_gets_results(tmp_path):
    (tmp_path / "empty").mkdir()
    result = api.grade(tmp_path / "empty", tmp_path / "out")
    results = _results(tmp_path / "out")
    assert result.score == 0 and results["score"] == 0
    assert "Nothing to grade" in results["output"]
    assert len(results["tests"]) == len(result.parts) > 1


def test_the_soft_time_limit_keeps_earlier_credit(tmp_path):
    # call limit 5 s, submission 20 s: no check starts after 10 s; each backward call sleeps 2 s.
    manifest = _manifest_with_limits(tmp_path, 5, 20)
    layers = REFERENCE_LAYERS.read_text().replace(
        "    x, w, b = cache\n    dx, dw, db = None, None, None\n",
        "    x, w, b = cache\n    dx, dw, db = None, None, None\n    import time; time.sleep(2)\n",
    )
    assert "time.sleep(2)" in layers
    result = api.grade(_submission(tmp_path, layers), tmp_path / "out", manifest, parts=["affine"])
    assert result.problem is None
    (affine,) = result.parts
    assert affine.status == "partial"
    assert any("time limit for the whole submission" in line for line in affine.feedback)


def test_the_hard_time_limit_stops_pytest_and_leaves_no_temporary_files(tmp_path, monkeypatch):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))  # where pytest and its workers would write theirs
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    manifest = _manifest_with_limits(tmp_path, 60, 8)
    layers = "def affine_forward(x, w, b):\n    while True:\n        pass\n"
    result = api.grade(_submission(tmp_path, layers), tmp_path / "out", manifest, parts=["affine"])
    assert result.problem == "Grading stopped: the whole submission took longer than 8 s."
    assert _results(tmp_path / "out")["score"] == 0
    assert list(temporary.iterdir()) == []  # pytest was killed: its worker's runtime folder went with it


def test_a_bad_manifest_stops_before_grading(tmp_path):
    bad = tmp_path / "grading.toml"
    bad.write_text("[assignment]\nname = 1\n")
    with pytest.raises(ManifestError):
        api.grade(SOLUTIONS, tmp_path / "out", bad)
    assert not (tmp_path / "out" / "results.json").exists()


def test_cli_grade_exits_0_with_results(tmp_path):
    outcome = CliRunner().invoke(main, ["grade", str(EXERCISES), "--out", str(tmp_path / "out"), "--part", "affine"])
    assert outcome.exit_code == 0, outcome.output
    assert "Affine layer (affine)" in outcome.output and "not started" in outcome.output
    assert _results(tmp_path / "out")["score"] == 0


def test_cli_grade_refuses_an_unknown_part(tmp_path):
    outcome = CliRunner().invoke(main, ["grade", str(SOLUTIONS), "--out", str(tmp_path / "out"), "--part", "nope"])
    assert outcome.exit_code == 2
    assert "unknown part(s) nope" in outcome.output


def test_mistakes_affine_partial(tmp_path):
    (affine,) = api.grade(api.EXAMPLES["mistakes"], tmp_path / "out", parts=["affine"]).parts
    assert affine.status == "partial"


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    """Every bundled example graded on the full manifest, once for this module."""
    return api.grade_examples(tmp_path_factory.mktemp("examples"))


def test_reference_full_marks(examples):
    reference = examples["reference"]
    assert reference.problem is None
    assert [part.part_id for part in reference.parts if part.status not in ("passed", UNAVAILABLE)] == []
    assert reference.score == reference.max_score


def test_stubs_every_part_not_started(examples):
    stubs = examples["stubs"]
    assert stubs.problem is None
    assert [part.part_id for part in stubs.parts if part.status not in ("not_started", UNAVAILABLE)] == []
    assert stubs.score == 0


def test_mistakes_cost_the_parts_they_touch(examples):
    parts = {part.part_id: part for part in examples["mistakes"].parts}
    assert parts["relu"].status == "passed"
    assert parts["cnn"].status == "not_started"
    for part_id in ("affine", "loss", "batchnorm", "optim"):
        assert parts[part_id].status == "partial", part_id
    assert parts["two_layer_net"].feedback[1].startswith("Fix first: Affine layer (affine), Softmax and SVM losses (loss).")

"""Reports: Gradescope's results.json schema, feedback.md and the terminal tables."""

import json

from rich.console import Console

from autograder import report
from autograder.score import score

from .factories import check, collected, manifest

CHECKS = (
    check("affine", "shape"),
    check("affine", "value", "failed", "layers.affine_forward: out does not match\n  worst at index (0, 1)"),
    check("relu"),
    check("net", status="not_started", feedback="Not started: TwoLayerNet.loss still raises NotImplementedError."),
)
RESULT = score(collected(*CHECKS, notes=("skipped the symlink x.py",)), manifest())


def test_results_json_follows_gradescope_schema(tmp_path):
    path = report.write(RESULT, tmp_path)
    results = json.loads(path.read_text())
    assert path.name == "results.json"
    assert set(results) == {"score", "execution_time", "output", "tests", "extra_data"}
    assert isinstance(results["score"], (int, float)) and isinstance(results["execution_time"], (int, float))
    assert results["score"] == round(8 / 3 + 4, 2)
    assert "skipped the symlink x.py" in results["output"]
    assert [test["name"] for test in results["tests"]] == ["Affine layer (affine)", "ReLU (relu)", "Two-layer net (net)"]
    for test in results["tests"]:
        assert set(test) == {"name", "score", "max_score", "status", "output", "visibility"}
        assert test["status"] in ("passed", "failed")
        assert isinstance(test["output"], str)
    affine, relu, net = results["tests"]
    assert (affine["score"], affine["max_score"], affine["status"]) == (round(8 / 3, 2), 8, "failed")
    assert "worst at index (0, 1)" in affine["output"]
    assert (relu["status"], relu["visibility"]) == ("passed", "hidden")
    assert net["visibility"] == "visible" and "Not started" in net["output"]
    assert results["extra_data"]["parts"] == {
        "affine": {"score": round(8 / 3, 2), "max_score": 8},
        "relu": {"score": 4, "max_score": 4},
        "net": {"score": 0, "max_score": 10},
    }


def test_a_problem_is_the_top_level_output(tmp_path):
    result = score(collected(problem="Nothing to grade: the zip cannot be read."), manifest())
    results = json.loads(report.write(result, tmp_path).read_text())
    assert results["score"] == 0
    assert "the zip cannot be read" in results["output"]
    assert all(test["score"] == 0 and "the zip cannot be read" in test["output"] for test in results["tests"])


def test_feedback_markdown_reads_for_a_student(tmp_path):
    report.write(RESULT, tmp_path)
    text = (tmp_path / "feedback.md").read_text()
    assert text.startswith("# test assignment\n")
    assert "**Score: 6.67 / 22**" in text
    assert "| Affine layer (affine) | 2.67 / 8 | partial |" in text
    assert "## Two-layer net (net): 0 / 10, not started" in text
    failure = "failed: test_value_failed [value]\n\n```text\nlayers.affine_forward: out does not match\n"
    assert failure + "  worst at index (0, 1)\n```" in text


def test_fences_outlast_backticks_in_feedback():
    assert report._fenced("a ``` b").startswith("````text\n")


def test_tables_render():
    console = Console(width=120, record=True)
    console.print(report.table(RESULT))
    console.print(report.comparison_table({"one": RESULT, "two": RESULT}))
    text = console.export_text()
    assert "Affine layer (affine)" in text and "2.67 / 8" in text and "6.67 / 22" in text
    assert "│ affine " in text and "2.67/8 partial" in text

"""The nbgrader gradebook: the parts as grade cells, read back through nbgrader's own API."""

from __future__ import annotations

import pytest

from autograder import gradebook
from autograder.score import GradeResult, PartScore

pytest.importorskip("nbgrader")

from nbgrader.api import Gradebook  # noqa: E402 - after the skip
from nbgrader.plugins.export import CsvExportPlugin  # noqa: E402


def _result(affine: float, relu: float) -> GradeResult:
    parts = (
        PartScore("affine", "Affine layer", affine, 8.0, "passed" if affine == 8 else "partial", (), "visible"),
        PartScore("relu", "ReLU activation", relu, 4.0, "passed" if relu == 4 else "failed", (), "visible"),
    )
    return GradeResult("test assignment", parts, (), None, 1.0)


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'gradebook.db'}"


def test_each_part_is_a_grade_cell_with_the_students_auto_score(url):
    assert gradebook.write({"ada": _result(8, 4), "cy": _result(4.62, 0)}, url) == 2
    with Gradebook(url) as book:
        assignment = book.find_assignment(gradebook.ASSIGNMENT)
        assert [notebook.name for notebook in assignment.notebooks] == [gradebook.NOTEBOOK]
        assert assignment.max_score == 12
        grade = book.find_grade("affine", gradebook.NOTEBOOK, gradebook.ASSIGNMENT, "cy")
        assert (grade.auto_score, grade.max_score, grade.needs_manual_grade) == (4.62, 8, False)
        assert {s.student.id: s.score for s in assignment.submissions} == {"ada": 12, "cy": pytest.approx(4.62)}
        # formgrader's gradebook pages show these dicts.
        rows = book.notebook_submission_dicts(gradebook.NOTEBOOK, gradebook.ASSIGNMENT)
        (row,) = [row for row in rows if row["student"] == "cy"]
        assert (row["code_score"], row["max_code_score"], row["needs_manual_grade"]) == (pytest.approx(4.62), 12, False)


def test_writing_again_updates_and_keeps_the_instructors_scores(url):
    gradebook.write({"ada": _result(4, 4)}, url)
    with Gradebook(url) as book:
        book.find_grade("relu", gradebook.NOTEBOOK, gradebook.ASSIGNMENT, "ada").manual_score = 3
        book.db.commit()
    gradebook.write({"ada": _result(8, 0), "bob": _result(0, 0)}, url)
    with Gradebook(url) as book:
        assert len(book.students) == 2
        ada = book.find_submission(gradebook.ASSIGNMENT, "ada")
        assert ada.score == 8 + 3  # affine's new auto score, relu's manual score
        assert book.find_grade("relu", gradebook.NOTEBOOK, gradebook.ASSIGNMENT, "ada").auto_score == 0


@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")  # nbgrader's add_submission, under SQLAlchemy 2
def test_beside_the_notebooks_of_an_existing_assignment(url, tmp_path):
    # What nbgrader's generate_assignment and autograde leave: a notebook with a manually graded answer.
    with gradebook.open_gradebook(url) as book:
        book.add_assignment("backprop_nn")
        book.add_notebook("BatchNormalization", "backprop_nn")
        book.add_grade_cell("inline_question", "BatchNormalization", "backprop_nn", max_score=2, cell_type="markdown")
        book.add_student("ada")
        book.add_submission("backprop_nn", "ada")
        book.find_grade("inline_question", "BatchNormalization", "backprop_nn", "ada").manual_score = 1.5
        book.db.commit()
    gradebook.write({"ada": _result(8, 2)}, url, assignment="backprop_nn")
    with Gradebook(url) as book:
        submission = book.find_submission("backprop_nn", "ada")
        assert sorted(notebook.name for notebook in submission.notebooks) == ["BatchNormalization", "autograder"]
        assert (submission.score, submission.max_score) == (11.5, 14)
        assert (submission.code_score, submission.written_score) == (10, 1.5)
        CsvExportPlugin(to=str(tmp_path / "grades.csv")).export(book)
    header, row = (tmp_path / "grades.csv").read_text().splitlines()
    exported = dict(zip(header.split(","), row.split(",")))
    assert (exported["student_id"], exported["score"], exported["max_score"]) == ("ada", "11.5", "14.0")


def test_a_bad_url_is_a_gradebook_error():
    with pytest.raises(gradebook.GradebookError, match="cannot write the gradebook"):
        gradebook.write({"ada": _result(8, 4)}, "nosuchdriver://nowhere")

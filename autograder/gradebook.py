"""Write a class's grades into nbgrader's gradebook, beside the notebooks' manually graded answers.

nbgrader keeps, per assignment, notebooks holding grade cells, and a grade per student and cell;
formgrader and `nbgrader export` read the scores from there. `write` puts the autograder's parts
into one notebook, `autograder`, holding one autograded code cell per part (named by the part id,
worth the part's points), and each student's score for a part into that cell's auto score. A score
an instructor sets by hand in formgrader (a manual score) is kept, and nbgrader lets it win.

Which assignment: by default one of its own, `backprop_nn_code`, next to nbgrader's
`backprop_nn` (the notebooks): `nbgrader export` gives a row for each, formgrader lists both, and
nbgrader's own commands never touch it. Writing into `backprop_nn` itself gives one total per
student, but then: write after `nbgrader autograde` (which scores 0 every notebook of the
assignment a student handed in no file for, `autograder` included), and know that nbgrader's
`generate_assignment` refuses to change an assignment with submissions whose notebooks differ from
its source folder's.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.release import ASSIGNMENT as NOTEBOOKS_ASSIGNMENT
from autograder.score import GradeResult

NOTEBOOK = "autograder"
"""The gradebook notebook holding one grade cell per part."""
ASSIGNMENT = f"{NOTEBOOKS_ASSIGNMENT}_code"
"""The default nbgrader assignment of the autograded parts."""

if TYPE_CHECKING:
    from nbgrader.api import Gradebook


class GradebookError(RuntimeError):
    """The gradebook cannot be opened or written; no score of this write was saved."""


@contextmanager
def open_gradebook(url: str, course_id: str = "default_course") -> Iterator[Gradebook]:
    """nbgrader's Gradebook at `url`, created when missing, closed on the way out.

    nbgrader runs the `alembic` command when it creates a gradebook; installed beside this Python,
    it is not on PATH when a virtual environment is used without being activated, so PATH gets this
    Python's scripts folder first for the duration.
    """
    from nbgrader.api import Gradebook

    path = os.environ.get("PATH")
    os.environ["PATH"] = os.pathsep.join(filter(None, [str(Path(sys.executable).parent), path]))
    try:
        with Gradebook(url, course_id) as gradebook:
            yield gradebook
    finally:
        if path is None:
            del os.environ["PATH"]
        else:
            os.environ["PATH"] = path


def write(
    results: Mapping[str, GradeResult], url: str, assignment: str = ASSIGNMENT, course_id: str = "default_course"
) -> int:
    """Write each student's per-part scores into the nbgrader gradebook at `url`.

    Creates what is missing (assignment, notebook, a grade cell per part, students, submissions),
    then writes every score in one transaction; writing again after a re-grade replaces the auto
    scores.

    Args:
        results: student id -> grade.
        url: any database URL nbgrader accepts (`sqlite:///gradebook.db`, the default of a course).
        assignment: the nbgrader assignment (see the module's docstring).
        course_id: nbgrader's course id.

    Returns:
        How many students were written.

    Raises:
        GradebookError: the database cannot be opened or written.
    """
    # nbgrader imports SQLAlchemy and much of Jupyter: only when writing a gradebook.
    from nbgrader.api import InvalidEntry
    from sqlalchemy.exc import SAWarning, SQLAlchemyError

    try:
        with open_gradebook(url, course_id) as gradebook, warnings.catch_warnings():
            # nbgrader's add_submission builds objects outside the session; SQLAlchemy 2 warns, harmlessly.
            warnings.filterwarnings("ignore", category=SAWarning, module=r"nbgrader\.")
            _write(gradebook, results, assignment)
    except (SQLAlchemyError, InvalidEntry, OSError) as error:
        raise GradebookError(f"cannot write the gradebook {url}: {error}") from error
    return len(results)


def _write(gradebook: Gradebook, results: Mapping[str, GradeResult], assignment: str) -> None:
    """Make what is missing (each commits), then set every score and commit once."""
    from nbgrader.api import Grade, MissingEntry, SubmittedNotebook

    gradebook.update_or_create_assignment(assignment)
    notebook = gradebook.update_or_create_notebook(NOTEBOOK, assignment)
    cells = {}
    for result in results.values():
        for part in result.parts:
            if part.part_id not in cells:
                cells[part.part_id] = gradebook.update_or_create_grade_cell(
                    part.part_id, NOTEBOOK, assignment, max_score=part.max_score, cell_type="code"
                )
    grades = []
    for student, result in results.items():
        gradebook.update_or_create_student(student)
        submission = gradebook.update_or_create_submission(assignment, student)
        try:
            submitted = gradebook.find_submission_notebook(NOTEBOOK, assignment, student)
        except MissingEntry:  # the submission predates the notebook (made by `nbgrader autograde`, say)
            submitted = SubmittedNotebook(notebook=notebook, assignment=submission)
            gradebook.db.add(submitted)
        existing = {grade.cell_id: grade for grade in submitted.grades}
        for part in result.parts:
            cell = cells[part.part_id]
            if cell.id not in existing:
                existing[cell.id] = Grade(cell_id=cell.id, notebook=submitted)
                gradebook.db.add(existing[cell.id])
            grades.append((existing[cell.id], part.score))
        gradebook.db.commit()
    for grade, score in grades:
        grade.auto_score = score
        grade.needs_manual_grade = False
    gradebook.db.commit()

"""Every bug of the catalog loses points in its own part; every alternative gets full marks.

Each variant is graded for real (staging, the hidden tests in a pytest subprocess, the sandboxed
worker), restricted to the parts it concerns; the run ends with the mutation score. That the
reference gets full marks and the stubs get 0 is proved in autograder/tests/pipeline/test_grade.py.
"""

import pytest

from autograder.catalog import ALTERNATIVES, BUGS
from autograder.score import UNAVAILABLE


def _table(result) -> str:
    return ", ".join(f"{part.part_id} {part.score:.2f}/{part.max_score:g} ({part.status})" for part in result.parts)


@pytest.mark.parametrize("variant", BUGS, ids=[bug.id for bug in BUGS])
def test_bug_loses_points_in_its_part(grades, variant):
    result = grades.result(variant)
    assert result.problem is None, result.problem
    (part,) = result.parts
    assert part.part_id == variant.part
    if part.status == UNAVAILABLE:  # the part needs an optional package this machine lacks
        pytest.skip(part.feedback[0])
    caught = part.score < part.max_score
    grades.caught[variant.id] = caught
    assert caught, f"{variant.id} ({variant.name}) is not caught: {_table(result)}"


@pytest.mark.parametrize("variant", ALTERNATIVES, ids=[alternative.id for alternative in ALTERNATIVES])
def test_alternative_gets_full_marks(grades, variant):
    result = grades.result(variant)
    assert result.problem is None, result.problem
    full = result.parts[0].part_id == variant.part and all(part.score == part.max_score for part in result.parts)
    grades.full_marks[variant.id] = full
    feedback = "\n".join(line for part in result.parts if part.score < part.max_score for line in part.feedback)
    assert full, f"{variant.id} ({variant.name}) is marked down: {_table(result)}\n{feedback}"

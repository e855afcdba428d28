"""Student notebooks: nbgrader's own preprocessors turn a source notebook into its student version.

`solutions/notebooks/X.ipynb` holds the reference: code between `### BEGIN SOLUTION` and
`### END SOLUTION` in nbgrader solution cells, and reference answers in nbgrader's manually graded
answer cells. The student version, `exercises/notebooks/X.ipynb`, is what `nbgrader
generate_assignment` writes, without its course database: each region becomes `# YOUR CODE HERE`
plus `raise NotImplementedError()`, each answer cell reads `YOUR ANSWER HERE`, outputs are cleared,
graded and solution cells are locked against deletion and carry nbgrader's checksums.
"""

from __future__ import annotations

import nbformat
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearHiddenTests,
    ClearMarkScheme,
    ClearOutput,
    ClearSolutions,
    ComputeChecksums,
    LockCells,
)

from autograder.build import BuildError

STEPS = (
    LockCells,
    ClearSolutions,
    ClearOutput,
    ClearHiddenTests,
    ClearMarkScheme,
    ComputeChecksums,
    CheckCellMetadata,
)
"""nbgrader's `generate_assignment` steps, in its order, less the ones that need a course
(IncludeHeaderFooter, InstantiateTests, SaveCells). ComputeChecksums runs after every step that
changes a cell, so the checksums are those of the cells a student receives."""


def read(text: str) -> nbformat.NotebookNode:
    """A notebook from its JSON text (nbformat 4), validated."""
    notebook = nbformat.reads(text, as_version=4)
    nbformat.validate(notebook)
    return notebook


def write(notebook: nbformat.NotebookNode) -> str:
    """The JSON text of a notebook, as Jupyter saves it (sorted keys, one-space indent, final newline)."""
    return nbformat.writes(notebook) + "\n"


def student_notebook(source: str, label: object = "<notebook>") -> str:
    """The student version of the source notebook text `source`.

    Raises:
        BuildError: naming `label`, when the text is not a valid notebook or nbgrader refuses it
            (a nested or unclosed region, a region outside a solution cell, malformed nbgrader
            metadata).
    """
    resources: dict = {}
    try:
        notebook = read(source)
        for step in STEPS:
            notebook, resources = step().preprocess(notebook, resources)
    except (RuntimeError, ValueError, nbformat.ValidationError) as error:  # nbgrader's metadata errors are nbformat's
        raise BuildError(f"{label}: {error}") from error
    return write(notebook)

"""The notebooks: clean sources, student versions without solutions, and every source notebook runs.

The runs are marked `notebooks` (tens of seconds): `pytest -m notebooks` runs only them,
`pytest -m "not notebooks"` everything else.
"""

import importlib.util
import re

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbformat.v4 import new_code_cell, new_notebook

from autograder import build, notebooks

NOTEBOOK_SOURCE, NOTEBOOK_TARGET = build.TREES[1]
SOURCES = sorted(NOTEBOOK_SOURCE.glob("*.ipynb"))
NAMES = {"FullyConnectedNets", "BatchNormalization", "Dropout", "ConvolutionalNetworks", "PyTorch"}
NEEDS = {"PyTorch": "torch"}
"""Notebooks that need an optional package (the `framework` extra) to run."""
MARKERS = tuple(f"{edge} {kind}" for kind in ("SOLUTION", "HIDDEN TESTS", "MARK SCHEME") for edge in ("BEGIN", "END"))
KERNELSPEC = {"name": "python3", "language": "python", "display_name": "Python 3"}
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
by_name = pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.stem)


def _metadata(cell: nbformat.NotebookNode) -> dict:
    return cell.metadata.get("nbgrader", {})


def split_lines(notebook: nbformat.NotebookNode) -> tuple[set[str], set[str]]:
    """Stripped lines inside solution regions and answer cells, and stripped lines outside them."""
    inside, outside = set(), set()
    for cell in notebook.cells:
        is_answer = _metadata(cell).get("solution") and cell.cell_type == "markdown"
        in_region = False
        for line in cell.source.splitlines():
            stripped = line.strip()
            if stripped in (build.BEGIN, build.END):
                in_region = stripped == build.BEGIN
            elif in_region or is_answer:
                inside.add(stripped)
            else:
                outside.add(stripped)
    return inside, outside


def _student(path):
    return notebooks.read((NOTEBOOK_TARGET / path.name).read_text(encoding="utf-8"))


def test_the_notebooks_are_there():
    assert {path.stem for path in SOURCES} == NAMES
    assert sorted(NOTEBOOK_TARGET.glob("*.ipynb")) == [NOTEBOOK_TARGET / path.name for path in SOURCES]


def test_committed_student_notebooks_are_in_sync():
    assert build.stale_files(NOTEBOOK_SOURCE, NOTEBOOK_TARGET) == [], "run `python -m autograder build`"


@by_name
def test_source_notebook_is_saved_clean(path):
    text = path.read_text(encoding="utf-8")
    notebook = notebooks.read(text)
    assert notebooks.write(notebook) == text, "not in Jupyter's own format"
    assert notebook.metadata.kernelspec.name == "python3"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"cell {cell.id} has outputs"


@by_name
def test_source_notebook_finds_the_package_beside_its_folder(path):
    cells = notebooks.read(path.read_text(encoding="utf-8")).cells
    first_code = next(cell for cell in cells if cell.cell_type == "code")
    assert "Path.cwd().parent" in first_code.source and "sys.path.insert(0" in first_code.source


@by_name
def test_questions_are_manually_graded_answer_cells(path):
    notebook = notebooks.read(path.read_text(encoding="utf-8"))
    answers = [cell for cell in notebook.cells if _metadata(cell).get("grade")]
    assert answers, "no inline question"
    for cell in answers:
        meta = _metadata(cell)
        assert cell.cell_type == "markdown" and meta["solution"] and meta["points"] > 0, meta["grade_id"]
        assert cell.source.strip(), f"{meta['grade_id']} has no reference answer"
    grade_ids = [_metadata(cell)["grade_id"] for cell in notebook.cells if _metadata(cell)]
    assert len(grade_ids) == len(set(grade_ids))


@by_name
def test_student_notebook_keeps_the_cells_and_clears_the_solutions(path):
    source, student = notebooks.read(path.read_text(encoding="utf-8")), _student(path)
    assert [cell.id for cell in student.cells] == [cell.id for cell in source.cells]
    for original, cleared in zip(source.cells, student.cells):
        meta = _metadata(original)
        if meta.get("solution") and original.cell_type == "markdown":
            assert cleared.source == TEXT_STUB
        elif meta.get("solution"):
            assert CODE_STUB in cleared.source and build.BEGIN not in cleared.source
        else:
            assert cleared.source == original.source
        if meta:
            assert _metadata(cleared)["checksum"] and cleared.metadata["deletable"] is False


@by_name
def test_no_marker_solution_line_or_reference_answer_leaks(path):
    text = (NOTEBOOK_TARGET / path.name).read_text(encoding="utf-8")
    assert not [marker for marker in MARKERS if marker in text]
    student_lines = {line.strip() for cell in _student(path).cells for line in cell.source.splitlines()}
    inside, outside = split_lines(notebooks.read(path.read_text(encoding="utf-8")))
    leaked = sorted((inside - outside - {""}) & student_lines)
    assert leaked == [], f"leaked into the student notebook: {leaked}"


def test_student_version_is_deterministic():
    text = SOURCES[0].read_text(encoding="utf-8")
    assert notebooks.student_notebook(text) == notebooks.student_notebook(text)


def _notebook(*sources: str, solution: bool = True) -> str:
    cells = [new_code_cell(source, id=f"cell-{i}") for i, source in enumerate(sources)]
    if solution:
        for cell in cells:
            cell.metadata["nbgrader"] = {
                "grade": False, "grade_id": cell.id, "locked": False, "schema_version": 3, "solution": True,
            }
    return notebooks.write(new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC}))


def test_a_solution_cell_becomes_nbgraders_stub():
    source = _notebook("x = 1\n### BEGIN SOLUTION\nx = 2\n### END SOLUTION")
    student = nbformat.reads(notebooks.student_notebook(source), 4)
    assert student.cells[0].source == "x = 1\n" + CODE_STUB


@pytest.mark.parametrize(
    ("notebook", "words"),
    [
        (_notebook("### BEGIN SOLUTION\nx = 2\n### END SOLUTION", solution=False), "non-solution cell"),
        (_notebook("### BEGIN SOLUTION\nx = 2"), "no end solution"),
        (_notebook("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION"), "nested"),
        ("{not json", ""),
    ],
    ids=["outside a solution cell", "unclosed", "nested", "not a notebook"],
)
def test_bad_notebooks_are_refused_naming_the_file(notebook, words):
    with pytest.raises(build.BuildError, match=rf"^solutions/notebooks/X\.ipynb: .*{re.escape(words)}"):
        notebooks.student_notebook(notebook, "solutions/notebooks/X.ipynb")


@pytest.mark.notebooks
@by_name
def test_source_notebook_runs_against_the_reference(path, tmp_path, monkeypatch):
    needed = NEEDS.get(path.stem)
    if needed and importlib.util.find_spec(needed) is None:
        pytest.skip(f"{path.name} needs {needed}, which is not installed (pip install '.[framework]')")
    # The kernel inherits this environment. The embedded digits even where CIFAR-10 is downloaded;
    # one BLAS thread, since contending threads are slower than one on a small machine.
    monkeypatch.setenv("BACKPROP_CIFAR10_DIR", str(tmp_path / "no-cifar-10"))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    notebook = notebooks.read(path.read_text(encoding="utf-8"))
    resources = {"metadata": {"path": str(NOTEBOOK_SOURCE)}}  # the kernel's working directory
    client = NotebookClient(notebook, timeout=300, kernel_name="python3", resources=resources)
    try:
        client.execute()
    except CellExecutionError as error:
        pytest.fail(f"{path.name} failed:\n{error}")
    printed = "".join(
        output.get("text", "") for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    )
    assert "TOO LARGE" not in printed, f"a check in {path.name} fails against the reference:\n{printed}"

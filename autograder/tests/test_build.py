"""The single-source build: markers, stubs, and the committed exercises/ in sync."""

import ast
import importlib
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder import build

SOURCE_FILES = sorted(build.SOURCE.rglob("*.py"))


def test_region_becomes_stub_naming_the_function():
    source = (
        "def f(x):\n"
        '    """Doc."""\n'
        "    out = None\n"
        "    ### BEGIN SOLUTION\n"
        "    out = 2 * x\n"
        "    ### END SOLUTION\n"
        "    return out\n"
    )
    assert build.stub_source(source) == (
        "def f(x):\n"
        '    """Doc."""\n'
        "    out = None\n"
        "    # YOUR CODE HERE\n"
        '    raise NotImplementedError("f is not implemented yet")\n'
        "    return out\n"
    )


def test_method_regions_name_the_class():
    source = "class Net:\n    def loss(self):\n        ### BEGIN SOLUTION\n        return 1\n        ### END SOLUTION\n"
    assert 'raise NotImplementedError("Net.loss is not implemented yet")' in build.stub_source(source)


def test_file_without_regions_is_copied_unchanged():
    source = "def provided():\n    return 3\n"
    assert build.stub_source(source) == source


@pytest.mark.parametrize(
    ("source", "line", "words"),
    [
        ("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    ### END SOLUTION\n", 3, "nested"),
        ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", 2, "unclosed"),
        ("def f():\n    return 1\n    ### END SOLUTION\n", 3, "stray"),
        ("def f():\n    # BEGIN SOLUTION\n    return 1\n", 2, "malformed"),
        ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", 1, "inside a function"),
    ],
)
def test_bad_markers_are_refused_naming_file_and_line(source, line, words):
    with pytest.raises(build.BuildError, match=rf"^layers\.py:{line}: .*{words}"):
        build.stub_source(source, "layers.py")


def test_build_writes_and_check_detects_drift(tmp_path):
    source, target = tmp_path / "src", tmp_path / "out"
    (source / "sub").mkdir(parents=True)
    (source / "sub" / "m.py").write_text("def g():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n")
    (source / "data.bin").write_bytes(b"\x00\x01")
    build.build(source, target)
    assert build.stale_files(source, target) == []
    assert (target / "data.bin").read_bytes() == b"\x00\x01"
    (target / "extra.py").write_text("")
    (target / "sub" / "m.py").write_text("changed")
    assert build.stale_files(source, target) == ["extra.py (not in the source)", "sub/m.py"]
    build.build(source, target)
    assert build.stale_files(source, target) == []


def test_committed_exercises_are_in_sync():
    assert build.stale_files() == [], "run `python -m autograder build` and commit exercises/"


def _solution_only_lines(text: str) -> set[str]:
    """Lines that appear inside solution regions and nowhere outside them."""
    lines = text.splitlines()
    inside: set[int] = set()
    for region in build.find_regions(text):
        inside.update(range(region.begin, region.end - 1))
    outside = {lines[i].strip() for i in range(len(lines)) if i not in inside}
    return {lines[i].strip() for i in inside} - outside - {""}


@pytest.mark.parametrize("path", SOURCE_FILES, ids=lambda p: str(p.relative_to(build.SOURCE)))
def test_no_marker_or_solution_line_leaks(path):
    source_text = path.read_text()
    stub_text = (build.TARGET / path.relative_to(build.SOURCE)).read_text()
    assert "BEGIN SOLUTION" not in stub_text and "END SOLUTION" not in stub_text
    stub_lines = {line.strip() for line in stub_text.splitlines()}
    leaked = sorted(line for line in _solution_only_lines(source_text) if line in stub_lines and not line.startswith("#"))
    assert leaked == [], f"solution lines leaked into {path.name}: {leaked}"


@pytest.mark.parametrize("path", SOURCE_FILES, ids=lambda p: str(p.relative_to(build.SOURCE)))
def test_every_stubbed_function_raises_not_implemented(path):
    source_text = path.read_text()
    regions = build.find_regions(source_text)
    spans = build._function_names(source_text, path)
    stubbed = {build._enclosing_function(spans, region.begin, path) for region in regions}
    tree = ast.parse((build.TARGET / path.relative_to(build.SOURCE)).read_text())
    raising = set()
    for name, node in _functions(tree, ""):
        for inner in ast.walk(node):
            if isinstance(inner, ast.Raise) and "NotImplementedError" in ast.unparse(inner):
                raising.add(name)
    assert stubbed <= raising, f"stubs that do not raise NotImplementedError: {sorted(stubbed - raising)}"


def _functions(node: ast.AST, prefix: str):
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.ClassDef):
            yield from _functions(child, f"{prefix}{child.name}.")
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield f"{prefix}{child.name}", child
            yield from _functions(child, f"{prefix}{child.name}.")


def test_stubs_import_cleanly(monkeypatch):
    monkeypatch.syspath_prepend(str(build.TARGET.parent))
    for name in [m for m in sys.modules if m == "backprop" or m.startswith("backprop.")]:
        monkeypatch.delitem(sys.modules, name)
    for path in SOURCE_FILES:
        relative = path.relative_to(build.SOURCE).with_suffix("")
        parts = [part for part in relative.parts if part != "__init__"]
        module = importlib.import_module(".".join(["backprop", *parts]))
        assert Path(module.__file__).is_relative_to(build.TARGET)


def test_build_writes_nbgrader_student_notebooks(tmp_path):
    answer = new_markdown_cell("The reference answer.", id="answer")
    code = new_code_cell("x = 1\n### BEGIN SOLUTION\nx = 2\n### END SOLUTION", id="code")
    for cell, graded in [(answer, True), (code, False)]:
        cell.metadata["nbgrader"] = {
            "grade": graded, "grade_id": cell.id, "locked": False, "schema_version": 3, "solution": True,
        }
    answer.metadata["nbgrader"]["points"] = 1
    kernelspec = {"name": "python3", "language": "python", "display_name": "Python 3"}
    notebook = new_notebook(cells=[answer, code], metadata={"kernelspec": kernelspec})
    source, target = tmp_path / "src", tmp_path / "out"
    source.mkdir()
    nbformat.write(notebook, source / "N.ipynb")
    assert build.build(source, target) == [Path("N.ipynb")]
    student = nbformat.read(target / "N.ipynb", as_version=4)
    stub = "x = 1\n# YOUR CODE HERE\nraise NotImplementedError()"
    assert [cell.source for cell in student.cells] == ["YOUR ANSWER HERE", stub]
    assert build.stale_files(source, target) == []


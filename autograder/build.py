"""The single-source build: `solutions/backprop/` -> `exercises/backprop/`, and
`solutions/notebooks/` -> `exercises/notebooks/`.

Every region between `### BEGIN SOLUTION` and `### END SOLUTION` becomes
`# YOUR CODE HERE` plus a `raise NotImplementedError(...)` naming the enclosing
function; notebooks become their nbgrader student versions (`autograder.notebooks`);
every other line and every other file is copied unchanged.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "solutions" / "backprop"
TARGET = ROOT / "exercises" / "backprop"
TREES = ((SOURCE, TARGET), (ROOT / "solutions" / "notebooks", ROOT / "exercises" / "notebooks"))
"""Every (source, target) folder pair the build writes."""
BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
SKIPPED = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints"}


class BuildError(ValueError):
    """A marker is nested, unclosed, stray or malformed; the message names file and line."""


@dataclass(frozen=True)
class Region:
    """One solution region: 1-based line numbers of its two markers."""

    begin: int
    end: int


def find_regions(text: str, path: Path | str = "<string>") -> list[Region]:
    """The solution regions of `text`, refusing nested, unclosed, stray or malformed markers."""
    regions: list[Region] = []
    opened: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped == BEGIN:
            if opened is not None:
                raise BuildError(f"{path}:{number}: nested {BEGIN!r} (the region opened on line {opened} is not closed)")
            opened = number
        elif stripped == END:
            if opened is None:
                raise BuildError(f"{path}:{number}: stray {END!r} with no open region")
            regions.append(Region(opened, number))
            opened = None
        elif "BEGIN SOLUTION" in line or "END SOLUTION" in line:
            raise BuildError(f"{path}:{number}: malformed marker; a marker line must read exactly {BEGIN!r} or {END!r}")
    if opened is not None:
        raise BuildError(f"{path}:{opened}: unclosed {BEGIN!r}")
    return regions


def _function_names(text: str, path: Path | str) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every function in `text`."""
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as error:
        raise BuildError(f"{path}:{error.lineno}: not valid Python: {error.msg}") from error
    spans: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    spans.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return spans


def _enclosing_function(spans: list[tuple[int, int, str]], line: int, path: Path | str) -> str:
    """The innermost function containing `line`; a region outside any function is an error."""
    inside = [span for span in spans if span[0] <= line <= span[1]]
    if not inside:
        raise BuildError(f"{path}:{line}: a solution region must sit inside a function")
    return max(inside, key=lambda span: span[0])[2]


def stub_source(text: str, path: Path | str = "<string>") -> str:
    """`text` with every solution region replaced by a stub that raises NotImplementedError."""
    regions = find_regions(text, path)
    if not regions:
        return text
    spans = _function_names(text, path)
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    cursor = 0
    for region in regions:
        out.extend(lines[cursor : region.begin - 1])
        marker = lines[region.begin - 1]
        indent = marker[: len(marker) - len(marker.lstrip())]
        name = _enclosing_function(spans, region.begin, path)
        out.append(f"{indent}# YOUR CODE HERE\n")
        out.append(f'{indent}raise NotImplementedError("{name} is not implemented yet")\n')
        cursor = region.end
    out.extend(lines[cursor:])
    return "".join(out)


def _source_files(source: Path) -> list[Path]:
    return sorted(
        path
        for path in source.rglob("*")
        if path.is_file() and not SKIPPED.intersection(path.relative_to(source).parts)
    )


def generate(source: Path = SOURCE) -> dict[Path, bytes]:
    """Relative path -> content of every file the generated folder should hold."""
    files: dict[Path, bytes] = {}
    for path in _source_files(source):
        relative = path.relative_to(source)
        label = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        if path.suffix == ".py":
            files[relative] = stub_source(path.read_text(encoding="utf-8"), label).encode("utf-8")
        elif path.suffix == ".ipynb":
            from autograder.notebooks import student_notebook  # imports nbgrader (seconds): only when needed

            files[relative] = student_notebook(path.read_text(encoding="utf-8"), label).encode("utf-8")
        else:
            files[relative] = path.read_bytes()
    return files


def stale_files(source: Path = SOURCE, target: Path = TARGET) -> list[str]:
    """Files of `target` that differ from what the build writes (missing, changed or extra)."""
    expected = generate(source)
    present = {path.relative_to(target) for path in _source_files(target)} if target.exists() else set()
    stale = [str(rel) for rel, content in expected.items() if rel not in present or (target / rel).read_bytes() != content]
    stale += [f"{rel} (not in the source)" for rel in present - expected.keys()]
    return sorted(stale)


def build(source: Path = SOURCE, target: Path = TARGET) -> list[Path]:
    """Write the exercises package from the source; remove files the source no longer has."""
    expected = generate(source)
    if target.exists():
        for path in _source_files(target):
            if path.relative_to(target) not in expected:
                path.unlink()
    written = []
    for relative, content in expected.items():
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if not destination.exists() or destination.read_bytes() != content:
            destination.write_bytes(content)
            written.append(relative)
    return written

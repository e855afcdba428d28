"""Variants of the reference solution: edits, bugs, alternatives, and the submissions made from them.

A variant is a list of edits applied to the reference files (`solutions/backprop/...`), so that the
catalog follows the reference as it changes, and refuses loudly when it no longer fits:

- `Edit(file, old, new)`: replace the text `old`, which must occur exactly once, with `new`;
- `Replace(file, source)`: replace each top-level function or class of the file by the definition
  of the same name in `source` (a helper the file lacks is added); each must exist at most once.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tests.support.manifest import ROOT, load_manifest

REFERENCE = ROOT / "solutions"
"""The folder holding the reference package, `backprop/`."""


class CatalogError(ValueError):
    """A variant no longer fits the reference: a snippet or a definition is missing or ambiguous."""


@dataclass(frozen=True)
class Edit:
    """Replace `old` (exactly one occurrence) with `new` in `file`."""

    file: str
    """Path inside the package: "layers.py", "classifiers/fc_net.py"."""
    old: str
    new: str

    def apply(self, text: str, where: str) -> str:
        count = text.count(self.old)
        if count != 1:
            found = "not found" if count == 0 else f"found {count} times"
            raise CatalogError(f"{where}: the snippet to replace is {found} in {self.file}:\n{self.old}")
        return text.replace(self.old, self.new)


@dataclass(frozen=True)
class Replace:
    """Replace each top-level function or class defined in `source` by that definition, in `file`.

    Definitions of `source` that `file` lacks (helpers) are inserted before the first one replaced.
    """

    file: str
    source: str
    """Python source: top-level definitions (and imports, which are ignored)."""

    def apply(self, text: str, where: str) -> str:
        new = [node for node in ast.parse(self.source).body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
        old = [node for node in ast.parse(text).body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
        spans, helpers = [], []
        for node in new:
            found = [existing for existing in old if existing.name == node.name]
            if len(found) > 1:
                raise CatalogError(f"{where}: {self.file} defines {node.name} {len(found)} times, expected once")
            if found:
                spans.append((_first_line(found[0]), found[0].end_lineno, _segment(self.source, node)))
            else:
                helpers.append(_segment(self.source, node))
        if not spans:
            raise CatalogError(f"{where}: the replacement source replaces no definition of {self.file}")
        lines = text.splitlines(keepends=True)
        first = min(spans)[0]
        for start, end, segment in sorted(spans, reverse=True):
            lines[start - 1 : end] = [segment + "\n"]
        lines[first - 1 : first - 1] = [helper + "\n\n\n" for helper in helpers]
        return "".join(lines)


def _first_line(node: ast.stmt) -> int:
    return min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])


def _segment(source: str, node: ast.stmt) -> str:
    """The source of a definition, decorators included."""
    return "\n".join(source.splitlines()[_first_line(node) - 1 : node.end_lineno])


@dataclass(frozen=True)
class _Named:
    id: str
    """"<part>.<what>", e.g. "affine.dx_not_reshaped"; the part is a part id of grading.toml."""
    name: str
    """One line saying what is wrong (a bug) or how it differs from the reference (an alternative)."""

    @property
    def part(self) -> str:
        return self.id.split(".", 1)[0]


@dataclass(frozen=True)
class Bug(_Named):
    """A typical learner mistake in one part."""

    hint: str
    """What to look at, for a student whose code has this bug; teaches without giving code away."""
    edits: tuple[Edit | Replace, ...]
    public: bool = False
    """Whether the public tests may name it: its name and hint ship with them, and what its code
    returns in the public checks it fails (tests/support/known_mistakes.json). Its edits never ship."""


@dataclass(frozen=True)
class Alternative(_Named):
    """A correct implementation written differently from the reference."""

    edits: tuple[Edit | Replace, ...]


Variant = Bug | Alternative


def apply(variant: Variant, reference: Path = REFERENCE) -> dict[str, str]:
    """The files the variant changes: package path ("backprop/layers.py") -> edited text.

    Raises:
        CatalogError: an edit does not fit the reference, or the result is not valid Python.
    """
    package = load_manifest().package
    texts: dict[str, str] = {}
    for edit in variant.edits:
        path = f"{package}/{edit.file}"
        if path not in texts:
            texts[path] = (reference / path).read_text(encoding="utf-8")
        texts[path] = edit.apply(texts[path], variant.id)
    for path, text in texts.items():
        try:
            ast.parse(text, filename=path)
        except SyntaxError as error:
            raise CatalogError(f"{variant.id}: {path} is not valid Python after the edits: {error}") from error
        if text == (reference / path).read_text(encoding="utf-8"):
            raise CatalogError(f"{variant.id}: the edits leave {path} unchanged")
    return texts


def write_submission(variant: Variant, dest: Path, reference: Path = REFERENCE) -> Path:
    """Write a submission folder for a bug or an alternative into `dest` and return `dest`.

    The folder holds what a student hands in: every file of grading.toml's `editable` list that
    the reference has, as the reference writes it, except for the variant's edits. (A file left
    out would be staged from the stubs, and its parts would read "not started".)
    """
    edited = apply(variant, reference)
    for path in load_manifest().editable:
        source = reference / path
        if path in edited or source.is_file():
            target = dest / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(edited.get(path) or source.read_text(encoding="utf-8"), encoding="utf-8")
    return dest


def by_part(variants: Iterable[Variant]) -> dict[str, list[Variant]]:
    """Variants grouped by part id, in the order given."""
    groups: dict[str, list[Variant]] = {}
    for variant in variants:
        groups.setdefault(variant.part, []).append(variant)
    return groups

"""The package of a catalogued bug, loaded in this (trusted) process under a name of its own.

    module = bug_package(find("conv.dx_crop_minus_pad"))   # `_backprop_bug_3`, holding layers, ...
    module.layers.conv_forward_naive(...)                    # after importing it, as usual

Its modules are the reference's, except the files the bug edits; they are compiled from memory
when first imported, and relative imports (`from ..layers import ...`) find the bug's own modules.
This is the kit's own code: nothing of a submission is ever loaded here.
"""

from __future__ import annotations

import functools
import importlib
import importlib.abc
import importlib.util
import itertools
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from autograder.catalog import Bug
from autograder.catalog.variants import REFERENCE, apply
from tests.support.manifest import load_manifest

_NUMBERS = itertools.count(1)


class _Source(importlib.abc.Loader):
    """Runs one module's source text in the module's namespace."""

    def __init__(self, text: str, filename: str):
        self.text = text
        self.filename = filename

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        exec(compile(self.text, self.filename, "exec"), module.__dict__)  # noqa: S102 - the kit's own code


class _Finder(importlib.abc.MetaPathFinder):
    """Finds the modules of the loaded bug packages: reference files, or the bug's edited texts."""

    def __init__(self) -> None:
        self.packages: dict[str, tuple[Path, dict[str, str]]] = {}
        """Top-level name -> (the reference package folder, edited texts by path inside it)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        top, _, rest = fullname.partition(".")
        if top not in self.packages:
            return None
        folder, edited = self.packages[top]
        inside = rest.replace(".", "/")
        candidates = [(f"{inside}/__init__.py" if inside else "__init__.py", True)]
        if inside:
            candidates.append((f"{inside}.py", False))
        for file, is_package in candidates:
            if file in edited or (folder / file).is_file():
                text = edited.get(file) or (folder / file).read_text(encoding="utf-8")
                loader = _Source(text, f"<{top}>/{file}")
                return importlib.util.spec_from_loader(fullname, loader, is_package=is_package)
        return None


@functools.cache
def _finder() -> _Finder:
    finder = _Finder()
    sys.meta_path.append(finder)
    return finder


def load_package(folder: Path, edited: dict[str, str], prefix: str) -> ModuleType:
    """The package in `folder`, with `edited` texts (by path inside it) in place of its files,
    imported under a fresh top-level name starting with `prefix`."""
    name = f"{prefix}_{next(_NUMBERS)}"
    _finder().packages[name] = (folder, edited)
    return importlib.import_module(name)


@functools.cache
def bug_package(bug: Bug, reference: Path = REFERENCE) -> ModuleType:
    """The bug's package, imported under a fresh top-level name (its submodules import on demand)."""
    package = load_manifest().package
    edited = {path.removeprefix(f"{package}/"): text for path, text in apply(bug, reference).items()}
    return load_package(reference / package, edited, f"_{package}_bug")

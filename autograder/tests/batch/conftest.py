"""A tiny class to grade, built from the reference, the stubs and the bug catalog.

    ada/      the reference package (folder)                          full marks
    bob.zip   the stubs (zip)                                         not started
    cy/       the reference with a bug in affine_backward (catalog)   affine partial
    dee/      relu_forward loops forever                              relu 0, the rest graded
    eve.zip   not a zip at all                                        nothing to grade
    fay/      affine_forward kills its process                        affine 0, relu graded

Graded on the parts in PARTS, with a grading.toml whose limits are small (a hanging call costs a
second), so that the class grades in seconds.
"""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder import batch, build
from autograder.catalog import make_submission
from autograder.run import SOLUTIONS
from tests.support.manifest import DEFAULT_PATH

PARTS = ("affine", "relu")
REFERENCE = SOLUTIONS / "backprop"
LAYERS = (REFERENCE / "layers.py").read_text()


def _edited(old: str, new: str) -> str:
    assert LAYERS.count(old) == 1, f"the reference no longer holds {old!r}"
    return LAYERS.replace(old, new)


def small_limits(folder: Path) -> Path:
    """grading.toml with a 1 s limit per call and 60 s per submission."""
    text = DEFAULT_PATH.read_text()
    small = {"call_timeout_s = 20 ": "call_timeout_s = 1 ", "submission_timeout_s = 900 ": "submission_timeout_s = 60 "}
    for old, new in small.items():
        assert old in text, f"grading.toml no longer reads {old!r}"
        text = text.replace(old, new)
    path = folder / "grading.toml"
    path.write_text(text)
    return path


def reference(folder: Path) -> Path:
    shutil.copytree(REFERENCE, folder / "backprop", ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def stubs_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for relative, content in build.generate(build.SOURCE).items():
            archive.writestr(f"backprop/{relative.as_posix()}", content)
    return path


def layers(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "layers.py").write_text(text)
    return folder


HANGING = _edited("    out = np.maximum(0, x)\n", "    while True:\n        pass\n")
CRASHING = _edited("    out = x.reshape(x.shape[0], -1) @ w + b\n", "    import os\n    os._exit(3)\n")


def make_class(folder: Path) -> Path:
    """The class of this module's docstring, in `folder`."""
    folder.mkdir(parents=True)
    reference(folder / "ada")
    stubs_zip(folder / "bob.zip")
    make_submission("affine.dx_not_reshaped", folder / "cy")
    layers(folder / "dee", HANGING)
    (folder / "eve.zip").write_bytes(b"this is not a zip")
    layers(folder / "fay", CRASHING)
    return folder


@dataclass(frozen=True)
class Graded:
    """The class, graded once for the whole module."""

    submissions: Path
    out: Path
    manifest: Path
    batch: batch.Batch


@pytest.fixture(scope="package")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Graded:
    root = tmp_path_factory.mktemp("class")
    manifest = small_limits(root)
    submissions = make_class(root / "submissions")
    out = root / "out"
    graded = batch.grade_batch(submissions, out, jobs=2, manifest_path=manifest, parts=PARTS)
    return Graded(submissions, out, manifest, graded)

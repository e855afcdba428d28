"""The student release: `release/student/`, `release/student.zip` and nbgrader's course folders.

`release/student/` mirrors the repository, so that the public tests find everything where they
look for it in the kit, and plain `pytest` there tests the bundle's own package:

    exercises/backprop/    the package, with stubs (the build's output)
    exercises/notebooks/   the student notebooks
    tests/                 the public tests, with tests/support/
    grading.toml           the parts: the tests' markers and summary table come from it
    pytest.ini             makes `pytest` at the top run tests/ against exercises/
    requirements.txt, README.md

`release/student.zip` holds the same files under `student/`, byte for byte the same on every run.

`release/nbgrader/` holds an nbgrader course's `source/<ASSIGNMENT>/` and the `release/<ASSIGNMENT>/`
that nbgrader's `generate_assignment` writes from it. nbgrader converts only the notebooks at the
top of an assignment and copies every other file unchanged, so the assignment holds the notebooks
next to the stubs package (`backprop/`, never the reference), the public tests, grading.toml and a
pytest.ini that points the tests at the assignment folder itself.

Everything is generated from `solutions/` (the single source), `tests/` and `grading.toml`; nothing
comes from `autograder/`.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from autograder import build
from tests.support.manifest import DEFAULT_PATH, ROOT, Manifest, load_manifest

RELEASE = ROOT / "release"
TESTS = ROOT / "tests"
ROOT_CONFTEST = ROOT / "conftest.py"
"""Declares the public tests' --impl option early, so `pytest --impl solutions` works."""
ASSIGNMENT = "backprop_nn"
"""The nbgrader assignment id."""
ZIP_PREFIX = PurePosixPath("student")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
"""The timestamp of every zip entry (the earliest a zip can hold), for reproducible archives."""

Files = dict[PurePosixPath, bytes]
"""Relative path -> content."""

REQUIREMENTS = "numpy>=1.24\npytest>=8\nmatplotlib>=3.8\njupyter\n"

STUDENT_PYTEST_INI = """\
[pytest]
# `pytest` here runs the public tests against exercises/backprop/ (their --impl default).
testpaths = tests
"""

NBGRADER_PYTEST_INI = """\
[pytest]
# `pytest` here runs the public tests against the backprop/ package of this folder.
testpaths = tests
addopts = --impl .
"""

STUDENT_README = """\
# {name}

You will write, in NumPy, the forward and backward passes of the layers of a neural network
(affine, ReLU, softmax and SVM losses, batch and layer normalisation, dropout, convolution, max
pooling, spatial batch and group normalisation), three update rules (SGD with momentum, RMSProp,
Adam) and the networks that put them together. The package and the notebooks follow Stanford
CS231n's assignment 2, with the package imported as `backprop` instead of `cs231n`.

## Set up, once

With Python 3.11 or newer, in this folder:

```bash
python -m venv .venv && .venv/bin/pip install -r requirements.txt
```

(On Windows: `python -m venv .venv` then `.venv\\Scripts\\pip install -r requirements.txt`.)

Part 5 (`backprop/framework.py` and the `PyTorch` notebook) also needs PyTorch; the CPU build is
enough, and until it is installed the Part 5 tests are skipped:

```bash
.venv/bin/pip install torch --index-url https://download.pytorch.org/whl/cpu
```

## Work

- **The code** is in `exercises/backprop/`. Every function that still reads `# YOUR CODE HERE`
  and raises `NotImplementedError` is yours to write. The files you may edit (the grader takes
  these and nothing else from your submission):
{editable}
- **The notebooks** in `exercises/notebooks/` explain the maths, check your code step by step, train
  the networks and plot what happens. Start Jupyter with `.venv/bin/jupyter lab exercises/notebooks`
  and work through them in this order: `FullyConnectedNets`, `BatchNormalization`, `Dropout`,
  `ConvolutionalNetworks`, then `PyTorch` (Part 5). Write your answers to the inline questions in the cells that read
  `YOUR ANSWER HERE`, and your code in the cells that raise `NotImplementedError`.
- **The tests** give you feedback at any time:

  ```bash
  .venv/bin/pytest               # every part; a part reads "not started" until you begin it
  .venv/bin/pytest -m affine     # one part
  .venv/bin/pytest -rs           # also list what is not started
  ```

## The parts

| part | what | points |
|---|---|---|
{parts}

The grader runs more tests than these, with other shapes and values: passing the public tests is a
good sign, not a guarantee.

## Data

The notebooks train on 8x8 handwritten digits that ship with the package, so that every cell runs
in seconds. To use CIFAR-10 instead, download https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz
and extract it into `exercises/notebooks/datasets/` (so that `exercises/notebooks/datasets/cifar-10-batches-py/`
exists), or point the environment variable `BACKPROP_CIFAR10_DIR` at a `cifar-10-batches-py` folder.

## Submit

The files you edited (listed above) and the five notebooks with your answers.
"""


@dataclass(frozen=True)
class Release:
    """What `release` wrote."""

    student: Path
    """The student bundle folder."""
    archive: Path
    """The same bundle as a zip."""
    nbgrader: Path
    """The nbgrader course folders (`source/`, `release/`)."""
    files: int
    """Number of files in the student bundle."""


class ReleaseError(RuntimeError):
    """nbgrader could not generate the assignment; the message holds its log."""


def _folder_files(folder: Path, prefix: PurePosixPath) -> Files:
    """Every file under `folder` (caches skipped), keyed by `prefix` / its relative path."""
    return {
        prefix / path.relative_to(folder).as_posix(): path.read_bytes() for path in build._source_files(folder)
    }


def _generated(source: Path, prefix: PurePosixPath) -> Files:
    """What the build generates from `source` (stubs, student notebooks), keyed under `prefix`."""
    return {prefix / relative.as_posix(): content for relative, content in build.generate(source).items()}


def student_readme(manifest: Manifest) -> str:
    """The bundle's README, with the editable files and the parts taken from the manifest."""
    editable = "\n".join(f"  - `exercises/{path}`" for path in manifest.editable)
    parts = "\n".join(f"| `{part.id}` | {part.title} | {part.points:g} |" for part in manifest.parts)
    return STUDENT_README.format(name=manifest.name, editable=editable, parts=parts)


def student_files(manifest_path: Path = DEFAULT_PATH) -> Files:
    """Relative path -> content of every file of the student bundle."""
    (package_source, package_target), (notebook_source, notebook_target) = build.TREES
    return {
        **_generated(package_source, PurePosixPath(package_target.relative_to(ROOT).as_posix())),
        **_generated(notebook_source, PurePosixPath(notebook_target.relative_to(ROOT).as_posix())),
        **_folder_files(TESTS, PurePosixPath("tests")),
        PurePosixPath("conftest.py"): ROOT_CONFTEST.read_bytes(),
        PurePosixPath("grading.toml"): manifest_path.read_bytes(),
        PurePosixPath("pytest.ini"): STUDENT_PYTEST_INI.encode(),
        PurePosixPath("requirements.txt"): REQUIREMENTS.encode(),
        PurePosixPath("README.md"): student_readme(load_manifest(manifest_path)).encode(),
    }


def assignment_files(manifest_path: Path = DEFAULT_PATH) -> Files:
    """Relative path -> content of nbgrader's source assignment folder.

    The notebooks are the source notebooks, with their solutions and reference answers: nbgrader
    clears them. Every other file is copied to students as it is, so the package is the stubs.
    """
    (package_source, _), (notebook_source, _) = build.TREES
    return {
        **_generated(package_source, PurePosixPath("backprop")),
        **_folder_files(notebook_source, PurePosixPath(".")),
        **_folder_files(TESTS, PurePosixPath("tests")),
        PurePosixPath("conftest.py"): ROOT_CONFTEST.read_bytes(),
        PurePosixPath("grading.toml"): manifest_path.read_bytes(),
        PurePosixPath("pytest.ini"): NBGRADER_PYTEST_INI.encode(),
    }


def write_folder(folder: Path, files: Files) -> None:
    """Replace `folder` by exactly `files`."""
    if folder.exists():
        shutil.rmtree(folder)
    for relative, content in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def write_zip(path: Path, files: Files, prefix: PurePosixPath = ZIP_PREFIX) -> None:
    """A zip of `files` under `prefix`, the same bytes for the same files: sorted entries, fixed
    timestamps and permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for relative in sorted(files):
            entry = zipfile.ZipInfo(str(prefix / relative), date_time=ZIP_DATE)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, files[relative])


def generate_assignment(course: Path, source: Files, assignment: str = ASSIGNMENT) -> Path:
    """Run nbgrader's `generate_assignment` on `source` in the course folder `course`.

    Writes `course/source/<assignment>/` and `course/release/<assignment>/`; without a gradebook
    (as `nbgrader generate_assignment --no-db`), since each course keeps its own.

    Raises:
        ReleaseError: nbgrader failed; the message holds its log.
    """
    # nbgrader imports most of Jupyter: only when releasing.
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import capture_log
    from traitlets.config import Config

    write_folder(course / "source" / assignment, source)
    config = Config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.assignment_id = assignment
    config.GenerateAssignment.no_database = True
    config.SaveCells.enabled = False
    log = logging.getLogger(__name__)
    log.propagate = False  # nbgrader logs every file it copies; capture_log keeps its log for errors
    converter = GenerateAssignment(coursedir=CourseDirectory(config=config), config=config, log=log)
    outcome = capture_log(converter)
    if not outcome["success"]:
        log_text, error = outcome.get("log", ""), outcome.get("error", "")
        raise ReleaseError(f"nbgrader generate_assignment failed:\n{log_text}\n{error}")
    return course / "release" / assignment


def release(out: Path = RELEASE, manifest_path: Path = DEFAULT_PATH) -> Release:
    """Write the student bundle, its zip and nbgrader's course folders into `out`.

    Replaces `out/student/`, `out/student.zip` and `out/nbgrader/`; leaves anything else in `out`.

    Raises:
        BuildError: a solution region or notebook is malformed.
        ReleaseError: nbgrader failed.
    """
    files = student_files(manifest_path)
    student, archive, nbgrader = out / "student", out / "student.zip", out / "nbgrader"
    write_folder(student, files)
    write_zip(archive, files)
    with tempfile.TemporaryDirectory() as scratch:
        course = Path(scratch)
        generate_assignment(course, assignment_files(manifest_path))
        if nbgrader.exists():
            shutil.rmtree(nbgrader)
        for folder in ("source", "release"):
            shutil.copytree(course / folder, nbgrader / folder)
    return Release(student=student, archive=archive, nbgrader=nbgrader, files=len(files))

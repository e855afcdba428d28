"""The student release: what the bundle holds, what it must never hold, and that it works alone."""

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path, PurePosixPath

import pytest
from click.testing import CliRunner
from nbclient import NotebookClient

from autograder import build, notebooks, release
from autograder.cli import main
from autograder.tests.test_notebooks import MARKERS, split_lines
from tests.support.manifest import ROOT, load_manifest

MANIFEST = load_manifest()
NOTEBOOK_SOURCE = build.TREES[1][0]


def _files(folder: Path) -> dict[str, bytes]:
    """Relative name -> content of every file under `folder`, caches skipped."""
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in build._source_files(folder)}


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> release.Release:
    return release.release(tmp_path_factory.mktemp("release"))


@pytest.fixture(scope="module")
def bundle(released) -> dict[str, bytes]:
    return _files(released.student)


def test_bundle_mirrors_the_repository(released, bundle):
    tests = {f"tests/{name}" for name in _files(ROOT / "tests")}
    package = {f"exercises/backprop/{path.as_posix()}" for path in build.generate(build.SOURCE)}
    student_notebooks = {f"exercises/notebooks/{path.name}" for path in NOTEBOOK_SOURCE.glob("*.ipynb")}
    top = {"conftest.py", "grading.toml", "pytest.ini", "requirements.txt", "README.md"}
    assert set(bundle) == tests | package | student_notebooks | top
    assert released.files == len(bundle)


def test_bundle_holds_no_marker_reference_or_hidden_test(bundle):
    for name, content in bundle.items():
        text = content.decode("utf-8", errors="replace")
        assert not [marker for marker in MARKERS if marker in text], name
        assert not {"solutions", "autograder"} & set(name.split("/")), name
    # Every file of autograder/ (hidden tests included) and every source file with a solution,
    # less trivial ones (empty __init__.py files), must be absent from the bundle.
    secret = {f"autograder/{name}": content for name, content in _files(ROOT / "autograder").items()}
    secret |= {
        f"solutions/{name}": content
        for name, content in _files(ROOT / "solutions").items()
        if name.endswith(".ipynb") or build.BEGIN.encode() in content
    }
    shipped = set(bundle.values())
    assert [name for name, content in secret.items() if content in shipped and content.count(b"\n") > 3] == []


def _secret_lines() -> set[str]:
    """Stripped lines found only in solutions: in the regions of the reference package, and in the
    solution regions and reference answers of the source notebooks. A line also found outside
    them (elsewhere in the reference, in the notebooks, in the public tests) is common code."""
    inside, outside = set(), set()
    for path in build.SOURCE.rglob("*.py"):
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        regions = {i for region in build.find_regions("\n".join(lines)) for i in range(region.begin, region.end - 1)}
        inside |= {line for i, line in enumerate(lines) if i in regions and not line.startswith("#")}
        outside |= {line for i, line in enumerate(lines) if i not in regions}
    for path in NOTEBOOK_SOURCE.glob("*.ipynb"):
        notebook_inside, notebook_outside = split_lines(notebooks.read(path.read_text(encoding="utf-8")))
        inside |= notebook_inside
        outside |= notebook_outside
    for path in (ROOT / "tests").rglob("*.py"):
        outside |= {line.strip() for line in path.read_text(encoding="utf-8").splitlines()}
    return inside - outside - {""}


def test_bundle_holds_no_solution_line_or_reference_answer(bundle):
    secret = _secret_lines()
    assert len(secret) > 100, "the leak check has nothing to look for"
    shipped_lines = set()
    for name, content in bundle.items():
        if name.endswith(".py"):
            shipped_lines |= {line.strip() for line in content.decode().splitlines()}
        elif name.endswith(".ipynb"):
            nb = notebooks.read(content.decode())
            shipped_lines |= {line.strip() for cell in nb.cells for line in cell.source.splitlines()}
    assert sorted(secret & shipped_lines) == []


def test_readme_and_requirements_say_how_to_start(bundle):
    readme = bundle["README.md"].decode()
    assert "python -m venv .venv && .venv/bin/pip install -r requirements.txt" in readme
    assert all(f"`{part.id}`" in readme for part in MANIFEST.parts)
    assert all(f"`exercises/{path}`" in readme for path in MANIFEST.editable)
    requirements = {line.split(">")[0] for line in bundle["requirements.txt"].decode().split()}
    assert requirements == {"numpy", "pytest", "matplotlib", "jupyter"}


def test_zip_holds_the_bundle_byte_for_byte(released, bundle):
    with zipfile.ZipFile(released.archive) as archive:
        assert {info.filename: archive.read(info) for info in archive.infolist()} == {
            f"student/{name}": content for name, content in bundle.items()
        }


def test_release_is_reproducible(released, tmp_path):
    again = release.release(tmp_path)
    assert again.archive.read_bytes() == released.archive.read_bytes()
    assert _files(again.nbgrader) == _files(released.nbgrader)


def test_release_leaves_other_files_alone(tmp_path):
    (tmp_path / "autograder.zip").write_bytes(b"made by another command")
    release.write_folder(tmp_path / "student", {})
    assert (tmp_path / "autograder.zip").read_bytes() == b"made by another command"


def test_nbgrader_release_is_what_the_kit_gives_students(released, bundle):
    source = released.nbgrader / "source" / release.ASSIGNMENT
    student = released.nbgrader / "release" / release.ASSIGNMENT
    names = sorted(path.name for path in NOTEBOOK_SOURCE.glob("*.ipynb"))
    assert sorted(path.name for path in source.glob("*.ipynb")) == names
    for name in names:
        assert (source / name).read_bytes() == (NOTEBOOK_SOURCE / name).read_bytes()
        # nbgrader's own generate_assignment gives the notebooks the build commits in exercises/
        ours = bundle[f"exercises/notebooks/{name}"].decode()
        assert notebooks.read((student / name).read_text()) == notebooks.read(ours)
    shipped = _files(student)
    package = {name: content for name, content in bundle.items() if name.startswith("exercises/backprop/")}
    assert {name: content for name, content in shipped.items() if name.startswith("backprop/")} == {
        name.removeprefix("exercises/"): content for name, content in package.items()
    }
    assert {"grading.toml", "pytest.ini", "tests/conftest.py"} <= set(shipped)
    assert not [name for name, content in shipped.items() if any(m.encode() in content for m in MARKERS)]


def _fresh_python(venv: Path) -> Path:
    """A new virtual environment that sees this one's third-party packages and nothing of the kit.

    Its .pth line adds this environment's site-packages to sys.path; .pth files found there (among
    them the kit's editable install) are not processed, so the kit stays out of reach.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    Path(site, "third_party.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def _part_table(output: str) -> dict[str, tuple[int, int, int]]:
    """part id -> (passed, not started, failing), from the table the public tests print last."""
    rows = {}
    for line in output.splitlines():
        words = line.split()
        if words and words[0] in MANIFEST.part_ids and len(words) > 4 and all(w.isdigit() for w in words[-3:]):
            rows[words[0]] = tuple(int(word) for word in words[-3:])
    return rows


def test_bundle_works_alone(released, tmp_path):
    student = shutil.copytree(released.student, tmp_path / "student")
    python = _fresh_python(tmp_path / "venv")
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "PYTEST")) and key != "VIRTUAL_ENV"
    }  # fmt: skip

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([python, *args], cwd=student, env=env, capture_output=True, text=True, timeout=900)

    assert run("-c", "import autograder").returncode != 0, "the kit is importable from the bundle's environment"
    stubs = run("-m", "pytest", "-p", "no:cacheprovider")
    assert stubs.returncode == 0, stubs.stdout + stubs.stderr
    table = _part_table(stubs.stdout)
    assert set(table) == set(MANIFEST.part_ids), stubs.stdout
    assert {part: (counts[1] > 0, counts[2]) for part, counts in table.items()} == {
        part: (True, 0) for part in MANIFEST.part_ids
    }, stubs.stdout

    for path in MANIFEST.editable:
        shutil.copyfile(ROOT / "solutions" / path, student / "exercises" / path)
    solved = run("-m", "pytest", "-p", "no:cacheprovider")
    assert solved.returncode == 0, solved.stdout + solved.stderr
    table = _part_table(solved.stdout)
    assert {part: (counts[0] > 0, counts[1:]) for part, counts in table.items()} == {
        part: (True, (0, 0)) for part in MANIFEST.part_ids
    }, solved.stdout


def test_nbgrader_failure_is_a_release_error_with_its_log(tmp_path):
    bad = {PurePosixPath("X.ipynb"): b"{not a notebook"}
    with pytest.raises(release.ReleaseError, match="generate_assignment failed"):
        release.generate_assignment(tmp_path, bad)


def test_release_command_writes_the_bundle(tmp_path):
    outcome = CliRunner().invoke(main, ["release", "--out", str(tmp_path)])
    assert outcome.exit_code == 0, outcome.output
    assert (tmp_path / "student" / "pytest.ini").is_file() and (tmp_path / "student.zip").is_file()
    assert (tmp_path / "nbgrader" / "release" / release.ASSIGNMENT / "FullyConnectedNets.ipynb").is_file()


def test_nbgrader_assignment_tests_its_own_package(released):
    assignment = released.nbgrader / "release" / release.ASSIGNMENT
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    outcome = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-m", "affine"],
        cwd=assignment, env=env, capture_output=True, text=True, timeout=300,
    )
    assert outcome.returncode == 0, outcome.stdout + outcome.stderr
    assert f"backprop implementation: {assignment.resolve() / 'backprop'}" in outcome.stdout
    assert _part_table(outcome.stdout)["affine"][1] > 0


@pytest.mark.notebooks
def test_student_notebook_runs_in_the_bundle_up_to_its_first_exercise(released, tmp_path, monkeypatch):
    student = shutil.copytree(released.student, tmp_path / "student")
    for path in MANIFEST.editable:
        shutil.copyfile(ROOT / "solutions" / path, student / "exercises" / path)
    monkeypatch.setenv("BACKPROP_CIFAR10_DIR", str(tmp_path / "no-cifar-10"))
    folder = student / "exercises" / "notebooks"
    notebook = notebooks.read((folder / "FullyConnectedNets.ipynb").read_text(encoding="utf-8"))
    resources = {"metadata": {"path": str(folder)}}
    NotebookClient(notebook, timeout=300, kernel_name="python3", allow_errors=True, resources=resources).execute()
    errors = [
        (cell.id, output.ename)
        for cell in notebook.cells if cell.cell_type == "code"
        for output in cell.outputs if output.output_type == "error"
    ]
    assert errors[0] == ("fc-overfit-three", "NotImplementedError"), errors

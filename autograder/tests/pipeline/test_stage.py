"""Staging: only the editable files come from a submission, wherever and however they lie."""

import os
import stat
import zipfile
from pathlib import Path

import pytest

from autograder import build
from autograder.stage import MAX_FILE_BYTES, stage
from tests.support.manifest import load_manifest

MANIFEST = load_manifest()
LAYERS = "# the student's layers\nx = 1\n"
FC_NET = "# the student's fc_net\ny = 2\n"
STUBS = build.generate(build.SOURCE)


def _write(folder: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return folder


def _zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as bundle:
        for name, content in files.items():
            bundle.writestr(name, content)
    return path


def _staged_text(staged, editable: str) -> str:
    return (staged.root / editable).read_text(encoding="utf-8")


def _stub(editable: str) -> bytes:
    return STUBS[Path(editable).relative_to(MANIFEST.package)]


def test_package_anywhere_in_a_folder(tmp_path):
    submission = _write(tmp_path / "sub", {
        "work/hw2/backprop/layers.py": LAYERS,
        "work/hw2/backprop/classifiers/fc_net.py": FC_NET,
        "work/hw2/backprop/gradient_check.py": "raise SystemExit('a provided file, replaced')\n",
    })
    staged = stage(submission, tmp_path / "scratch", MANIFEST)
    assert staged.problem is None
    assert set(staged.submitted) == {"backprop/layers.py", "backprop/classifiers/fc_net.py"}
    assert _staged_text(staged, "backprop/layers.py") == LAYERS
    assert _staged_text(staged, "backprop/classifiers/fc_net.py") == FC_NET
    assert (staged.root / "backprop/gradient_check.py").read_bytes() == STUBS[Path("gradient_check.py")]
    for editable in staged.from_stubs:
        assert (staged.root / editable).read_bytes() == _stub(editable)


def test_every_kit_file_is_staged(tmp_path):
    staged = stage(_write(tmp_path / "sub", {"layers.py": LAYERS}), tmp_path / "scratch", MANIFEST)
    staged_files = {p.relative_to(staged.root / "backprop") for p in staged.root.rglob("*") if p.is_file()}
    assert staged_files == set(STUBS)


def test_loose_files_map_by_name(tmp_path):
    submission = _write(tmp_path / "sub", {"layers.py": LAYERS, "fc_net.py": FC_NET, "notes.txt": "hi"})
    staged = stage(submission, tmp_path / "scratch", MANIFEST)
    assert set(staged.submitted) == {"backprop/layers.py", "backprop/classifiers/fc_net.py"}
    assert _staged_text(staged, "backprop/classifiers/fc_net.py") == FC_NET
    assert "backprop/optim.py" in staged.from_stubs


def test_gradescope_submission_folder(tmp_path):
    submission = _write(tmp_path / "autograder" / "submission", {"layers.py": LAYERS, "optim.py": "z = 3\n"})
    staged = stage(submission, tmp_path / "scratch", MANIFEST)
    assert set(staged.submitted) == {"backprop/layers.py", "backprop/optim.py"}


def test_a_single_python_file(tmp_path):
    path = tmp_path / "layers.py"
    path.write_text(LAYERS)
    staged = stage(path, tmp_path / "scratch", MANIFEST)
    assert staged.submitted == ("backprop/layers.py",)


def test_zip_with_a_package(tmp_path):
    archive = _zip(tmp_path / "hw.zip", {"hw2/backprop/layers.py": LAYERS, "__MACOSX/hw2/backprop/._layers.py": "junk"})
    staged = stage(archive, tmp_path / "scratch", MANIFEST)
    assert staged.submitted == ("backprop/layers.py",)
    assert _staged_text(staged, "backprop/layers.py") == LAYERS
    assert [note for note in staged.notes if "is not in the submission" not in note] == []


def test_missing_files_are_named(tmp_path):
    staged = stage(_write(tmp_path / "sub", {"layers.py": LAYERS}), tmp_path / "scratch", MANIFEST)
    assert "cnn.py is not in the submission; graded the kit's copy (its exercises are stubs)" in staged.notes
    assert len(staged.from_stubs) == len(MANIFEST.editable) - 1


def test_the_package_path_wins_over_a_loose_copy(tmp_path):
    submission = _write(tmp_path / "sub", {"layers.py": "old = 0\n", "deep/er/backprop/layers.py": LAYERS})
    staged = stage(submission, tmp_path / "scratch", MANIFEST)
    assert _staged_text(staged, "backprop/layers.py") == LAYERS
    assert any("found 2 files named layers.py" in note for note in staged.notes)


def test_zip_slip_is_refused(tmp_path):
    files = {"../layers.py": "evil = 1\n", "/abs/fc_net.py": "evil = 2\n", "optim.py": "ok = 1\n"}
    archive = _zip(tmp_path / "evil.zip", files)
    staged = stage(archive, tmp_path / "scratch" / "here", MANIFEST)
    assert staged.submitted == ("backprop/optim.py",)
    assert sum("unsafe zip entry" in note for note in staged.notes) == 2
    assert (staged.root / "backprop/layers.py").read_bytes() == _stub("backprop/layers.py")
    assert not (tmp_path / "scratch" / "layers.py").exists()


def test_symlinks_are_skipped(tmp_path):
    secret = tmp_path / "secret.py"
    secret.write_text("secret = 1\n")
    submission = _write(tmp_path / "sub", {"optim.py": "ok = 1\n"})
    os.symlink(secret, submission / "layers.py")
    os.symlink(tmp_path, submission / "loop")
    staged = stage(submission, tmp_path / "scratch", MANIFEST)
    assert staged.submitted == ("backprop/optim.py",)
    assert any("symlink layers.py" in note for note in staged.notes)
    assert any("symlinked folder loop" in note for note in staged.notes)


def test_symlink_in_a_zip_is_skipped(tmp_path):
    archive = tmp_path / "links.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        link = zipfile.ZipInfo("layers.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        bundle.writestr(link, "/etc/passwd")
        bundle.writestr("optim.py", "ok = 1\n")
    staged = stage(archive, tmp_path / "scratch", MANIFEST)
    assert staged.submitted == ("backprop/optim.py",)
    assert any("symlink layers.py" in note for note in staged.notes)


def test_an_oversized_file_is_replaced_by_the_stub(tmp_path):
    submission = _write(tmp_path / "sub", {"layers.py": "#" * (MAX_FILE_BYTES + 1), "optim.py": "ok = 1\n"})
    staged = stage(submission, tmp_path / "scratch", MANIFEST)
    assert staged.submitted == ("backprop/optim.py",)
    assert any("larger than" in note for note in staged.notes)


def test_non_utf8_is_read_as_latin1_and_reported(tmp_path):
    submission = _write(tmp_path / "sub", {"layers.py": "# d\xe9j\xe0 vu\nx = 1\n".encode("latin-1")})
    staged = stage(submission, tmp_path / "scratch", MANIFEST)
    assert _staged_text(staged, "backprop/layers.py") == "# d\xe9j\xe0 vu\nx = 1\n"
    assert any("not UTF-8" in note for note in staged.notes)


def test_a_syntax_error_is_staged_and_noted(tmp_path):
    staged = stage(_write(tmp_path / "sub", {"layers.py": "def f(:\n"}), tmp_path / "scratch", MANIFEST)
    assert staged.problem is None
    assert staged.submitted == ("backprop/layers.py",)
    assert any("syntax error (line 1" in note for note in staged.notes)


@pytest.mark.parametrize("files", [{}, {"README.md": "my homework", "notebook.ipynb": "{}"}], ids=["empty", "no-python"])
def test_nothing_recognisable_is_a_problem(tmp_path, files):
    staged = stage(_write(tmp_path / "sub", files) if files else (tmp_path / "sub"), tmp_path / "scratch", MANIFEST)
    assert staged.problem is not None and "Nothing to grade" in staged.problem
    assert staged.submitted == ()


def test_a_broken_zip_is_a_problem(tmp_path):
    archive = tmp_path / "broken.zip"
    archive.write_bytes(b"PK\x03\x04 this is not really a zip")
    staged = stage(archive, tmp_path / "scratch", MANIFEST)
    assert staged.problem is not None and "zip" in staged.problem


def test_scratch_must_be_fresh(tmp_path):
    scratch = _write(tmp_path / "scratch", {"left.txt": "over"})
    with pytest.raises(FileExistsError):
        stage(_write(tmp_path / "sub", {"layers.py": LAYERS}), scratch, MANIFEST)

"""Stage a submission: the kit's provided files plus the student's editable files, nothing else.

A submission is a folder (Gradescope's `/autograder/submission` is one), a `.zip`, or a single `.py`
file. It may hold a `backprop/` package anywhere inside, or just the edited files lying loose
(`layers.py`, `fc_net.py`); each editable file of grading.toml is matched by its path, else by its
name. Only those files are read, and only into a fresh scratch folder that already holds the kit's
own copy of every provided file, so a submission can never replace what the kit provides. An
editable file the submission lacks comes from the stubs, so its parts read "not started".

Nothing is extracted wholesale: unsafe zip entries (`../`, absolute paths, symlinks), symlinks in
folders, oversized files and encrypted entries are skipped with a note. A syntax error is not a
staging failure; it costs only the parts whose files fail to import, which the worker reports.
"""

from __future__ import annotations

import ast
import os
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from autograder import build
from tests.support.manifest import Manifest

MAX_FILE_BYTES = 1_000_000
"""Largest editable file read; the reference layers.py is about 25 kB."""
MAX_ZIP_BYTES = 500_000_000
"""Largest zip opened at all."""
MAX_ENTRIES = 20_000
"""Files looked at in one submission; the rest are ignored with a note."""
MAX_NOTES = 20
"""Notes kept for the student; the rest are counted."""
SKIPPED_DIRS = frozenset({"__MACOSX", "__pycache__", "site-packages", "node_modules"})
"""Folders never searched, with every hidden folder (`.git`, `.venv`, `.ipynb_checkpoints`)."""


@dataclass(frozen=True)
class Staged:
    """A scratch package ready to grade: the kit's provided files plus the student's editable ones."""

    root: Path
    """Folder holding the staged package (`root / "backprop"`); the worker imports from here."""
    submitted: tuple[str, ...]
    """Editable files taken from the submission (`backprop/layers.py`, ...)."""
    from_stubs: tuple[str, ...]
    """Editable files the submission lacks, staged from the stubs (their parts read not started)."""
    notes: tuple[str, ...]
    """What staging skipped, refused or changed, said for the student."""
    problem: str | None = None
    """Why there is nothing to grade (no recognisable file, unreadable zip); None when staging worked."""


@dataclass(frozen=True)
class _Entry:
    """One file of the submission, read only on demand."""

    path: PurePosixPath
    """Path inside the submission."""
    size: int
    read: Callable[[], bytes]
    """Returns at most MAX_FILE_BYTES + 1 bytes."""


class _Unreadable(Exception):
    """The submission as a whole cannot be read; the message says why."""


def _skipped(folder: str) -> bool:
    return folder in SKIPPED_DIRS or folder.startswith(".")


def _ignored(path: PurePosixPath) -> bool:
    return any(_skipped(folder) for folder in path.parts[:-1])


def _read_bounded(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(MAX_FILE_BYTES + 1)


def _folder_entries(top: Path, notes: list[str]) -> Iterator[_Entry]:
    """Regular files under `top`, never following symlinks."""
    seen = 0
    for folder, dirnames, filenames in os.walk(top, followlinks=False):
        here = Path(folder)
        for name in list(dirnames):
            if _skipped(name):
                dirnames.remove(name)
            elif (here / name).is_symlink():
                notes.append(f"skipped the symlinked folder {(here / name).relative_to(top)}")
                dirnames.remove(name)
        for name in sorted(filenames):
            path = here / name
            relative = PurePosixPath(path.relative_to(top).as_posix())
            if path.is_symlink():
                notes.append(f"skipped the symlink {relative}")
                continue
            seen += 1
            if seen > MAX_ENTRIES:
                notes.append(f"looked at the first {MAX_ENTRIES} files only")
                return
            if path.is_file():
                yield _Entry(relative, path.stat().st_size, lambda path=path: _read_bounded(path))


def _zip_entries(archive: Path, notes: list[str]) -> Iterator[_Entry]:
    """Safe members of a zip: no absolute or `..` paths, no symlinks, no encryption."""
    if archive.stat().st_size > MAX_ZIP_BYTES:
        raise _Unreadable(f"the zip is larger than {MAX_ZIP_BYTES // 1_000_000} MB")
    try:
        bundle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise _Unreadable(f"the zip cannot be read ({error})") from error
    with bundle:
        infos = bundle.infolist()
        if len(infos) > MAX_ENTRIES:
            notes.append(f"looked at the first {MAX_ENTRIES} entries of the zip only")
        for info in infos[:MAX_ENTRIES]:
            if info.is_dir():
                continue
            name = info.filename.replace("\\", "/")
            path = PurePosixPath(name)
            if not path.parts or path.is_absolute() or ".." in path.parts or ":" in path.parts[0]:
                notes.append(f"refused the unsafe zip entry {info.filename!r}")
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                notes.append(f"skipped the symlink {name}")
                continue
            if info.flag_bits & 0x1:
                notes.append(f"skipped the encrypted entry {name}")
                continue

            def read(info: zipfile.ZipInfo = info) -> bytes:
                with zipfile.ZipFile(archive) as again, again.open(info) as handle:
                    return handle.read(MAX_FILE_BYTES + 1)

            yield _Entry(path, info.file_size, read)


def _entries(submission: Path, notes: list[str]) -> list[_Entry]:
    if submission.is_dir():
        return list(_folder_entries(submission, notes))
    if not submission.is_file():
        raise _Unreadable(f"{submission} does not exist")
    if zipfile.is_zipfile(submission):
        return list(_zip_entries(submission, notes))
    if submission.suffix == ".zip":
        raise _Unreadable("the zip cannot be read (it is not a valid zip file)")
    if submission.suffix == ".py":
        return [_Entry(PurePosixPath(submission.name), submission.stat().st_size, lambda: _read_bounded(submission))]
    raise _Unreadable(f"{submission.name} is neither a folder, a .zip nor a .py file")


def _choose(editable: str, entries: list[_Entry], notes: list[str]) -> _Entry | None:
    """The entry that stands for `editable`: a path ending like it, else the same name; shallowest first."""
    target = PurePosixPath(editable)
    named = [entry for entry in entries if entry.path.name == target.name and not _ignored(entry.path)]
    if not named:
        return None

    def rank(entry: _Entry) -> tuple[int, int, str]:
        suffix_match = entry.path.parts[-len(target.parts) :] == target.parts
        return (0 if suffix_match else 1, len(entry.path.parts), str(entry.path))

    named.sort(key=rank)
    if len(named) > 1:
        notes.append(f"found {len(named)} files named {target.name}; graded {named[0].path} as {editable}")
    return named[0]


def _source(entry: _Entry, editable: str, notes: list[str]) -> bytes | None:
    """The entry's bytes as UTF-8 Python source, or None (with a note) when it cannot be used."""
    if entry.size > MAX_FILE_BYTES:
        notes.append(f"{entry.path} is larger than {MAX_FILE_BYTES // 1000} kB; used the stub for {editable}")
        return None
    try:
        data = entry.read()
    except (OSError, zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError) as error:
        notes.append(f"{entry.path} cannot be read ({error}); used the stub for {editable}")
        return None
    if len(data) > MAX_FILE_BYTES:
        notes.append(f"{entry.path} is larger than {MAX_FILE_BYTES // 1000} kB; used the stub for {editable}")
        return None
    if b"\x00" in data:
        notes.append(f"{entry.path} is not a text file; used the stub for {editable}")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        data = text.encode("utf-8")
        notes.append(f"{entry.path} is not UTF-8; it was read as Latin-1 (save your files as UTF-8)")
    try:
        ast.parse(text, filename=editable)
    except SyntaxError as error:
        notes.append(f"{editable} has a syntax error (line {error.lineno}: {error.msg}); the parts in it score 0")
    except (ValueError, RecursionError, MemoryError) as error:
        notes.append(f"{editable} cannot be parsed ({type(error).__name__}); the parts in it score 0")
    return data


def _capped(notes: list[str]) -> tuple[str, ...]:
    if len(notes) <= MAX_NOTES:
        return tuple(notes)
    return (*notes[:MAX_NOTES], f"... and {len(notes) - MAX_NOTES} more notes like these")


def _write_provided(root: Path, package: str) -> None:
    """The kit's package with every solution region stubbed: the provided files, and stubs for the rest."""
    for relative, content in build.generate(build.SOURCE).items():
        destination = root / package / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(content)


def stage(submission: Path, scratch: Path, manifest: Manifest) -> Staged:
    """Stage `submission` into the empty or missing folder `scratch`; never raises for a bad submission.

    Args:
        submission: a folder, a .zip or a .py file.
        scratch: where the staged package goes (`scratch / "backprop"`); must be empty or missing.
        manifest: names the package and its editable files.

    Returns:
        The staged package; `problem` says why when the submission holds nothing to grade.
    """
    if scratch.exists() and any(scratch.iterdir()):
        raise FileExistsError(f"{scratch} is not empty; staging needs a fresh folder")
    notes: list[str] = []
    try:
        entries = _entries(submission, notes)
    except _Unreadable as error:
        return Staged(scratch, (), manifest.editable, _capped(notes), f"Nothing to grade: {error}.")
    chosen = {editable: _choose(editable, entries, notes) for editable in manifest.editable}
    if not any(chosen.values()):
        names = ", ".join(PurePosixPath(path).name for path in manifest.editable)
        problem = (
            f"Nothing to grade: the submission holds no file of the assignment "
            f"(expected a {manifest.package}/ package or any of {names}; found {len(entries)} other file(s))."
        )
        return Staged(scratch, (), manifest.editable, _capped(notes), problem)
    _write_provided(scratch, manifest.package)
    submitted = []
    for editable, entry in chosen.items():
        if entry is None:
            name = PurePosixPath(editable).name
            notes.append(f"{name} is not in the submission; graded the kit's copy (its exercises are stubs)")
            continue
        data = _source(entry, editable, notes)
        if data is not None:
            (scratch / editable).write_bytes(data)
            submitted.append(editable)
    from_stubs = tuple(path for path in manifest.editable if path not in submitted)
    return Staged(scratch, tuple(submitted), from_stubs, _capped(notes))

"""The one manifest, `grading.toml`, read into frozen dataclasses and validated.

The public tests (markers, tolerances) and the autograder (parts, points, editable
files, limits) both read it through `load_manifest`; nothing else keeps a list of parts.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import MISSING, dataclass, fields, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PATH = ROOT / "grading.toml"
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


class ManifestError(ValueError):
    """grading.toml is malformed; the message names the table and the key."""


@dataclass(frozen=True)
class Requirement:
    """An optional package a part needs, installed by one of the kit's extras."""

    module: str
    """The module to import (`torch`); where it is missing, the part is not graded."""
    extra: str
    """The kit's extra that installs it (`framework`: pip install '.[framework]')."""
    warm: tuple[str, ...] = ()
    """Modules the package imports on first use (`torch._dynamo`), which the grader's worker imports
    ahead, with the package, before any student code runs."""


@dataclass(frozen=True)
class Part:
    """One graded part of the assignment."""

    id: str
    """Short id; also the pytest marker name (`pytest -m affine`)."""
    title: str
    """Human title shown in tables and feedback."""
    points: float
    """Points the part is worth."""
    functions: tuple[str, ...]
    """Dotted names inside the package (`layers.affine_forward`) the part grades."""
    files: tuple[str, ...]
    """Package files (`backprop/layers.py`) holding those functions."""
    depends_on: tuple[str, ...] = ()
    """Parts whose bugs can leak into this one; feedback names them first."""
    visibility: str = "visible"
    """Gradescope visibility of the part's result."""
    requires: Requirement | None = None
    """The optional package the part needs, if any (`requires = { module = "torch", extra = "framework" }`)."""


@dataclass(frozen=True)
class Tolerances:
    """A value passes when |actual - expected| <= atol + rtol * |expected| everywhere."""

    value_rtol: float
    value_atol: float
    gradient_rtol: float
    gradient_atol: float


@dataclass(frozen=True)
class Limits:
    """Resource limits for student code in the grader's worker."""

    call_timeout_s: float
    """Wall-clock seconds allowed for one call into student code."""
    submission_timeout_s: float
    """Wall-clock seconds allowed for grading one submission."""
    memory_mb: int
    """Address-space limit of the worker process."""


@dataclass(frozen=True)
class Manifest:
    """Everything grading.toml says."""

    name: str
    package: str
    editable: tuple[str, ...]
    parts: tuple[Part, ...]
    tolerances: Tolerances
    limits: Limits
    weights: dict[str, float]
    """Weight of each kind of check (`value`, `gradient`, ...) within its part."""

    def part(self, part_id: str) -> Part:
        """The part with this id; KeyError naming the known ids otherwise."""
        for part in self.parts:
            if part.id == part_id:
                return part
        raise KeyError(f"no part {part_id!r}; parts are {', '.join(self.part_ids)}")

    @property
    def part_ids(self) -> tuple[str, ...]:
        return tuple(part.id for part in self.parts)

    @property
    def total_points(self) -> float:
        return sum(part.points for part in self.parts)


def _build(cls: type, table: Any, where: str) -> Any:
    """Make dataclass `cls` from a TOML table, refusing unknown and missing keys."""
    if not isinstance(table, dict):
        raise ManifestError(f"{where}: expected a table, got {type(table).__name__}")
    known = {f.name: f for f in fields(cls)}
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ManifestError(f"{where}: unknown key {key!r}{hint}")
    values = {}
    for name, field in known.items():
        if name in table:
            value = table[name]
            values[name] = tuple(value) if isinstance(value, list) else value
        elif field.default is MISSING:
            raise ManifestError(f"{where}: missing key {name!r}")
    return cls(**values)


def _validate(manifest: Manifest) -> None:
    for kind, weight in manifest.weights.items():
        if not isinstance(weight, (int, float)) or weight < 0:
            raise ManifestError(f"[weights]: {kind!r} must be a number >= 0")
    ids = manifest.part_ids
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ManifestError(f"[[parts]]: duplicate part id(s) {sorted(duplicates)}")
    for part in manifest.parts:
        where = f"[[parts]] id={part.id!r}"
        if not part.id.isidentifier():
            raise ManifestError(f"{where}: the id must be a Python identifier (it is a pytest marker)")
        if not isinstance(part.points, (int, float)) or part.points <= 0:
            raise ManifestError(f"{where}: points must be a positive number")
        if not part.functions:
            raise ManifestError(f"{where}: lists no functions")
        for path in part.files:
            if path not in manifest.editable:
                raise ManifestError(f"{where}: file {path!r} is not in [assignment] editable")
        for dep in part.depends_on:
            if dep not in ids or dep == part.id:
                raise ManifestError(f"{where}: depends_on names unknown part {dep!r}")
        if part.visibility not in VISIBILITIES:
            raise ManifestError(f"{where}: visibility must be one of {VISIBILITIES}")
        if part.requires is not None:
            names = (part.requires.module, *part.requires.warm)
            if not all(isinstance(name, str) and all(p.isidentifier() for p in name.split(".")) for name in names):
                raise ManifestError(f"{where}: requires names a module that is not a dotted Python name")
            if not isinstance(part.requires.extra, str) or not part.requires.extra:
                raise ManifestError(f"{where}: requires needs the extra that installs the module")


def _part(table: Any, where: str) -> Part:
    """A [[parts]] table as a Part, its `requires` inline table as a Requirement."""
    part = _build(Part, table, where)
    if part.requires is None:
        return part
    return replace(part, requires=_build(Requirement, part.requires, f"{where} requires"))


def load_manifest(path: Path | str = DEFAULT_PATH) -> Manifest:
    """Read and validate grading.toml; ManifestError says what is wrong and where."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ManifestError(f"{path}: {error}") from error
    expected = {"assignment", "tolerances", "limits", "weights", "parts"}
    for key in data:
        if key not in expected:
            raise ManifestError(f"{path}: unknown table [{key}]")
    for key in expected - data.keys():
        raise ManifestError(f"{path}: missing table [{key}]")
    assignment = data["assignment"]
    for key in assignment:
        if key not in ("name", "package", "editable"):
            raise ManifestError(f"[assignment]: unknown key {key!r}")
    if not isinstance(data["parts"], list) or not data["parts"]:
        raise ManifestError("[[parts]]: expected at least one part")
    try:
        manifest = Manifest(
            name=assignment["name"],
            package=assignment["package"],
            editable=tuple(assignment["editable"]),
            parts=tuple(_part(t, f"[[parts]] #{i + 1}") for i, t in enumerate(data["parts"])),
            tolerances=_build(Tolerances, data["tolerances"], "[tolerances]"),
            limits=_build(Limits, data["limits"], "[limits]"),
            weights=dict(data["weights"]),
        )
    except KeyError as error:
        raise ManifestError(f"[assignment]: missing key {error}") from error
    _validate(manifest)
    return manifest

"""The autograder's public API: grade one submission, or the bundled examples.

    stage -> run -> collect -> score -> report

Each step is a function of the previous step's result (Staged -> Ran -> Collected -> GradeResult);
`grade` only chains them.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Sequence
from pathlib import Path

from autograder import report
from autograder.collect import collect
from autograder.run import SOLUTIONS, run
from autograder.score import GradeResult, score
from autograder.stage import stage
from tests.support.manifest import DEFAULT_PATH, ROOT, Manifest, load_manifest

EXAMPLES = {
    "reference": SOLUTIONS,
    "stubs": ROOT / "exercises",
    "mistakes": ROOT / "autograder" / "examples" / "mistakes",
}
"""The bundled example submissions: the reference, the untouched stubs, and typical mistakes."""


def _select(manifest: Manifest, parts: Sequence[str]) -> Manifest:
    """`manifest` restricted to `parts` (all parts when empty); ValueError names unknown parts."""
    unknown = [part_id for part_id in parts if part_id not in manifest.part_ids]
    if unknown:
        raise ValueError(f"unknown part(s) {', '.join(unknown)}; the parts are {', '.join(manifest.part_ids)}")
    if not parts:
        return manifest
    return dataclasses.replace(manifest, parts=tuple(manifest.part(part_id) for part_id in parts))


def grade(submission: Path, out: Path, manifest_path: Path = DEFAULT_PATH, parts: Sequence[str] = ()) -> GradeResult:
    """Grade `submission` (a folder, a .zip or a .py file) into `out`.

    Writes `out/results.json` (Gradescope), `out/feedback.md` (for the student), `out/report.json`
    (pytest-json-report's, with each test's part and feedback) and `out/pytest.log`. A submission
    that cannot be staged or graded still gets results, with the reason.

    Args:
        submission: what the student handed in.
        out: output folder, created if missing.
        manifest_path: grading.toml.
        parts: grade only these part ids (all when empty).

    Returns:
        The grade.

    Raises:
        ManifestError: grading.toml is malformed (nothing is graded).
        ValueError: `parts` names an unknown part.
        KitError: the hidden tests do not cover every part, or use unknown kinds of check.
    """
    manifest = _select(load_manifest(manifest_path), parts)
    with tempfile.TemporaryDirectory(prefix="backprop-staged-") as scratch:
        staged = stage(submission, Path(scratch) / "submission", manifest)
        ran = run(staged, out, manifest_path, parts)
    result = score(collect(ran), manifest)
    report.write(result, out)
    return result


def grade_examples(out: Path, manifest_path: Path = DEFAULT_PATH) -> dict[str, GradeResult]:
    """Grade every bundled example into `out/<name>/`; name -> grade, in EXAMPLES' order.

    Raises:
        FileNotFoundError: an example is missing (exercises/ is made by `python -m autograder build`).
    """
    for name, folder in EXAMPLES.items():
        if not folder.is_dir():
            raise FileNotFoundError(f"example {name!r}: {folder} is missing (run `python -m autograder build`?)")
    return {name: grade(folder, out / name, manifest_path) for name, folder in EXAMPLES.items()}

"""The command line: a thin wrapper over the public API (`build`, `grade`, ...)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from autograder import api, batch, gradebook, gradescope, report
from autograder import build as build_module
from autograder import release as release_module
from autograder.diagnosis import export as export_module
from autograder.sandbox.errors import SandboxError
from autograder.sandbox.isolation import find_isolation


@click.group()
def main() -> None:
    """backprop's tooling: build the student stubs, grade submissions."""


def _announce_protections() -> None:
    """Say once, before grading, which sandbox protections are off here; pin the ones that are on.

    Pinning makes every grading subprocess refuse to run student code with fewer protections.
    """
    try:
        found = find_isolation()
        found.pin()
    except SandboxError as error:
        click.echo(f"grading failed, the sandbox cannot start: {error}", err=True)
        sys.exit(2)
    if found.off:
        click.echo(found.summary(), err=True)


@main.command()
@click.option("--check", is_flag=True, help="Exit 1 when exercises/ is out of date instead of writing it.")
def build(check: bool) -> None:
    """Write exercises/ from solutions/: the package (solution regions become stubs) and the notebooks."""
    trees = build_module.TREES
    try:
        if check:
            stale = [
                f"{target.relative_to(build_module.ROOT)}/{name}"
                for source, target in trees
                for name in build_module.stale_files(source, target)
            ]
            if stale:
                click.echo("exercises/ is out of date; run `python -m autograder build`. Stale files:", err=True)
                for name in stale:
                    click.echo(f"  {name}", err=True)
                sys.exit(1)
            click.echo("exercises/ is in sync with solutions/")
            return
        written = [path for source, target in trees for path in build_module.build(source, target)]
    except build_module.BuildError as error:
        click.echo(f"build failed: {error}", err=True)
        sys.exit(2)
    click.echo(f"wrote {len(written)} file(s) to exercises/")


@main.command()
@click.option(
    "--out", default=release_module.RELEASE, show_default=True, type=click.Path(file_okay=False, path_type=Path),
    help="Folder for student/, student.zip and nbgrader/ (other files in it are left alone).",
)
def release(out: Path) -> None:
    """Write the student bundle (a folder and a zip) and nbgrader's course folders."""
    try:
        result = release_module.release(out)
    except (build_module.BuildError, release_module.ReleaseError) as error:
        click.echo(f"release failed: {error}", err=True)
        sys.exit(2)
    click.echo(f"wrote the student bundle, {result.files} files, to {result.student}/ and {result.archive}")
    click.echo(f"wrote nbgrader's source/ and release/ folders to {result.nbgrader}/")


@main.command()
@click.argument("submission", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out", required=True, type=click.Path(file_okay=False, path_type=Path),
    help="Folder for results.json, feedback.md and report.json.",
)
@click.option("--part", "parts", multiple=True, metavar="ID", help="Grade only this part (repeatable).")
def grade(submission: Path, out: Path, parts: tuple[str, ...]) -> None:
    """Grade SUBMISSION (a folder, a .zip or a .py file): results.json, feedback.md, report.json in OUT."""
    _announce_protections()
    try:
        result = api.grade(submission, out, parts=parts)
    except (ValueError, OSError) as error:  # ManifestError and KitError are ValueErrors
        click.echo(f"grading failed, no results written: {error}", err=True)
        sys.exit(2)
    Console().print(report.table(result))
    if result.problem:
        click.echo(result.problem, err=True)
    click.echo(f"wrote {out / report.RESULTS_NAME} and {out / report.FEEDBACK_NAME}")


@main.command("grade-examples")
@click.option(
    "--out", default=Path("out/examples"), show_default=True, type=click.Path(file_okay=False, path_type=Path),
    help="Each example is graded into OUT/<name>/.",
)
def grade_examples(out: Path) -> None:
    """Grade the bundled examples (reference, stubs, mistakes) and print their per-part scores."""
    _announce_protections()
    try:
        results = api.grade_examples(out)
    except (ValueError, OSError) as error:  # ManifestError and KitError are ValueErrors
        click.echo(f"grading failed: {error}", err=True)
        sys.exit(2)
    Console().print(report.comparison_table(results))
    for name, result in results.items():
        if result.problem:
            click.echo(f"{name}: {result.problem}", err=True)
    click.echo(f"wrote results for each example under {out}/")


@main.command("grade-batch")
@click.argument("submissions", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out", required=True, type=click.Path(file_okay=False, path_type=Path),
    help="Folder for each student's results (OUT/<student>/) and the class CSV; re-runs skip unchanged submissions.",
)
@click.option("--jobs", default=1, show_default=True, type=click.IntRange(min=1), help="Submissions graded at once.")
@click.option("--scheduler", metavar="ADDRESS", help="Grade on this Dask scheduler instead (needs the cluster extra).")
@click.option("--gradebook", "gradebook_url", metavar="URL", help="Also write the scores into this nbgrader gradebook.")
@click.option("--assignment", default=gradebook.ASSIGNMENT, show_default=True, help="The gradebook's assignment.")
@click.option("--part", "parts", multiple=True, metavar="ID", help="Grade only this part (repeatable).")
def grade_batch(
    submissions: Path, out: Path, jobs: int, scheduler: str | None, gradebook_url: str | None, assignment: str,
    parts: tuple[str, ...],
) -> None:  # fmt: skip
    """Grade a class: SUBMISSIONS holds one folder or .zip per student, named by the student id."""
    _announce_protections()
    try:
        graded = batch.grade_batch(submissions, out, jobs=jobs, scheduler=scheduler, parts=parts, progress=True)
        if gradebook_url:
            gradebook.write(graded.results, gradebook_url, assignment)
    except (ValueError, OSError, gradebook.GradebookError) as error:  # BatchError, ManifestError are ValueErrors
        click.echo(f"batch grading failed: {error}", err=True)
        sys.exit(2)
    Console().print(batch.summary_table(graded))
    for student, why in graded.failures.items():
        click.echo(f"{student}: {why.splitlines()[0]}", err=True)
    for name in graded.ignored:
        click.echo(f"ignored {name}: neither a folder nor a .zip", err=True)
    click.echo(f"wrote each student's results under {out}/ and the class CSV {graded.csv}")
    if gradebook_url:
        click.echo(f"wrote {len(graded.results)} students' scores into {gradebook_url}, assignment {assignment}")
    if any(outcome.status == "failed" for outcome in graded.outcomes):
        sys.exit(1)


@main.command("gradescope")
@click.option(
    "--out", default=gradescope.ZIP, show_default=True, type=click.Path(dir_okay=False, path_type=Path),
    help="The autograder zip to write.",
)
def gradescope_zip(out: Path) -> None:
    """Build Gradescope's autograder zip: setup.sh, run_autograder, the grader, the reference, grading.toml."""
    click.echo(f"wrote {gradescope.build(out)}")


@main.command("catalog-export")
@click.option("--check", is_flag=True, help="Exit 1 when the file is out of date instead of writing it.")
def catalog_export(check: bool) -> None:
    """Write tests/support/known_mistakes.json: the public bugs' names, hints and runs on the public checks."""
    path = export_module.KNOWN_MISTAKES
    try:
        if check:
            if not path.is_file() or path.read_text(encoding="utf-8") != export_module.render(export_module.generate()):
                click.echo(f"{path} is out of date; run `python -m autograder catalog-export`", err=True)
                sys.exit(1)
            click.echo(f"{path} is in sync with the catalog and the public tests")
            return
        content = export_module.export(path)
    except export_module.ExportError as error:
        click.echo(f"catalog export failed: {error}", err=True)
        sys.exit(2)
    mistakes, checks = len(content["mistakes"]), len(content["runs"])
    click.echo(f"wrote {path}: {mistakes} public bugs, their runs on {checks} public checks")
    missed = export_module.uncaught(content)
    if missed:
        click.echo(f"public bugs no public check fails (only the grader can name them): {', '.join(missed)}")

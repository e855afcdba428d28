"""Grade a whole class: one folder or .zip per student, in parallel, resumable.

    discover -> fingerprint -> grade what changed (here, or on a Dask cluster) -> commit -> CSV, summary

`grade_batch(submissions, out)` grades each submission of the class folder `submissions` (the
student id is the name of its folder or zip) into `out/<student>/`: what `api.grade` writes
(results.json, feedback.md, report.json, pytest.log) and `grade.json`, the grade with the
fingerprint of what it was computed from. Then it writes the class CSV, `out/grades.csv`.

- Each submission is graded in a process of its own, so one that crashes or hangs costs only its
  own grade (a hang is bounded by grading.toml's limits), and Ctrl-C stops every grade in flight.
- A student's files are written to a scratch folder and moved into place by one rename once
  complete: a run stopped at any point leaves, per student, complete results or none.
- A re-run grades only what is missing or changed. The fingerprint is a sha256 of the submission's
  files and of the grader's: grading.toml, the parts chosen, the grader's code (the hidden tests
  among it), the public tests' support code and the reference.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from autograder import api, report
from autograder.run import KIT_BUG, SOLUTIONS
from autograder.score import PART_STATUSES, GradeResult, PartScore
from tests.support.manifest import DEFAULT_PATH, ROOT, Manifest, load_manifest

RECORD_NAME = "grade.json"
CSV_NAME = "grades.csv"
WORK_NAME = ".work"
"""Scratch folder of `out` where grades are written before they are moved into place."""
GRADER = (ROOT / "autograder", ROOT / "tests" / "__init__.py", ROOT / "tests" / "support", SOLUTIONS / "backprop")
"""What grades, with grading.toml: the autograder (less NOT_GRADER), the public tests' support code it
imports, and the reference."""
NOT_GRADER = frozenset({ROOT / "autograder" / "tests", ROOT / "autograder" / "examples"})
CACHES = frozenset({"__pycache__"})
OUTCOMES = ("graded", "unchanged", "failed")


class BatchError(ValueError):
    """The class folder cannot be graded (missing, empty, two submissions for one student)."""


@dataclass(frozen=True)
class Job:
    """One submission to grade, with all a worker needs (absolute paths: workers may run elsewhere)."""

    student: str
    submission: Path
    """A folder or a .zip."""
    manifest: Path
    """grading.toml."""
    parts: tuple[str, ...]
    """The parts to grade (all when empty)."""
    fingerprint: str
    """sha256 of the submission's files and of the grader's."""


def _job_json(job: Job) -> str:
    return json.dumps({**dataclasses.asdict(job), "submission": str(job.submission), "manifest": str(job.manifest)})


def _job_from_json(text: str) -> Job:
    fields = json.loads(text)
    paths = {key: Path(fields[key]) for key in ("submission", "manifest")}
    return Job(**{**fields, **paths, "parts": tuple(fields["parts"])})


@dataclass(frozen=True)
class Outcome:
    """What became of one submission in a batch."""

    student: str
    status: str
    """One of OUTCOMES: graded now, unchanged since an earlier run (not graded again), or failed."""
    result: GradeResult | None
    """The grade; None when grading failed."""
    error: str | None = None
    """Why grading failed (the grader raised, or its process died); None otherwise."""


@dataclass(frozen=True)
class Batch:
    """A graded class."""

    manifest: Manifest
    """grading.toml, restricted to the parts graded."""
    outcomes: tuple[Outcome, ...]
    """One per submission, ordered by student id."""
    ignored: tuple[str, ...]
    """Entries of the class folder that are neither a folder nor a .zip."""
    out: Path

    @property
    def results(self) -> dict[str, GradeResult]:
        """Student -> grade, for every submission with one."""
        return {outcome.student: outcome.result for outcome in self.outcomes if outcome.result is not None}

    @property
    def failures(self) -> dict[str, str]:
        """Student -> why, for every submission not graded as a whole: the grader failed, found
        nothing to grade, or ran out of time."""
        why = {outcome.student: outcome.error for outcome in self.outcomes if outcome.error}
        why.update({student: result.problem for student, result in self.results.items() if result.problem})
        return dict(sorted(why.items()))

    @property
    def csv(self) -> Path:
        return self.out / CSV_NAME


def discover(submissions: Path, out: Path | None = None) -> tuple[dict[str, Path], tuple[str, ...]]:
    """Student id -> submission for each folder or .zip in `submissions`, and the names of the
    other entries. Hidden entries, `__MACOSX` and the output folder `out` are passed over.

    Raises:
        BatchError: `submissions` is not a folder, holds no submission, or two of them share a
            student id (`ada/`, `ada.zip`).
    """
    if not submissions.is_dir():
        raise BatchError(f"{submissions} is not a folder of submissions")
    own = out.resolve() if out is not None else None
    found: dict[str, Path] = {}
    ignored: list[str] = []
    for entry in sorted(submissions.iterdir()):
        if entry.name.startswith(".") or entry.name == "__MACOSX" or entry.resolve() == own:
            continue
        if entry.is_dir():
            student = entry.name
        elif entry.is_file() and entry.suffix.lower() == ".zip":
            student = entry.stem
        else:
            ignored.append(entry.name)
            continue
        if student in found:
            raise BatchError(f"two submissions for student {student!r}: {found[student].name} and {entry.name}")
        found[student] = entry.resolve()
    if not found:
        raise BatchError(f"{submissions} holds no submission (a folder or a .zip per student)")
    return found, tuple(ignored)


def grader_files() -> list[Path]:
    """Every file of GRADER, sorted, caches left out."""
    files = []
    for top in GRADER:
        if top.is_file():
            files.append(top)
            continue
        for folder, dirnames, filenames in os.walk(top):
            here = Path(folder)
            dirnames[:] = sorted(name for name in dirnames if name not in CACHES and here / name not in NOT_GRADER)
            files += [here / name for name in sorted(filenames)]
    return files


def _digest_file(digest: hashlib._Hash, path: Path) -> None:
    with path.open("rb") as handle:
        digest.update(hashlib.file_digest(handle, "sha256").digest())


def _digest_tree(digest: hashlib._Hash, top: Path) -> None:
    """Feed `digest` each file under `top` (or the file `top`): its relative path and sha256.
    Symlinks count by their target and are never followed."""
    if not top.is_dir():
        _digest_file(digest, top)
        return
    for folder, dirnames, filenames in os.walk(top):
        here = Path(folder)
        dirnames[:] = sorted(name for name in dirnames if name not in CACHES)
        links = [name for name in dirnames if (here / name).is_symlink()]
        for name in sorted(filenames + links):
            path = here / name
            digest.update(path.relative_to(top).as_posix().encode() + b"\0")
            if path.is_symlink():
                digest.update(b"-> " + os.readlink(path).encode())
            elif path.is_file():
                _digest_file(digest, path)


def grader_fingerprint(manifest_path: Path = DEFAULT_PATH, parts: Sequence[str] = ()) -> str:
    """sha256 of what a grade depends on besides the submission: grading.toml, the parts, GRADER's files."""
    digest = hashlib.sha256(manifest_path.read_bytes())
    digest.update("\0".join(sorted(parts)).encode() + b"\0")
    for path in grader_files():
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        _digest_file(digest, path)
    return digest.hexdigest()


def fingerprint(submission: Path, grader: str) -> str:
    """sha256 of the submission's files (a folder's, or a zip's bytes) and the grader's fingerprint."""
    digest = hashlib.sha256(grader.encode())
    _digest_tree(digest, submission)
    return digest.hexdigest()


def _result_from(data: dict) -> GradeResult:
    """The GradeResult that `dataclasses.asdict` turned into `data`."""
    parts = tuple(PartScore(**{**part, "feedback": tuple(part["feedback"])}) for part in data["parts"])
    return GradeResult(**{**data, "parts": parts, "notes": tuple(data["notes"])})


def _write_record(work: Path, job: Job, **fields: object) -> None:
    work.mkdir(parents=True, exist_ok=True)
    record = {"student": job.student, "fingerprint": job.fingerprint, **fields}
    (work / RECORD_NAME).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def grade_into(job: Job, work: Path) -> None:
    """Grade `job` into the folder `work`: api.grade's files and grade.json, which holds the grade,
    or why grading failed. Never raises for a failure of the grader (it costs this student only)."""
    try:
        result = api.grade(job.submission, work, job.manifest, job.parts)
    except Exception as error:  # reported in grade.json; the batch goes on
        _write_record(work, job, error="".join(traceback.format_exception_only(error)).strip())
        return
    _write_record(work, job, result=dataclasses.asdict(result))


def grade_files(job: Job) -> dict[str, bytes]:
    """Grade `job` in a scratch folder: file name -> content of what `grade_into` wrote (for a
    worker that shares no folder with the batch, such as a Dask worker)."""
    with tempfile.TemporaryDirectory(prefix="backprop-batch-") as scratch:
        grade_into(job, Path(scratch))
        return {path.name: path.read_bytes() for path in Path(scratch).iterdir() if path.is_file()}


def deliver(work: Path, job: Job, files: dict[str, bytes] | None, error: str | None = None) -> None:
    """Put into `work` the files a remote worker returned for `job`, or a record of why there are none."""
    if files is None:
        _write_record(work, job, error=error or "the grader returned nothing")
        return
    work.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (work / Path(name).name).write_bytes(content)


GRADING_PROCESS = "from autograder.batch import grading_process; grading_process()"
"""`python -c` program of a local grading process; its arguments: the job as JSON, the work folder."""


def grading_process() -> None:
    """Entry point of a local grading process (GRADING_PROCESS). The first SIGINT (Ctrl-C) or SIGTERM
    stops it cleanly: the pytest run in flight is killed on the way out; later signals do nothing."""
    stopped = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopped
        if not stopped:
            stopped = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    job_json, work = sys.argv[1:]
    try:
        grade_into(_job_from_json(job_json), Path(work))
    except KeyboardInterrupt:
        sys.exit(130)


def run_local(jobs: Sequence[Job], workers: int, work: Callable[[Job], Path]) -> Iterator[Job]:
    """Grade `jobs`, `workers` at a time, each in a fresh Python process writing into `work(job)`;
    yield each job once its folder holds grade.json. Stopping early (Ctrl-C, closing the iterator)
    stops the processes in flight and starts no more."""
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environment.get("PYTHONPATH")]))
    stopping = threading.Event()
    lock = threading.Lock()
    live: set[subprocess.Popen] = set()

    def one(job: Job) -> Job:
        folder = work(job)
        command = [sys.executable, "-c", GRADING_PROCESS, _job_json(job), str(folder)]
        try:
            with lock:
                if stopping.is_set():
                    return job
                process = subprocess.Popen(command, env=environment, stdin=subprocess.DEVNULL)
                live.add(process)
            returncode = process.wait()
            with lock:
                live.discard(process)
            if not (folder / RECORD_NAME).exists():
                _write_record(folder, job, error=f"the grading process ended with exit code {returncode}")
        except OSError as error:  # no process could start; the batch goes on
            _write_record(folder, job, error=f"the grading process could not start: {error}")
        return job

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="batch")
    try:
        for future in as_completed([pool.submit(one, job) for job in jobs]):
            yield future.result()
    finally:
        stopping.set()
        with lock:
            for process in live:
                process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)


def _previous(final: Path, expected: str) -> GradeResult | None:
    """The grade stored in `final` when its fingerprint is `expected`, else None."""
    try:
        record = json.loads((final / RECORD_NAME).read_text(encoding="utf-8"))
        if record.get("fingerprint") == expected and "result" in record:
            return _result_from(record["result"])
    except (OSError, ValueError, TypeError, KeyError):
        pass
    return None


def _commit(work: Path, final: Path) -> None:
    """Replace `final` by the complete folder `work` (same file system): two renames."""
    old = work.with_name(work.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    work.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def _settle(job: Job, work: Path, final: Path) -> Outcome:
    """The outcome of a finished job. A grade is moved into `final`; when the grader itself failed
    (grade.json holds an error, or a problem it blames on itself), the outcome is a failure and the
    job is graded again next run: its files still go to `final` to be looked into, if there are any."""
    try:
        record = json.loads((work / RECORD_NAME).read_text(encoding="utf-8"))
        if "error" in record:
            return Outcome(job.student, "failed", None, record["error"])
        result = _result_from(record["result"])
    except (OSError, ValueError, TypeError, KeyError) as error:
        return Outcome(job.student, "failed", None, f"the grader's record cannot be read: {error}")
    if result.problem and KIT_BUG in result.problem:
        _write_record(work, dataclasses.replace(job, fingerprint=""), result=record["result"])
        _commit(work, final)
        return Outcome(job.student, "failed", None, result.problem)
    _commit(work, final)
    return Outcome(job.student, "graded", result)


@contextmanager
def _progress(enabled: bool, total: int, done: int) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr; yields `advance(student)`."""
    if not enabled:
        yield lambda student: None
        return
    columns = (
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TimeRemainingColumn(), TextColumn("{task.fields[last]}"),
    )  # fmt: skip
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task("grading", total=total, completed=done, last="")
        yield lambda student: bar.update(task, advance=1, last=student)


def _write_text(path: Path, text: str) -> None:
    """Write `path` whole or not at all."""
    scratch = path.with_name(f".{path.name}.tmp")
    scratch.write_text(text, encoding="utf-8")
    scratch.replace(path)


def _run(todo: Sequence[Job], jobs: int, scheduler: str | None, work: Callable[[Job], Path]) -> Iterator[Job]:
    """Grade `todo` here or on the Dask scheduler at `scheduler`; yield each job as it is done."""
    if not todo:
        return
    if scheduler is None:
        yield from run_local(todo, jobs, work)
        return
    from autograder import distributed  # Dask is an optional extra

    yield from distributed.run_on_cluster(todo, scheduler, work)


def grade_batch(
    submissions: Path, out: Path, *, jobs: int = 1, scheduler: str | None = None,
    manifest_path: Path = DEFAULT_PATH, parts: Sequence[str] = (), progress: bool = False,
) -> Batch:  # fmt: skip
    """Grade every submission in `submissions` into `out/<student>/`, then write `out/grades.csv`.

    Args:
        submissions: a folder holding one folder or .zip per student, named by the student id.
        out: output folder, created if missing; grades of earlier runs in it are reused when the
            fingerprint still matches.
        jobs: submissions graded at once, here (ignored with `scheduler`).
        scheduler: address of a Dask scheduler (`tcp://host:8786`) to grade on instead; its workers
            need the kit at the same path and the submissions' folder (see `autograder.distributed`).
        manifest_path: grading.toml.
        parts: grade only these part ids (all when empty).
        progress: show a progress bar on stderr.

    Returns:
        The batch; a submission whose grading failed has no result, and is graded again next run.

    Raises:
        BatchError: see `discover`; or `scheduler` is given and Dask is not installed.
        ManifestError: grading.toml is malformed.
        ValueError: `parts` names an unknown part.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    manifest = load_manifest(manifest_path)
    unknown = [part_id for part_id in parts if part_id not in manifest.part_ids]
    if unknown:
        raise ValueError(f"unknown part(s) {', '.join(unknown)}; the parts are {', '.join(manifest.part_ids)}")
    selected = dataclasses.replace(manifest, parts=tuple(manifest.part(p) for p in parts)) if parts else manifest
    students, ignored = discover(submissions, out)
    grader = grader_fingerprint(manifest_path, parts)
    manifest_path = manifest_path.resolve()
    every = [Job(s, path, manifest_path, tuple(parts), fingerprint(path, grader)) for s, path in students.items()]
    outcomes: dict[str, Outcome] = {}
    todo = []
    for job in every:
        previous = _previous(out / job.student, job.fingerprint)
        if previous is None:
            todo.append(job)
        else:
            outcomes[job.student] = Outcome(job.student, "unchanged", previous)
    shutil.rmtree(out / WORK_NAME, ignore_errors=True)  # what an interrupted run left
    (out / WORK_NAME).mkdir(parents=True, exist_ok=True)
    # This run's own scratch: what a killed run left running cannot write into it.
    scratch = Path(tempfile.mkdtemp(prefix="run-", dir=out / WORK_NAME))

    def work(job: Job) -> Path:
        return scratch / job.student / "new"

    finished = _run(todo, jobs, scheduler, work)
    try:
        with closing(finished), _progress(progress, len(every), len(outcomes)) as advance:
            for job in finished:
                outcomes[job.student] = _settle(job, work(job), out / job.student)
                advance(job.student)
    finally:
        shutil.rmtree(out / WORK_NAME, ignore_errors=True)
    batch = Batch(selected, tuple(outcomes[student] for student in students), ignored, out)
    _write_text(batch.csv, class_csv(batch))
    return batch


def class_csv(batch: Batch) -> str:
    """The class CSV: `student`, one column per part id, `total`; empty scores where grading failed."""
    part_ids = batch.manifest.part_ids
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *part_ids, "total"])
    for outcome in batch.outcomes:
        if outcome.result is None:
            writer.writerow([outcome.student, *([""] * len(part_ids)), ""])
            continue
        scores = {part.part_id: part.score for part in outcome.result.parts}
        row = [report.points(scores[part_id]) for part_id in part_ids]
        writer.writerow([outcome.student, *row, report.points(outcome.result.score)])
    return buffer.getvalue()


def summary_table(batch: Batch) -> Table:
    """Per part: the mean score and how many submissions passed, partly passed, failed, did not start it."""
    graded, unchanged, failed = (sum(outcome.status == status for outcome in batch.outcomes) for status in OUTCOMES)
    title = (
        f"{len(batch.outcomes)} submissions: {graded} graded, {unchanged} unchanged since graded, "
        f"{failed} failed to grade"
    )
    results = list(batch.results.values())
    mean_total = fmean(result.score for result in results) if results else 0.0
    idle = sum(not any(part.status in ("passed", "partial", "failed") for part in result.parts) for result in results)
    grid = Table(title=title, caption=f"{idle} of them started no part", show_footer=True)
    grid.add_column("Part", footer="Total")
    most = results[0].max_score if results else batch.manifest.total_points
    total = f"{report.points(mean_total)} / {report.points(most)}"
    grid.add_column("Mean", justify="right", footer=total)
    for status in PART_STATUSES:
        grid.add_column(status.replace("_", " ").capitalize(), justify="right")
    for index, part in enumerate(batch.manifest.parts):
        scored = [result.parts[index] for result in results]
        mean = fmean(score.score for score in scored) if scored else 0.0
        tally = [str(sum(score.status == status for score in scored)) for status in PART_STATUSES]
        most = scored[0].max_score if scored else part.points
        grid.add_row(f"{part.title} ({part.id})", f"{report.points(mean)} / {report.points(most)}", *tally)
    return grid

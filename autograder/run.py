"""Run the hidden tests over a staged submission, in a pytest subprocess.

The subprocess is trusted: it imports the reference from `solutions/` and reaches the student's
code only through the sandboxed worker that `autograder/hidden/conftest.py` starts. Plugins are not
auto-loaded and conftests above `autograder/hidden/` are cut off, so nothing installed on the
machine or lying in the kit changes how the hidden tests run. The whole run has the submission
time limit of grading.toml; the hidden tests stop starting new checks a little before it, so that
the checks already done keep their credit and pytest still writes its report.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder.stage import Staged
from tests.support.manifest import DEFAULT_PATH, ROOT, load_manifest

HIDDEN = ROOT / "autograder" / "hidden"
SOLUTIONS = ROOT / "solutions"
REPORT_NAME = "report.json"
LOG_NAME = "pytest.log"
TAIL_CHARS = 2_000
KIT_BUG = "This is a problem of the grader, not of your submission; please tell your instructor."


@dataclass(frozen=True)
class Ran:
    """One pytest run of the hidden tests (or none, when staging found nothing to grade)."""

    staged: Staged
    """The submission the tests ran against."""
    report: Path | None
    """pytest-json-report's report.json; None when pytest wrote none."""
    returncode: int | None
    """pytest's exit code; None when it did not run or was killed."""
    seconds: float
    """Wall-clock time of the run."""
    problem: str | None = None
    """Why the run as a whole failed (nothing staged, time limit, pytest died); None otherwise."""


def _time_limits(submission_timeout_s: float, call_timeout_s: float) -> tuple[float, float]:
    """(soft, hard) seconds: the tests stop starting checks at `soft`; the process is killed at `hard`.

    The soft limit leaves room for one call into student code to time out and for pytest to write
    its report; it is never less than half the hard limit.
    """
    hard = submission_timeout_s
    soft = max(hard - call_timeout_s - 15.0, hard / 2)
    return soft, hard


def _tail(log: Path) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return text[-TAIL_CHARS:].strip()


def _failure(returncode: int, log: Path) -> str | None:
    """What went wrong when pytest did not end normally (0: every test passed, 1: some failed)."""
    if returncode in (0, 1):
        return None
    if returncode < 0:
        return f"The grader's test run was killed by signal {-returncode}.\n{KIT_BUG}"
    return f"The grader's test run failed (pytest exit code {returncode}):\n{_tail(log)}\n{KIT_BUG}"


def _pytest(command: list[str], log: Path, hard: float) -> tuple[int | None, str | None]:
    """Run pytest's `command` in ROOT, its output to `log`: (exit code, None), or (None, why not).

    Its temporary files (the workers' runtime folders) go in a folder of its own, removed once it
    has ended: killed at the hard time limit, before it could clean up, it still leaves nothing."""
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join([str(SOLUTIONS), str(ROOT)])
    environment["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    with (
        log.open("w", encoding="utf-8") as sink,
        tempfile.TemporaryDirectory(prefix="backprop-grading-", ignore_cleanup_errors=True) as temporary,
    ):
        os.chmod(temporary, 0o711)  # a worker without a jail reaches its own folder inside, as its own user
        environment["TMPDIR"] = temporary
        try:
            process = subprocess.Popen(
                command, cwd=ROOT, env=environment, stdin=subprocess.DEVNULL, stdout=sink,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        except OSError as error:
            return None, f"The grader could not start pytest: {error}\n{KIT_BUG}"
        try:
            return process.wait(timeout=hard), None
        except subprocess.TimeoutExpired:
            return None, f"Grading stopped: the whole submission took longer than {hard:.0f} s."
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _command(staged: Staged, out: Path, manifest_path: Path, soft: float, parts: Sequence[str]) -> list[str]:
    command = [
        sys.executable, "-m", "pytest", str(HIDDEN),
        "-c", os.devnull, "--rootdir", str(ROOT), "--confcutdir", str(HIDDEN),
        "-p", "no:cacheprovider", "-p", "pytest_jsonreport.plugin",
        "-q", "--strict-markers", "--tb=line",  # feedback comes from the metadata; long tracebacks only cost time
        "--json-report", "--json-report-file", str(out / REPORT_NAME), "--json-report-indent", "1",
        "--submission", str(staged.root.resolve()), "--manifest", str(manifest_path), "--time-limit", f"{soft:.1f}",
    ]  # fmt: skip
    if parts:
        command += ["-m", " or ".join(parts)]
    return command


def run(staged: Staged, out: Path, manifest_path: Path = DEFAULT_PATH, parts: Sequence[str] = ()) -> Ran:
    """Run the hidden tests on `staged`, writing `out/report.json` and pytest's log `out/pytest.log`.

    Args:
        staged: the staged submission; when it has a problem, nothing runs.
        out: output folder (created if missing).
        manifest_path: grading.toml, passed on to the hidden tests.
        parts: run only these parts' tests (all when empty).

    Returns:
        The run; `problem` is set when pytest timed out, died, or wrote no report.
    """
    if staged.problem:
        return Ran(staged, None, None, 0.0, staged.problem)
    limits = load_manifest(manifest_path).limits
    soft, hard = _time_limits(limits.submission_timeout_s, limits.call_timeout_s)
    out = out.resolve()  # the subprocess runs in ROOT
    out.mkdir(parents=True, exist_ok=True)
    report, log = out / REPORT_NAME, out / LOG_NAME
    report.unlink(missing_ok=True)
    start = time.monotonic()
    returncode, problem = _pytest(_command(staged, out, manifest_path.resolve(), soft, parts), log, hard)
    seconds = time.monotonic() - start
    if returncode is not None:
        problem = _failure(returncode, log)
    return Ran(staged, report if report.exists() else None, returncode, seconds, problem)

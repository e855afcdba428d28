"""The public tests' pytest plugin: the package under test, part markers, "not started"
outcomes for stubs, the known mistakes a failed check behaves like, and a per-part summary table.

`tests/conftest.py` resolves `--impl`, puts that folder first on sys.path and registers a
`PartsPlugin`; everything else happens here.
"""

import os
import sys
from collections import Counter
from pathlib import Path

import pytest

from .checks import watch
from .diagnosis import check_key, describe, known_mistakes
from .manifest import ROOT, Manifest
from .table import FAILING, NOT_STARTED, OUTCOMES, PASSED, Row, format_table
from .traces import Recorder

PACKAGE = "backprop"
PROVIDED = "provided"
"""Marker of tests of the modules the kit provides (solver, fast layers, ...): not a graded part."""
PROVIDED_TITLE = "Provided modules (not graded)"
NOT_STARTED_PREFIX = "not started: "


def use_impl(value: str) -> Path:
    """Resolve `--impl` (relative paths from the repository root) and put it first on sys.path.

    Raises:
        pytest.UsageError: the folder holds no backprop/ package, or another backprop was imported.
    """
    folder = Path(value).expanduser()
    folder = (folder if folder.is_absolute() else ROOT / folder).resolve()
    if not (folder / PACKAGE).is_dir():
        raise pytest.UsageError(
            f"--impl {value}: {folder} holds no {PACKAGE}/ package. Pass 'exercises' (your code), "
            f"'solutions', or the path of a folder that contains {PACKAGE}/."
        )
    loaded = sys.modules.get(PACKAGE)
    if loaded is not None and folder not in Path(loaded.__file__ or "").resolve().parents:
        raise pytest.UsageError(f"{PACKAGE} was already imported from {loaded.__file__}")
    sys.path.insert(0, str(folder))
    return folder


class PartsPlugin:
    """Hooks that know the parts of grading.toml and the folder of the package under test."""

    def __init__(self, impl: Path, manifest: Manifest) -> None:
        self.impl = impl
        self.package_dir = impl / PACKAGE
        self.manifest = manifest
        self.markers = {*manifest.part_ids, PROVIDED}
        self.part_of: dict[str, str] = {}
        """nodeid -> part, for the selected tests."""
        self.outcome: dict[str, str] = {}
        """nodeid -> the worst outcome of its phases so far."""

    def pytest_configure(self, config: pytest.Config) -> None:
        for part in self.manifest.parts:
            config.addinivalue_line("markers", f"{part.id}: {part.title} ({part.points:g} points)")
        config.addinivalue_line("markers", f"{PROVIDED}: {PROVIDED_TITLE}")

    def pytest_report_header(self) -> str:
        return f"{PACKAGE} implementation: {self.package_dir}"

    def _parts(self, item: pytest.Item) -> list[str]:
        return sorted({mark.name for mark in item.iter_markers() if mark.name in self.markers})

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector):
        """Turn the collection of a test without exactly one part marker into an error."""
        report = yield
        if report.passed:
            problems = []
            for node in report.result:
                if isinstance(node, pytest.Item) and len(parts := self._parts(node)) != 1:
                    have = f"part markers {parts}" if parts else "no part marker"
                    problems.append(
                        f"{node.nodeid} has {have}; every test needs exactly one of "
                        f"{sorted(self.markers)} (e.g. pytestmark = pytest.mark.{PROVIDED})"
                    )
            if problems:
                report.outcome = "failed"
                report.longrepr = "\n".join(problems)
        return report

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.part_of = {item.nodeid: self._parts(item)[0] for item in session.items}

    def _unstarted_function(self, excinfo: pytest.ExceptionInfo) -> str | None:
        """`module.qualname` of the student function that raised NotImplementedError, if one did."""
        if not excinfo.errisinstance(NotImplementedError):
            return None
        tb = excinfo.tb
        while tb.tb_next is not None:
            tb = tb.tb_next
        code = tb.tb_frame.f_code
        path = Path(code.co_filename).resolve()
        if self.package_dir not in path.parents:
            return None
        module = ".".join(path.relative_to(self.package_dir).with_suffix("").parts)
        return f"{module}.{code.co_qualname}"

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        """Trace the check's comparisons; when it fails, name the public mistakes it matches."""
        recorder = Recorder()
        with watch(recorder):
            try:
                return (yield)
            except Exception as error:
                if not isinstance(error, NotImplementedError):
                    check = check_key(item.path, item.name)
                    mistakes = known_mistakes(check, recorder.trace(error))
                    if mistakes:
                        item.add_report_section("call", "known mistake", describe(mistakes))
                raise

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        """Report a test that fails on a stub's NotImplementedError as skipped, "not started"."""
        report = yield
        if report.failed and call.excinfo is not None:
            function = self._unstarted_function(call.excinfo)
            if function is not None:
                path, line = item.reportinfo()[:2]
                reason = f"{NOT_STARTED_PREFIX}{function} still raises NotImplementedError"
                report.outcome = "skipped"
                report.longrepr = (os.fspath(path), (line or 0) + 1, reason)
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.nodeid not in self.part_of:
            return
        if report.failed:
            outcome = FAILING
        elif (
            report.skipped
            and isinstance(report.longrepr, tuple)
            and str(report.longrepr[2]).startswith(NOT_STARTED_PREFIX)
        ):
            outcome = NOT_STARTED
        elif report.passed and report.when == "call":
            outcome = PASSED
        else:
            return
        previous = self.outcome.get(report.nodeid, PASSED)
        self.outcome[report.nodeid] = max(previous, outcome, key=OUTCOMES.index)

    def _row(self, part: str, title: str) -> Row:
        selected = [nodeid for nodeid, p in self.part_of.items() if p == part]
        if not selected:
            return Row(part, title, None)
        return Row(
            part, title, dict(Counter(self.outcome[n] for n in selected if n in self.outcome))
        )

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.outcome:
            return
        rows = [self._row(part.id, part.title) for part in self.manifest.parts]
        rows.append(self._row(PROVIDED, PROVIDED_TITLE))
        header, *lines = format_table(rows)
        colors = {PASSED: {"green": True}, NOT_STARTED: {"yellow": True}, FAILING: {"red": True}}
        terminalreporter.write_sep("=", f"{PACKAGE} parts ({self.package_dir})")
        terminalreporter.write_line(header, bold=True)
        for index, (row, line) in enumerate(zip(rows, lines)):
            if index == len(self.manifest.parts):
                terminalreporter.write_line("-" * len(header))
            terminalreporter.write_line(line, **colors.get(row.status, {}))
        terminalreporter.write_line(
            "Work on one part with `pytest -m <part>`; `pytest -rs` lists what is not started."
        )

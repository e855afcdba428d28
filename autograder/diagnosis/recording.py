"""A plugin for the public tests, loaded by the export only: it writes the trace of every check
that fails to the JSON file named by `--record-traces`.

    pytest tests -m conv --impl=FOLDER -p autograder.diagnosis.recording --record-traces traces.json
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.checks import watch
from tests.support.diagnosis import check_key, trace_to_json
from tests.support.traces import Recorder

TRACES = pytest.StashKey[dict[str, dict]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--record-traces", type=Path, metavar="JSON", help="write the failed checks' traces here")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[TRACES] = {}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    recorder = Recorder()
    with watch(recorder):
        try:
            return (yield)
        except Exception as error:
            if not isinstance(error, NotImplementedError):
                item.config.stash[TRACES][check_key(item.path, item.name)] = trace_to_json(recorder.trace(error))
            raise


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = session.config.getoption("--record-traces")
    if path is not None:
        Path(path).write_text(json.dumps(session.config.stash[TRACES]), encoding="utf-8")

"""Fixtures: hostile fake packages behind a worker, and which protections this machine has.

A test that relies on a protection says so with `needs("processes", ...)`: where the protection is
off it is skipped, never run unprotected (some attacks, such as kill(-1), would hit the machine).
The protections found are pinned for the session: a grader subprocess (the end-to-end tests') that
could not provide them refuses to run the hostile code instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from autograder.sandbox import SandboxOptions, Worker, find_isolation
from autograder.sandbox.isolation import HANDED_DOWN, PINNED
from autograder.tests.sandbox.conftest import LIMITS, make_package


@pytest.fixture(autouse=True, scope="session")
def pinned() -> Iterator[None]:
    """The protections found here, required of every grader subprocess during these tests (and
    handed down to them, as the command line does)."""
    before = {name: os.environ.get(name) for name in (PINNED, HANDED_DOWN)}
    find_isolation().pin()
    yield
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def needs(*names: str) -> pytest.MarkDecorator:
    """Skip unless these protections are on here (naming the ones that are off and why)."""
    off = [protection for protection in find_isolation().off if protection.name in names]
    reason = "; ".join(f"protection off: {protection.name} ({protection.detail})" for protection in off)
    return pytest.mark.skipif(bool(off), reason=reason)


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """hostile(layers_source, **modules) -> a fresh worker on a package whose layers.py is
    `layers_source` (plus other modules, by name: `optim="..."`). Pass `options=` or `limits=` to
    change the worker's settings. Workers are closed at teardown."""
    workers: list[Worker] = []

    def make(layers: str, *, options: SandboxOptions = SandboxOptions(), limits=LIMITS, **files: str) -> Worker:
        sources = {"layers.py": layers, **{f"{name}.py": source for name, source in files.items()}}
        root = make_package(tmp_path / f"stage{len(workers)}", sources)
        worker = Worker(root, limits, options=options)
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        worker.close()

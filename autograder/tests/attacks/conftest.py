"""Fixtures: hostile fake packages behind a worker, and which protections this machine has.

A test that relies on a protection says so with `needs("processes", ...)`: where the protection is
off it is skipped, never run unprotected (some attacks, such as kill(-1), would hit the machine).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from autograder.sandbox import SandboxOptions, Worker, isolation
from autograder.tests.sandbox.conftest import LIMITS, make_package


def needs(*names: str) -> pytest.MarkDecorator:
    """Skip unless these protections are on here (naming the ones that are off and why)."""
    off = [protection for protection in isolation().off if protection.name in names]
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

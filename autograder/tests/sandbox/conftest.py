"""Fixtures: tiny fake `backprop` packages in tmp_path and workers with short limits."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from autograder.sandbox import Worker
from tests.support.manifest import Limits

LIMITS = Limits(call_timeout_s=2.0, submission_timeout_s=60.0, memory_mb=1024)


def make_package(root: Path, files: dict[str, str]) -> Path:
    """Write `files` (paths inside the package -> source) as `root/backprop/...`; return root.

    Every folder of the package gets an empty `__init__.py` unless `files` gives one.
    """
    package = root / "backprop"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").touch()
    for name, source in files.items():
        path = package / name
        for folder in [path.parent, *path.parent.parents]:
            if folder == package.parent:
                break
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "__init__.py").touch()
        path.write_text(textwrap.dedent(source))
    return root


def processes_in(namespace: str) -> list[int]:
    """Live processes of the machine in a PID namespace (`pid:[4026532...]`, as /proc/PID/ns/pid reads)."""
    found = []
    for name in os.listdir("/proc"):
        try:
            if name.isdigit() and os.readlink(f"/proc/{name}/ns/pid") == namespace:
                if "State:\tZ" not in Path(f"/proc/{name}/status").read_text():
                    found.append(int(name))
        except OSError:
            continue
    return found


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """spawn(files, limits=LIMITS, **options) -> a Worker on a fresh fake package, closed at teardown."""
    workers: list[Worker] = []

    def make(files: dict[str, str], limits: Limits = LIMITS, **options: object) -> Worker:
        root = make_package(tmp_path / f"stage{len(workers)}", files)
        worker = Worker(root, limits, **options)
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        worker.close()

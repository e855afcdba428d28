"""A pytest plugin for benchmarks only: each directional gradient check timed against a full one.

    pytest autograder/hidden ... -p benchmarks.gradient_timing --gradient-timing FILE

Every call of `tests.support.checks.directional_check` in the hidden tests (a few random
directions, two forward passes each) runs as usual and is timed; then the full numeric gradient of
the same function at the same point (`numeric_gradient`, two forward passes per entry) is computed
and timed too, through the same `student` (the worker, or the in-process stand-in). FILE gets a
JSON list with one entry per check: the test, the gradient's name, its number of entries, and the
two times in seconds. The checks' outcomes are unchanged.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.support import checks

RECORDS: list[dict[str, Any]] = []
CURRENT: dict[str, str] = {"test": ""}
ORIGINAL = checks.directional_check


@functools.wraps(ORIGINAL)
def timed_directional_check(f: Any, x: np.ndarray, dx: object, rng: np.random.Generator, **options: Any) -> None:
    start = time.perf_counter()
    try:
        ORIGINAL(f, x, dx, rng, **options)
    finally:
        directional = time.perf_counter() - start
        start = time.perf_counter()
        checks.numeric_gradient(f, x, options.get("dout"), options.get("h", checks.NUMERIC_STEP))
        full = time.perf_counter() - start
        RECORDS.append({
            "test": CURRENT["test"], "name": options.get("name", "dx"), "entries": int(np.size(x)),
            "directional_s": directional, "full_s": full,
        })  # fmt: skip


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--gradient-timing", type=Path, metavar="FILE", help="write the timings here (JSON)")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--gradient-timing") is None:
        raise pytest.UsageError("benchmarks.gradient_timing needs --gradient-timing FILE")
    checks.directional_check = timed_directional_check


def pytest_collection_finish(session: pytest.Session) -> None:
    """Also replace the function in the test modules that imported it by name."""
    for module in list(sys.modules.values()):
        if getattr(module, "directional_check", None) is ORIGINAL:
            module.directional_check = timed_directional_check


def pytest_runtest_setup(item: pytest.Item) -> None:
    CURRENT["test"] = item.nodeid


def pytest_unconfigure(config: pytest.Config) -> None:
    path = config.getoption("--gradient-timing")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(RECORDS, indent=1), encoding="utf-8")

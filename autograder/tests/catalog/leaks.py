"""A plugin for the hidden tests' run, loaded by the catalog's proof only: what the diagnosis shows.

The proof grades each bug with `PYTEST_ADDOPTS="-p autograder.tests.catalog.leaks"`. This plugin
records every array the hidden tests send to the submission (the hidden inputs), and adds to each
failed check's JSON metadata `shown_inputs`: the numbers of the check's diagnosis (its `hint:`
lines and its known-mistake section) that match a hidden input value to the digits shown. The
proof asserts it is always empty, and that no line of the reference's solutions shows there either.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from autograder.sandbox import client

INPUTS: list[np.ndarray] = []
"""Arrays sent to the submission during the current test."""
NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")
SIGNIFICANT = 4
"""Numbers shown with fewer significant digits (0.35, 7, axes) are never counted as a hidden value."""
DIAGNOSIS_START = ("Known mistake",)
DIAGNOSIS_END = "Your code printed"


def diagnosis_parts(feedback: str) -> str:
    """The parts of a check's feedback that the diagnosis wrote: `hint:` lines, known-mistake section."""
    lines, inside = [], False
    for line in feedback.splitlines():
        inside = (inside or line.startswith(DIAGNOSIS_START)) and not line.startswith(DIAGNOSIS_END)
        if inside or line.lstrip().startswith("hint:"):
            lines.append(line)
    return "\n".join(lines)


def _arrays(value: Any) -> Iterator[np.ndarray]:
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _arrays(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _arrays(item)


def _recording(method: Any) -> Any:
    def record(self: client.Worker, *args: Any, **kwargs: Any) -> Any:
        INPUTS.extend(_arrays([args, kwargs]))
        return method(self, *args, **kwargs)

    return record


for _name in ("call", "call_method", "set"):
    setattr(client.Worker, _name, _recording(getattr(client.Worker, _name)))


def shown_inputs(text: str, inputs: list[np.ndarray]) -> list[str]:
    """The numbers of `text` (with SIGNIFICANT digits or more) equal to an input value to the digits shown."""
    values = np.concatenate([array.ravel() for array in inputs]) if inputs else np.zeros(0)
    values = values[np.isfinite(values)]
    found = []
    for token in set(NUMBER.findall(text)):
        digits = len(token.lstrip("-").split("e")[0].replace(".", "").lstrip("0"))
        number = float(token)
        if digits >= SIGNIFICANT and np.any(np.abs(values - number) <= 0.5 * 10.0 ** (1 - digits) * abs(number)):
            found.append(token)
    return sorted(found)


def pytest_runtest_setup(item: pytest.Item) -> None:
    INPUTS.clear()


@pytest.hookimpl(wrapper=True, optionalhook=True)
def pytest_json_runtest_metadata(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    results = yield
    feedback = "".join(str(result.get("feedback", "")) for result in results if result)
    if feedback:
        results.append({"shown_inputs": shown_inputs(diagnosis_parts(feedback), INPUTS)})
    return results

"""Known mistakes: the feedback naming them, and the public ones the public tests recognise.

When a check fails, the feedback names the catalogued mistakes whose run of the same check is
alike the failed run (tests.support.traces). The autograder replays a failed hidden check with the
code of each catalogued mistake of its part. The public tests compare a failed check with the runs
of the public mistakes on it, recorded in known_mistakes.json (`python -m autograder
catalog-export` writes it): the mistakes' names and hints and, for each public check a mistake
fails, what its code gave there (large arrays as Sketches). No code, and only public inputs.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .traces import STORED_DIGITS, Other, Sketch, Step, Trace

KNOWN_MISTAKES = Path(__file__).with_name("known_mistakes.json")
TESTS = Path(__file__).resolve().parents[1]
"""The public tests' folder."""
SHOWN = 3
"""At most this many mistakes are named for one check."""
SKETCH_ABOVE = 8
"""known_mistakes.json keeps float arrays larger than this as a Sketch, smaller ones whole."""


@dataclass(frozen=True)
class Mistake:
    """A catalogued mistake, as the feedback names it."""

    id: str
    name: str
    hint: str


def describe(mistakes: Sequence[Mistake]) -> str:
    """The feedback naming the mistakes a failed check behaves like, most likely first."""
    if not mistakes:
        return ""
    if len(mistakes) == 1:
        (mistake,) = mistakes
        return (
            "Known mistake: in this check your code behaves exactly like code where"
            f" {mistake.name} [{mistake.id}].\n  Hint: {mistake.hint}"
        )
    shown = mistakes[:SHOWN]
    lines = [
        "Known mistakes: in this check your code behaves exactly like code with one of these"
        " mistakes (most likely first):"
    ]
    for mistake in shown:
        lines += [f"  - {mistake.name} [{mistake.id}]", f"    Hint: {mistake.hint}"]
    if len(mistakes) > len(shown):
        lines.append(f"  (and {len(mistakes) - len(shown)} more)")
    return "\n".join(lines)


def check_key(path: Path, name: str) -> str:
    """A public check's name in known_mistakes.json: "layers/test_conv.py::test_x[pad0]"."""
    path = Path(path).resolve()
    where = path.relative_to(TESTS).as_posix() if path.is_relative_to(TESTS) else str(path)
    return f"{where}::{name}"


def known_mistakes(check: str, trace: Trace, path: Path = KNOWN_MISTAKES) -> list[Mistake]:
    """The public mistakes whose recorded run of `check` is alike `trace`."""
    mistakes, runs = _known(path)
    recorded = runs.get(check, {})
    return [mistakes[key] for key, data in recorded.items() if trace_from_json(data).alike(trace)]


@functools.cache
def _known(path: Path) -> tuple[dict[str, Mistake], dict[str, dict[str, dict]]]:
    """(mistakes by id, check -> mistake id -> recorded trace); empty without the file."""
    if not path.is_file():
        return {}, {}
    data = json.loads(path.read_text(encoding="utf-8"))
    entries = data["mistakes"].items()
    return {key: Mistake(key, entry["name"], entry["hint"]) for key, entry in entries}, data["runs"]


def _round(number: float) -> float:
    return float(f"{number:.{STORED_DIGITS}g}")


def _value_to_json(value: object) -> Any:
    """A large float array of finite values as a Sketch, any other array whole."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size > SKETCH_ABOVE:
        if np.all(np.isfinite(value)):
            value = Sketch.of(value)
    if isinstance(value, Sketch):
        sums = [_round(total) for total in value.sums]
        return {"dtype": value.dtype, "shape": list(value.shape), "sums": sums}
    if isinstance(value, np.ndarray):
        values = value.ravel().tolist()
        if value.dtype.kind == "f":
            values = [_round(number) for number in values]
        return {"dtype": value.dtype.str, "shape": list(value.shape), "values": values}
    if isinstance(value, Other):
        return {"type": value.type_name}
    return None


def _value_from_json(node: Any) -> object:
    if node is None:
        return None
    if "type" in node:
        return Other(node["type"])
    if "sums" in node:
        return Sketch(node["dtype"], tuple(node["shape"]), tuple(node["sums"]))
    return np.array(node["values"], dtype=np.dtype(node["dtype"])).reshape(node["shape"])


def trace_to_json(trace: Trace) -> dict:
    """A trace as JSON data: per step [passed, value, expected, rtol, atol, shape_only]."""
    steps = [
        [step.passed, _value_to_json(step.value), _value_to_json(step.expected)]
        + [step.rtol, step.atol, step.shape_only]
        for step in trace.steps
    ]
    return {"steps": steps, "ending": list(trace.ending)}


def trace_from_json(data: Mapping[str, Any]) -> Trace:
    steps = tuple(
        Step(passed, _value_from_json(value), _value_from_json(expected), rtol, atol, shape_only)
        for passed, value, expected, rtol, atol, shape_only in data["steps"]
    )
    return Trace(steps, tuple(data["ending"]))

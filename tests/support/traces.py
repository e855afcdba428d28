"""Traces of a check's run, and whether two runs behave alike: the ground of the diagnosis.

A run of one check leaves a Trace: the comparisons its checks made (`checks.watch`), in order, and
how it ended. Two runs are alike when they made as many comparisons with the same outcomes, the
failed ones on values (and expected values) that agree within that comparison's tolerance, or for
a shape check with the same shape, and ended alike: the same failure, or the same error.

    recorder = Recorder()
    with watch(recorder):
        ...  # run the check; it raises `error`, or not (None)
    trace = recorder.trace(error)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .checks import Comparison

STORED_DIGITS = 10
"""Significant digits a stored number keeps: far below any check's tolerance."""
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
INTROSPECTION = "\nassert "
"""Where pytest's account of a plain `assert` starts in its message (with reprs that vary)."""


class Differs(Exception):
    """A replayed run departed from the run it is compared with (raised to stop it early)."""


@dataclass(frozen=True)
class Other:
    """A value that is not a number or an array, known by its type's name."""

    type_name: str


def kept(value: object) -> object:
    """What a trace keeps of a value: an array copy, None, or Other."""
    if value is None:
        return None
    numeric = isinstance(value, (np.ndarray, np.generic, int, float))
    if numeric and np.asarray(value).dtype.kind in "biuf":
        return np.array(value)
    return Other(type(value).__name__)


def _weights(size: int) -> np.ndarray:
    """(4, size) fixed weights in [-1, 1]: ones, and three cosines (plain arithmetic, so they are
    the same on every machine)."""
    rates = [0.0, np.sqrt(2.0), np.sqrt(3.0), np.e]
    return np.cos(np.outer(rates, np.arange(1, size + 1)))


@dataclass(frozen=True)
class Sketch:
    """A float array of finite values, kept short: its dtype, its shape and four weighted sums.

    An array whose entries all agree with the sketched one within a tolerance has weighted sums
    within the sum of those tolerances, so `matches` never rejects what a full comparison accepts;
    an array off by more than the tolerances almost surely fails it.
    """

    dtype: str
    shape: tuple[int, ...]
    sums: tuple[float, ...]

    @classmethod
    def of(cls, array: np.ndarray) -> Sketch:
        flat = array.astype(np.float64).ravel()
        sums = tuple(float(total) for total in _weights(flat.size) @ flat)
        return cls(array.dtype.str, array.shape, sums)

    def matches(self, array: np.ndarray, rtol: float, atol: float, shape_only: bool) -> bool:
        if array.shape != self.shape:
            return False
        if shape_only:
            return True
        flat = array.astype(np.float64).ravel()
        if array.dtype.str != self.dtype or not np.all(np.isfinite(flat)):
            return False
        weights = _weights(flat.size)
        size = np.abs(weights) @ np.abs(flat)
        # Entries within atol + rtol * max(|a|, |b|) of the sketched ones keep the sums within:
        allowed = (1 + 2 * rtol) * (np.abs(weights) @ (atol + rtol * np.abs(flat)))
        allowed += 10.0**-STORED_DIGITS * size
        return bool(np.all(np.abs(weights @ flat - np.array(self.sums)) <= allowed))


def _agree(a: object, b: object, rtol: float, atol: float, shape_only: bool) -> bool:
    if isinstance(a, Sketch) or isinstance(b, Sketch):
        sketch, array = (a, b) if isinstance(a, Sketch) else (b, a)
        return isinstance(array, np.ndarray) and sketch.matches(array, rtol, atol, shape_only)
    if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
        return not isinstance(a, np.ndarray) and not isinstance(b, np.ndarray) and a == b
    if a.shape != b.shape:
        return False
    if shape_only:
        return True
    if a.dtype != b.dtype:
        return False
    a, b = a.astype(np.float64), b.astype(np.float64)
    finite = np.isfinite(a) & np.isfinite(b)
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.abs(a - b) <= atol + rtol * np.maximum(np.abs(a), np.abs(b))
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    return bool(np.all(same | (finite & close)))


@dataclass(frozen=True)
class Step:
    """One comparison, as a trace keeps it."""

    passed: bool
    value: object = None
    """What the code gave (an array, a Sketch, None or Other); kept for failed comparisons only."""
    expected: object = None
    """What it was compared with, kept likewise: it may come from the code too (a numeric
    gradient of its own forward pass)."""
    rtol: float = 0.0
    atol: float = 0.0
    shape_only: bool = False

    @classmethod
    def of(cls, comparison: Comparison) -> Step:
        rtol, atol, shape_only = comparison.rtol, comparison.atol, comparison.shape_only
        if comparison.passed:
            return cls(True, rtol=rtol, atol=atol, shape_only=shape_only)
        actual, expected = kept(comparison.actual), kept(comparison.expected)
        return cls(False, actual, expected, rtol, atol, shape_only)

    def agrees(self, other: Step) -> bool:
        """Both passed, or both failed on values (and expected values) that agree within this
        step's tolerance."""
        if (self.passed, self.shape_only) != (other.passed, other.shape_only):
            return False
        return self.passed or all(
            _agree(mine, theirs, self.rtol, self.atol, self.shape_only)
            for mine, theirs in ((self.value, other.value), (self.expected, other.expected))
        )


@dataclass(frozen=True)
class Trace:
    """The comparisons of one run of a check, and how it ended."""

    steps: tuple[Step, ...]
    ending: tuple[str, ...]
    """("passed",); ("failed",) after a failed comparison, else ("failed", message); or
    ("error", kind, message) when the code under test (or the check, on what it got) raised."""

    def alike(self, other: Trace) -> bool:
        return (
            self.ending == other.ending
            and len(self.steps) == len(other.steps)
            and all(mine.agrees(theirs) for mine, theirs in zip(self.steps, other.steps))
        )


class Recorder:
    """A `checks.watch` watcher keeping the steps of a run.

    Given `like`, it stops the run (raises Differs) as soon as the run departs from that trace, so
    a replay costs no more than the run it is compared with.
    """

    def __init__(self, like: Trace | None = None):
        self.steps: list[Step] = []
        self.like = like

    def __call__(self, comparison: Comparison) -> None:
        step = Step.of(comparison)
        if self.like is not None:
            index = len(self.steps)
            if index >= len(self.like.steps) or not self.like.steps[index].agrees(step):
                raise Differs
        self.steps.append(step)

    def trace(self, error: BaseException | None) -> Trace:
        """The trace of the run, which ended by raising `error` (None: it passed)."""
        if error is None:
            ending: tuple[str, ...] = ("passed",)
        elif isinstance(error, AssertionError):
            failed = any(not step.passed for step in self.steps)
            ending = ("failed",) if failed else ("failed", _message(error))
        else:
            kind = getattr(error, "kind", type(error).__name__)
            ending = ("error", str(kind), str(getattr(error, "message", error)))
        return Trace(tuple(self.steps), ending)


def _message(error: AssertionError) -> str:
    """The failure's own message, without what varies from run to run (object addresses, and
    pytest's introspection of a plain `assert`)."""
    return ADDRESS.sub("", str(error).split(INTROSPECTION, 1)[0])

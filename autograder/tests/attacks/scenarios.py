"""Hostile submissions graded end to end: the reference solution with one part made hostile.

Each scenario turns the reference `layers.py` into an attack, either in one of the affine part's
functions (its checks run first; relu's run after them in the same worker) or at import (which
breaks every part in layers.py). The submission also holds the reference `optim.py`, so the
optim part stands for the parts in other files. A scenario says which parts must keep their full
score; the others must lose points.

Used by test_end_to_end.py and by table.py (the closing table of attacks, outcomes and times).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from tests.support.manifest import DEFAULT_PATH, ROOT

PARTS = ("affine", "relu", "optim")
REFERENCE = ROOT / "solutions" / "backprop"
CALL_TIMEOUT_S = 2.0
SUBMISSION_TIMEOUT_S = 120.0
MEMORY_MB = 1024


@dataclass(frozen=True)
class Scenario:
    """One hostile submission."""

    name: str
    threat: str
    """The issue's heading: never finishing, leaving, exhausting, attacking the grader, cheating."""
    code: str
    """At import: module-level statements run after the reference's definitions. In a call: the body
    run at the start of `function` (its arguments are `args`), before it returns the right answer."""
    at_import: bool = False
    function: str = "affine_forward"
    """The function attacking (affine_backward for attacks that cost a restart per call: the
    numeric checks call affine_forward dozens of times)."""
    full: tuple[str, ...] = ("relu", "optim")
    """Parts that must keep their full score (the others must lose points)."""
    needs: tuple[str, ...] = ()
    """Protections the scenario relies on (it is skipped where they are off)."""


SCENARIOS = (
    Scenario("infinite loop ignoring SIGTERM and SIGALRM, child in its own session", "never finishing", """
        for sig in (signal.SIGTERM, signal.SIGALRM, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)
        subprocess.Popen(["sleep", "600"], start_new_session=True)
        while True:
            pass
    """, needs=("processes",)),
    Scenario("sleeps at import", "never finishing", "time.sleep(100_000)", at_import=True, full=("optim",)),
    Scenario("os._exit(0) at import", "leaving", "os._exit(0)", at_import=True, full=("optim",)),
    Scenario("os._exit in a call", "leaving", "os._exit(3)", function="affine_backward"),
    Scenario("KeyboardInterrupt in a call", "leaving", "raise KeyboardInterrupt"),
    Scenario("memory bomb", "exhausting", "bytearray(64 << 30)", function="affine_backward"),
    Scenario("fork bomb, then the right answer", "exhausting", """
        try:
            while True:
                if os.fork() == 0:
                    time.sleep(600)
                    os._exit(0)
        except OSError:
            pass
    """, function="affine_backward", full=("affine", "relu", "optim"), needs=("user", "processes")),
    Scenario("thread that kills the worker later, then the right answer", "exhausting", """
        threading.Thread(target=lambda: (time.sleep(0.2), os._exit(9))).start()
    """, function="affine_backward", full=("affine", "relu", "optim")),
    Scenario("1 GB of output", "exhausting", """
        line = "flood " * 10_000 + "\\n"
        for _ in range(20_000):
            sys.stdout.write(line)
    """, function="affine_backward"),
    Scenario("kills its parent, everyone, then its process group", "attacking the grader", """
        for target in (os.getppid(), -1):
            try:
                os.kill(target, signal.SIGKILL)
            except OSError:
                pass
        os.killpg(0, signal.SIGKILL)
    """, function="affine_backward", needs=("processes",)),
    Scenario("fake results printed and written everywhere, then the right answer", "attacking the grader", """
        fake = json.dumps({"score": 1000, "tests": [], "output": "FAKE"})
        print(fake)
        for folder in (os.getcwd(), "/autograder/results", "/tmp", OUT):
            try:
                os.makedirs(folder, exist_ok=True)
                with open(os.path.join(folder, "results.json"), "w") as file:
                    file.write(fake)
            except OSError:
                pass
    """, full=("affine", "relu", "optim"), needs=("filesystem",)),
    Scenario("patches NumPy for the parts graded after it, then the right answer", "attacking the grader", """
        np.maximum = lambda a, b, *rest, **options: np.zeros_like(b)  # relu's forward
        np.sqrt = lambda a, *rest, **options: a * 0 + 1e9  # RMSProp and Adam
    """, full=("affine", "relu", "optim")),
    Scenario("copies the reference from disk", "cheating", """
        namespace = {}
        exec(open(REFERENCE_LAYERS).read(), namespace)
        return namespace["affine_forward"](*args)
    """, needs=("secrets",)),
    Scenario("monkeypatches NumPy's comparisons, returns zeros", "cheating", """
        np.allclose = np.array_equal = lambda *args, **kwargs: True
        np.isclose = lambda a, b, **kwargs: np.ones(np.shape(a), dtype=bool)
        np.testing.assert_allclose = lambda *args, **kwargs: None
        x, w, b = args
        return np.zeros((x.shape[0], w.shape[1])), (x, w, b)
    """),
    Scenario("returns an ndarray subclass that claims to be close", "cheating", """
        class Close(np.ndarray):
            def __eq__(self, other):
                return np.ones(np.shape(self), dtype=bool)

            def __sub__(self, other):
                return np.zeros(np.shape(self))

        x, w, b = args
        return np.zeros((x.shape[0], w.shape[1])).view(Close), (x, w, b)
    """),
    Scenario("returns NaN", "cheating", """
        x, w, b = args
        return np.full((x.shape[0], w.shape[1]), np.nan), (x, w, b)
    """),
)

PRELUDE = "import json, os, signal, subprocess, sys, threading, time\nimport numpy.testing\n"


def write_submission(scenario: Scenario, folder: Path, out: Path) -> Path:
    """The reference layers.py with the attack, and the reference optim.py, in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    layers = (REFERENCE / "layers.py").read_text()
    constants = f"OUT = {str(out)!r}\nREFERENCE_LAYERS = {str(REFERENCE / 'layers.py')!r}\n"
    body = textwrap.dedent(scenario.code).strip()
    if scenario.at_import:
        attack = body
    else:
        name = scenario.function
        attack = (
            f"_right_{name} = {name}\n\n\ndef {name}(*args):\n"
            + textwrap.indent(body, "    ") + f"\n    return _right_{name}(*args)\n"
        )  # fmt: skip
    (folder / "layers.py").write_text(f"{PRELUDE}{constants}{layers}\n\n{attack}\n")
    (folder / "optim.py").write_text((REFERENCE / "optim.py").read_text())
    return folder


def write_manifest(path: Path) -> Path:
    """grading.toml with short limits, so that the attacks are graded quickly."""
    text = DEFAULT_PATH.read_text()
    for key, value in (("call_timeout_s", CALL_TIMEOUT_S), ("submission_timeout_s", SUBMISSION_TIMEOUT_S),
                       ("memory_mb", MEMORY_MB)):
        text, count = re.subn(rf"(?m)^{key} = \S+", f"{key} = {value:g}", text)
        if count != 1:
            raise ValueError(f"grading.toml has no single {key} line to replace")
    path.write_text(text)
    return path

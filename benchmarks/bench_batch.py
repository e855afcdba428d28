"""Throughput of batch grading: submissions per minute with --jobs 1 and --jobs 2.

    .venv/bin/python -m benchmarks.bench_batch                  # 42 submissions, every part
    .venv/bin/python -m benchmarks.bench_batch --students 12 --part affine --part relu

Builds a synthetic class in a scratch folder: a third correct (the reference, and the catalog's
correct alternatives), a third buggy (the catalog's bugs, a different one each), a third not
started (the stubs, zipped). Then grades it from scratch once per --jobs value and prints the
throughput of each and the speed-up. Run from the kit's root. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

from autograder import batch, build
from autograder.catalog import ALTERNATIVES, BUGS, make_submission
from autograder.run import SOLUTIONS
from autograder.sandbox import find_isolation


def synthetic_class(folder: Path, students: int) -> dict[str, int]:
    """Write `students` submissions into `folder`, cycling correct, buggy, not started; kind -> count."""
    folder.mkdir(parents=True)
    stubs = build.generate(build.SOURCE)
    counts = {"correct": 0, "buggy": 0, "not started": 0}
    for index in range(students):
        name = f"student{index:03d}"
        kind = ("correct", "buggy", "not started")[index % 3]
        if kind == "correct":
            variants = (None, *ALTERNATIVES)
            variant = variants[counts[kind] % len(variants)]
            if variant is None:
                caches = shutil.ignore_patterns("__pycache__")
                shutil.copytree(SOLUTIONS / "backprop", folder / name / "backprop", ignore=caches)
            else:
                make_submission(variant, folder / name)
        elif kind == "buggy":
            make_submission(BUGS[(counts[kind] * 7) % len(BUGS)], folder / name)
        else:
            with zipfile.ZipFile(folder / f"{name}.zip", "w") as archive:
                for relative, content in stubs.items():
                    archive.writestr(f"backprop/{relative.as_posix()}", content)
        counts[kind] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=42, help="class size (default 42)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="--jobs values to time (default 1 2)")
    parser.add_argument("--part", dest="parts", action="append", default=[], help="grade only this part (repeatable)")
    options = parser.parse_args()
    find_isolation().pin()  # as the command line does before it grades
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as scratch:
        submissions = Path(scratch) / "class"
        counts = synthetic_class(submissions, options.students)
        print(f"{options.students} submissions: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
        print(f"parts: {', '.join(options.parts) or 'all'}")
        rates = {}
        for jobs in options.jobs:
            start = time.perf_counter()
            graded = batch.grade_batch(submissions, Path(scratch) / f"out-jobs{jobs}", jobs=jobs, parts=options.parts)
            minutes = (time.perf_counter() - start) / 60
            rates[jobs] = options.students / minutes
            failures = sum(outcome.status == "failed" for outcome in graded.outcomes)
            rate = f"{rates[jobs]:6.1f} submissions/minute"
            print(f"--jobs {jobs}: {minutes * 60:7.1f} s, {rate} ({failures} failed to grade)")
        first = options.jobs[0]
        for jobs in options.jobs[1:]:
            print(f"speed-up of --jobs {jobs} over --jobs {first}: {rates[jobs] / rates[first]:.2f}x")


if __name__ == "__main__":
    main()

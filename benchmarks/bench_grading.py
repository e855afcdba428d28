"""What grading costs: the worker against in-process checks, directional against full numeric
gradients, a submission written with plain loops against the vectorised reference, and one
submission's time part by part.

    .venv/bin/python -m benchmarks.bench_grading               # 5 rounds: 1 to 2 minutes, by the load
    .venv/bin/python -m benchmarks.bench_grading --rounds 1

(a) The reference graded through the sandboxed worker, and the same hidden checks with the
    reference called in-process (the `benchmarks.inprocess` plugin stands in for the worker);
    then where the worker's time goes: its launch, a fresh worker per part, the requests.
(b) Every directional gradient check of the hidden tests, timed against the full numeric gradient
    of the same function at the same point (the `benchmarks.gradient_timing` plugin), through the
    worker, framework part aside (it checks no gradients numerically).
(c) A correct submission written with plain loops (conv and pool over every output entry, as the
    course guides the naive layers, and the catalog's loop alternatives) against the reference.
(d) One full grading of the reference (stage, run, collect, score, report), and the hidden
    checks' time per part (setup, call and teardown of each test, from report.json).

Each pytest run is the grader's own command (autograder.run), plugins added where said; as the
command line does, this process finds the sandbox's isolation once and hands it to every run (see
Isolation.pin), so no run repeats the trials (a few tenths of a second). The runs of
(a) and (c) interleave, round by round, the order turning each round; each time is the median over
rounds, and each ratio the median of the rounds' ratios (with their range), which the load drifting
between rounds does not skew. Student code runs with one BLAS thread in the worker, so the
in-process side gets one too (OMP_NUM_THREADS and friends are set to 1 for every run). Run from
the kit's root. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from statistics import median

import numpy as np

from autograder import report, run
from autograder.catalog import Alternative, Replace, find, write_submission
from autograder.collect import collect
from autograder.sandbox import StudentProxy, Worker, find_isolation
from autograder.score import score
from autograder.stage import Staged, stage
from benchmarks.inprocess import REQUESTS_LINE
from tests.support.manifest import DEFAULT_PATH, load_manifest

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
IN_PROCESS = ("-p", "benchmarks.inprocess")
TARGETS = {"worker / in-process": 1.3, "plain loops / vectorised": 2.0}

PLAIN_LOOP_LAYERS = '''
import numpy as np


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    num_images, _, height, width = x.shape
    num_filters, _, filter_h, filter_w = w.shape
    out_h = 1 + (height + 2 * pad - filter_h) // stride
    out_w = 1 + (width + 2 * pad - filter_w) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((num_images, num_filters, out_h, out_w), dtype=np.result_type(x, w, b))
    for n in range(num_images):
        for f in range(num_filters):
            for i in range(out_h):
                for j in range(out_w):
                    window = x_pad[n, :, i * stride : i * stride + filter_h, j * stride : j * stride + filter_w]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    num_images, num_filters, out_h, out_w = dout.shape
    _, _, filter_h, filter_w = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    for n in range(num_images):
        for f in range(num_filters):
            for i in range(out_h):
                for j in range(out_w):
                    rows = slice(i * stride, i * stride + filter_h)
                    cols = slice(j * stride, j * stride + filter_w)
                    dw[f] += dout[n, f, i, j] * x_pad[n, :, rows, cols]
                    dx_pad[n, :, rows, cols] += dout[n, f, i, j] * w[f]
    dx = dx_pad[:, :, pad : pad + x.shape[2], pad : pad + x.shape[3]]
    return dx, dw, dout.sum(axis=(0, 2, 3))


def max_pool_forward_naive(x, pool_param):
    pool_h, pool_w, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    num_images, channels, height, width = x.shape
    out_h, out_w = 1 + (height - pool_h) // stride, 1 + (width - pool_w) // stride
    out = np.zeros((num_images, channels, out_h, out_w), dtype=x.dtype)
    for n in range(num_images):
        for c in range(channels):
            for i in range(out_h):
                for j in range(out_w):
                    window = x[n, c, i * stride : i * stride + pool_h, j * stride : j * stride + pool_w]
                    out[n, c, i, j] = np.max(window)
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    pool_h, pool_w, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    num_images, channels, out_h, out_w = dout.shape
    dx = np.zeros_like(x)
    for n in range(num_images):
        for c in range(channels):
            for i in range(out_h):
                for j in range(out_w):
                    window = x[n, c, i * stride : i * stride + pool_h, j * stride : j * stride + pool_w]
                    k, m = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i * stride + k, j * stride + m] += dout[n, c, i, j]
    return dx
'''
"""Conv and pool as the course guides the naive layers: a loop over every output entry."""

LOOP_ALTERNATIVES = ("affine.loops", "loss.loops", "spatial_groupnorm.group_loop", "cnn.naive_layers")
"""The catalog's correct alternatives written with loops (over examples, classes, groups), and the
ConvNet calling the naive layers one by one."""


def plain_loops() -> Alternative:
    """One correct submission with every loop version above."""
    edits = [edit for variant_id in LOOP_ALTERNATIVES for edit in find(variant_id).edits]
    return Alternative("bench.plain_loops", "plain loops wherever the course allows them",
                       (*edits, Replace("layers.py", PLAIN_LOOP_LAYERS)))  # fmt: skip


# --- running the hidden tests -------------------------------------------------------------------------
def run_hidden(staged: Staged, out: Path, extra: Sequence[str] = ()) -> run.Ran:
    """autograder.run.run, with `extra` pytest arguments (plugins) added to the grader's command."""
    limits = load_manifest().limits
    soft, hard = run._time_limits(limits.submission_timeout_s, limits.call_timeout_s)
    out.mkdir(parents=True, exist_ok=True)
    command = run._command(staged, out.resolve(), DEFAULT_PATH.resolve(), soft, ()) + list(extra)
    start = time.perf_counter()
    returncode, problem = run._pytest(command, out / run.LOG_NAME, hard)
    seconds = time.perf_counter() - start
    if returncode not in (0, 1):
        raise RuntimeError(f"pytest failed ({problem or returncode}); see {out / run.LOG_NAME}")
    return run.Ran(staged, out / run.REPORT_NAME, returncode, seconds)


def tests_of(ran: run.Ran) -> list[dict]:
    return json.loads(ran.report.read_text(encoding="utf-8"))["tests"]


def test_seconds(test: dict) -> float:
    return sum(test.get(phase, {}).get("duration", 0.0) for phase in ("setup", "call", "teardown"))


def per_part(ran: run.Ran) -> dict[str, float]:
    """Seconds of the hidden checks, summed per part."""
    parts: dict[str, float] = defaultdict(float)
    for test in tests_of(ran):
        parts[test["metadata"]["part"]] += test_seconds(test)
    return dict(parts)


def passed(ran: run.Ran) -> str:
    statuses = [test["metadata"]["status"] for test in tests_of(ran)]
    return f"{statuses.count('passed')}/{len(statuses)} passed"


def grade_timed(submission: Path, scratch: Path) -> tuple[dict[str, float], run.Ran]:
    """The grading pipeline of autograder.api.grade, each step timed (seconds per step)."""
    manifest = load_manifest()
    steps: dict[str, float] = {}
    start = time.perf_counter()
    staged = stage(submission, scratch / "staged", manifest)
    steps["stage"] = time.perf_counter() - start
    ran = run_hidden(staged, scratch / "out")
    steps["run the hidden tests"] = ran.seconds
    start = time.perf_counter()
    result = score(collect(ran), manifest)
    report.write(result, scratch / "out")
    steps["collect, score, report"] = time.perf_counter() - start
    if result.problem or any(part.score < part.max_score for part in result.parts):
        raise RuntimeError(f"{submission} did not get full marks; see {scratch / 'out'}")
    return steps, ran


# --- the four parts ---------------------------------------------------------------------------------
def verdict(ratio: float, target: float) -> str:
    return "PASS" if ratio <= target else "MISS"


def time_calls(call: Callable[[], object], count: int) -> float:
    """Median seconds of `count` calls."""
    seconds = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    return median(seconds)


def worker_costs(staged: Staged) -> dict[str, float]:
    """Seconds: launching a worker's process (isolation, Python, NumPy) and its first call, once per
    grading and overlapping pytest's collection; a fresh worker for a part (forked from the zygote
    where there is a jail, launched anew elsewhere) and its first call, which imports the package;
    a round trip (ping); a small call through the worker and in-process, and the same call among
    six written together (as a numeric gradient's points are: call_each), per call."""
    from backprop import layers

    limits = load_manifest().limits
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3)
    launches = []
    for _ in range(3):
        begin = time.perf_counter()
        with Worker(staged.root, limits) as worker:
            StudentProxy(worker).layers.affine_forward(x, w, b)
            launches.append(time.perf_counter() - begin)
    with Worker(staged.root, limits) as worker:
        student = StudentProxy(worker)
        student.layers.affine_forward(x, w, b)
        fresh = []
        for _ in range(10):
            begin = time.perf_counter()
            worker.fresh()
            student.layers.affine_forward(x, w, b)
            fresh.append(time.perf_counter() - begin)
        ping = time_calls(worker.ping, 200)
        remote = time_calls(lambda: student.layers.affine_forward(x, w, b), 200)
        together = time_calls(lambda: student.layers.affine_forward.each([(x, w, b)] * 6), 100) / 6
        forks = worker.isolation.jail
    local = time_calls(lambda: layers.affine_forward(x, w, b), 200)
    return {"launch": median(launches), "fresh": median(fresh), "forks": forks, "ping": ping, "call": remote,
            "together": together, "local call": local}  # fmt: skip


def requests_of(ran: run.Ran) -> tuple[int, int]:
    """The requests the in-process stand-in served, and how many of them the worker would have been
    sent together, from its line in pytest's log."""
    for line in (ran.report.parent / run.LOG_NAME).read_text(encoding="utf-8").splitlines():
        if line.startswith(REQUESTS_LINE):
            requests, together = line.removeprefix(REQUESTS_LINE).split()
            return int(requests), int(together)
    raise RuntimeError(f"no {REQUESTS_LINE!r} line in {ran.report.parent / run.LOG_NAME}")


def compare_runs(rounds: int, scratch: Path) -> dict[str, list]:
    """(a), (c) and (d): the reference through the worker (the full pipeline, timed step by step),
    in-process, and the plain-loops submission through the worker, interleaved round by round."""
    manifest = load_manifest()
    loops = write_submission(plain_loops(), scratch / "plain-loops")
    reference_staged = stage(run.SOLUTIONS, scratch / "reference-staged", manifest)
    loops_staged = stage(loops, scratch / "plain-loops-staged", manifest)
    found: dict[str, list] = defaultdict(list)
    kinds = ("worker", "in-process", "plain loops")
    for index in range(rounds):
        for kind in kinds[index % 3 :] + kinds[: index % 3]:
            out = scratch / f"{kind.replace(' ', '-')}-{index}"
            if kind == "worker":
                steps, ran = grade_timed(run.SOLUTIONS, out)
                found["steps"].append(steps)
            elif kind == "in-process":
                ran = run_hidden(reference_staged, out, IN_PROCESS)
            else:
                ran = run_hidden(loops_staged, out)
            found[kind].append(ran)
            print(f"  round {index + 1}, {kind:11}: {ran.seconds:6.1f} s ({passed(ran)})", flush=True)
    return found


def round_ratios(found: dict[str, list], top: str, bottom: str) -> tuple[float, str]:
    """The median over rounds of one kind's time over another's in the same round, and their range."""
    ratios = [a.seconds / b.seconds for a, b in zip(found[top], found[bottom])]
    return median(ratios), f"[{min(ratios):.2f}, {max(ratios):.2f}]"


def report_runs(found: dict[str, list], costs: dict[str, float]) -> list[str]:
    verdicts = []
    seconds = {kind: median([ran.seconds for ran in found[kind]]) for kind in ("worker", "in-process", "plain loops")}
    ratio, spread = round_ratios(found, "worker", "in-process")
    verdicts.append(verdict(ratio, TARGETS["worker / in-process"]))
    print(f"\n(a) the reference's hidden checks (pytest run, median): through the worker {seconds['worker']:.1f} s, "
          f"in-process {seconds['in-process']:.1f} s: ratio {ratio:.2f} {spread} (target <= 1.3) {verdicts[-1]}")  # fmt: skip
    parts = {kind: _median_parts(found[kind]) for kind in ("worker", "in-process", "plain loops")}
    print(f"    {'part':18} {'worker s':>9} {'in-proc s':>9} {'extra s':>8} {'loops s':>8}")
    for part in parts["worker"]:
        worker_s, local_s, loops_s = (parts[kind].get(part, 0.0) for kind in ("worker", "in-process", "plain loops"))
        print(f"    {part:18} {worker_s:9.2f} {local_s:9.2f} {worker_s - local_s:8.2f} {loops_s:8.2f}")
    for kind in ("worker", "in-process"):
        checks = sum(parts[kind].values())
        print(f"    {kind}: {checks:.1f} s in the checks, {seconds[kind] - checks:.1f} s outside them (pytest's start, "
              "collection and exit)")  # fmt: skip
    pairs = zip(found["worker"], found["in-process"])
    in_checks = [sum(per_part(worker).values()) / sum(per_part(local).values()) for worker, local in pairs]
    print(f"    the checks alone, through the worker against in-process: ratio {median(in_checks):.2f} "
          f"[{min(in_checks):.2f}, {max(in_checks):.2f}]")  # fmt: skip
    requests, together = requests_of(found["in-process"][0])  # the same in every round
    per_request, per_together = costs["call"] - costs["local call"], costs["together"] - costs["local call"]
    print("    where the worker's extra time goes (medians):")
    starts = len(parts["worker"])
    how = "forked from the zygote" if costs["forks"] else "launched anew (no jail here, so no zygote)"
    print(f"      launching the worker's process and its first call: {costs['launch']:.2f} s, once, while pytest "
          "collects (a part that requires a large package, torch, has a process of its own, which imports it "
          "while the other parts run)")  # fmt: skip
    print(f"      a fresh worker per part, {how}, and its first call: {starts} x {costs['fresh']:.3f} s"
          f" = {starts * costs['fresh']:.2f} s")  # fmt: skip
    one_by_one = requests - together
    print(f"      {one_by_one} requests (calls, gets, sets) one at a time x {1e3 * per_request:.2f} ms each ="
          f" {one_by_one * per_request:.1f} s (a round trip alone, ping: {1e3 * costs['ping']:.2f} ms; affine_forward"
          f" on (4, 5) x (5, 3): {1e3 * costs['call']:.2f} ms through the worker, {1e3 * costs['local call']:.3f} ms"
          " in-process)")  # fmt: skip
    print(f"      {together} requests written together (the points of numeric gradients) x {1e3 * per_together:.2f} ms"
          f" each = {together * per_together:.1f} s (affine_forward among six)")  # fmt: skip
    explained = starts * costs["fresh"] + one_by_one * per_request + together * per_together
    print(f"      together {explained:.1f} s of the {seconds['worker'] - seconds['in-process']:.1f} s measured; the rest is"
          " larger arrays copied and encoded, and the machine's load")  # fmt: skip

    loops_ratio, spread = round_ratios(found, "plain loops", "worker")
    verdicts.append(verdict(loops_ratio, TARGETS["plain loops / vectorised"]))
    print(f"\n(c) plain loops {seconds['plain loops']:.1f} s, vectorised reference {seconds['worker']:.1f} s (both through "
          f"the worker): ratio {loops_ratio:.2f} {spread} (target <= 2) {verdicts[-1]}")  # fmt: skip

    steps = {name: median([row[name] for row in found["steps"]]) for name in found["steps"][0]}
    total = sum(steps.values())
    print(f"\n(d) grading the reference once, in all: {total:.1f} s (median per step: "
          + ", ".join(f"{name} {value:.2f} s" for name, value in steps.items()) + ")")
    print("    the hidden checks per part: see the 'worker s' column of (a)")
    return verdicts


def _median_parts(runs: list[run.Ran]) -> dict[str, float]:
    tables = [per_part(ran) for ran in runs]
    return {part: median([table.get(part, 0.0) for table in tables]) for part in tables[0]}


def gradient_checks(scratch: Path) -> None:
    """(b): every directional check of the hidden tests against a full numeric gradient, through the worker."""
    staged = stage(run.SOLUTIONS, scratch / "gradients-staged", load_manifest())
    timings = scratch / "gradient-timing.json"
    extra = ("-p", "benchmarks.gradient_timing", "--gradient-timing", str(timings), "-m", "not framework")
    ran = run_hidden(staged, scratch / "gradients", extra)
    records = json.loads(timings.read_text(encoding="utf-8"))
    by_part: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        by_part[Path(record["test"].split("::")[0]).stem.removeprefix("test_")].append(record)
    directional = sum(r["directional_s"] for r in records)
    full = sum(r["full_s"] for r in records)
    print(f"\n(b) {len(records)} directional gradient checks in the hidden tests ({passed(ran)}), through the worker:")
    print(f"    {'tests of':18} {'checks':>6} {'entries':>8} {'directional s':>13} {'full s':>8} {'speed-up':>8}")
    for part, rows in by_part.items():
        d, f = sum(r["directional_s"] for r in rows), sum(r["full_s"] for r in rows)
        entries = sum(r["entries"] for r in rows)
        print(f"    {part:18} {len(rows):6} {entries:8} {d:13.2f} {f:8.2f} {f / d:7.1f}x")
    entries = sum(r["entries"] for r in records)
    print(f"    {'all':18} {len(records):6} {entries:8} {directional:13.2f} {full:8.2f} {full / directional:7.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds of (a), (c) and (d) (default 5)")
    options = parser.parse_args()
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    sys.path.insert(0, str(run.SOLUTIONS))  # this process imports the reference, as the grader's pytest does
    find_isolation().pin()  # as the command line does before it grades
    print(f"load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as folder:
        scratch = Path(folder)
        print("(a), (c), (d): grading runs")
        found = compare_runs(options.rounds, scratch)
        costs = worker_costs(stage(run.SOLUTIONS, scratch / "costs-staged", load_manifest()))
        verdicts = report_runs(found, costs)
        gradient_checks(scratch)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end; {verdicts.count('PASS')} PASS, "
          f"{verdicts.count('MISS')} MISS")  # fmt: skip


if __name__ == "__main__":
    main()

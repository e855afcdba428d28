"""The fast layers and a ThreeLayerConvNet training step, as ratios to PyTorch on the CPU.

    bash benchmarks/setup.sh                                   # once: benchmarks/.venv, with torch
    benchmarks/.venv/bin/python -m benchmarks.bench_layers     # 1 and 2 threads, a few minutes
    benchmarks/.venv/bin/python -m benchmarks.bench_layers --threads 2 --rounds 5

Each side runs in its own subprocess (NumPy's never imports torch), both started with the same
thread settings: OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS in the environment
before any import, and torch.set_num_threads. The two subprocesses take turns, one block of
iterations each, the side going first alternating from round to round, so that the load of a
shared machine falls on both alike; each block starts once neither side has used any CPU for
50 ms (read from /proc), so that the other side's idle threads have stopped spinning. A round's ratio is NumPy's median time over torch's; a case's
ratio is the median over rounds, printed with their range and checked against issue 9's target.
A control case, one 1024x1024 matrix product, shows how NumPy's BLAS compares with torch's on
its own at the moment of the run, with no layer around it.

Peak memory is the rise of the resident set size during one step, in a fresh subprocess per side
and repeat: the high-water mark is reset (/proc/self/clear_refs) once the inputs exist and a tiny
warm-up has loaded every library, then read after the step. It counts what each side really
touches, its own allocator and the BLAS or oneDNN buffers included; NumPy's own allocations
(tracemalloc) are printed beside it for reference. Run from the kit's root. Not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
BATCH = 50
"""N of every case: the ThreeLayerConvNet shape of issue 9."""
CONV = dict(channels=3, size=32, filters=32, kernel=7, pad=3)
"""3x32x32 inputs, 32 filters 7x7, pad 3, stride 1: the output is (N, 32, 32, 32)."""
MATMUL_SIDE = 1024
"""The control case: a product of two square matrices this size."""
BLOCK_SECONDS = 0.4
"""Aim of one block of iterations of the slower side."""
QUIET_SECONDS = 0.05
"""Before each block, both sides must have used no CPU for this long: idle BLAS and OpenMP threads
spin for a while after their work (OpenBLAS's about 0.1 s, torch's at times longer), and on two
cores that would slow the other side's next block."""
SETTLE_LIMIT_SECONDS = 2.0
"""The longest wait for that quiet (a busy machine may never give it)."""


@dataclass(frozen=True)
class Case:
    """One thing to time on both sides."""

    name: str
    layer: str
    """"conv" (forward and backward), "pool" (2x2 stride 2, forward and backward), "train", or
    "matmul" (a control: one square matrix product, NumPy's BLAS against torch's, no layer around it)."""
    dtype: str
    target: float | None
    """The largest NumPy / torch ratio issue 9 allows; None for a control, printed for context."""


CASES = (
    Case("conv fwd+bwd float64", "conv", "float64", 0.75),
    Case("conv fwd+bwd float32", "conv", "float32", 1.5),
    Case("max pool fwd+bwd float64", "pool", "float64", 1.5),
    Case("max pool fwd+bwd float32", "pool", "float32", 1.5),
    Case("train step (Adam) float32", "train", "float32", 2.0),
    Case("control: matmul 1024^2 float64", "matmul", "float64", None),
)
MEMORY_CASES = (
    Case("conv fwd+bwd float64, peak RSS", "conv", "float64", 2.0),
    Case("conv fwd+bwd float32, peak RSS", "conv", "float32", 2.0),
)


# --- the two sides: each builds a step function from (layer, dtype, batch) --------------------
def _inputs(layer: str, dtype: str, batch: int) -> dict:
    """The same random inputs for both sides, as NumPy arrays."""
    import numpy as np

    rng = np.random.default_rng(0)
    draw = lambda *shape: rng.standard_normal(shape).astype(dtype)  # noqa: E731
    c, s, f, k = CONV["channels"], CONV["size"], CONV["filters"], CONV["kernel"]
    if layer == "conv":
        return dict(x=draw(batch, c, s, s), w=draw(f, c, k, k), b=draw(f), dout=draw(batch, f, s, s))
    if layer == "pool":
        return dict(x=draw(batch, f, s, s), dout=draw(batch, f, s // 2, s // 2))
    if layer == "matmul":
        return dict(a=draw(MATMUL_SIDE, MATMUL_SIDE), b=draw(MATMUL_SIDE, MATMUL_SIDE))
    return dict(X=draw(batch, c, s, s), y=rng.integers(0, 10, batch))


def numpy_step(layer: str, dtype: str, batch: int) -> Callable[[], object]:
    """The reference package's step: fast conv or pool forward and backward, or a training step."""
    import numpy as np
    from backprop import fast_layers, optim
    from backprop.classifiers.cnn import ThreeLayerConvNet

    data = _inputs(layer, dtype, batch)
    if layer == "conv":
        x, w, b, dout = data["x"], data["w"], data["b"], data["dout"]
        conv_param = {"stride": 1, "pad": CONV["pad"]}

        def conv() -> object:
            _, cache = fast_layers.conv_forward_fast(x, w, b, conv_param)
            return fast_layers.conv_backward_fast(dout, cache)

        return conv
    if layer == "pool":
        x, dout = data["x"], data["dout"]
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}

        def pool() -> object:
            _, cache = fast_layers.max_pool_forward_fast(x, pool_param)
            return fast_layers.max_pool_backward_fast(dout, cache)

        return pool
    if layer == "matmul":
        return lambda: data["a"] @ data["b"]
    model = ThreeLayerConvNet(dtype=np.dtype(dtype).type)
    configs: dict[str, dict] = {name: {"learning_rate": 1e-3} for name in model.params}

    def train() -> object:  # as Solver._step does it
        loss, grads = model.loss(data["X"], data["y"])
        for name, w in model.params.items():
            model.params[name], configs[name] = optim.adam(w, grads[name], configs[name])
        return loss

    return train


def torch_step(layer: str, dtype: str, batch: int) -> Callable[[], object]:
    """The same step in torch: F.conv2d or F.max_pool2d with autograd, or the same network with Adam."""
    import torch
    from torch import nn
    from torch.nn import functional

    data = {name: torch.from_numpy(value) for name, value in _inputs(layer, dtype, batch).items()}
    if layer == "conv":
        x, w, b = (data[name].requires_grad_() for name in ("x", "w", "b"))

        def conv() -> object:
            x.grad = w.grad = b.grad = None
            functional.conv2d(x, w, b, padding=CONV["pad"]).backward(data["dout"])
            return x.grad, w.grad, b.grad

        return conv
    if layer == "pool":
        x = data["x"].requires_grad_()

        def pool() -> object:
            x.grad = None
            functional.max_pool2d(x, 2, 2).backward(data["dout"])
            return x.grad

        return pool
    if layer == "matmul":
        return lambda: torch.mm(data["a"], data["b"])
    c, s, f, k = CONV["channels"], CONV["size"], CONV["filters"], CONV["kernel"]
    model = nn.Sequential(
        nn.Conv2d(c, f, k, padding=CONV["pad"]), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(f * (s // 2) ** 2, 100), nn.ReLU(), nn.Linear(100, 10),
    ).to(getattr(torch, dtype))  # fmt: skip
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def train() -> object:
        optimizer.zero_grad(set_to_none=True)
        loss = functional.cross_entropy(model(data["X"]), data["y"])
        loss.backward()
        optimizer.step()
        return loss

    return train


def _step(side: str, layer: str, dtype: str, batch: int = BATCH) -> Callable[[], object]:
    return (numpy_step if side == "numpy" else torch_step)(layer, dtype, batch)


# --- inside a side's subprocess ----------------------------------------------------------------
def serve(side: str) -> None:
    """Answer {"layer", "dtype", "iterations"} lines on stdin with {"seconds": [...]} lines."""
    steps: dict[tuple[str, str], Callable[[], object]] = {}
    for line in sys.stdin:
        request = json.loads(line)
        key = (request["layer"], request["dtype"])
        if key not in steps:
            steps[key] = _step(side, *key)
        step, seconds = steps[key], []
        for _ in range(request["iterations"]):
            start = time.perf_counter()
            step()
            seconds.append(time.perf_counter() - start)
        print(json.dumps({"seconds": seconds}), flush=True)


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def measure_memory(side: str, layer: str, dtype: str) -> None:
    """Print {"peak_bytes", "traced_bytes"} for one step in this fresh process."""
    _step(side, layer, dtype, batch=1)()  # loads every library and kernel, with tiny buffers
    step = _step(side, layer, dtype)
    with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
        clear_refs.write("5")  # the high-water mark of the RSS starts again from the current RSS
    before = _status_kib("VmRSS")
    step()
    peak = (_status_kib("VmHWM") - before) * 1024
    traced = None
    if side == "numpy":  # what NumPy itself allocated during a second step
        import tracemalloc

        tracemalloc.start()
        step()
        traced = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(json.dumps({"peak_bytes": peak, "traced_bytes": traced}), flush=True)


# --- the orchestrating process --------------------------------------------------------------------
def _environment(threads: int) -> dict[str, str]:
    environment = dict(os.environ)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        environment[name] = str(threads)
    environment["PYTHONPATH"] = os.pathsep.join([str(SOLUTIONS), str(ROOT)])
    return environment


def _command(threads: int, *arguments: str) -> list[str]:
    return [sys.executable, "-m", "benchmarks.bench_layers", "--threads", str(threads), *arguments]


class Side:
    """One side's long-lived subprocess, serving blocks of iterations."""

    def __init__(self, name: str, threads: int):
        self.name = name
        self.process = subprocess.Popen(
            _command(threads, "--serve", name), cwd=ROOT, env=_environment(threads), text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )  # fmt: skip

    def cpu_ticks(self) -> int:
        """CPU time used so far by all the side's threads (utime + stime, in clock ticks)."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
        return int(fields[11]) + int(fields[12])

    def run(self, case: Case, iterations: int) -> list[float]:
        request = {"layer": case.layer, "dtype": case.dtype, "iterations": iterations}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.name} side stopped (exit code {self.process.wait()})")
        return json.loads(line)["seconds"]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def _verdict(ratio: float, target: float | None) -> str:
    if target is None:
        return "(control)"
    return "PASS" if ratio <= target else "MISS"


def settle(sides: tuple[Side, ...]) -> None:
    """Wait until no side has used CPU for QUIET_SECONDS (at most SETTLE_LIMIT_SECONDS)."""
    deadline = time.monotonic() + SETTLE_LIMIT_SECONDS
    used = [side.cpu_ticks() for side in sides]
    while time.monotonic() < deadline:
        time.sleep(QUIET_SECONDS)
        now = [side.cpu_ticks() for side in sides]
        if now == used:
            return
        used = now


def time_case(case: Case, sides: tuple[Side, Side], rounds: int) -> dict:
    """Interleaved blocks of both sides, each once both are idle; medians per side and the median
    of the rounds' ratios."""
    first = {}
    for side in sides:  # warm-up, and a size for a block
        settle(sides)
        first[side.name] = max(side.run(case, 2))
    iterations = max(1, min(50, round(BLOCK_SECONDS / max(first.values()))))
    medians: dict[str, list[float]] = {side.name: [] for side in sides}
    ratios = []
    for index in range(rounds):
        for side in sides if index % 2 == 0 else sides[::-1]:
            settle(sides)
            medians[side.name].append(statistics.median(side.run(case, iterations)))
        ratios.append(medians["numpy"][-1] / medians["torch"][-1])
    return {
        "numpy_ms": 1e3 * statistics.median(medians["numpy"]),
        "torch_ms": 1e3 * statistics.median(medians["torch"]),
        "ratio": statistics.median(ratios),
        "low": min(ratios),
        "high": max(ratios),
        "iterations": iterations,
    }


def memory_case(case: Case, threads: int, repeats: int) -> dict:
    """Median over `repeats` fresh subprocesses per side (sides alternating) of the RSS rise."""
    found: dict[str, list[dict]] = {"numpy": [], "torch": []}
    for index in range(repeats):
        for side in ("numpy", "torch") if index % 2 == 0 else ("torch", "numpy"):
            command = _command(threads, "--memory", side, case.layer, case.dtype)
            output = subprocess.run(command, cwd=ROOT, env=_environment(threads), text=True, capture_output=True,
                                    check=True).stdout  # fmt: skip
            found[side].append(json.loads(output.strip().splitlines()[-1]))
    numpy_peak = statistics.median(r["peak_bytes"] for r in found["numpy"])
    torch_peak = statistics.median(r["peak_bytes"] for r in found["torch"])
    traced = statistics.median(r["traced_bytes"] for r in found["numpy"])
    return {"numpy_mb": numpy_peak / 2**20, "torch_mb": torch_peak / 2**20, "traced_mb": traced / 2**20,
            "ratio": numpy_peak / max(torch_peak, 1)}  # fmt: skip


def _versions() -> str:
    code = "import numpy, torch; print(numpy.__version__, torch.__version__)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{sys.executable} cannot import numpy and torch: run `bash benchmarks/setup.sh` and use "
                 "benchmarks/.venv/bin/python")  # fmt: skip
    numpy_version, torch_version = result.stdout.split()
    return f"numpy {numpy_version}, torch {torch_version}"


def orchestrate(options: argparse.Namespace) -> int:
    print(f"{_versions()}; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} at start")
    print("ratio = NumPy (the reference's fast layers) / torch; median over rounds [lowest, highest round]")
    verdicts = []
    for threads in options.threads:
        print(f"\n== {threads} thread(s): {options.rounds} rounds, blocks of about {BLOCK_SECONDS:g} s ==")
        print(f"{'case':34} {'NumPy ms':>9} {'torch ms':>9} {'ratio':>6} {'[range]':>13} {'target':>7}")
        sides = (Side("numpy", threads), Side("torch", threads))
        try:
            for case in CASES:
                found = time_case(case, sides, options.rounds)
                verdict = _verdict(found["ratio"], case.target)
                verdicts.append(verdict)
                spread = f"[{found['low']:.2f}, {found['high']:.2f}]"
                target = "" if case.target is None else f"<= {case.target:g}"
                print(f"{case.name:34} {found['numpy_ms']:9.1f} {found['torch_ms']:9.1f} {found['ratio']:6.2f} "
                      f"{spread:>13} {target:>7} {verdict}")  # fmt: skip
        finally:
            for side in sides:
                side.close()
        print(f"{'memory (RSS rise in one step)':34} {'NumPy MB':>9} {'torch MB':>9} {'ratio':>6} "
              f"{'NumPy traced':>13} {'target':>7}")  # fmt: skip
        for case in MEMORY_CASES:
            found = memory_case(case, threads, options.memory_repeats)
            verdict = _verdict(found["ratio"], case.target)
            verdicts.append(verdict)
            print(f"{case.name:34} {found['numpy_mb']:9.1f} {found['torch_mb']:9.1f} {found['ratio']:6.2f} "
                  f"{found['traced_mb']:10.1f} MB {'<= ' + format(case.target, 'g'):>7} {verdict}")  # fmt: skip
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end; {verdicts.count('PASS')} PASS, "
          f"{verdicts.count('MISS')} MISS")  # fmt: skip
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts (default 1 2)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds per case (default 7)")
    parser.add_argument("--memory-repeats", type=int, default=3, help="fresh processes per side (default 3)")
    parser.add_argument("--serve", metavar="SIDE", help=argparse.SUPPRESS)
    parser.add_argument("--memory", nargs=3, metavar=("SIDE", "LAYER", "DTYPE"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve or options.memory:
        if options.serve == "torch" or (options.memory and options.memory[0] == "torch"):
            import torch

            torch.set_num_threads(options.threads[0])
        if options.serve:
            serve(options.serve)
        else:
            measure_memory(*options.memory)
        return 0
    return orchestrate(options)


if __name__ == "__main__":
    sys.exit(main())

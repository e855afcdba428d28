"""Small manifests and results for the pipeline's tests."""

from autograder.collect import CheckResult, Collected
from tests.support.manifest import Limits, Manifest, Part, Tolerances

WEIGHTS = {"shape": 1, "value": 2, "gradient": 2}


def manifest(*parts: Part) -> Manifest:
    """A manifest holding `parts` (by default affine, relu and a net that depends on both)."""
    parts = parts or (
        Part("affine", "Affine layer", 8, ("layers.affine_forward",), ("backprop/layers.py",)),
        Part("relu", "ReLU", 4, ("layers.relu_forward",), ("backprop/layers.py",), visibility="hidden"),
        Part("net", "Two-layer net", 10, ("classifiers.fc_net.TwoLayerNet",), ("backprop/classifiers/fc_net.py",),
             depends_on=("affine", "relu")),
    )  # fmt: skip
    return Manifest(
        name="test assignment",
        package="backprop",
        editable=("backprop/layers.py", "backprop/classifiers/fc_net.py"),
        parts=parts,
        tolerances=Tolerances(1e-6, 1e-8, 1e-5, 1e-7),
        limits=Limits(call_timeout_s=5, submission_timeout_s=60, memory_mb=1024),
        weights=dict(WEIGHTS),
    )


def check(part: str, kind: str = "value", status: str = "passed", feedback: str = "", name: str = "") -> CheckResult:
    nodeid = f"autograder/hidden/test_{part}.py::{name or f'test_{kind}_{status}'}"
    return CheckResult(part, kind, WEIGHTS[kind], status, feedback, nodeid)


def collected(*checks: CheckResult, problem: str | None = None, notes: tuple[str, ...] = ()) -> Collected:
    return Collected(tuple(checks), problem, notes, 1.5)

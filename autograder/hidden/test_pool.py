"""Hidden checks of naive max pooling: overlapping windows, stride larger than the window,
non-square windows and inputs. Inputs never hold ties (cases.pool_case)."""

import copy

import pytest
from backprop import layers as reference

from autograder.hidden.remote import assert_inputs_kept, unpack
from tests.support import cases
from tests.support.checks import assert_close, assert_shape, check_backward

pytestmark = pytest.mark.pool

FORWARD, BACKWARD = "layers.max_pool_forward_naive", "layers.max_pool_backward_naive"
GEOMETRIES = [  # N, C, H, W, pool_height, pool_width, stride
    pytest.param(dict(N=2, C=3, H=6, W=8, pool_height=2, pool_width=2, stride=2), id="2x2-stride2"),
    pytest.param(dict(N=2, C=2, H=7, W=5, pool_height=3, pool_width=3, stride=2), id="overlapping-3x3-stride2"),
    pytest.param(dict(N=1, C=3, H=8, W=8, pool_height=2, pool_width=2, stride=3), id="stride3-over-2x2"),
    pytest.param(dict(N=2, C=2, H=5, W=7, pool_height=2, pool_width=3, stride=1), id="2x3-stride1"),
    pytest.param(dict(N=3, C=1, H=3, W=3, pool_height=3, pool_width=3, stride=1), id="whole-image"),
]


def _describe(g: dict) -> str:
    return f"x {g['N']}x{g['C']}x{g['H']}x{g['W']}, pool {g['pool_height']}x{g['pool_width']}, stride {g['stride']}"


def _out_size(g: dict) -> tuple[int, int, int, int]:
    return (
        g["N"], g["C"], 1 + (g["H"] - g["pool_height"]) // g["stride"], 1 + (g["W"] - g["pool_width"]) // g["stride"]
    )  # fmt: skip


def _forward(student, case: dict) -> tuple:
    return unpack(student.layers.max_pool_forward_naive(*copy.deepcopy(case).values()), ("out", "cache"), FORWARD)


@pytest.mark.check("shape")
@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_shapes(student, rng, geometry):
    case = cases.pool_case(rng, **geometry)
    out, cache = _forward(student, case)
    hint = "(H' = 1 + (H - pool_height) // stride, and W' likewise)"
    assert_shape(out, _out_size(geometry), name="out", function=FORWARD, hint=hint)
    dx = student.layers.max_pool_backward_naive(rng.standard_normal(out.shape), cache)
    assert_shape(dx, case["x"].shape, name="dx", function=BACKWARD, hint="(dx has x's shape)")


@pytest.mark.check("value")
@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_forward_matches_reference(student, rng, geometry):
    case = cases.pool_case(rng, **geometry)
    out, _ = _forward(student, case)
    expected, _ = reference.max_pool_forward_naive(**copy.deepcopy(case))
    assert_close(out, expected, name="out", function=f"{FORWARD} ({_describe(geometry)})")


@pytest.mark.check("gradient")
@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_backward_matches_reference(student, rng, geometry):
    case = cases.pool_case(rng, **geometry)
    dout = rng.standard_normal(_out_size(geometry))
    _, cache = _forward(student, case)
    dx = student.layers.max_pool_backward_naive(dout, cache)
    expected = reference.max_pool_backward_naive(dout, reference.max_pool_forward_naive(**copy.deepcopy(case))[1])
    overlapping = geometry["stride"] < max(geometry["pool_height"], geometry["pool_width"])
    note = " (where windows overlap, the gradients routed to one input add up)" if overlapping else ""
    assert_close(
        dx, expected, name="dx", function=f"{BACKWARD} ({_describe(geometry)})", kind="gradient",
        against=f"the reference gradient{note}",
    )


@pytest.mark.check("numeric")
@pytest.mark.parametrize("geometry", GEOMETRIES[:4])
def test_backward_matches_numeric_derivative(student, rng, geometry):
    check_backward(
        student.layers.max_pool_forward_naive, student.layers.max_pool_backward_naive,
        cases.pool_case(rng, **geometry), ("x",), rng, function=f"{BACKWARD} ({_describe(geometry)})",
    )


@pytest.mark.check("state")
def test_forward_keeps_its_input(student, rng):
    _forward(student, cases.pool_case(rng, N=2, C=2, H=4, W=4))
    assert_inputs_kept(student, ["x", ""], FORWARD)

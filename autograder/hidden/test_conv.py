"""Hidden checks of the naive convolution: padding, strides, non-square inputs and filters.

Shapes stay small (N <= 3, C <= 3, H, W <= 9, F <= 4) so that loops over every entry finish quickly.
"""

import copy

import pytest
from backprop import layers as reference

from autograder.hidden.remote import assert_inputs_kept, unpack
from tests.support import cases
from tests.support.checks import assert_close, assert_shape, check_backward

pytestmark = pytest.mark.conv

FORWARD, BACKWARD = "layers.conv_forward_naive", "layers.conv_backward_naive"
GEOMETRIES = [  # N, C, H, W, F, HH, WW, stride, pad
    pytest.param(dict(N=2, C=3, H=5, W=7, F=4, HH=3, WW=3, stride=1, pad=1), id="non-square-input"),
    pytest.param(dict(N=3, C=2, H=7, W=7, F=2, HH=3, WW=3, stride=2, pad=0), id="stride2-pad0"),
    pytest.param(dict(N=2, C=1, H=6, W=5, F=3, HH=2, WW=3, stride=1, pad=0), id="non-square-filter"),
    pytest.param(dict(N=1, C=3, H=8, W=6, F=4, HH=4, WW=2, stride=2, pad=1), id="stride2-pad1"),
    pytest.param(dict(N=2, C=2, H=8, W=7, F=3, HH=3, WW=2, stride=3, pad=2), id="stride3-pad2"),
    pytest.param(dict(N=2, C=3, H=4, W=4, F=2, HH=1, WW=1, stride=1, pad=0), id="1x1-filter"),
]
NUMERIC = [  # fewer entries: a failed numeric check differentiates every entry of x
    pytest.param(dict(N=2, C=2, H=5, W=4, F=3, HH=3, WW=2, stride=1, pad=1), id="pad1"),
    pytest.param(dict(N=1, C=2, H=5, W=5, F=2, HH=3, WW=3, stride=2, pad=0), id="stride2-pad0"),
]


def _out_size(g: dict) -> tuple[int, int, int, int]:
    return (
        g["N"], g["F"], 1 + (g["H"] + 2 * g["pad"] - g["HH"]) // g["stride"],
        1 + (g["W"] + 2 * g["pad"] - g["WW"]) // g["stride"],
    )  # fmt: skip


def _describe(g: dict) -> str:
    x, w = f"{g['N']}x{g['C']}x{g['H']}x{g['W']}", f"{g['F']}x{g['C']}x{g['HH']}x{g['WW']}"
    return f"x {x}, w {w}, stride {g['stride']}, pad {g['pad']}"


def _forward(student, case: dict) -> tuple:
    return unpack(student.layers.conv_forward_naive(*copy.deepcopy(case).values()), ("out", "cache"), FORWARD)


def _backward(student, dout, cache) -> tuple:
    return unpack(student.layers.conv_backward_naive(dout, cache), ("dx", "dw", "db"), BACKWARD)


@pytest.mark.check("shape")
@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_shapes(student, rng, geometry):
    case = cases.conv_case(rng, **geometry)
    out, cache = _forward(student, case)
    hint = "(H' = 1 + (H + 2 * pad - HH) // stride, and W' likewise with W and WW)"
    assert_shape(out, _out_size(geometry), name="out", function=FORWARD, hint=hint)
    for name, grad in zip(("dx", "dw", "db"), _backward(student, rng.standard_normal(out.shape), cache)):
        assert_shape(grad, case[name[1:]].shape, name=name, function=BACKWARD, hint=f"({name} has {name[1:]}'s shape)")


@pytest.mark.check("value")
@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_forward_matches_reference(student, rng, geometry):
    case = cases.conv_case(rng, **geometry)
    out, _ = _forward(student, case)
    expected, _ = reference.conv_forward_naive(**copy.deepcopy(case))
    assert_close(out, expected, name="out", function=f"{FORWARD} ({_describe(geometry)})")


@pytest.mark.check("gradient")
@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_backward_matches_reference(student, rng, geometry):
    case = cases.conv_case(rng, **geometry)
    dout = rng.standard_normal(_out_size(geometry))
    _, cache = _forward(student, case)
    grads = _backward(student, dout, cache)
    expected = reference.conv_backward_naive(dout, reference.conv_forward_naive(**copy.deepcopy(case))[1])
    for name, grad, want in zip(("dx", "dw", "db"), grads, expected):
        assert_close(
            grad, want, name=name, function=f"{BACKWARD} ({_describe(geometry)})", kind="gradient",
            against="the reference gradient",
        )


@pytest.mark.check("numeric")
@pytest.mark.parametrize("geometry", NUMERIC)
def test_backward_matches_numeric_derivative(student, rng, geometry):
    check_backward(
        student.layers.conv_forward_naive, student.layers.conv_backward_naive, cases.conv_case(rng, **geometry),
        ("x", "w", "b"), rng, function=f"{BACKWARD} ({_describe(geometry)})",
    )


@pytest.mark.check("state")
def test_forward_keeps_its_inputs(student, rng):
    _forward(student, cases.conv_case(rng, N=2, C=2, H=4, W=5, F=2, HH=3, WW=3, stride=1, pad=1))
    assert_inputs_kept(student, ["x", "w", "b", ""], FORWARD)

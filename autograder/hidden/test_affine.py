"""Hidden checks of the affine layer, and the example of the hidden tests' conventions.

Each test carries the part marker (module-wide here) and one `check(kind)` marker; it calls the
student's code through `student`, the reference (`solutions/`, imported as `backprop` in this
trusted process) directly, and draws its inputs from the public case builders with other shapes
and seeds than the public tests.
"""

import numpy as np
import pytest
from backprop import layers as reference

from autograder.hidden.remote import assert_inputs_kept, unpack
from tests.support import cases
from tests.support.checks import assert_close, assert_shape, check_backward

pytestmark = pytest.mark.affine

FORWARD, BACKWARD = "layers.affine_forward", "layers.affine_backward"
GRADS = ("dx", "dw", "db")
SHAPES = [
    pytest.param(4, (3, 2, 5), 6, id="4d-x"),
    pytest.param(7, (9,), 2, id="2d-x"),
    pytest.param(1, (2, 3), 5, id="one-example"),
]


@pytest.mark.check("shape")
@pytest.mark.parametrize(("N", "in_dims", "M"), SHAPES)
def test_forward_shape(student, rng, N, in_dims, M):
    out, _ = student.layers.affine_forward(*cases.affine_case(rng, N, in_dims, M).values())
    assert_shape(out, (N, M), name="out", function=FORWARD, hint="(out is (N, M))")


@pytest.mark.check("value")
@pytest.mark.parametrize(("N", "in_dims", "M"), SHAPES)
def test_forward_matches_reference(student, rng, N, in_dims, M):
    case = cases.affine_case(rng, N, in_dims, M)
    out, _ = student.layers.affine_forward(*case.values())
    expected, _ = reference.affine_forward(*case.values())
    assert_close(out, expected, name="out", function=FORWARD)


@pytest.mark.check("shape")
@pytest.mark.parametrize(("N", "in_dims", "M"), SHAPES)
def test_backward_shapes(student, rng, N, in_dims, M):
    case = cases.affine_case(rng, N, in_dims, M)
    _, cache = student.layers.affine_forward(*case.values())
    grads = unpack(student.layers.affine_backward(rng.standard_normal((N, M)), cache), GRADS, BACKWARD)
    for name, grad in zip(GRADS, grads):
        wanted = case[name[1:]].shape
        assert_shape(grad, wanted, name=name, function=BACKWARD, hint=f"({name} has {name[1:]}'s shape)")


@pytest.mark.check("gradient")
@pytest.mark.parametrize(("N", "in_dims", "M"), SHAPES)
def test_backward_matches_reference(student, rng, N, in_dims, M):
    case = cases.affine_case(rng, N, in_dims, M)
    dout = rng.standard_normal((N, M))
    _, cache = student.layers.affine_forward(*case.values())
    _, expected_cache = reference.affine_forward(*case.values())
    grads = unpack(student.layers.affine_backward(dout, cache), GRADS, BACKWARD)
    expected = reference.affine_backward(dout, expected_cache)
    for name, grad, want in zip(GRADS, grads, expected):
        assert_close(grad, want, name=name, function=BACKWARD, kind="gradient", against="the reference gradient")


@pytest.mark.check("numeric")
@pytest.mark.parametrize(("N", "in_dims", "M"), SHAPES)
def test_backward_matches_numeric_derivative(student, rng, N, in_dims, M):
    case = cases.affine_case(rng, N, in_dims, M)
    check_backward(
        student.layers.affine_forward, student.layers.affine_backward, case, ("x", "w", "b"), rng,
        function=BACKWARD,
    )


@pytest.mark.check("shape")
def test_float32_stays_float32(student, rng):
    case = cases.with_dtype(cases.affine_case(rng, 3, (2, 4), 5), np.float32)
    dout = rng.standard_normal((3, 5)).astype(np.float32)
    out, cache = student.layers.affine_forward(*case.values())
    expected, expected_cache = reference.affine_forward(*case.values())
    assert_close(out, expected, name="out (float32 inputs)", function=FORWARD, rtol=1e-5, atol=1e-6)
    grads = unpack(student.layers.affine_backward(dout, cache), GRADS, BACKWARD)
    for name, grad, want in zip(GRADS, grads, reference.affine_backward(dout, expected_cache)):
        assert_close(grad, want, name=f"{name} (float32 inputs)", function=BACKWARD, rtol=1e-5, atol=1e-6)


@pytest.mark.check("state")
def test_forward_keeps_its_inputs(student, rng):
    student.layers.affine_forward(*cases.affine_case(rng, 3, (4, 2), 3).values())
    assert_inputs_kept(student, ["x", "w", "b"], FORWARD)

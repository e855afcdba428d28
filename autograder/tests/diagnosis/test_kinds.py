"""What a failed check says is wrong in kind, when no known mistake matches (tests/support/checks.py):
the shape in terms of the inputs, a constant factor, a transpose, values in other places, only the
border, an offset along an axis, the right values in the wrong dtype, an input changed, nan or inf."""

import numpy as np
import pytest

from tests.support.checks import assert_close, assert_shape, assert_unchanged


def _message(actual, expected, **options) -> str:
    options.setdefault("name", "out")
    options.setdefault("function", "layers.f")
    with pytest.raises(AssertionError) as failed:
        assert_close(actual, expected, **options)
    return str(failed.value)


def test_a_wrong_shape_is_told_in_terms_of_the_inputs():
    message = _message(np.zeros((2, 3, 4, 4)), np.zeros((2, 3, 5, 5)), function="layers.conv_forward_naive (x 2x3)")
    assert "H' = 1 + (H + 2 * pad - HH) // stride" in message
    message = _message(np.zeros((2, 12)), np.zeros((2, 3, 4)), name="dx", function="layers.affine_backward")
    assert "dx has x's shape, like every gradient" in message and "right number of entries" in message
    with pytest.raises(AssertionError, match=r"H' = 1 \+ \(H - pool_height\) // stride"):
        assert_shape(np.zeros((1, 1, 2, 2)), (1, 1, 3, 3), name="out", function="layers.max_pool_forward_naive")
    with pytest.raises(AssertionError, match="the formula") as failed:
        assert_shape(np.zeros(2), (3,), name="out", function="layers.conv_forward_naive", hint="(the formula)")
    assert "H'" not in str(failed.value)


def test_a_transpose_is_named():
    expected = np.arange(6.0).reshape(2, 3) + 1
    assert "transposed by (1, 0)" in _message(expected.T.copy(), expected)
    square = np.arange(9.0).reshape(3, 3) + 1
    assert "transposed by (1, 0)" in _message(square.T.copy(), square)


def test_values_in_other_places_are_named():
    expected = np.arange(24.0).reshape(2, 3, 2, 2) + 1  # (N, C, H, W)
    shuffled = expected.transpose(0, 2, 3, 1).reshape(2, 3, 2, 2)  # reshaped without moving C back
    assert "in other places" in _message(shuffled, expected)


def test_an_error_only_on_the_border_is_named():
    expected = np.ones((1, 2, 5, 5))
    actual = expected.copy()
    actual[:, :, 0, :] = 7.0
    actual[:, :, :, -1] = 3.0
    assert "only entries on the border" in _message(actual, expected)


def test_an_error_the_same_along_an_axis_is_named():
    rng = np.random.default_rng(0)
    expected = rng.standard_normal((4, 3))
    message = _message(expected - np.array([1.0, 2.0, 3.0]), expected)
    assert "the same all along axis 0" in message and "a bias?" in message
    assert "off by the same amount" in _message(expected + 0.5, expected)


def test_a_constant_factor_is_named():
    expected = np.arange(1.0, 7.0)
    assert "every entry is 0.25 times the expected one" in _message(expected / 4, expected)
    assert "every entry has the wrong sign" in _message(-expected, expected)
    assert "it is 7 times the expected value" in _message(7 * 2.5, 2.5, name="loss")
    assert "it is 1/4 of the expected value" in _message(2.5 / 4, 2.5, name="loss")


def test_right_values_in_the_wrong_dtype_are_named():
    expected = np.linspace(0, 1, 6, dtype=np.float32)
    message = _message(expected.astype(np.float64), expected, rtol=1e-5, atol=1e-6)
    assert "has dtype float64, expected float32" in message and "The values are right" in message
    assert "Integer arrays drop fractions" in _message(np.zeros(3, dtype=int), np.full(3, 0.5))


def test_nan_or_inf_is_named():
    message = _message(np.array([1.0, np.inf, np.nan]), np.ones(3))
    assert "nan or inf where every expected value is finite" in message and "overflow" in message


def test_an_input_changed_in_place_is_named():
    with pytest.raises(AssertionError, match="changed its input x"):
        assert_unchanged(np.zeros(3), np.ones(3), name="x", function="layers.relu_forward")


def test_no_kind_is_claimed_without_a_pattern():
    rng = np.random.default_rng(1)
    message = _message(rng.standard_normal((3, 4)), rng.standard_normal((3, 4)))
    assert "hint:" not in message

"""The provided numeric gradients (centered differences), on functions with known derivatives."""

import numpy as np
import pytest

from backprop import gradient_check

pytestmark = pytest.mark.provided


def test_rel_error_known_values():
    assert gradient_check.rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert gradient_check.rel_error(np.array([1.0, 0.0]), np.array([3.0, 0.0])) == pytest.approx(
        0.5
    )


def test_numerical_gradient_of_a_scalar_function(rng):
    x = rng.standard_normal((3, 4))
    before = x.copy()
    grad = gradient_check.eval_numerical_gradient(lambda v: np.sum(v**3), x, verbose=False)
    np.testing.assert_allclose(grad, 3 * before**2, rtol=1e-7, atol=1e-9)
    np.testing.assert_array_equal(x, before)  # every probe is undone


def test_numerical_gradient_verbose_prints_each_index(capsys):
    gradient_check.eval_numerical_gradient(lambda v: np.sum(v**2), np.array([1.0, 2.0]))
    assert capsys.readouterr().out.count("\n") == 2


def test_numerical_gradient_of_an_array_function(rng):
    x, a, df = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    grad = gradient_check.eval_numerical_gradient_array(lambda v: v @ a, x, df)
    np.testing.assert_allclose(grad, df @ a.T, rtol=1e-7, atol=1e-9)


def test_probe_is_undone_when_f_raises():
    x = np.array([1.0, 2.0])

    def failing(v: np.ndarray) -> float:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        gradient_check.eval_numerical_gradient(failing, x, verbose=False)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_grad_check_sparse_tells_right_from_wrong(rng, capsys):
    x = rng.standard_normal((4, 5))
    right = gradient_check.grad_check_sparse(lambda v: np.sum(v**2), x, 2 * x, num_checks=5, seed=0)
    wrong = gradient_check.grad_check_sparse(lambda v: np.sum(v**2), x, 3 * x, num_checks=5, seed=0)
    assert right.shape == (5,) and np.all(right < 1e-7)
    assert np.all(wrong > 0.1)
    assert capsys.readouterr().out.count("relative error") == 10

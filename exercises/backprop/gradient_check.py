"""Numeric gradients by centered differences, to check analytic backward passes.

Every probe changes one element of ``x`` in place, evaluates ``f``, and puts the element back, so
``x`` holds its original values when a function returns (also when ``f`` raises). ``x`` must be a
float array: the probes write ``x[ix] +- h`` into it.
"""

from collections.abc import Callable

import numpy as np


def rel_error(x: np.ndarray, y: np.ndarray) -> float:
    """Largest elementwise relative error: max(|x - y| / max(1e-8, |x| + |y|)).

    Args:
        x: array.
        y: array broadcastable against ``x``.

    Returns:
        The largest relative error, a float in [0, 1].
    """
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def _centered_difference(
    f: Callable[[np.ndarray], np.ndarray | float], x: np.ndarray, ix: tuple[int, ...], h: float
) -> np.ndarray | float:
    """(f(x + h e_ix) - f(x - h e_ix)) / (2 h), restoring x[ix] afterwards.

    Args:
        f: function of ``x``, returning a scalar or an array.
        x: float array, changed in place during the probe.
        ix: the index of the element to probe.
        h: the step.

    Returns:
        The centered difference, shaped like ``f``'s output.
    """
    old_value = x[ix]
    try:
        x[ix] = old_value + h
        f_plus = np.copy(f(x))  # f may return a buffer it reuses on the next call
        x[ix] = old_value - h
        f_minus = np.copy(f(x))
    finally:
        x[ix] = old_value
    return (f_plus - f_minus) / (2 * h)


def eval_numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, verbose: bool = True, h: float = 1e-5
) -> np.ndarray:
    """Numeric gradient of a scalar function: grad[ix] = (f(x + h e_ix) - f(x - h e_ix)) / (2 h).

    Args:
        f: scalar function of ``x`` (for example a loss).
        x: float array, any shape, the point at which to take the gradient.
        verbose: print every index and its derivative.
        h: the step.

    Returns:
        grad: float64 array shaped like ``x``.
    """
    grad = np.zeros(x.shape)
    for ix in np.ndindex(x.shape):
        grad[ix] = _centered_difference(f, x, ix, h)
        if verbose:
            print(ix, grad[ix])
    return grad


def eval_numerical_gradient_array(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, df: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """Numeric gradient of sum(f(x) * df), the quantity a backward pass computes from dout = df.

    grad[ix] = sum(df * (f(x + h e_ix) - f(x - h e_ix))) / (2 h).

    Args:
        f: array-valued function of ``x`` (for example a layer's forward pass).
        x: float array, any shape, the point at which to take the gradient.
        df: upstream gradient, shaped like ``f(x)``.
        h: the step.

    Returns:
        grad: float64 array shaped like ``x``.
    """
    grad = np.zeros(x.shape)
    for ix in np.ndindex(x.shape):
        grad[ix] = np.sum(_centered_difference(f, x, ix, h) * df)
    return grad


def grad_check_sparse(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    analytic_grad: np.ndarray,
    num_checks: int = 10,
    h: float = 1e-5,
    seed: int | None = None,
) -> np.ndarray:
    """Check ``analytic_grad`` against numeric derivatives at ``num_checks`` random elements.

    Prints one line per check: the numeric and analytic derivatives and their relative error
    |numeric - analytic| / max(1e-8, |numeric| + |analytic|).

    Args:
        f: scalar function of ``x``.
        x: float array, any shape.
        analytic_grad: the gradient to check, shaped like ``x``.
        num_checks: how many elements to probe (drawn with replacement).
        h: the step.
        seed: seed of the generator that picks the elements; None for a fresh one.

    Returns:
        The relative errors, shape (num_checks,).
    """
    rng = np.random.default_rng(seed)
    errors = np.zeros(num_checks)
    for i in range(num_checks):
        ix = tuple(int(rng.integers(n)) for n in x.shape)
        numeric = float(_centered_difference(f, x, ix, h))
        analytic = float(analytic_grad[ix])
        errors[i] = rel_error(numeric, analytic)
        print(f"numerical: {numeric:f} analytic: {analytic:f}, relative error: {errors[i]:e}")
    return errors

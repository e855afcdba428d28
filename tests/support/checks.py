"""Checks whose failure messages teach: the function, which output, the shapes, the worst index,
both values there, the error and the tolerance.

They take arrays and callables only, so they work the same whether the code under test runs in
this process or behind a proxy in another one. Tolerances come from grading.toml: a value passes
when |actual - expected| <= atol + rtol * |expected|, an absolute and a relative part combined
(the absolute part is what lets an entry whose true value is about 0 pass, such as the gradient
of a bias that feeds batch normalization).

Every comparison a check makes can be watched (`watch`): the diagnosis of known mistakes records
them to tell whether two implementations behave alike in one check.
"""

import contextlib
import functools
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real

import numpy as np

from .manifest import load_manifest
from .shapes import shape_rule

NUMERIC_STEP = 1e-5
"""The step h of the centered differences (f(x + h) - f(x - h)) / 2h."""


@functools.cache
def tolerance(kind: str) -> tuple[float, float]:
    """(rtol, atol) from grading.toml for a kind of check: "value" or "gradient"."""
    tolerances = load_manifest().tolerances
    if kind == "value":
        return tolerances.value_rtol, tolerances.value_atol
    if kind == "gradient":
        return tolerances.gradient_rtol, tolerances.gradient_atol
    raise ValueError(f"unknown tolerance kind {kind!r}: expected 'value' or 'gradient'")


@dataclass(frozen=True)
class Comparison:
    """One comparison a check made: what the code under test gave, and whether it was close."""

    actual: object
    """The value checked: an output, or sum(v * dx) along a direction in a directional check."""
    passed: bool
    expected: object = None
    """What it was compared with (None for a shape check)."""
    rtol: float = 0.0
    atol: float = 0.0
    shape_only: bool = False
    """Only the type and the shape were checked (assert_shape)."""


_WATCHERS: list[Callable[[Comparison], None]] = []


@contextlib.contextmanager
def watch(watcher: Callable[[Comparison], None]) -> Iterator[None]:
    """Call `watcher` with every Comparison the checks make inside the block.

    A watcher may raise to stop the check early (the diagnosis does, once a run differs from the
    one it is compared with).
    """
    _WATCHERS.append(watcher)
    try:
        yield
    finally:
        _WATCHERS.remove(watcher)


def _seen(comparison: Comparison) -> None:
    for watcher in tuple(_WATCHERS):
        watcher(comparison)


def rel_error(x: np.ndarray, y: np.ndarray) -> float:
    """CS231n's relative error: max(|x - y| / max(1e-8, |x| + |y|))."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def _number(value: float) -> str:
    return f"{value:.10g}"


def _where(index: tuple[int, ...]) -> str:
    return f" at index {index}" if index else ""


def _is_scalar(value: object) -> bool:
    return isinstance(value, (Real, np.number)) or (
        isinstance(value, np.ndarray) and value.ndim == 0
    )


def _check_type_and_shape(
    actual: object,
    expected: np.ndarray,
    name: str,
    function: str,
    *,
    tolerances: tuple[float, float] | None = None,
    rule: bool = True,
) -> None:
    """AssertionError unless `actual` is an array of expected's shape (a number for a scalar).

    `tolerances`: (rtol, atol) when expected holds the right values (not just the shape), so that
    a message may say whether actual holds them in another arrangement. `rule`: say what the shape
    is in terms of the inputs.
    """
    __tracebackhide__ = True
    wanted = "a number" if expected.ndim == 0 else f"a NumPy array of shape {expected.shape}"
    if actual is None:
        raise AssertionError(
            f"{function} returned None for {name}; it should be {wanted}. "
            f"Is {name} computed, stored in the variable that is returned, and returned?"
        )
    if expected.ndim == 0:
        if not _is_scalar(actual):
            shape = getattr(actual, "shape", None)
            raise AssertionError(
                f"{function}: {name} should be {wanted}, got a {type(actual).__name__}"
                + (f" of shape {shape}" if shape is not None else "")
                + " (use float(...) or .item() for a single value)."
            )
        return
    if not isinstance(actual, np.ndarray):
        raise AssertionError(
            f"{function}: {name} should be {wanted}, got a {type(actual).__name__}."
        )
    if actual.shape != expected.shape:
        hint = ""
        if actual.squeeze().shape == expected.squeeze().shape:
            hint = " Only axes of length 1 differ: check keepdims and the shape you return."
        elif actual.size == expected.size:
            hint = (
                " It has the right number of entries: is a reshape or transpose wrong, or missing?"
            )
            layout = _layout_hint(actual, expected, *tolerances) if tolerances else ""
            hint += f" Indeed {layout}" if layout else ""
        described = shape_rule(function, name) if rule else ""
        hint += f" ({described})" if described else ""
        raise AssertionError(
            f"{function}: {name} has shape {actual.shape}, expected {expected.shape}.{hint}"
        )


def _check_dtype(
    actual: np.ndarray, expected: np.ndarray, name: str, function: str, rtol: float, atol: float
) -> None:
    __tracebackhide__ = True
    if actual.dtype != expected.dtype:
        hint = ""
        if actual.dtype.kind in "biu" and expected.dtype.kind == "f":
            hint = (
                " Integer arrays drop fractions: create it as floats, e.g."
                " np.zeros(shape, dtype=x.dtype)."
            )
        elif actual.dtype.kind in "biuf" and np.allclose(
            actual.astype(np.float64), expected.astype(np.float64), rtol=rtol, atol=atol
        ):
            hint = (
                " The values are right: only the dtype is not. An array created without a dtype"
                " (np.zeros(shape)) is float64; np.zeros_like(x) or dtype=x.dtype keep x's."
            )
        raise AssertionError(
            f"{function}: {name} has dtype {actual.dtype}, expected {expected.dtype}.{hint}"
        )


def _value_hint(
    actual: np.ndarray, expected: np.ndarray, ok: np.ndarray, rtol: float, atol: float
) -> str:
    """A likely cause, when the pattern of the error suggests one (what is wrong in kind)."""
    if not np.all(np.isfinite(actual)):
        finite = " where every expected value is finite" if np.all(np.isfinite(expected)) else ""
        return (
            f"it holds nan or inf{finite}: an overflow (exp of large numbers?) or a division by"
            " zero. Try your code on inputs whose entries are around 1000."
        )
    if not np.any(actual) and np.any(expected):
        return "every entry is 0: is the result computed but never stored?"
    return (
        _factor_hint(actual, expected, atol)
        or _layout_hint(actual, expected, rtol, atol)
        or _border_hint(ok)
        or _offset_hint(actual, expected, rtol, atol)
    )


def _factor_hint(actual: np.ndarray, expected: np.ndarray, atol: float) -> str:
    """Every entry off by the same factor."""
    if expected.ndim == 0:
        return _scalar_factor_hint(float(actual), float(expected), atol)
    big = np.abs(expected) > 100 * atol
    if big.sum() >= 2:
        ratios = actual[big] / expected[big]
        ratio = float(np.median(ratios))
        if abs(ratio - 1) > 1e-3 and np.allclose(ratios, ratio, rtol=1e-6, atol=0):
            if np.isclose(ratio, -1):
                return "every entry has the wrong sign."
            return (
                f"every entry is {ratio:.6g} times the expected one: a factor is missing or extra"
                " (an average over N? a scale such as 1 / p?)."
            )
    return ""


def _scalar_factor_hint(actual: float, expected: float, atol: float) -> str:
    """A number that is a whole multiple (or a whole fraction) of the expected one."""
    if abs(expected) <= 100 * atol or abs(actual) <= 100 * atol:
        return ""
    for ratio, text in ((actual / expected, "{k:d} times"), (expected / actual, "1/{k:d} of")):
        k = round(ratio)
        if k >= 2 and abs(ratio - k) <= 1e-6 * k:
            return (
                f"it is {text.format(k=k)} the expected value: a sum where a mean is needed (or the"
                " reverse), or a factor too many?"
            )
    if np.isclose(actual, -expected, rtol=1e-6, atol=0):
        return "it has the wrong sign."
    return ""


def _layout_hint(actual: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> str:
    """The expected values in another arrangement: axes permuted, or the same values shuffled."""
    if actual.size != expected.size or actual.size < 2 or actual.dtype.kind not in "biuf":
        return ""
    got, want = actual.astype(np.float64), np.asarray(expected, dtype=np.float64)
    if want.ndim <= 4:
        for axes in itertools.permutations(range(want.ndim)):
            moved = want.transpose(axes)
            if axes != tuple(range(want.ndim)) and moved.shape == got.shape:
                if np.allclose(got, moved, rtol=rtol, atol=atol):
                    return (
                        f"it holds the expected values with the axes in another order (the expected"
                        f" array transposed by {axes}): a transpose missing, or one too many?"
                    )
    if np.allclose(np.sort(got, axis=None), np.sort(want, axis=None), rtol=rtol, atol=atol):
        return (
            "it holds the expected values, but in other places: a reshape where a transpose was"
            " needed first (a reshape keeps the memory order), or axes mixed up?"
        )
    return ""


def _border_hint(ok: np.ndarray) -> str:
    """Only entries on the border of images (the last two axes) are off."""
    if ok.ndim < 3 or min(ok.shape[-2:]) < 3 or ok.all():
        return ""
    if ok[..., 1:-1, 1:-1].all():
        return (
            "only entries on the border of each image (its first or last rows or columns) are off;"
            " the inside is right: look at the padding, and at the first and last window positions."
        )
    return ""


def _offset_hint(actual: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> str:
    """The error does not change along some axes: a term broadcast along them is wrong."""
    if expected.ndim == 0:
        return ""
    error = actual - expected
    allowed = atol + rtol * np.abs(expected)
    axes = [
        axis
        for axis in range(error.ndim)
        if error.shape[axis] >= 2 and np.all(np.abs(error - error.take([0], axis=axis)) <= allowed)
    ]
    if not axes:
        return ""
    if len(axes) == error.ndim:
        return "every entry is off by the same amount: a constant term is missing or extra?"
    listed = ", ".join(map(str, axes))
    return (
        f"the error is the same all along axis {listed}: a term that does not depend on that"
        " index (a bias? a mean?) is missing, extra or wrong."
    )


def assert_close(
    actual: object,
    expected: object,
    *,
    name: str,
    function: str,
    rtol: float | None = None,
    atol: float | None = None,
    kind: str = "value",
    against: str = "the expected values",
    check_dtype: bool = True,
) -> None:
    """Assert |actual - expected| <= atol + rtol * |expected| everywhere, explaining any failure.

    Args:
        actual: what the code under test returned (an array, or a number for a scalar).
        expected: the right answer, array-like.
        name: which output it is ("out", "dx", "loss", "config['m']", ...).
        function: the function that returned it ("layers.affine_backward").
        rtol, atol: tolerances; by default those of `kind` in grading.toml.
        kind: "value" for forward values, "gradient" for gradients.
        against: what `expected` is, for the message ("a numeric gradient of ...").
        check_dtype: also require actual's dtype to equal expected's, when expected is a float
            array (literal integers, as in [1, 2], set no dtype).

    Raises:
        AssertionError: naming the function and the output, with the shapes, or the worst index,
            both values there, the relative error and the tolerance.
    """
    __tracebackhide__ = True
    default_rtol, default_atol = tolerance(kind)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    expected = np.asarray(expected)
    try:
        _compare(actual, expected, name, function, rtol, atol, against, check_dtype)
    except AssertionError:
        _seen(Comparison(actual, False, expected, rtol, atol))
        raise
    _seen(Comparison(actual, True, expected, rtol, atol))


def _compare(
    actual: object,
    expected: np.ndarray,
    name: str,
    function: str,
    rtol: float,
    atol: float,
    against: str,
    check_dtype: bool,
) -> None:
    """The body of assert_close, with the tolerances settled."""
    __tracebackhide__ = True
    _check_type_and_shape(actual, expected, name, function, tolerances=(rtol, atol))
    if expected.ndim == 0:
        actual = np.asarray(actual, dtype=np.float64)
    elif check_dtype and expected.dtype.kind == "f":
        _check_dtype(actual, expected, name, function, rtol, atol)
    got = np.asarray(actual, dtype=np.float64)
    want = np.asarray(expected, dtype=np.float64)

    ok = np.isclose(got, want, rtol=rtol, atol=atol)
    if ok.all():
        return
    error = np.abs(got - want)
    allowed = atol + rtol * np.abs(want)
    excess = np.where(np.isnan(error), np.inf, error - allowed)
    worst = tuple(int(i) for i in np.unravel_index(np.argmax(excess), want.shape))
    a, e = float(got[worst]), float(want[worst])
    lines = [
        f"{function}: {name} does not match {against}.",
        f"  {name} has shape {want.shape}; {int((~ok).sum())} of {want.size} entries are off."
        if want.ndim
        else f"  {name} is a single number.",
        f"  worst{_where(worst)}: got {_number(a)}, expected {_number(e)}",
        f"    |got - expected| = {abs(a - e):.3g}, allowed atol + rtol * |expected|"
        f" = {atol:g} + {rtol:g} * {abs(e):.6g} = {allowed[worst]:.3g}",
        f"    relative error |got - expected| / max(|got|, |expected|) = "
        f"{abs(a - e) / max(abs(a), abs(e), 1e-300):.3g}",
        "  (the tolerance combines an absolute and a relative part, so entries whose true value"
        " is about 0 pass with a small absolute error)",
    ]
    hint = _value_hint(got, want, ok, rtol, atol)
    if hint:
        lines.append(f"  hint: {hint}")
    raise AssertionError("\n".join(lines))


def assert_shape(
    actual: object, shape: Sequence[int], *, name: str, function: str, hint: str = ""
) -> None:
    """Assert `actual` is a NumPy array of `shape`; `hint` (e.g. the output-size formula) is
    added to the message."""
    __tracebackhide__ = True
    try:
        _check_type_and_shape(actual, np.empty(tuple(shape)), name, function, rule=not hint)
    except AssertionError as error:
        _seen(Comparison(actual, False, shape_only=True))
        raise AssertionError(f"{error} {hint}".rstrip()) from None
    _seen(Comparison(actual, True, shape_only=True))


def assert_unchanged(before: np.ndarray, after: np.ndarray, *, name: str, function: str) -> None:
    """Assert an input array still holds its values after a call (`before` is a copy)."""
    __tracebackhide__ = True
    if not np.array_equal(before, after, equal_nan=True):
        changed = np.argwhere(before != after)
        raise AssertionError(
            f"{function} changed its input {name} ({len(changed)} entries, first at index "
            f"{tuple(int(i) for i in changed[0])}). Work on a copy, or create a new array, "
            f"instead of writing into {name}: the caller (and your cache) still needs it."
        )


def assert_param_shapes(
    params: Mapping[str, object], expected: Mapping[str, Sequence[int]], *, function: str
) -> None:
    """Assert a model's params dict has exactly the expected names, each of the expected shape."""
    __tracebackhide__ = True
    missing = sorted(set(expected) - set(params))
    extra = sorted(set(params) - set(expected))
    wrong = {
        name: (np.shape(params[name]), tuple(shape))
        for name, shape in expected.items()
        if name in params and np.shape(params[name]) != tuple(shape)
    }
    if missing or extra or wrong:
        lines = [f"{function}: params do not have the expected names and shapes."]
        if missing:
            lines.append(f"  missing: {', '.join(missing)}")
        if extra:
            lines.append(f"  unexpected: {', '.join(extra)}")
        lines += [
            f"  params[{name!r}] has shape {got}, expected {want}"
            for name, (got, want) in wrong.items()
        ]
        raise AssertionError("\n".join(lines))


def _objective(f: Callable[[np.ndarray], object], x: np.ndarray, dout: np.ndarray | None) -> float:
    """g(x) = sum(f(x) * dout), or sum(f(x)) without dout (e.g. for a scalar loss)."""
    __tracebackhide__ = True
    return _weighted(f(x.copy()), dout)


def _weighted(value: object, dout: np.ndarray | None) -> float:
    """sum(value * dout), or sum(value) without dout."""
    __tracebackhide__ = True
    out = np.asarray(value, dtype=np.float64)
    if dout is None:
        return float(out.sum())
    if out.shape != np.shape(dout):
        raise AssertionError(
            f"the forward pass returned shape {out.shape} where shape {np.shape(dout)} was expected"
        )
    return float(np.sum(out * dout))


def numeric_gradient(
    f: Callable[[np.ndarray], object],
    x: np.ndarray,
    dout: np.ndarray | None = None,
    h: float = NUMERIC_STEP,
) -> np.ndarray:
    """Gradient of g(x) = sum(f(x) * dout) by centered differences, in float64.

    Args:
        f: any callable of x returning an array (or a number, e.g. a loss); it receives a fresh
            float64 copy of x each time, so it may keep or modify what it gets.
        x: the point; never modified.
        dout: the upstream gradient, shaped like f(x); None means all ones.
        h: the step.

    Returns:
        (x.shape) float64 array: (g(x + h e_i) - g(x - h e_i)) / 2h for every index i.
    """
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        plus = _objective(f, x, dout)
        x[index] = original - h
        minus = _objective(f, x, dout)
        x[index] = original
        grad[index] = (plus - minus) / (2 * h)
    return grad


def directional_check(
    f: Callable[[np.ndarray], object],
    x: np.ndarray,
    dx: object,
    rng: np.random.Generator,
    *,
    dout: np.ndarray | None = None,
    name: str = "dx",
    function: str,
    directions: int = 3,
    h: float = NUMERIC_STEP,
    rtol: float | None = None,
    atol: float | None = None,
    many: Callable[[list[np.ndarray]], Sequence[object]] | None = None,
) -> None:
    """Check an analytic gradient against directional derivatives of the forward pass.

    For a few random unit directions v, sum(v * dx) must match (g(x + h v) - g(x - h v)) / 2h,
    where g = sum(f(.) * dout), within atol + rtol * |numeric|. Each direction costs two calls
    of f, whatever the size of x. On a failure the full numeric gradient is computed, so the
    message names the worst index.

    Args:
        f: the forward pass as a function of x alone (the other inputs fixed).
        x: the point at which dx was computed.
        dx: the analytic gradient of g at x, to check.
        rng: draws the directions.
        dout: the upstream gradient dx was computed from; None means all ones (scalar losses).
        name: which gradient ("dx", "dw", "grads['W1']"), for the message.
        function: the function that returned dx, for the message.
        directions: how many random directions.
        h: the step.
        rtol, atol: tolerances; by default the gradient tolerances of grading.toml.
        many: f at several points, in order, at once (the grader sends the calls to its worker
            together); by default f is called at each point in turn. Every point is evaluated
            before any is compared, either way, so that a forward pass that draws random numbers
            (dropout without a seed) is called as often, and in the same order, by both.

    Raises:
        AssertionError: naming the function, the gradient, the worst index and both derivatives.
    """
    __tracebackhide__ = True
    default_rtol, default_atol = tolerance("gradient")
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    x = np.array(x, dtype=np.float64)
    _check_type_and_shape(dx, x, name, function)
    analytic_grad = np.asarray(dx, dtype=np.float64)
    units = [v / np.linalg.norm(v) for v in (rng.standard_normal(x.shape) for _ in range(directions))]
    points = [x + sign * h * v for v in units for sign in (1, -1)]  # each a new array: f may keep or change it
    values = many(points) if many is not None else [f(point) for point in points]
    for index, v in enumerate(units):
        numeric = (_weighted(values[2 * index], dout) - _weighted(values[2 * index + 1], dout)) / (2 * h)
        analytic = float(np.sum(v * analytic_grad))
        if not np.isfinite(numeric):
            raise AssertionError(
                f"{function}: the forward pass returns nan or inf near this input, so {name} "
                "cannot be checked against it; fix the forward pass first."
            )
        close = abs(analytic - numeric) <= atol + rtol * abs(numeric) and np.isfinite(analytic)
        _seen(Comparison(analytic, bool(close), numeric, rtol, atol))
        if not close:
            break
    else:
        return
    against = f"a numeric gradient of the forward pass (centered differences, h={h:g})"
    assert_close(
        dx,
        numeric_gradient(f, x, dout, h),
        name=name,
        function=function,
        rtol=rtol,
        atol=atol,
        against=against,
        check_dtype=False,
    )
    raise AssertionError(
        f"{function}: {name} fails a directional check against {against}: along a random unit"
        f" direction v, sum(v * {name}) = {_number(analytic)} but the forward pass changes at rate"
        f" {_number(numeric)} (allowed difference atol + rtol * |rate| = "
        f"{atol + rtol * abs(numeric):.3g}). Every single entry is close: the error is spread thin."
    )


def unpack_grads(returned: object, names: Sequence[str], *, function: str) -> tuple:
    """What a backward pass returned, as a tuple of `len(names)` gradients.

    A single gradient (relu_backward's dx) is returned bare, several as a tuple in the order of
    `names` (("dx", "dw", "db")); anything else is an AssertionError saying what came back.
    """
    __tracebackhide__ = True
    if len(names) == 1:
        return (returned,)
    if not isinstance(returned, tuple) or len(returned) != len(names):
        count = len(returned) if isinstance(returned, (tuple, list)) else 1
        raise AssertionError(
            f"{function} should return a tuple ({', '.join(names)}), got {count} value(s)"
        )
    return returned


def check_backward(
    forward: Callable[..., tuple[object, object]],
    backward: Callable[[np.ndarray, object], object],
    inputs: Mapping[str, object],
    wrt: Sequence[str],
    rng: np.random.Generator,
    *,
    function: str,
    directions: int = 3,
) -> None:
    """Check a layer's backward pass against directional derivatives of its own forward pass.

    Runs forward(*inputs.values()) -> (out, cache), draws a random dout, runs backward(dout,
    cache) and checks each gradient it returns, named "d" + input name, in the order of `wrt`.

    Args:
        forward: the layer's forward pass. Where its type has an `each(calls, item=0)` method, the
            function called once per argument tuple, each result's [0] alone kept (the grader's
            proxy, which sends the calls to its worker together), each check's points are
            evaluated with it at once.
        backward: the layer's backward pass.
        inputs: forward's arguments in order, as a case builder returns them.
        wrt: the inputs backward returns gradients for, in order, e.g. ("x", "w", "b").
        rng: draws dout and the directions.
        function: the backward pass's name, for messages ("layers.affine_backward").
        directions: random directions per gradient.
    """
    __tracebackhide__ = True
    out, cache = forward(*inputs.values())
    dout = rng.standard_normal(np.shape(out))
    each = getattr(type(forward), "each", None)
    names = [f"d{key}" for key in wrt]
    grads = unpack_grads(backward(dout, cache), names, function=function)
    for key, grad_name, grad in zip(wrt, names, grads):

        def forward_of(value: np.ndarray, key: str = key) -> object:
            return forward(*{**inputs, key: value}.values())[0]

        def forward_at(values: list[np.ndarray], key: str = key) -> list[object]:
            return each(forward, [tuple({**inputs, key: value}.values()) for value in values], item=0)

        directional_check(
            forward_of,
            inputs[key],
            grad,
            rng,
            dout=dout,
            name=grad_name,
            function=function,
            directions=directions,
            many=None if each is None else forward_at,
        )


def check_model_gradients(
    model: object,
    X: np.ndarray,
    y: np.ndarray,
    rng: np.random.Generator,
    *,
    function: str,
    directions: int = 3,
) -> None:
    """Check model.loss(X, y)'s grads against directional derivatives of its loss, per parameter.

    Args:
        model: any object with a `params` dict and `loss(X, y) -> (loss, grads)`; its params are
            changed during the check and put back. One that also has `losses_at(key, values, X, y,
            then)` (the loss with params[key] set to each value in turn, then put back to `then`:
            the grader's remote model) gets each check's points, and the parameter put back, at once.
        X, y: the batch.
        rng: draws the directions.
        function: the model's loss, for messages ("FullyConnectedNet.loss").
        directions: random directions per parameter.
    """
    __tracebackhide__ = True
    _, grads = model.loss(X, y)
    if not isinstance(grads, dict):
        raise AssertionError(f"{function} should return (loss, grads) with grads a dict")
    params = dict(model.params.items())  # the arrays as they are now (one request for a remote model)
    missing = sorted(set(params) - set(grads))
    extra = sorted(set(grads) - set(params))
    if missing or extra:
        raise AssertionError(
            f"{function}: grads should have one entry per parameter in params; "
            f"missing {missing}, unexpected {extra}"
        )
    for key in sorted(params):
        original = params[key]
        set_one_by_one = []  # whether loss_of has changed params[key] (without `many`, or after a failure)

        def loss_of(value: np.ndarray, key: str = key, changed: list = set_one_by_one) -> float:
            changed.append(key)
            model.params[key] = value
            return model.loss(X, y)[0]

        losses_at = getattr(model, "losses_at", None)
        many = None if losses_at is None else (
            lambda values, key=key, original=original: losses_at(key, values, X, y, then=original)
        )
        try:
            directional_check(
                loss_of,
                original,
                grads[key],
                rng,
                name=f"grads[{key!r}]",
                function=function,
                directions=directions,
                many=many,
            )
        finally:
            if set_one_by_one:
                model.params[key] = original

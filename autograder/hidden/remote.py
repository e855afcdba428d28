"""What the hidden tests need on top of tests/support to work through the proxy.

- `unpack`: a returned tuple of the expected length, or a teaching AssertionError.
- `assert_inputs_kept`: the worker's record of which arguments the last call changed in place.
- `RemoteModel`: a student's model seen as `model.params` (a mapping read and written remotely)
  and `model.loss(X, y)`, the shape `checks.check_model_gradients` expects (with `losses_at`, which
  sends a check's points to the worker together).
- `twin_models`, `assert_grads_close`: a student's model and the reference's with the same
  parameters, and their gradients compared.
- `assert_dtype`: an array's dtype, with a hint on where float32 turns into float64.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, Mapping, MutableMapping, Sequence
from typing import Any

import numpy as np

from autograder.sandbox.client import RemoteObject, StudentProxy
from tests.support import cases
from tests.support.checks import assert_close


def unpack(returned: object, names: Sequence[str], function: str) -> tuple:
    """`returned` as a tuple of len(names) values, else an AssertionError naming what was expected."""
    __tracebackhide__ = True
    if isinstance(returned, (tuple, list)) and len(returned) == len(names):
        return tuple(returned)
    count = len(returned) if isinstance(returned, (tuple, list)) else 1
    raise AssertionError(f"{function} should return a tuple ({', '.join(names)}), got {count} value(s)")


def assert_inputs_kept(student: StudentProxy, names: Sequence[str], function: str) -> None:
    """Assert the last call into student code left its positional array arguments unchanged.

    Args:
        student: the proxy the call went through.
        names: the names of the call's positional arguments, in order; "" for one not to check
            (a dict such as bn_param is meant to be updated).
        function: the function called, for the message.
    """
    __tracebackhide__ = True
    last = student._worker.last
    if last is None:
        raise AssertionError(f"{function}: no record of the last call")
    changed = [name for name, flag in zip(names, last.mutated_args) if name and flag]
    if changed:
        listed = ", ".join(changed)
        raise AssertionError(
            f"{function} changed its input {listed} in place (an in-place operation such as -=, *= or"
            f" an assignment into a slice of it). Work on a new array instead: the caller still needs"
            f" {listed} as it was, and so may your cache."
        )


class RemoteParams(MutableMapping):
    """A remote model's `params` dict: reads fetch an array, assignments send one."""

    def __init__(self, remote: RemoteObject):
        self._remote = remote

    def __getitem__(self, name: str) -> np.ndarray:
        return self._remote.get("params", name)

    def __setitem__(self, name: str, value: np.ndarray) -> None:
        self._remote.set("params", name, value)

    def __delitem__(self, name: str) -> None:
        raise TypeError("the hidden tests never delete a parameter")

    def _fetch(self) -> dict[str, Any]:
        params = self._remote.get("params")
        if not isinstance(params, dict):
            raise AssertionError(f"{self._remote.type_name}.params should be a dict, got {type(params).__name__}")
        return params

    def items(self) -> ItemsView[str, Any]:
        """Every name and array, fetched in one request (a Mapping's own `items` fetches them one by one)."""
        return self._fetch().items()

    def __iter__(self) -> Iterator[str]:
        return iter(self._fetch())

    def __len__(self) -> int:
        return len(self._fetch())


class RemoteModel:
    """A student's model in the worker, with the interface of a local one (`params`, `loss`)."""

    def __init__(self, remote: RemoteObject):
        self.remote = remote
        self.params = RemoteParams(remote)

    @classmethod
    def create(cls, student: StudentProxy, path: str, **init: Any) -> RemoteModel:
        """Construct the class at `path` in the package ("classifiers.fc_net.TwoLayerNet") with `init`."""
        constructor = student
        for name in path.split("."):
            constructor = getattr(constructor, name)
        made = constructor(**init)
        if not isinstance(made, RemoteObject):
            raise AssertionError(f"{path}(...) should make a model object, got {type(made).__name__}")
        return cls(made)

    def loss(self, X: np.ndarray, y: np.ndarray | None = None) -> Any:
        return self.remote.loss(X) if y is None else self.remote.loss(X, y)

    def losses_at(
        self, key: str, values: Sequence[np.ndarray], X: np.ndarray, y: np.ndarray, then: np.ndarray
    ) -> list[Any]:
        """`loss(X, y)[0]` with params[key] set to each of `values` in turn, then to `then` (the value
        put back), the requests sent to the worker together (Worker.set_then_call)."""
        worker = self.remote._worker
        return worker.set_then_call(self.remote, ("params", key), values, "loss", X, y, item=0, then=then)

    def get(self, *path: str | int) -> Any:
        return self.remote.get(*path)

    def load(self, params: Mapping[str, np.ndarray]) -> None:
        """Set every parameter in `params` (arrays are copied on the way), the requests sent together."""
        self.remote._worker.set_each(self.remote, [("params", name, value) for name, value in params.items()])


def twin_models(
    student: StudentProxy, path: str, reference_class: type, init: Mapping[str, Any], rng: np.random.Generator
) -> tuple[RemoteModel, Any]:
    """The student's model and the reference's, made with `init` and given the same random params.

    The params are drawn for the reference model's names and shapes (tests.support.cases.random_params)
    and loaded into both, so their scores, losses and gradients must agree.
    """
    model = RemoteModel.create(student, path, **init)
    expected = reference_class(**init)
    params = cases.random_params(rng, {name: value.shape for name, value in expected.params.items()})
    expected.params = {name: value.copy() for name, value in params.items()}
    model.load(params)
    return model, expected


def assert_grads_close(grads: object, expected: Mapping[str, np.ndarray], function: str) -> None:
    """Assert `grads` is a dict with the keys of `expected`, each close to it (gradient tolerance)."""
    __tracebackhide__ = True
    if not isinstance(grads, dict):
        raise AssertionError(f"{function} should return (loss, grads) with grads a dict, got {type(grads).__name__}")
    missing, extra = sorted(set(expected) - set(grads)), sorted(set(grads) - set(expected))
    if missing or extra:
        raise AssertionError(
            f"{function}: grads should have one entry per parameter; missing {missing}, unexpected {extra}"
        )
    for name in sorted(expected):
        assert_close(
            grads[name], expected[name], name=f"grads[{name!r}]", function=function, kind="gradient",
            against="the reference gradient (same parameters)",
        )


def assert_dtype(value: object, dtype: type | np.dtype, name: str, function: str) -> None:
    """Assert `value` is an array of `dtype`."""
    __tracebackhide__ = True
    got = np.asarray(value).dtype
    if got != np.dtype(dtype):
        raise AssertionError(
            f"{function}: {name} has dtype {got}, expected {np.dtype(dtype)}. A float32 computation turns"
            " into float64 where an array is created without a dtype (np.zeros(shape) is float64);"
            " np.zeros_like(x) or dtype=x.dtype keep the input's dtype."
        )

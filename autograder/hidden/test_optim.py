"""Hidden checks of the update rules: one step, the returned state, defaults, and trajectories."""

import copy

import numpy as np
import pytest
from backprop import optim as reference

from autograder.hidden.remote import unpack
from tests.support import cases
from tests.support.checks import assert_close, assert_shape

pytestmark = pytest.mark.optim

RULES = ["sgd_momentum", "rmsprop", "adam"]
SHAPES = [pytest.param((4, 3), id="4x3"), pytest.param((2, 3, 2), id="2x3x2")]
STEPS = 6


def _step(student, rule: str, w, dw, config) -> tuple:
    """The student's (next_w, config); config None is left out of the call."""
    function = getattr(student.optim, rule)
    returned = function(w, dw) if config is None else function(w, dw, copy.deepcopy(config))
    next_w, new_config = unpack(returned, ("next_w", "config"), f"optim.{rule}")
    if not isinstance(new_config, dict):
        got = type(new_config).__name__
        raise AssertionError(f"optim.{rule} should return (next_w, config) with config a dict, got {got}")
    return next_w, new_config


def _assert_config(config: dict, expected: dict, function: str) -> None:
    """Every key the reference's config holds (hyperparameters and state), with the same values."""
    __tracebackhide__ = True
    for key, want in expected.items():
        if key not in config:
            raise AssertionError(f"{function}: the returned config has no {key!r}; the next step needs it")
        assert_close(config[key], want, name=f"config[{key!r}]", function=function)


@pytest.mark.check("value")
@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("shape", SHAPES)
def test_one_step_matches_reference(student, rng, rule, shape):
    case = cases.optim_case(rng, rule, shape)
    next_w, _ = _step(student, rule, case["w"], case["dw"], case["config"])
    expected, _ = getattr(reference, rule)(case["w"], case["dw"], copy.deepcopy(case["config"]))
    assert_close(next_w, expected, name="next_w", function=f"optim.{rule} (one step, running state given)")


@pytest.mark.check("state")
@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("state", [True, False], ids=["running", "fresh"])
def test_returned_config_holds_the_new_state(student, rng, rule, state):
    case = cases.optim_case(rng, rule, (3, 5), state=state)
    _, config = _step(student, rule, case["w"], case["dw"], case["config"])
    _, expected = getattr(reference, rule)(case["w"], case["dw"], copy.deepcopy(case["config"]))
    where = "running state given" if state else "starting from no state"
    _assert_config(config, expected, f"optim.{rule} (one step, {where})")


@pytest.mark.check("edge")
@pytest.mark.parametrize("rule", RULES)
def test_defaults_when_config_is_none(student, rng, rule):
    w, dw = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    next_w, config = _step(student, rule, w, dw, None)
    expected_w, expected_config = getattr(reference, rule)(w, dw)
    function = f"optim.{rule}(w, dw) (config=None: every hyperparameter takes its default)"
    assert_close(next_w, expected_w, name="next_w", function=function)
    _assert_config(config, expected_config, function)


@pytest.mark.check("value")
@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("shape", SHAPES)
def test_trajectory_matches_reference(student, rng, rule, shape):
    case = cases.optim_case(rng, rule, shape, state=False)
    w, config = case["w"], case["config"]
    expected_w, expected_config = w.copy(), copy.deepcopy(config)
    for step in range(1, STEPS + 1):
        dw = rng.standard_normal(shape)
        w, config = _step(student, rule, w, dw, config)
        expected_w, expected_config = getattr(reference, rule)(expected_w, dw, expected_config)
        function = f"optim.{rule} (step {step} of {STEPS}, each step fed the config the previous one returned)"
        assert_close(w, expected_w, name="next_w", function=function)
    _assert_config(config, expected_config, f"optim.{rule} (after {STEPS} steps)")


@pytest.mark.check("shape")
@pytest.mark.parametrize("rule", RULES)
def test_float32_stays_float32(student, rng, rule):
    case = cases.with_dtype(cases.optim_case(rng, rule, (5, 2)), np.float32)
    next_w, _ = _step(student, rule, case["w"], case["dw"], case["config"])
    expected, _ = getattr(reference, rule)(case["w"], case["dw"], copy.deepcopy(case["config"]))
    assert_shape(next_w, (5, 2), name="next_w", function=f"optim.{rule}", hint="(next_w has w's shape)")
    assert_close(next_w, expected, name="next_w (float32 w and dw)", function=f"optim.{rule}", rtol=1e-5, atol=1e-6)

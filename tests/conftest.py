"""Pytest plugin of the public tests.

`--impl` (declared in the root conftest.py) picks the backprop package under test: `exercises`
(the default, your code), `solutions`, or the path of any folder holding a backprop/ package.

Every test carries one part marker from grading.toml (`pytest -m affine` runs one part), a test
that stops on a stub's NotImplementedError is reported as "not started", and a table per part
ends the run. The hooks live in tests/support/plugin.py.
"""

import zlib

import numpy as np
import pytest

from .support.manifest import load_manifest
from .support.plugin import PartsPlugin, use_impl


def pytest_configure(config: pytest.Config) -> None:
    impl = use_impl(config.getoption("impl"))
    config.pluginmanager.register(PartsPlugin(impl, load_manifest()), "backprop-parts")


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """A generator seeded from the test's id: the same draws on every run, different per test."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


@pytest.fixture
def global_seed():
    """Seed NumPy's global generator with 0 for one test and restore its state afterwards.

    Only for code that draws from it by CS231n's design: model initialisation and dropout's
    `seed` key.
    """
    state = np.random.get_state()
    np.random.seed(0)
    yield
    np.random.set_state(state)

"""Where workers fork from a zygote, the zygote imports numpy.random ahead (NumPy would import it on
the first draw, in every part's worker), and each worker still draws numbers of its own."""

from __future__ import annotations

import pytest

from autograder.sandbox import StudentProxy

MODULE = """
    import sys

    import numpy as np

    def random_module_imported():
        return "numpy.random" in sys.modules

    def draw():
        return np.random.rand(4)
"""


@pytest.fixture
def worker(spawn):
    made = spawn({"layers.py": MODULE})
    if not made.isolation.jail:
        pytest.skip("workers fork from a zygote only in a jail")
    return made


def test_numpy_random_is_imported_before_the_first_draw(worker):
    assert StudentProxy(worker).layers.random_module_imported() is True


def test_each_part_draws_numbers_of_its_own(worker):
    layers = StudentProxy(worker).layers
    draws = []
    for _ in range(3):
        draws.append(layers.draw())
        worker.fresh()  # the next part
    assert all((a != b).all() for a, b in zip(draws, draws[1:]))

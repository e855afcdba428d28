"""Where workers fork from a zygote, the package's modules are compiled once, ahead, by a child of
the zygote that runs none of them: each part's worker imports them from that bytecode."""

from __future__ import annotations

import pytest

from autograder.sandbox import StudentError, StudentProxy

MODULE = """
    import os

    with open("/tmp/imports", "a") as log:
        log.write("imported\\n")

    def compiled_ahead():
        return os.path.isfile(__cached__)

    def imports():
        with open("/tmp/imports") as log:
            return len(log.readlines())
"""


@pytest.fixture
def worker(spawn):
    made = spawn({"layers.py": MODULE, "broken.py": "def f(:\n    pass\n"})
    if not made.isolation.jail:
        pytest.skip("workers fork from a zygote only in a jail")
    return made


def test_each_part_imports_the_bytecode_compiled_ahead(worker):
    student = StudentProxy(worker)
    for _ in range(2):
        assert student.layers.compiled_ahead() is True  # workers run with -B: they never write a .pyc
        worker.fresh()


def test_compiling_ahead_runs_no_module_code(worker):
    assert StudentProxy(worker).layers.imports() == 1  # the worker's own import alone


def test_a_module_that_does_not_compile_is_still_the_students_error_at_import(worker):
    with pytest.raises(StudentError) as caught:
        StudentProxy(worker).broken.f()
    assert caught.value.kind == "SyntaxError" and caught.value.phase == "import"

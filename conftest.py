"""Declares the public tests' `--impl` option at the root, so that pytest knows it before it reads
the command line: `pytest --impl solutions` then works as written. Everything else lives in
tests/conftest.py."""

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--impl",
        default="exercises",
        metavar="PATH",
        help="folder holding the backprop/ package the public tests test: exercises (default), "
        "solutions, or a path (relative paths start at the folder of grading.toml)",
    )

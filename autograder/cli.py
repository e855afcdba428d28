"""The command line: a thin wrapper over the public API (`build`, `grade`, ...)."""

from __future__ import annotations

import sys

import click

from autograder import build as build_module


@click.group()
def main() -> None:
    """backprop's tooling: build the student stubs, grade submissions."""


@main.command()
@click.option("--check", is_flag=True, help="Exit 1 when exercises/ is out of date instead of writing it.")
def build(check: bool) -> None:
    """Write exercises/backprop/ from solutions/backprop/ (solution regions become stubs)."""
    try:
        if check:
            stale = build_module.stale_files()
            if stale:
                click.echo("exercises/ is out of date; run `python -m autograder build`. Stale files:", err=True)
                for name in stale:
                    click.echo(f"  {name}", err=True)
                sys.exit(1)
            click.echo("exercises/ is in sync with solutions/")
            return
        written = build_module.build()
    except build_module.BuildError as error:
        click.echo(f"build failed: {error}", err=True)
        sys.exit(2)
    click.echo(f"wrote {len(written)} file(s) to exercises/backprop/")

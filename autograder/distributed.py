"""Grade a batch on a Dask distributed cluster (`grade-batch --scheduler ADDRESS`).

Each submission is one task, `batch.grade_files(job)`: the worker grades it in a scratch folder of
its own and sends the files back, and the batch writes them exactly as a local run does, so both
give the same results. The workers need what a local run needs: this kit at the same path, with
its root importable (`PYTHONPATH=<kit>`, or workers started in it), Python 3.11 with the kit's
dependencies, and the class folder and grading.toml at the same paths (a shared file system).

Dask is an optional extra (`pip install 'backprop-kit[cluster]'`); the student package never
needs it, and nothing imports this module unless a scheduler is given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from autograder.batch import BatchError, Job, deliver, grade_files

INSTALL = "pip install 'backprop-kit[cluster]'"
CONNECT_TIMEOUT_S = 30.0
"""Seconds to wait for the scheduler to answer."""


def run_on_cluster(jobs: Sequence[Job], address: str, work: Callable[[Job], Path]) -> Iterator[Job]:
    """Grade `jobs` on the Dask scheduler at `address`; yield each job once `work(job)` holds its files.

    A task that fails (its worker died, the files could not come back) yields a record of why, so
    that the rest of the batch goes on. Stopping early cancels the tasks not yet done.

    Raises:
        BatchError: Dask is not installed, or the scheduler cannot be reached.
    """
    try:
        from distributed import Client, as_completed
    except ImportError as error:
        raise BatchError(f"grading on a Dask cluster needs Dask: {INSTALL}") from error
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT_S)
    except OSError as error:
        raise BatchError(f"cannot reach the Dask scheduler at {address}: {error}") from error
    with client:
        futures = {client.submit(grade_files, job, pure=False): job for job in jobs}
        try:
            for future in as_completed(futures):
                job = futures[future]
                try:
                    deliver(work(job), job, future.result())
                except Exception as error:  # reported for this student; the batch goes on
                    deliver(work(job), job, None, f"the Dask task failed: {type(error).__name__}: {error}")
                yield job
        finally:
            client.cancel(list(futures))

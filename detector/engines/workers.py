"""The chunked engine's worker processes: a standard-library process pool.

A new worker has to start Python and import what scoring needs, so the engine starts the pool
before it plans its run, and each worker warms up (:func:`_warm_up`) while this process plans.
Starting it earlier still, from the command line before this process imports pandas, was
measured and gained nothing: the processes then only compete for the same cores.
"""

from __future__ import annotations

import importlib
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from typing import Any

from detector import _jit
from detector._heap import map_large_allocations
from detector.errors import ResourceError

PROCESSES_FROM_ROWS = 4_000_000
"""Input size from which the chunked engine runs on worker processes by default; below it, it
scores on threads in this process. Starting a worker costs an interpreter start and imports,
while threads run somewhat slower than processes (numpy and the kernels release the GIL, pandas'
code does not): the start-up cost outweighs the threads' loss on small inputs and is small
beside the work on large ones (see BENCHMARKS.md, Speed: kernels and threads)."""


class Workers:
    """Worker processes shared by the spill and the scoring of one run, started on first use
    (``spawn``: no lock of this process's threads is inherited) and stopped at exit.

    The standard library's pool rather than joblib's loky: loky restarts a worker whose memory
    grew by 300 MB since its first task, and a worker that receives the scorer grows that much,
    so each was started twice per run, paying its start-up again.
    """

    def __init__(self, processes: int, name: str) -> None:
        self.processes, self.name = processes, name
        self.pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start the workers now, each importing what scoring needs while this process plans."""
        if self.pool is None:
            context = multiprocessing.get_context("spawn")
            self.pool = ProcessPoolExecutor(self.processes, mp_context=context)
            for _ in range(self.processes):
                self.pool.submit(_warm_up)

    def map(self, function: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]) -> Iterator[Any]:
        """``function(*task)`` for each task on the workers, in task order, as they finish; a
        killed worker gives a one-line :class:`ResourceError` with the remedy."""
        self.start()
        assert self.pool is not None
        try:
            yield from self.pool.map(function, *zip(*tasks, strict=True))
        except BrokenExecutor as error:  # a worker was killed (often: out of memory)
            raise ResourceError(
                f"{self.name}: a worker process of the chunked engine stopped unexpectedly "
                f"({type(error).__name__}; often out of memory): use more, smaller buckets "
                "(--partitions) or one process (DETECTOR_THREADS=1)"
            ) from error

    def stop(self) -> None:
        """Stop the workers without waiting for them to exit: every unit is done
        and no file of the run is open in them; they end while the report is written."""
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        if kind is not None and self.pool is not None:  # interrupted or failed: end them now,
            # before the spill folder they may be writing into is removed
            for process in list(getattr(self.pool, "_processes", {}).values()):
                process.terminate()
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        self.stop()


def _warm_up() -> None:
    """Import the feature and report modules and prepare numba while this process plans (a
    cost otherwise paid by each worker's first unit)."""
    map_large_allocations()  # as the command's own process does (detector._heap)
    for module in ("detector.features", "detector.report", "detector.calibrate"):
        importlib.import_module(module)
    _jit.prepare()

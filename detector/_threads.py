"""Row-chunked work on a few threads, for numpy code that releases the GIL.

numpy's gathers, comparisons and arithmetic on arrays of thousands of elements run without the
GIL, so a function that scores rows ``start:stop`` with such operations scales across cores when
consecutive chunks of rows are given to a few threads. The number of threads is the number of
CPUs this process may use, or ``DETECTOR_THREADS`` when set (``1`` turns threading off, e.g. in
the workers of an engine that already runs one process per core).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
Item = TypeVar("Item")

ENV = "DETECTOR_THREADS"
_local = threading.local()


def mark_worker_thread() -> None:
    """Mark the calling thread as one of a pool's: :func:`cpu_threads` is then 1 on it, so that
    work it starts runs on it rather than on more threads than there are CPUs."""
    _local.worker = True


def cpu_threads() -> int:
    """Threads to use: 1 on a thread marked by :func:`mark_worker_thread`, else
    ``DETECTOR_THREADS`` if set, else the CPUs available to this process."""
    if getattr(_local, "worker", False):
        return 1
    value = os.environ.get(ENV, "").strip()
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            raise ValueError(f"{ENV} must be a whole number, got {value!r}") from None
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def map_row_chunks(
    fn: Callable[[int, int], T], n_rows: int, chunk_rows: int, threads: int | None = None
) -> list[T]:
    """``fn(start, stop)`` for consecutive chunks of ``chunk_rows`` rows, in order.

    Runs on up to ``threads`` threads (default :func:`cpu_threads`); on the calling thread alone
    when there is one chunk or one thread.
    """
    chunk_rows = max(1, int(chunk_rows))
    bounds = [(start, min(start + chunk_rows, n_rows)) for start in range(0, n_rows, chunk_rows)]
    threads = min(cpu_threads() if threads is None else max(1, int(threads)), len(bounds))
    if getattr(_local, "worker", False):  # already on one of several threads
        threads = 1
    if threads <= 1:
        return [fn(start, stop) for start, stop in bounds]
    with ThreadPoolExecutor(threads, thread_name_prefix="detector") as pool:
        return list(pool.map(lambda bound: fn(*bound), bounds))


def map_threads(function: Callable[[Item], T], items: Iterable[Item], threads: int) -> Iterator[T]:
    """``function`` of each item on up to ``threads`` threads, the results in order as they
    come. Its threads are marked (:func:`mark_worker_thread`): what they start runs on them."""
    with ThreadPoolExecutor(
        max(1, threads), thread_name_prefix="detector-slice", initializer=mark_worker_thread
    ) as pool:
        yield from pool.map(function, items)

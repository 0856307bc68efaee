"""Progress of long work: library code names its stages and counts what it has done; whoever runs
it decides what, if anything, is shown.

Nothing is shown unless a caller installs a reporter with :func:`reporting` (the command line
installs :class:`TerminalProgress`: bars on stderr when it is a terminal, timings with
``--verbose``). Stages nest; :func:`advance` counts on the innermost one, so that a loop deep in
an engine needs no reporter passed down to it. Only the thread that opened a stage should open or
close stages; any thread may count.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any, Protocol


class Stage(Protocol):
    """One stage of work being counted."""

    def advance(self, amount: float = 1) -> None:
        """``amount`` more done."""

    def update(self, completed: float, total: float | None = None) -> None:
        """So much done of so much (for work that reports its own totals, as Dask does)."""


class Progress(Protocol):
    """What shows progress: opens a :class:`Stage` per stage of work."""

    counts: bool
    """Whether counts are shown (else only stages and their times): work that costs to count,
    as reading a file through a counting wrapper does, counts only when they are."""

    def stage(self, name: str, total: float | None, unit: str) -> Any:
        """A context manager giving the :class:`Stage` of ``name`` (``total`` in ``unit``:
        "likes", "bytes", "creators", ...; None when unknown)."""


class _Silent:
    """The stage of no reporter: counts go nowhere."""

    def advance(self, amount: float = 1) -> None:
        pass

    def update(self, completed: float, total: float | None = None) -> None:
        pass


_SILENT = _Silent()
_active: list[Progress] = []
_open: list[Stage] = []


@contextmanager
def reporting(progress: Progress | None) -> Iterator[None]:
    """Show the progress of the work inside the block with ``progress`` (None: nothing)."""
    if progress is None:
        yield
        return
    _active.append(progress)
    try:
        yield
    finally:
        _active.remove(progress)


def counting() -> bool:
    """Whether a reporter shows counts (see :attr:`Progress.counts`)."""
    return bool(_active) and _active[-1].counts


@contextmanager
def stage(name: str, total: float | None = None, unit: str = "") -> Iterator[Stage]:
    """A stage of work; its :class:`Stage` counts what is done."""
    if not _active:
        yield _SILENT
        return
    with _active[-1].stage(name, total, unit) as opened:
        _open.append(opened)
        try:
            yield opened
        finally:
            _open.remove(opened)


def advance(amount: float = 1) -> None:
    """Count ``amount`` done on the innermost stage open (nothing without one)."""
    if _open:
        _open[-1].advance(amount)


@contextmanager
def polled(position: Callable[[], float], counted: Stage, every: float = 0.1) -> Iterator[None]:
    """Count on ``counted``, while the block runs, a ``position`` read every ``every`` seconds on
    another thread: the offset of a file that a reader reporting nothing (Arrow's CSV reader)
    reads, so that counting costs the reader nothing."""
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(every):
            counted.update(position())

    watcher = threading.Thread(target=poll, name="detector-progress", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()
    counted.update(position())


# --- the command line's reporter ------------------------------------------------------------


def _amount(value: float, unit: str) -> str:
    if unit == "bytes":
        for size, suffix in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
            if value >= size:
                return f"{value / size:.1f} {suffix}"
        return f"{value:.0f} B"
    return f"{value:,.0f}"


SHORT = 36
"""Longest stage name on a bar: a long path leaves the bar room (the timings keep it whole)."""


def _short(name: str) -> str:
    return name if len(name) <= SHORT else name[: SHORT // 2 - 1] + "…" + name[-(SHORT // 2) :]


def _with_unit(value: float, unit: str) -> str:
    """An amount and its unit: 12.5 MiB, 1,234 likes."""
    return _amount(value, unit) if unit == "bytes" else f"{_amount(value, unit)} {unit}".strip()


class TerminalProgress:
    """Bars on ``stream`` (stderr) with counts and time left, when ``bars``; one ``time:`` line
    per stage when it ends, with ``timings`` (``--verbose``)."""

    def __init__(
        self,
        bars: bool,
        timings: bool,
        stream: IO[str] | None = None,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.counts = bars
        self.timings = timings
        self.stream = stream or sys.stderr
        self.say = say or (lambda line: print(line, file=self.stream))
        self._bars: Any = None
        self._lock = threading.Lock()

    def __enter__(self) -> TerminalProgress:
        if self.counts:
            # cold start: rich only when bars are drawn
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.table import Column

            self._bars = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}", table_column=Column(no_wrap=True)),
                BarColumn(bar_width=24),
                TextColumn("{task.fields[counts]}", table_column=Column(no_wrap=True)),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
                transient=True,  # the report follows on a clean screen
                redirect_stdout=False,  # stdout carries the report
            )
            self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bars is not None:
            self._bars.stop()
            self._bars = None

    @contextmanager
    def stage(self, name: str, total: float | None, unit: str) -> Iterator[Stage]:
        started = time.perf_counter()
        opened = _BarStage(self, name, total, unit)
        try:
            yield opened
        finally:
            opened.close()
            if self.timings:
                line = f"time: {name}: {time.perf_counter() - started:.2f} s"
                if opened.done:
                    line += f" ({_with_unit(opened.done, unit)})"
                if self._bars is not None:
                    self._bars.console.print(line, highlight=False, markup=False)
                else:
                    self.say(line)


class _BarStage:
    def __init__(self, owner: TerminalProgress, name: str, total: float | None, unit: str):
        self.owner, self.unit, self.total, self.done = owner, unit, total, 0.0
        self.task = None
        if owner._bars is not None:
            self.task = owner._bars.add_task(_short(name), total=total, counts=self._counts())

    def _counts(self) -> str:
        if self.total is None:
            return _with_unit(self.done, self.unit) if self.done else ""
        done = _amount(self.done, self.unit)
        return f"{done}/{_with_unit(self.total, self.unit)}"

    def advance(self, amount: float = 1) -> None:
        with self.owner._lock:
            self.done += amount
            self._show()

    def update(self, completed: float, total: float | None = None) -> None:
        with self.owner._lock:
            self.done = completed
            self.total = total if total is not None else self.total
            self._show()

    def _show(self) -> None:
        bars = self.owner._bars
        if bars is not None and self.task is not None:
            bars.update(self.task, completed=self.done, total=self.total, counts=self._counts())

    def close(self) -> None:
        bars = self.owner._bars
        if bars is not None and self.task is not None:
            bars.remove_task(self.task)

"""Progress: what the stages count, and what the command line shows (bars only on a terminal,
nothing with --quiet, timings with --verbose)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from typer.testing import CliRunner

from detector import progress
from detector.cli import app
from detector.io import load_likes
from detector.progress import TerminalProgress, reporting


@dataclass
class Recorded:
    total: float | None
    unit: str
    done: float = 0.0

    def advance(self, amount: float = 1) -> None:
        self.done += amount

    def update(self, completed: float, total: float | None = None) -> None:
        self.done = completed
        self.total = total if total is not None else self.total


class Recorder:
    """A reporter that keeps every stage it was told of, by name."""

    counts = True

    def __init__(self) -> None:
        self.stages: dict[str, Recorded] = {}

    @contextmanager
    def stage(self, name: str, total: float | None, unit: str) -> Iterator[Recorded]:
        self.stages[name] = Recorded(total, unit)
        yield self.stages[name]


def test_without_a_reporter_nothing_is_counted():
    assert not progress.counting()
    with progress.stage("anything", 10, "likes") as counted:
        counted.advance(3)
        progress.advance(2)  # goes nowhere, and does not fail


def test_reading_a_csv_counts_its_bytes_and_scoring_its_likes(test_world, shipped_model, tmp_path):
    likes, _ = test_world
    path = tmp_path / "likes.csv"
    likes.drop(columns=["creator_category"], errors="ignore").to_csv(path, index=False)
    recorder = Recorder()
    with reporting(recorder):
        read = load_likes(path)
        shipped_model.report(read)
    reading = recorder.stages[f"reading {path}"]
    assert reading.unit == "bytes" and reading.total == reading.done == path.stat().st_size
    assert f"checking {path}" in recorder.stages
    scoring = recorder.stages["scoring"]
    assert scoring.unit == "likes" and scoring.total == scoring.done == len(read)


def test_a_compressed_csv_counts_its_compressed_bytes(test_world, tmp_path):
    likes, _ = test_world
    path = tmp_path / "likes.csv.gz"
    likes.drop(columns=["creator_category"], errors="ignore").to_csv(path, index=False)
    recorder = Recorder()
    with reporting(recorder):
        read = load_likes(path)
    assert len(read) == len(likes)
    reading = recorder.stages[f"reading {path}"]
    assert reading.total == reading.done == path.stat().st_size


def test_slices_count_their_likes(test_world, shipped_model):
    from detector.scoring.pipeline import report_in_slices

    likes, _ = test_world
    recorder = Recorder()
    with reporting(recorder), progress.stage("scoring", len(likes), "likes") as counted:
        report = report_in_slices(shipped_model, likes, "creator", threads=2, slice_rows=500)
    assert report is not None
    assert counted.done == len(likes)


def test_timings_are_one_line_per_stage(test_world, shipped_model):
    likes, _ = test_world
    lines: list[str] = []
    with TerminalProgress(bars=False, timings=True, say=lines.append) as shown, reporting(shown):
        shipped_model.report(likes)
    assert len(lines) == 1 and lines[0].startswith("time: scoring: ")
    assert lines[0].endswith(f" s ({len(likes):,} likes)")


@pytest.fixture
def noted_csv(world, tmp_path):
    """A likes CSV whose header has a name with a space around it (reading notes it)."""
    likes, _ = world
    path = tmp_path / "likes.csv"
    likes.rename(columns={"followers": " followers"}).to_csv(path, index=False)
    return path


def test_quiet_silences_notes_verbose_adds_timings(noted_csv):
    runner = CliRunner()
    plain = runner.invoke(app, ["score", str(noted_csv), "--format", "csv"])
    assert plain.exit_code == 0, plain.stderr
    assert "note:" in plain.stderr and "time:" not in plain.stderr
    quiet = runner.invoke(app, ["score", str(noted_csv), "--format", "csv", "--quiet"])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    assert quiet.stdout == plain.stdout
    verbose = runner.invoke(app, ["score", str(noted_csv), "--format", "csv", "-v"])
    for stage in (f"reading {noted_csv}", "loading the model", "scoring", "writing the report"):
        assert f"time: {stage}: " in verbose.stderr
    assert verbose.stdout == plain.stdout


def _score_on_a_terminal(args: list[str]) -> tuple[str, str]:
    """Run the command line with stderr on a pseudo-terminal: (stdout, what the terminal got)."""
    main, child = pty.openpty()
    done = subprocess.run(
        [sys.executable, "-m", "detector", *args],
        stdout=subprocess.PIPE,
        stderr=child,
        env={**os.environ, "COLUMNS": "120"},
        timeout=300,
        check=False,
    )
    os.close(child)
    screen = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closed once its writer exited
            break
        if not chunk:
            break
        screen += chunk
    os.close(main)
    assert done.returncode == 0, screen.decode(errors="replace")[-2000:]
    return done.stdout.decode(), screen.decode(errors="replace")


def test_bars_go_to_a_terminal_only_and_stdout_keeps_the_report(noted_csv):
    report, screen = _score_on_a_terminal(["score", str(noted_csv), "--format", "csv"])
    assert "scoring" in screen and "likes" in screen and "━" in screen  # a bar was drawn
    assert report.startswith("creator_id,") and "━" not in report
    piped = subprocess.run(
        [sys.executable, "-m", "detector", "score", str(noted_csv), "--format", "csv"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "━" not in piped.stderr  # not a terminal: no bar
    assert piped.stdout == report
    _, quiet = _score_on_a_terminal(["score", str(noted_csv), "--format", "csv", "--quiet"])
    assert quiet.strip() == ""

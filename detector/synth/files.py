"""Worlds written to disk: the whole world in CSV or Parquet, or a large world in Parquet parts
with memory bounded by one chunk of creators. Files go through the command line's atomic write
(:func:`detector.output.atomic_write`: temporary files a later run recognises and removes,
special files refused, symlinks written through), so an interruption leaves the previous files
whole."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from detector.output import atomic_write, staged
from detector.synth.params import SimulationParams
from detector.synth.plan import make_plan
from detector.synth.populations import generate_mixed_world
from detector.synth.world import count_likes, creators_frame, generate_world, likes_in_chunks


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """CSV with ISO 8601 UTC timestamps ("2026-06-01T12:34:56Z")."""
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            naive = out[col].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[s]")
            out[col] = np.strings.add(np.datetime_as_string(naive, unit="s"), "Z")
    atomic_write(path, lambda tmp: out.to_csv(tmp, index=False))


def write_world(
    outdir: str | Path,
    n_creators: int,
    seed: int,
    *,
    params: SimulationParams | None = None,
    inflated_share: float = 0.5,
    fmt: str = "csv",
    populations: tuple[str, ...] | None = None,
) -> tuple[Path, Path]:
    """Write ``OUTDIR/likes.csv`` (or ``likes.parquet``) and ``OUTDIR/creators.csv``.

    With ``populations``, the world is :func:`generate_mixed_world` (``n_creators`` per
    population) and ``params`` must be None.

    Timestamps in CSV are ISO 8601 UTC (``2026-06-01T12:34:56Z``). Each file is written to a
    temporary file in ``outdir``; both are moved into place at the end, or neither.

    Returns
    -------
    (likes_path, creators_path) : tuple of Path
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', got {fmt!r}")
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    if populations is not None:
        if params is not None:
            raise ValueError("give params or populations, not both")
        likes, creators = generate_mixed_world(
            n_creators, seed, populations, inflated_share=inflated_share
        )
    else:
        likes, creators = generate_world(
            n_creators, seed, params=params, inflated_share=inflated_share
        )
    likes_path = out / f"likes.{fmt}"
    creators_path = out / "creators.csv"
    with staged():  # both files or neither
        if fmt == "csv":
            _write_csv(likes, likes_path)
        else:
            atomic_write(likes_path, lambda tmp: likes.to_parquet(tmp, index=False))
        _write_csv(creators, creators_path)
    return likes_path, creators_path


def write_world_parquet_chunked(
    outdir: str | Path,
    n_creators: int,
    seed: int,
    *,
    params: SimulationParams | None = None,
    inflated_share: float = 0.5,
    creators_per_chunk: int = 200,
) -> tuple[Path, Path]:
    """Write a large world as ``OUTDIR/likes/part-00000.parquet``, ... plus ``creators.csv``.

    Memory is bounded by one chunk of creators. The parts, concatenated in order, equal
    ``generate_world(n_creators, seed, ...)[0]`` for any ``creators_per_chunk``. The parts are
    written to a temporary directory that replaces ``OUTDIR/likes`` at the end.

    Returns
    -------
    (likes_dir, creators_path) : tuple of Path
    """
    if creators_per_chunk < 1:
        raise ValueError(f"creators_per_chunk must be >= 1, got {creators_per_chunk}")
    plan = make_plan(n_creators, seed, params or SimulationParams(), inflated_share)
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    likes_dir = out / "likes"
    tmp_dir = _tmp_name(likes_dir)
    tmp_dir.mkdir()
    n_likes = np.zeros(plan.n, np.int64)
    n_fake = np.zeros(plan.n, np.int64)
    try:
        for k, block in enumerate(likes_in_chunks(plan, creators_per_chunk)):
            count_likes(plan, block, n_likes, n_fake)
            block.to_parquet(tmp_dir / f"part-{k:05d}.parquet", index=False)
            del block
        old = None
        if likes_dir.exists():
            old = _tmp_name(out / "likes.old")
            os.replace(likes_dir, old)
        os.replace(tmp_dir, likes_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    creators_path = out / "creators.csv"
    _write_csv(creators_frame(plan, n_likes, n_fake), creators_path)
    return likes_dir, creators_path

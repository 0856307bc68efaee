"""Input already grouped by creator: read it where it lies, with no spill.

Exports are often written creator after creator. When every creator's likes are contiguous in
the input (files in order, row groups in order), the chunked engine needs no buckets: a range of
rows that starts and ends at creator boundaries already holds whole creators. Its pass 0 (the
spill, which writes every like once more and reads it back) is then replaced by

- :func:`plan`: one read of the ``creator_id`` column, dictionary-encoded as Parquet stores it
  (cheap: runs are found on the codes, not the strings), which checks that no creator comes
  back after another one started, and cuts the input into *tasks*: the rows from the first
  creator boundary of a row group to the first one of the next task's row group. A task thus
  reads its row group and the head of the next one (streamed, so the rest of that group is not
  decoded). With fewer row groups than twice the workers, each is cut in several tasks so that
  all workers have work; the last few are cut finer, so that the workers finish together.
- :func:`read_task`, run by each worker on its task: the rows of the task's pieces, validated
  (errors name the file and its row, as the spill does), with their order key, in
  :data:`~detector.engines.chunked.BUCKET_ROWS`-sized slices of whole creators (the memory of a
  bucket).

Tasks are scored exactly as buckets are, so the report is identical. Inputs whose files do not
all have the same contract columns, or whose creators are not contiguous, are spilled instead.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from detector._sorted import creator_cuts
from detector.engines.partitions import ROW_KEY, validate_batch
from detector.errors import InputFormatError

__all__ = ["MIN_TASK_ROWS", "Piece", "Task", "plan", "read_task"]

MIN_TASK_ROWS = 50_000
"""A task spans row groups until it holds at least this many likes: an input of many small
files or row groups is scored in a few large tasks, not one per row group (each task and each
slice has a fixed cost)."""


class Piece(NamedTuple):
    """Rows ``start:stop`` of one row group of a Parquet file."""

    path: str
    row_group: int
    start: int
    stop: int
    file_row: int
    """Row of the file at which the row group starts (for error messages)."""
    position: int
    """Position of the piece's first row in the whole input (its order key)."""


class Task(NamedTuple):
    """Rows of whole creators, contiguous in the input: one or more pieces."""

    pieces: tuple[Piece, ...]

    @property
    def rows(self) -> int:
        return sum(piece.stop - piece.start for piece in self.pieces)


class _Group(NamedTuple):
    path: str
    row_group: int
    rows: int
    file_row: int
    position: int


def plan(
    fragments: Sequence[ds.Fragment], columns: Sequence[str], workers: int
) -> list[Task] | None:
    """Tasks of whole creators covering the input in order, or None when the input is not
    grouped by creator (or its files differ in their contract columns)."""
    wanted = set(columns)
    if len({frozenset(wanted & set(f.physical_schema.names)) for f in fragments}) > 1:
        return None
    if any(n != n.strip() for f in fragments for n in f.physical_schema.names):
        return None  # names to strip: spilled (read by name, renamed), not read where they lie
    groups: list[_Group] = []
    starts: list[np.ndarray] = []  # positions where a creator starts
    seen: set[str] = set()
    last: str | None = None
    position = 0
    for fragment in fragments:
        file = pq.ParquetFile(fragment.path, read_dictionary=["creator_id"])
        file_row = 0
        for group in range(file.num_row_groups):
            for offset, firsts, creators in _creator_runs(file, group, fragment.path):
                if creators[0] == last:  # the creator before goes on
                    firsts, creators = firsts[1:], creators[1:]
                for creator in creators:
                    if creator in seen:
                        return None  # a creator comes back: not grouped
                    seen.add(creator)
                starts.append(position + offset + firsts)
                last = creators[-1] if creators else last
            n = file.metadata.row_group(group).num_rows
            if n:
                groups.append(_Group(fragment.path, group, n, file_row, position))
            file_row += n
            position += n
    if not groups:
        return None
    return _tasks(groups, np.concatenate(starts).astype(np.int64), position, workers)


def _creator_runs(
    file: pq.ParquetFile, group: int, path: str
) -> Iterator[tuple[int, np.ndarray, list[str]]]:
    """Runs of equal creator ids in one row group, per chunk of the column read: the chunk's
    offset in the group, the position where each run starts in it and the run's creator id
    (missing ones as ""). Ids read dictionary-encoded (as Parquet stores strings) are compared
    by their codes, without the cost of decoding every string."""
    try:
        column = file.read_row_group(group, columns=["creator_id"], use_threads=False).column(0)
    except (pa.ArrowException, OSError) as error:
        raise InputFormatError(f"{path}: cannot be read as parquet: {error}") from None
    offset = 0
    for chunk in column.chunks:
        n = len(chunk)
        if n == 0:
            continue
        coded = isinstance(chunk, pa.DictionaryArray) and chunk.null_count == 0
        if coded and len(pc.unique(chunk.dictionary)) == len(chunk.dictionary):
            codes = chunk.indices.to_numpy()
            firsts = np.r_[0, np.flatnonzero(codes[1:] != codes[:-1]) + 1]
            ids = chunk.dictionary.take(pa.array(codes[firsts]))
        else:
            if isinstance(chunk, pa.DictionaryArray):
                chunk = chunk.dictionary_decode()
            values = pc.fill_null(pc.cast(chunk, pa.large_string()), "")
            change = pc.not_equal(values.slice(1), values.slice(0, n - 1))
            firsts = np.r_[0, np.flatnonzero(change.to_numpy(zero_copy_only=False)) + 1]
            ids = values.take(pa.array(firsts, pa.int64()))
        creators = pc.fill_null(pc.cast(ids, pa.large_string()), "").to_pylist()
        yield offset, firsts, creators
        offset += n


def _tasks(groups: list[_Group], starts: np.ndarray, total: int, workers: int) -> list[Task]:
    """Cut the input at the first creator start of each row group (of each part of a row group
    when there are few; skipping cuts that would leave a task under :data:`MIN_TASK_ROWS`
    likes), and make each cut range a task. With several workers the last
    ``workers`` row groups are cut in twice as many parts: the workers then finish together
    rather than one waiting for the other's last row group (the price: the first rows of a
    split row group are decoded once more, streamed)."""
    parts = max(1, math.ceil(2 * workers / len(groups)))
    last = len(groups) - workers if workers > 1 else len(groups)
    aims = [
        g.position + g.rows * p // n
        for i, g in enumerate(groups)
        for n in [parts * (2 if i >= last else 1)]
        for p in range(n)
    ]
    cuts = creator_cuts(starts, aims, total, MIN_TASK_ROWS)  # small row groups merge
    group_starts = np.array([g.position for g in groups], dtype=np.int64)
    tasks = []
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        first = int(np.searchsorted(group_starts, a, side="right")) - 1
        pieces = []
        for g in groups[first:]:
            if g.position >= b:
                break
            start, stop = max(a, g.position) - g.position, min(b, g.position + g.rows) - g.position
            pieces.append(Piece(g.path, g.row_group, start, stop, g.file_row, g.position + start))
        tasks.append(Task(tuple(pieces)))
    return tasks


def read_task(
    task: Task, columns: Sequence[str], slice_rows: int, creators: Sequence[str] | None = None
) -> Iterator[pd.DataFrame]:
    """The task's likes, validated, with their order key, in slices of whole creators of about
    ``slice_rows`` rows (only ``creators``' likes, if given; empty slices are skipped)."""
    frames = [  # one validation per file: a task's pieces of one file are contiguous rows
        _read_file_pieces(list(pieces), columns)
        for _, pieces in itertools.groupby(task.pieces, key=lambda piece: piece.path)
    ]
    likes = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    del frames
    if creators is not None:
        likes = likes[likes["creator_id"].isin(list(creators)).to_numpy()]
        likes = likes.reset_index(drop=True)
    if likes.empty:
        return
    starts = np.r_[0, _changes(likes["creator_id"]) + 1]
    cuts = creator_cuts(starts, np.arange(slice_rows, len(likes), slice_rows), len(likes))
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        yield likes.iloc[a:b].reset_index(drop=True)


def _changes(ids: pd.Series) -> np.ndarray:
    """Positions ``i`` where ``ids[i + 1]`` differs from ``ids[i]``: compared by Arrow where
    the ids are Arrow strings (making Python strings of them first would cost far more than
    the comparison)."""
    dtype = ids.dtype
    if isinstance(dtype, pd.StringDtype) and str(dtype.storage).startswith("pyarrow"):
        array = pa.array(ids)
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        differs = pc.not_equal(array[1:], array[:-1]).fill_null(True)
        return np.flatnonzero(differs.to_numpy(zero_copy_only=False))
    values = ids.to_numpy()
    return np.flatnonzero(values[1:] != values[:-1])


def _read_file_pieces(pieces: list[Piece], columns: Sequence[str]) -> pd.DataFrame:
    """Contiguous pieces of one file, validated together, with their order keys."""
    file = pq.ParquetFile(pieces[0].path)
    own = [c for c in columns if c in file.schema_arrow.names]
    tables = [_read_piece(file, piece, own) for piece in pieces]
    table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
    first = pieces[0]
    likes = validate_batch(table.to_pandas(), first.path, first.file_row + first.start)
    likes[ROW_KEY] = np.arange(first.position, first.position + len(likes), dtype=np.int64)
    return likes


def _read_piece(file: pq.ParquetFile, piece: Piece, columns: list[str]) -> pa.Table:
    try:
        if piece.start == 0 and piece.stop == file.metadata.row_group(piece.row_group).num_rows:
            return file.read_row_group(piece.row_group, columns=columns, use_threads=False)
        batches, read = [], 0  # streamed: the rows after ``stop`` are not decoded
        for batch in file.iter_batches(
            batch_size=8192, row_groups=[piece.row_group], columns=columns, use_threads=False
        ):
            batches.append(batch)
            read += batch.num_rows
            if read >= piece.stop:
                break
        return pa.Table.from_batches(batches).slice(piece.start, piece.stop - piece.start)
    except (pa.ArrowException, OSError) as error:
        raise InputFormatError(f"{piece.path}: cannot be read as parquet: {error}") from None

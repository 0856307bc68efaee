"""Chunked engine: score a Parquet file or folder larger than memory, on one machine.

Design (memory is bounded by one bucket of whole creators per worker plus the liker table):

- **Input already grouped by creator** (every creator's likes contiguous, as exports per
  creator are): no spill. One read of ``creator_id`` checks it and cuts the input into tasks of
  whole creators that the workers read where they lie (:mod:`detector.engines.grouped`), in
  bucket-sized slices; passes 1 and 2 below then run on those slices instead of buckets, with
  the same result (tested). Otherwise, or when ``buckets`` is given:
- **Pass 0, spill.** The input is streamed by record batches (``pyarrow.dataset``, reading
  only the contract columns). Each batch is validated (:func:`detector.schema.validate_likes`;
  errors name the file and the row within it), keeps its position in the input as an order key,
  and its rows go to one of ``K`` temporary *buckets* (Arrow IPC files; lz4-compressed unless
  they fit easily in free memory, :func:`spill_compression`) by a stable hash of
  ``creator_id`` (:func:`pandas.util.hash_array`, the same in every process).
  Every creator's likes thus land in one bucket. ``K`` is given, or chosen so that a bucket holds about
  :data:`BUCKET_ROWS` likes (at most :data:`MAX_AUTO_BUCKETS`). With several workers (the same
  rule as pass 2) the input's row groups are split into contiguous ranges of about equal rows,
  one per worker process; each spills its range into its own part file of every bucket
  (``bucket-B-W``), and a bucket is read back as its parts in range order. Row groups are read
  in the same record batches as by one process (a batch never spans two row groups) and rows
  keep their global position, so buckets hold the same rows in the same order either way, and
  the first bad row in input order gives the same error (later ranges stop early). Each
  spilling process holds one record batch (and the row group being read) at a time; an input
  of a single row group is spilled by one process.
- **Pass 1, liker table.** Each bucket is read back (and joined to the accounts table, if any),
  :func:`detector.features.partition_features` runs on it and only its per-liker summary is
  kept, added to a running liker table (one row per distinct liker). Skipped in
  ``scope="creator"``, which needs no table.
- **Pass 2, reports.** Each bucket is read again and its partition features are *recomputed*
  rather than spilled (they are several times the size of the likes and cheap to recompute);
  :func:`detector.features.finish_features` adds the footprint features from the table and
  :func:`detector.report.build_report` scores the bucket. From :data:`PROCESSES_FROM_ROWS`
  likes passes 1 and 2 run on one worker process per CPU (the same processes that spilled,
  started at the beginning of the run and warmed up while the input is planned), each
  receiving the scorer and the liker table once through a pickle in the temporary folder.
  Below it they run on one thread per CPU in this process (no workers to start; most of the
  time goes to numpy, Arrow and numba code that releases the GIL). Per-like rows go to a temporary run
  per bucket; at the end the runs are merged by order key into ``likes_output`` (written
  atomically), so the file lists likes in input order, as the in-memory engine does.
- The partial reports are combined and put back in input order (:func:`detector.engines.assemble`):
  the result equals ``model.report(likes)`` on the whole table.

A single creator cannot be split: the largest bucket holds at least the largest creator.
Temporary files live in a temporary folder (under ``tmpdir`` if given) removed on exit, also on
error or interruption.
"""

from __future__ import annotations

import functools
import math
import os
import pickle
import re
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple, NoReturn

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from detector._threads import ENV as THREADS_ENV
from detector._threads import cpu_threads, map_threads
from detector.creators import count_unused_facts
from detector.engines import grouped
from detector.engines.partitions import (
    ROW_KEY,
    contract_columns,
    split_rows,
    validate_batch,
    validated_sample,
)
from detector.engines.workers import PROCESSES_FROM_ROWS, Workers
from detector.errors import DetectorError, InputFormatError, InputNote, SchemaError
from detector.io import clean_header, detect_format, read_creators, read_table, write_text
from detector.output import atomic_write, remove_leftovers
from detector.progress import stage
from detector.report import in_id_order, report_json
from detector.schema import REQUIRED_COLUMNS, check_required
from detector.scoring.pipeline import (
    PartialReport,
    assemble,
    assembled_lines,
    check_input,
    check_present,
    first_pass,
    reduce_summaries,
    resolve_scope,
    second_pass,
    tidy_partition,
)

if TYPE_CHECKING:
    from detector.model.protocol import FeatureScorer
    from detector.report import CreatorReport

__all__ = ["BUCKET_ROWS", "MAX_AUTO_BUCKETS", "bucket_of", "score_parquet_chunked"]

SPILL_LEFTOVER = re.compile(r"^detector-chunked-(\d+)-")
"""Spill folders of a chunked run: the pid tells a killed run's leftovers from a live one's."""

BUCKET_ROWS = 125_000
"""Likes per bucket aimed at when the number of buckets is not given."""
MAX_AUTO_BUCKETS = 256
"""Cap on the automatic number of buckets (each is an open file during the spill)."""
SPILL_BYTES_PER_LIKE = 134
"""Size of a spilled like, uncompressed (taken from the speed benchmark's spill)."""
SPILL_COMPRESSED_FROM = 0.25
"""Share of the free memory from which the spill is lz4-compressed. Buckets are Arrow IPC files
(much cheaper to write and read back than Parquet). Plain, they are quicker to write and read
back, but take twice the room: a spill that may not stay in the page cache, and reach the disk,
is compressed."""


def spill_compression(likes: int) -> str | None:
    """How to write the buckets of ``likes`` likes: plain (None) when they fit easily in free
    memory, else "lz4" (also when the free memory is not known)."""
    try:
        free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        free = 0
    return None if likes * SPILL_BYTES_PER_LIKE < SPILL_COMPRESSED_FROM * free else "lz4"


BATCH_ROWS = 65_536
"""Rows per record batch read from the input (and per chunk of the per-like merge)."""


def score_parquet_chunked(
    path: str | Path,
    model: FeatureScorer,
    *,
    buckets: int | None = None,
    include_likes: bool = False,
    likes_output: str | Path | None = None,
    json_output: str | Path | None = None,
    tmpdir: str | Path | None = None,
    accounts: str | Path | pd.DataFrame | None = None,
    creators: Sequence[str] | None = None,
    creator_facts: str | Path | pd.DataFrame | None = None,
    scope: str | None = None,
    batch_rows: int = BATCH_ROWS,
    workers: int | None = None,
    read_grouped: bool | None = None,
) -> CreatorReport:
    """Score a Parquet file or folder of Parquet files with bounded memory.

    Parameters
    ----------
    path : Parquet file or folder of Parquet files following the data contract.
    model : a fitted scorer (:class:`detector.model.protocol.FeatureScorer`).
    buckets : number of creator buckets (default: about one per :data:`BUCKET_ROWS` likes).
    include_likes : keep the per-like table in the returned report (in memory).
    likes_output : also write per-like scores here (.parquet, .csv, .tsv or .jsonl), streamed.
    json_output : also write the report here as JSON, as the command line does
        (:func:`detector.report.report_json`), each creator's line rendered by the worker that
        scored it rather than all at the end in this process.
    tmpdir : parent folder for the temporary buckets (default: the system's).
    accounts : liker accounts table (path or DataFrame) keyed by ``account_id``.
    creators : only score these creator ids.
    creator_facts : creators table (path or DataFrame) keyed by ``creator_id``
        (:mod:`detector.creators`), joined onto each bucket.
    scope : "batch" or "creator" (default: the model's).
    batch_rows : rows per record batch read from the input.
    workers : processes spilling the input (each a contiguous range of its row groups, one
        record batch at a time) and scoring buckets at the same time in pass 2 (default: the
        CPUs available, :func:`detector._threads.cpu_threads`, from :data:`PROCESSES_FROM_ROWS`
        likes on; below, this process, scoring on as many threads). Each holds one bucket at
        a time. The result does not depend on it.
    read_grouped : read input grouped by creator where it lies, without spilling it (None:
        when it is grouped and ``buckets`` is not given; True: refuse input that is not,
        with a one-line error; False: always spill). The result does not depend on it.

    Returns
    -------
    CreatorReport equal to ``model.report(likes)`` on the whole (filtered) table.
    """
    if buckets is not None and buckets < 1:
        raise ValueError(f"buckets must be at least 1, got {buckets}")
    scope = resolve_scope(model, scope)
    fragments, columns, total = _open(Path(path))
    k = buckets or min(max(math.ceil(total / BUCKET_ROWS), 1), MAX_AUTO_BUCKETS)
    account_table, account_source = _accounts(accounts)
    facts = None if creator_facts is None else _creator_facts(creator_facts)
    wanted = None if creators is None else list(creators)
    out_format = None if likes_output is None else detect_format(likes_output)
    processes = max(1, workers) if workers is not None else cpu_threads()
    threads = 1
    if workers is None and total < PROCESSES_FROM_ROWS:
        threads, processes = processes, 1
    reader = _Reader(columns, wanted, account_table, account_source, facts)
    remove_leftovers(tmpdir or tempfile.gettempdir(), SPILL_LEFTOVER)  # of killed runs
    with (
        tempfile.TemporaryDirectory(prefix=f"detector-chunked-{os.getpid()}-", dir=tmpdir) as tmp,
        Workers(processes, str(path)) as pool,  # stopped before the folder is removed
    ):
        folder = Path(tmp)
        if processes > 1:
            pool.start()
        tasks = None
        if read_grouped is not False and buckets is None:
            tasks = grouped.plan(fragments, columns, max(processes, threads))
        if read_grouped and tasks is None:
            raise InputFormatError(
                f"{path}: not grouped by creator (a creator's likes are not all contiguous, or "
                "the files differ in their columns); score it without read_grouped"
            )
        if tasks is None:  # pass 0: spill into buckets of whole creators
            compression = spill_compression(total)
            units: list[Any] = _spill(
                fragments, columns, k, folder, batch_rows, wanted, str(path), pool, compression
            )
            pa.default_memory_pool().release_unused()  # give the reading buffers back
        else:
            units = tasks
        parallel = min(processes, len(units))
        if parallel > 1:
            reader_state = folder / "reader.pickle"  # read once by each worker process
            _dump(reader, reader_state)

        def each(
            function: Callable[..., list[Any]], state: Path | None, own: Any, name: str
        ) -> Iterator[Any]:
            """``own(unit)`` for every unit here, or ``function(state, unit)`` on the workers;
            the results of all units in order, flattened, as they come (counted as stage
            ``name``)."""
            if parallel > 1:
                done: Iterable[list[Any]] = pool.map(
                    function, [(str(state), unit) for unit in units]
                )
            elif threads > 1 and len(units) > 1:
                done = map_threads(own, units, threads)
            else:
                done = (own(unit) for unit in units)
            with stage(name, len(units), "buckets") as counted:
                for results in done:
                    counted.advance()
                    yield from results

        table, columns_present = None, None
        if scope == "batch":  # pass 1: the liker table
            present = []
            state = reader_state if parallel > 1 else None
            for summary, columns_present in each(
                _summarise_in_worker, state, reader.summaries, "pass 1: likers across creators"
            ):
                # added up as they come: one liker table in memory, not one per part
                table = summary if table is None else reduce_summaries([table, summary])
                present.append(columns_present)
            if table is None:
                _no_likes(path, wanted)
            columns_present = check_present(present)
            model.prepare(columns_present, scope)
        else:  # fit the feature set the columns allow before compiling
            model.prepare(columns, scope)
        scorer = model.compiled(threads=1 if parallel > 1 else None)
        bucket_scorer = _BucketScorer(
            scorer,
            table,
            reader,
            keep=include_likes or likes_output is not None,
            include_likes=include_likes,
            runs=folder if likes_output is not None else None,
            render_lines=json_output is not None,
            present=columns_present,
        )
        state = None
        if parallel > 1:
            state = folder / "bucket-scorer.pickle"
            _dump(bucket_scorer, state)
        done = list(each(_score_in_worker, state, bucket_scorer, "scoring"))
        if not done:
            _no_likes(path, wanted)
        partials = [partial for partial, _ in done]
        runs = [run for _, run in done if run is not None]
        accounts_source = None if account_table is None else account_source
        report = in_id_order(check_input(assemble(partials), accounts_source, str(path)))
        count_unused_facts(report.meta, facts)
        if json_output is not None:
            write_text(json_output, report_json(report, assembled_lines(partials, report)))
        if likes_output is not None:
            atomic_write(
                likes_output, lambda target: _merge_runs(runs, target, out_format, batch_rows)
            )
    return report


def _dump(value: object, path: Path) -> None:
    with open(path, "wb") as handle:
        pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)


def _no_likes(path: str | Path, creators: list[str] | None) -> NoReturn:
    """Raise the error for an input with no likes of the creators asked for."""
    listed = ", ".join(creators or [])
    raise SchemaError(f"{path}: no likes for creator(s) {listed}")


class _Reader:
    """Reads a unit of work, a bucket (its part files) or a :class:`grouped.Task`, as validated
    likes joined to the accounts and creators tables, in parts of whole creators with their
    order keys. Picklable: worker processes receive it once."""

    def __init__(
        self,
        columns: list[str],
        creators: list[str] | None,
        accounts: pd.DataFrame | None,
        source: str,
        creator_facts: pd.DataFrame | None = None,
    ) -> None:
        self.columns, self.creators = columns, creators
        self.accounts, self.source = accounts, source
        self.creator_facts = creator_facts

    def parts(
        self, unit: Sequence[Path] | grouped.Task
    ) -> Iterator[tuple[pd.DataFrame, np.ndarray, str, dict[str, int]]]:
        """``(likes, order keys, name, input counts)`` of each part of the unit."""
        if isinstance(unit, grouped.Task):
            frames = grouped.read_task(unit, self.columns, BUCKET_ROWS, self.creators)
            first = unit.pieces[0].position
            named = ((frame, f"task-{first:012d}-{i:04d}") for i, frame in enumerate(frames))
        else:
            named = iter([(_read_bucket_file(unit), unit[0].stem)])
        for frame, name in named:
            likes, rows, counts = tidy_partition(
                *split_rows(frame), self.accounts, self.source, self.creator_facts
            )
            yield likes, rows, name, counts

    def summaries(
        self, unit: Sequence[Path] | grouped.Task
    ) -> list[tuple[pd.DataFrame, list[str]]]:
        """Pass 1 on a unit: the liker summary and the columns with values, of each part."""
        return [first_pass(likes) for likes, _, _, _ in self.parts(unit)]


class _BucketScorer:
    """Pass 2 on one unit (bucket or task): the partial report of each of its parts, and their
    per-like run files if wanted.

    Picklable, so that worker processes receive it (with the compiled model and the liker
    table) once, when they start.
    """

    def __init__(
        self,
        scorer: object,
        table: pd.DataFrame | None,
        reader: _Reader,
        *,
        keep: bool,
        include_likes: bool,
        runs: Path | None,
        render_lines: bool = False,
        present: list[str] | None = None,
    ) -> None:
        self.scorer, self.table, self.reader = scorer, table, reader
        self.keep, self.include_likes, self.runs = keep, include_likes, runs
        self.render_lines, self.present = render_lines, present

    def __call__(
        self, unit: Sequence[Path] | grouped.Task
    ) -> list[tuple[PartialReport, Path | None]]:
        return [self.score(*part) for part in self.reader.parts(unit)]

    def score(
        self, likes: pd.DataFrame, rows: np.ndarray, name: str, counts: dict[str, int]
    ) -> tuple[PartialReport, Path | None]:
        partial = second_pass(
            likes,
            rows,
            self.scorer,
            self.table,
            include_likes=self.keep,
            counts=counts,
            present=self.present,
        )
        if self.render_lines:
            partial.creator_lines = partial.report.creator_lines()
        run = None
        if self.runs is not None:
            run = self.runs / f"likes-{name}.parquet"
            partial.report.likes.assign(**{ROW_KEY: rows}).to_parquet(run, index=False)
            if not self.include_likes:
                partial.report.likes = None
                partial.like_rows = None
        return partial, run


@functools.lru_cache(maxsize=2)
def _worker_state(path: str) -> Any:
    with open(path, "rb") as handle:
        return pickle.load(handle)  # noqa: S301 - written by this run, in its own temp folder


def _score_in_worker(
    state: str, unit: Sequence[Path] | grouped.Task
) -> list[tuple[PartialReport, Path | None]]:
    """Pass 2 on one unit in a worker process (the scorer is loaded once per process; one
    scoring thread, since there is a worker per CPU)."""
    os.environ[THREADS_ENV] = "1"
    return _worker_state(state)(unit)


def _summarise_in_worker(
    state: str, unit: Sequence[Path] | grouped.Task
) -> list[tuple[pd.DataFrame, list[str]]]:
    """Pass 1 on one unit in a worker process."""
    return _worker_state(state).summaries(unit)


def bucket_of(creator_id: pd.Series, k: int) -> np.ndarray:
    """Bucket (0..k-1) of each like: a stable hash of its creator id, the same in any process."""
    codes, uniques = pd.factorize(creator_id)
    hashed = pd.util.hash_array(np.asarray(uniques, dtype=object))
    return (hashed % np.uint64(k)).astype(np.int64)[codes]


# --------------------------------------------------------------------------------- reading
def _open(path: Path) -> tuple[list[ds.Fragment], list[str], int]:
    """The Parquet files, the contract columns found in any of them, and the row count."""
    if str(path) == "-":
        raise InputFormatError(
            "<stdin>: the chunked engine reads Parquet files, not standard input"
        )
    if not path.exists():
        raise InputFormatError(f"{path}: file not found")
    fmt = detect_format(path)
    if fmt != "parquet":
        raise InputFormatError(
            f"{path}: the chunked engine reads a .parquet file or a folder of Parquet files, "
            f"not {fmt} (use --engine memory or --engine dask)"
        )
    try:
        fragments = list(ds.dataset(path, format="parquet").get_fragments())
    except (pa.ArrowException, OSError) as error:
        raise InputFormatError(f"{path}: cannot be read as parquet: {_first_line(error)}") from None
    names: dict[str, None] = {}
    total = 0
    for fragment in fragments:
        try:
            found = fragment.physical_schema.names
            total += fragment.count_rows()
        except (pa.ArrowException, OSError) as error:
            raise InputFormatError(
                f"{fragment.path}: cannot be read as parquet: {_first_line(error)}"
            ) from None
        # a column twice refused, naming it; names stripped, as the memory engine does
        found, note = clean_header(list(found), fragment.path)
        if note:
            warnings.warn(note, InputNote, stacklevel=2)
        check_required(pd.DataFrame(columns=found), REQUIRED_COLUMNS, fragment.path)
        names.update(dict.fromkeys(found))
    if not fragments:
        check_required(pd.DataFrame(), REQUIRED_COLUMNS, str(path))
    if total == 0:
        raise SchemaError(f"{path}: no rows (expected one row per like)")
    return fragments, contract_columns(names), total


def _batches(fragment: ds.Fragment, columns: list[str], batch_rows: int) -> Iterator[pd.DataFrame]:
    """The file's batches as DataFrames of the wanted columns it has (each with its own type),
    under their names stripped of whitespace."""
    written = {name.strip(): name for name in fragment.physical_schema.names}
    own = [written[c] for c in columns if c in written]
    try:
        for batch in fragment.to_batches(
            columns=own,
            batch_size=batch_rows,
            batch_readahead=1,
            fragment_readahead=1,
            fragment_scan_options=ds.ParquetFragmentScanOptions(pre_buffer=False),
        ):
            if batch.num_rows:
                frame = batch.to_pandas()
                frame.columns = [str(name).strip() for name in frame.columns]
                yield frame
    except (pa.ArrowException, OSError) as error:
        raise InputFormatError(
            f"{fragment.path}: cannot be read as parquet: {_first_line(error)}"
        ) from None


def _conform(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """Validated likes as an Arrow table of the bucket schema (absent columns all null)."""
    n = len(frame)
    arrays = [
        pa.Array.from_pandas(frame[field.name]).cast(field.type)
        if field.name in frame.columns
        else pa.nulls(n, field.type)
        for field in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _read_bucket_file(parts: Sequence[Path]) -> pd.DataFrame:
    """A bucket's part files, one after the other (range order: the rows stay in input order)."""
    with ExitStack() as stack:
        tables = [
            pa.ipc.open_file(stack.enter_context(pa.memory_map(str(part)))).read_all()
            for part in parts
        ]
        table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
        del tables
        return table.to_pandas()


def _accounts(
    accounts: str | Path | pd.DataFrame | None,
) -> tuple[pd.DataFrame | None, str]:
    if accounts is None or isinstance(accounts, pd.DataFrame):
        return accounts, "accounts"
    return read_table(accounts), str(accounts)


def _creator_facts(creators: str | Path | pd.DataFrame) -> pd.DataFrame:
    """The creators table validated once, its reading notes issued as the input's are."""
    facts = read_creators(creators)
    for note in facts.attrs.get("notes", []):
        warnings.warn(note, InputNote, stacklevel=3)
    return facts


# ----------------------------------------------------------------------------------- pass 0
class _Range(NamedTuple):
    """A contiguous part of the input spilled by one process: its pieces (a Parquet fragment,
    or a subset of its row groups, with the row of its file it starts at) and the position of
    its first row in the whole input."""

    pieces: list[tuple[ds.Fragment, int]]
    start: int


def _plan(fragments: list[ds.Fragment], parts: int) -> list[_Range]:
    """Split the input into at most ``parts`` contiguous ranges of whole row groups holding about
    as many rows each (one range, the whole input, if ``parts`` is 1 or there is one row group)."""
    whole = [_Range([(fragment, 0) for fragment in fragments], 0)]
    if parts <= 1:
        return whole
    groups: list[tuple[int, int, int, int]] = []  # fragment, row group id, rows, row in file
    for i, fragment in enumerate(fragments):
        fragment.ensure_complete_metadata()
        offset = 0
        for group in fragment.row_groups:
            groups.append((i, group.id, group.num_rows, offset))
            offset += group.num_rows
    if len(groups) < 2:
        return whole
    rows = np.array([group[2] for group in groups], dtype=np.int64)
    starts = np.cumsum(rows) - rows
    middle = (starts + rows / 2) * parts / max(int(rows.sum()), 1)
    task = np.minimum(middle.astype(np.int64), parts - 1)  # non-decreasing: ranges are contiguous
    ranges = []
    for t in np.unique(task):
        members = np.flatnonzero(task == t)
        pieces = []
        for i in dict.fromkeys(groups[j][0] for j in members):
            ids = [groups[j][1] for j in members if groups[j][0] == i]
            fragment = fragments[i]
            if len(ids) < len(fragment.row_groups):
                fragment = fragment.subset(row_group_ids=ids)
            pieces.append((fragment, next(groups[j][3] for j in members if groups[j][0] == i)))
        ranges.append(_Range(pieces, int(starts[members[0]])))
    return ranges


def _part(folder: Path, bucket: int, index: int) -> Path:
    """Part file of ``bucket`` written by the process spilling range ``index``."""
    return folder / f"bucket-{bucket:05d}-{index:03d}.arrow"


def _spill(
    fragments: list[ds.Fragment],
    columns: list[str],
    k: int,
    folder: Path,
    batch_rows: int,
    creators: list[str] | None,
    name: str,
    pool: Workers,
    compression: str | None = "lz4",
) -> list[tuple[Path, ...]]:
    """Stream the input into ``k`` buckets of whole creators, on up to ``pool.processes``
    processes; return the part files of each non-empty bucket, in range order."""
    ranges = _plan(fragments, pool.processes)
    schema = pa.Schema.from_pandas(validated_sample(columns), preserve_index=False)
    args = (columns, schema, k, folder, batch_rows, creators, compression)
    with stage(f"reading {name} into {k} buckets", len(ranges), "parts") as counted:
        if len(ranges) == 1:
            written = [_spill_range(ranges[0], 0, *args)]
            counted.advance()
        else:
            tasks = [(part, index, *args) for index, part in enumerate(ranges)]
            results = pool.map(_spill_in_worker, tasks)
            written = []
            for result in results:  # the first error in input order, as one process gives
                if isinstance(result, BaseException):
                    raise result
                if result is None:  # stopped by an earlier range's error: cannot come first
                    raise RuntimeError("a spill worker stopped without an earlier error")
                written.append(result)
                counted.advance()
    buckets = sorted(set().union(*written))
    if not buckets:
        _no_likes(name, creators)
    return [
        tuple(_part(folder, b, index) for index, done in enumerate(written) if b in done)
        for b in buckets
    ]


def _spill_range(
    part: _Range,
    index: int,
    columns: list[str],
    schema: pa.Schema,
    k: int,
    folder: Path,
    batch_rows: int,
    creators: list[str] | None,
    compression: str | None = "lz4",
) -> set[int] | None:
    """Spill one range into its part files of the buckets (Arrow IPC, ``compression``: "lz4"
    or None); return the buckets it wrote to (None if it stopped because a range before it
    failed: that range's error comes first)."""
    options = pa.ipc.IpcWriteOptions(compression=compression)
    writers: dict[int, pa.ipc.RecordBatchFileWriter] = {}
    position = part.start
    with ExitStack() as stack:
        for fragment, offset in part.pieces:
            for frame in _batches(fragment, columns, batch_rows):
                if index and _failed_before(folder, index):
                    return None
                n = len(frame)
                likes = validate_batch(frame, fragment.path, offset)
                likes[ROW_KEY] = np.arange(position, position + n, dtype=np.int64)
                offset += n
                position += n
                if creators is not None:
                    likes = likes[likes["creator_id"].isin(creators).to_numpy()]
                    if likes.empty:
                        continue
                bucket = bucket_of(likes["creator_id"], k)
                order = np.argsort(bucket, kind="stable")
                bounds = np.searchsorted(bucket[order], np.arange(k + 1))
                table = _conform(likes.iloc[order], schema)
                for b in np.flatnonzero(np.diff(bounds)):
                    if b not in writers:
                        writers[b] = stack.enter_context(
                            pa.ipc.new_file(_part(folder, b, index), schema, options=options)
                        )
                    writers[b].write_table(table.slice(bounds[b], bounds[b + 1] - bounds[b]))
                del likes, table
    return {int(b) for b in writers}


def _failed_before(folder: Path, index: int) -> bool:
    return any((folder / f"spill-failed-{before:03d}").exists() for before in range(index))


def _spill_in_worker(part: _Range, index: int, *args: Any) -> set[int] | None | DetectorError:
    """:func:`_spill_range` in a worker process. A bad input is returned, not raised (the
    parent raises the first in input order) and flagged so that later ranges stop early."""
    folder: Path = args[3]
    try:
        return _spill_range(part, index, *args)
    except DetectorError as error:
        (folder / f"spill-failed-{index:03d}").touch()
        return error
    finally:
        pa.default_memory_pool().release_unused()


# ------------------------------------------------------------------------- per-like output
def _merge_runs(runs: list[Path], target: Path, fmt: str, batch_rows: int) -> None:
    """Merge per-bucket per-like runs (each sorted by order key) into ``target``, in order.

    Each step emits every buffered row whose key is at most the smallest last key among the
    buffers (no row still unread can come before it), so memory holds one chunk per run.
    """
    readers = [pq.ParquetFile(run).iter_batches(batch_size=batch_rows) for run in runs]
    heads = [_next_chunk(reader) for reader in readers]
    with _sink(target, fmt) as write:
        while True:
            live = [i for i, head in enumerate(heads) if head is not None]
            if not live:
                break
            bound = min(heads[i][ROW_KEY].iat[-1] for i in live)
            parts = []
            for i in live:
                head = heads[i]
                cut = int(np.searchsorted(head[ROW_KEY].to_numpy(), bound, side="right"))
                parts.append(head.iloc[:cut])
                heads[i] = head.iloc[cut:] if cut < len(head) else _next_chunk(readers[i])
            chunk = pd.concat(parts, ignore_index=True).sort_values(ROW_KEY, kind="stable")
            write(chunk.drop(columns=ROW_KEY).reset_index(drop=True))


def _next_chunk(reader: Iterator[pa.RecordBatch]) -> pd.DataFrame | None:
    for batch in reader:
        if batch.num_rows:
            return batch.to_pandas()
    return None


class _sink:
    """Context manager giving ``write(chunk)`` that appends DataFrame chunks to one file."""

    def __init__(self, target: Path, fmt: str) -> None:
        self.target, self.fmt = target, fmt
        self.writer: pq.ParquetWriter | None = None
        self.handle: IO[str] | None = None
        self.first = True

    def __enter__(self) -> Callable[[pd.DataFrame], None]:
        if self.fmt != "parquet":
            self.handle = open(self.target, "w", encoding="utf-8", newline="")
        return self.write

    def write(self, chunk: pd.DataFrame) -> None:
        if self.fmt == "parquet":
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            if self.writer is None:
                self.writer = pq.ParquetWriter(self.target, table.schema)
            self.writer.write_table(table.cast(self.writer.schema))
        elif self.fmt == "jsonl":
            chunk.to_json(self.handle, orient="records", lines=True, date_format="iso")
        else:
            sep = "\t" if self.fmt == "tsv" else ","
            chunk.to_csv(self.handle, index=False, sep=sep, header=self.first)
        self.first = False

    def __exit__(self, *exc: object) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.handle is not None:
            self.handle.close()


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__

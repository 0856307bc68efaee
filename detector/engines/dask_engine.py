"""Dask engine: score a ``dask.dataframe.DataFrame`` of likes on a cluster (or any scheduler).

Design:

1. Each input partition is validated (:func:`detector.schema.validate_likes`; errors name the
   source and the partition) and each like gets an order key (partition number, position).
2. ``ddf.shuffle("creator_id")`` moves every creator's likes into one partition; each partition
   is sorted back into input order (and joined to the accounts table, if any) and *persisted*
   (kept in cluster memory, spilled to disk by the workers as needed) for the two passes.
3. Pass 1 (``scope="batch"`` only): every partition yields its per-liker summary; the summaries
   are combined on the cluster by a tree of :func:`detector.features.combine_liker_summaries`
   (sums and maxima, so the grouping does not matter) and the liker table, one row per
   distinct liker, is brought to the client.
4. The table and the model are broadcast to the workers (``client.scatter(..., broadcast=True)``
   with a distributed client; plain delayed objects otherwise). Pass 2 recomputes each
   partition's features, adds the footprint features from the table and builds its report.
5. The partial reports are gathered and combined in input order: the result equals
   ``model.report(likes)`` on the whole table.

Dask is imported lazily; without it, a :class:`detector.errors.MissingDependencyError` says
to ``pip install 'engagement-detector[dask]'``. ``score_dask`` runs on whatever scheduler is
active (a ``distributed.Client``, else Dask's default); :func:`dask_client` starts or connects
to one for the command line.
"""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pandas._libs.parsers import STR_NA_VALUES

from detector.creators import count_unused_facts, join_creators
from detector.engines.partitions import ROW_KEY, contract_columns, split_rows, validated_sample
from detector.errors import InputFormatError, InputNote, MissingDependencyError, SchemaError
from detector.io import DAMAGED, clean_header, csv_header, detect_format, read_creators, read_table
from detector.progress import Stage, counting, stage
from detector.report import in_id_order
from detector.schema import (
    REQUIRED_COLUMNS,
    VERBATIM_COLUMNS,
    check_required,
    validate_likes,
)
from detector.scoring.pipeline import (
    PartialReport,
    assemble,
    check_input,
    check_present,
    first_pass,
    reduce_summaries,
    resolve_scope,
    second_pass,
    tidy_partition,
    with_accounts,
)

if TYPE_CHECKING:
    import dask.dataframe as dd

    from detector.model.protocol import FeatureScorer
    from detector.report import CreatorReport

__all__ = ["INSTALL_HINT", "dask_client", "read_likes_dask", "score_dask"]

INSTALL_HINT = "pip install 'engagement-detector[dask]'"
FAN_IN = 8
"""Partial liker summaries combined per task of the reduction tree."""
_SHIFT = 40
"""Order key = partition number << 40 | position in the partition."""
_COUNTS = "detector_input_counts"
"""``attrs`` key of a tidied partition's input counts (:func:`tidy_partition`)."""


def _require_dask() -> Any:
    """``dask.dataframe``, or a one-line error saying how to install it."""
    try:  # optional: the 'dask' extra
        import dask
        import dask.dataframe as dd
    except ImportError as error:
        raise MissingDependencyError(
            f"the dask engine needs dask[dataframe] and distributed ({error}); "
            f"install them with: {INSTALL_HINT}"
        ) from None
    del dask
    return dd


def read_likes_dask(path: str | Path, *, blocksize: str | int | None = "64MB") -> dd.DataFrame:
    """Lazily read a likes table (Parquet file or folder, CSV/TSV, JSON Lines) with Dask.

    Only the data-contract columns are read. CSV columns are read as text and parsed by the
    validation of each partition, so a column's type cannot differ between blocks.
    """
    dd = _require_dask()
    name = str(path)
    if name == "-":
        raise InputFormatError("<stdin>: the dask engine reads files, not standard input")
    fmt = detect_format(path)
    if not Path(path).exists():
        raise InputFormatError(f"{name}: file not found")
    try:
        if fmt == "parquet":
            written = _parquet_columns(Path(path))
            columns = _stripped(written, name)
            wanted = contract_columns(columns)
            raw = dict(zip(columns, written, strict=True))
            frame = dd.read_parquet(name, columns=[raw[c] for c in wanted] or None)
            return frame.rename(columns={raw[c]: c for c in wanted if raw[c] != c})
        if fmt in ("csv", "tsv"):
            sep = "\t" if fmt == "tsv" else ","
            header, note = csv_header(path, name, sep)  # duplicates refused, names stripped
            if note:
                warnings.warn(note, InputNote, stacklevel=2)
            check_required(pd.DataFrame(columns=header), REQUIRED_COLUMNS, name)
            wanted = contract_columns(header)
            return dd.read_csv(
                name, sep=sep, names=header, header=0, usecols=wanted,
                dtype=dict.fromkeys(wanted, object), keep_default_na=False,
                na_values={c: list(STR_NA_VALUES) for c in wanted if c not in VERBATIM_COLUMNS},
                blocksize=blocksize,
            )  # fmt: skip
        frame = dd.read_json(
            name, lines=True, blocksize=blocksize, dtype=False
        )  # dtype=False: ids and dates as written, parsed by the validation
        columns = _stripped(list(frame.columns), name)
        return frame.rename(columns=dict(zip(frame.columns, columns, strict=True)))
    except (SchemaError, InputFormatError):
        raise
    except pd.errors.EmptyDataError:
        raise InputFormatError(
            f"{name}: empty file (expected a header row and one row per like)"
        ) from None
    except (ValueError, OSError, EOFError) as error:
        text = str(error).strip()
        first = text.splitlines()[0] if text else type(error).__name__
        raise InputFormatError(f"{name}: cannot be read as {fmt}: {first}") from None


def _stripped(names: list[str], name: str) -> list[str]:
    """Header names as the memory engine reads them (:func:`clean_header`), with its note."""
    columns, note = clean_header(names, name)
    if note:
        warnings.warn(note, InputNote, stacklevel=3)
    return columns


def _parquet_columns(path: Path) -> list[str]:
    import pyarrow.dataset as ds  # only Parquet input needs the dataset reader

    return list(ds.dataset(path, format="parquet").schema.names)


def score_dask(
    ddf: dd.DataFrame,
    model: FeatureScorer,
    *,
    include_likes: bool = False,
    accounts: str | Path | pd.DataFrame | None = None,
    creators: Sequence[str] | None = None,
    creator_facts: str | Path | pd.DataFrame | None = None,
    scope: str | None = None,
    npartitions: int | None = None,
    source: str = "dask DataFrame",
) -> CreatorReport:
    """Score the likes of a Dask DataFrame on the active Dask scheduler.

    Parameters
    ----------
    ddf : likes following the data contract (raw: each partition is validated).
    model : a fitted scorer (:class:`detector.model.protocol.FeatureScorer`).
    include_likes : also gather the per-like table (in input order) into the report.
    accounts : liker accounts table (path or DataFrame) keyed by ``account_id``.
    creators : only score these creator ids.
    creator_facts : creators table (path or DataFrame) keyed by ``creator_id``
        (:mod:`detector.creators`), joined onto each partition after the shuffle.
    scope : "batch" or "creator" (default: the model's).
    npartitions : partitions after the shuffle by creator (default: as many as the input).
    source : name used in error messages (e.g. the file read).

    Returns
    -------
    CreatorReport equal to ``model.report(likes)`` on the whole (filtered) table.
    """
    dd = _require_dask()
    from dask import delayed

    if not isinstance(ddf, dd.DataFrame):
        raise TypeError(f"expected a dask.dataframe.DataFrame, got {type(ddf).__name__}")
    scope = resolve_scope(model, scope)
    check_required(pd.DataFrame(columns=list(ddf.columns)), REQUIRED_COLUMNS, source)
    columns = contract_columns(ddf.columns)
    account_table, account_source = _accounts(accounts)
    facts = None if creator_facts is None else read_creators(creator_facts)
    for note in [] if facts is None else facts.attrs.get("notes", []):
        warnings.warn(note, InputNote, stacklevel=2)
    wanted = None if creators is None else list(creators)

    meta = validated_sample(columns).iloc[:0]
    prepared = ddf[columns].map_partitions(_prepare, source, wanted, meta=meta)
    shuffled = prepared.shuffle("creator_id", npartitions=npartitions)
    account_arg = None if account_table is None else delayed(account_table)
    facts_arg = None if facts is None else delayed(facts)
    joined_meta = _joined_meta(columns, account_table, account_source, facts)
    ordered = shuffled.map_partitions(
        _order, account_arg, account_source, facts_arg, meta=joined_meta
    )
    with _reading(source):
        parts = _persisted("reading and grouping by creator", ordered).to_delayed()

    client = _distributed_client()
    table, columns_present = None, None
    if scope == "batch":
        firsts = [delayed(_first)(part) for part in parts]
        summaries = [delayed(_pick)(first, 0) for first in firsts]
        while len(summaries) > 1:
            summaries = [
                delayed(_combine)(summaries[i : i + FAN_IN])
                for i in range(0, len(summaries), FAN_IN)
            ]
        with _reading(source):
            table, found = _computed(
                "pass 1: likers across creators",
                summaries[0],
                [delayed(_pick)(f, 1) for f in firsts],
            )
        present = [p for p in found if p is not None]
        if table is None:
            raise _no_rows(source, wanted)
        columns_present = check_present(present)
        model.prepare(columns_present, scope)
    if client is not None:
        model_arg = client.scatter(model, broadcast=True, hash=False)
        table_arg = None if table is None else client.scatter(table, broadcast=True, hash=False)
    else:
        model_arg, table_arg = delayed(model), delayed(table)
    with _reading(source):
        results = _computed(
            "scoring",
            *[
                delayed(_second)(part, model_arg, table_arg, include_likes, columns_present)
                for part in parts
            ],
        )
    partials = [r for r in results if r is not None]
    if not partials:
        raise _no_rows(source, wanted)
    accounts_source = None if account_table is None else account_source
    report = in_id_order(check_input(assemble(partials), accounts_source, source))
    count_unused_facts(report.meta, facts)
    return report


@contextmanager
def _reading(source: str) -> Iterator[None]:
    """A damaged compressed input fails only when its blocks are read, on the workers: one
    error naming the file (an escaping EOFError would make typer print only 'Aborted!')."""
    try:
        yield
    except DAMAGED as error:
        raise InputFormatError(
            f"{source}: damaged or truncated file, cannot be decompressed "
            f"({type(error).__name__}: {str(error).strip() or 'no detail'})"
        ) from None


@contextmanager
def dask_client(address: str | None = None, n_workers: int = 2) -> Iterator[Any]:
    """A ``distributed.Client``: connected to ``address``, else to a new local cluster.

    The local cluster runs ``n_workers`` worker processes with one thread each and no
    dashboard; it is shut down on exit. A remote cluster is left running.
    """
    _require_dask()
    try:  # optional: the 'dask' extra
        from distributed import Client, LocalCluster
    except ImportError as error:
        raise MissingDependencyError(
            f"the dask engine needs distributed ({error}); install it with: {INSTALL_HINT}"
        ) from None
    if address:
        try:
            client = Client(address, timeout="10s")
        except (OSError, TimeoutError) as error:
            raise InputFormatError(
                f"{address}: cannot connect to the Dask scheduler ({error})"
            ) from None
        with client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


# ------------------------------------------------------------------ tasks (run on workers)
def _prepare(
    frame: pd.DataFrame,
    source: str,
    creators: list[str] | None,
    partition_info: dict | None = None,
) -> pd.DataFrame:
    """Validate one input partition and give each like its order key."""
    number = 0 if partition_info is None else int(partition_info["number"])
    if frame.empty:
        return validated_sample(list(frame.columns)).iloc[:0]
    likes = validate_likes(frame, f"{source} (partition {number})")
    likes[ROW_KEY] = (np.int64(number) << _SHIFT) + np.arange(len(likes), dtype=np.int64)
    if creators is not None:
        likes = likes[likes["creator_id"].isin(creators).to_numpy()].reset_index(drop=True)
    return likes


def _order(
    frame: pd.DataFrame,
    accounts: pd.DataFrame | None,
    source: str = "accounts",
    creator_facts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Put a shuffled partition back in input order, drop repeated likes and join the accounts
    and creators tables (:func:`tidy_partition`); its input counts ride in ``attrs`` to pass 2."""
    frame = frame.sort_values(ROW_KEY, kind="stable").reset_index(drop=True)
    if frame.empty:
        if accounts is None and creator_facts is None:
            return frame
        columns = [c for c in frame.columns if c != ROW_KEY]
        return _joined_meta(columns, accounts, source, creator_facts)
    rows = frame[ROW_KEY].to_numpy(dtype=np.int64)
    likes, rows, counts = tidy_partition(
        frame.drop(columns=ROW_KEY), rows, accounts, source, creator_facts
    )
    likes.insert(list(frame.columns).index(ROW_KEY), ROW_KEY, rows)  # where the meta has it
    likes.attrs[_COUNTS] = counts
    return likes


def _first(frame: pd.DataFrame) -> tuple[pd.DataFrame | None, list[str] | None]:
    if frame.empty:
        return None, None
    likes, _ = split_rows(frame)
    return first_pass(likes)


def _pick(pair: tuple[Any, Any], index: int) -> Any:
    return pair[index]


def _combine(summaries: list[pd.DataFrame | None]) -> pd.DataFrame | None:
    present = [s for s in summaries if s is not None]
    return reduce_summaries(present) if present else None


def _second(
    frame: pd.DataFrame,
    model: FeatureScorer,
    table: pd.DataFrame | None,
    include_likes: bool,
    present: list[str] | None = None,
) -> PartialReport | None:
    if frame.empty:
        return None
    counts = frame.attrs.get(_COUNTS, {})
    likes, rows = split_rows(frame)
    return second_pass(
        likes, rows, model, table, include_likes=include_likes, counts=counts, present=present
    )


# ------------------------------------------------------------------------------- helpers
def _joined_meta(
    columns: list[str],
    accounts: pd.DataFrame | None,
    source: str,
    creator_facts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """An empty frame with the dtypes of validated likes joined to the accounts and creators
    tables (the creators joined onto no row: the made-up one could clash with them)."""
    meta = with_accounts(validated_sample(columns), accounts, source).iloc[:0]
    return meta if creator_facts is None else join_creators(meta, creator_facts)


def _accounts(accounts: str | Path | pd.DataFrame | None) -> tuple[pd.DataFrame | None, str]:
    if accounts is None or isinstance(accounts, pd.DataFrame):
        return accounts, "accounts"
    return read_table(accounts), str(accounts)


def _persisted(name: str, collection: Any) -> Any:
    """``collection.persist()``, done before it returns (so that its stage is timed), with
    Dask's own progress of its tasks on a bar when counts are shown."""
    client = _distributed_client()
    with stage(name, unit="tasks") as counted:
        persisted = collection.persist()
        if client is not None:
            from distributed import futures_of, wait

            if counting():
                _task_bar()(futures_of(persisted), counted)
            wait(persisted)
    return persisted


def _computed(name: str, *collections: Any) -> tuple[Any, ...]:
    """``dask.compute(*collections)`` with Dask's own progress of its tasks on a bar when
    counts are shown: the distributed scheduler's progress feed, or the local schedulers'
    callbacks."""
    import dask

    client = _distributed_client()
    with stage(name, unit="tasks") as counted:
        if not counting():
            return dask.compute(*collections)
        if client is None:
            with _local_task_count()(counted):
                return dask.compute(*collections)
        futures = client.compute(
            [c if dask.is_dask_collection(c) else dask.delayed(c) for c in collections]
        )
        _task_bar()(futures, counted)  # returns when the tasks are done (or one failed)
        return tuple(client.gather(futures))


@functools.cache
def _task_bar() -> type:
    """The class of :func:`_computed`'s bars (made on first use: distributed is optional)."""
    from distributed.diagnostics.progressbar import TextProgressBar

    class TaskBar(TextProgressBar):
        """Distributed's console progress bar, drawn on a stage instead of stdout."""

        def __init__(self, futures: Any, counted: Stage) -> None:
            self.counted = counted
            super().__init__(futures)

        def _draw_bar(self, remaining: int, all: int, **kwargs: Any) -> None:
            self.counted.update(all - remaining, all)

        def _draw_stop(self, **kwargs: Any) -> None:
            pass

    return TaskBar


@functools.cache
def _local_task_count() -> type:
    """The class of :func:`_computed`'s counts on Dask's local schedulers (a callback; made on
    first use: dask is optional)."""
    from dask.callbacks import Callback

    class LocalTaskCount(Callback):
        """Tasks done on a stage, from the local schedulers' callbacks."""

        def __init__(self, counted: Stage) -> None:
            super().__init__()
            self.counted = counted

        def _start_state(self, dsk: Any, state: Any) -> None:
            self.total = sum(len(state[k]) for k in ("ready", "waiting", "running", "finished"))

        def _posttask(self, key: Any, result: Any, dsk: Any, state: Any, id: Any) -> None:
            self.counted.update(len(state["finished"]), self.total)

    return LocalTaskCount


def _distributed_client() -> Any:
    """The active ``distributed.Client``, or None (Dask's local scheduler is used)."""
    try:  # optional: the 'dask' extra
        from distributed import get_client
    except ImportError:
        return None
    try:
        return get_client()
    except ValueError:
        return None


def _no_rows(source: str, creators: list[str] | None) -> SchemaError:
    if creators is not None:
        return SchemaError(f"{source}: no likes for creator(s) {', '.join(creators)}")
    return SchemaError(f"{source}: no rows (expected one row per like)")

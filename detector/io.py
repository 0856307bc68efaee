"""Reading tables (CSV, Parquet, JSON Lines, ``-`` for CSV on stdin) and writing results atomically.

No machine learning here: this module turns files into validated DataFrames and DataFrames
into files, and every write goes to a temporary file in the target folder that is then renamed,
so an interrupted run never leaves a half-written file behind.
"""

from __future__ import annotations

import bz2
import gzip
import importlib.util
import io
import lzma
import sys
import zlib
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import IO

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from pandas._libs.parsers import STR_NA_VALUES

from detector.creators import join_creators, validate_creators
from detector.errors import InputFormatError, SchemaError
from detector.output import atomic_write
from detector.progress import Stage, counting, polled, stage
from detector.schema import (
    ACCOUNTS_MATCHED,
    VERBATIM_COLUMNS,
    check_accounts_matched,
    join_accounts,
    parse_labels,
    validate_likes,
)
from detector.sources import detect_source, read_source

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
COMPRESSIONS = (".gz", ".bz2", ".zst", ".xz")


def detect_format(path: str | Path) -> str:
    """Return 'csv', 'tsv', 'parquet' or 'jsonl' from a file name (``-`` is CSV on stdin)."""
    if str(path) == "-":
        return "csv"
    path = Path(path)
    if path.is_dir():
        return "parquet"
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSIONS:
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in FORMATS:
        return FORMATS[suffixes[-1]]
    raise InputFormatError(
        f"{path}: unknown format '{''.join(path.suffixes) or '(no extension)'}' "
        f"(expected .csv, .tsv, .parquet, .jsonl or a folder of Parquet files)"
    )


DAMAGED = (EOFError, zlib.error, lzma.LZMAError, gzip.BadGzipFile, UnicodeDecodeError)
"""What a truncated or garbage compressed file raises while it is decompressed. EOFError must be
caught here: typer (click) takes an escaping EOFError for Ctrl-D and prints only 'Aborted!'."""


def _csv_options(names: list[str]) -> dict[str, object]:
    """read_csv options keeping the verbatim columns as text (an empty cell only is missing)
    and today's missing-value words (NA, null, ...) for every other column."""
    verbatim = [n for n in names if n in VERBATIM_COLUMNS]
    return {
        "names": names,
        "header": 0,
        "dtype": dict.fromkeys(verbatim, str),
        "keep_default_na": False,
        "na_values": {n: list(STR_NA_VALUES) for n in names if n not in VERBATIM_COLUMNS},
    }


_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


def _read_csv(
    source: str | Path | IO[bytes], sep: str, names: list[str], counted: Stage | None = None
) -> pd.DataFrame:
    """Read a CSV with Arrow: the verbatim columns as text, other columns typed by Arrow with
    pandas' missing-value words (NA, null, nan, ...) as missing; the schema parses them after.

    Arrow's reader builds id strings several times faster than pandas' (a text column is
    pandas' slowest to read), which keeps reading ids verbatim as cheap as reading numbers.
    ``counted`` counts the bytes read from a file (for a progress bar)."""
    text = [n for n in names if n in VERBATIM_COLUMNS]
    options = pacsv.ConvertOptions(
        column_types=dict.fromkeys(text, pa.string()),
        null_values=sorted(STR_NA_VALUES),
        strings_can_be_null=False,
    )
    suffix = Path(source).suffix.lower() if isinstance(source, (str, Path)) else ""
    with ExitStack() as stack:
        if isinstance(source, (str, Path)) and counted is not None:
            raw = stack.enter_context(pa.OSFile(str(source)))
            stack.enter_context(polled(raw.tell, counted))  # the bytes read, for a bar
            source = raw
        if suffix in _OPENERS:
            source = stack.enter_context(_OPENERS[suffix](source, "rb"))
        table = pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=sep),
            convert_options=options,
        )
    frame = table.to_pandas()
    for name in names:  # text columns Arrow inferred: the missing-value words are missing
        column = frame[name]
        if (
            name not in VERBATIM_COLUMNS
            and not pd.api.types.is_numeric_dtype(column)
            and (pd.api.types.is_string_dtype(column) or column.dtype == object)
        ):
            frame[name] = column.where(~column.isin(STR_NA_VALUES))
    return frame


def clean_header(names: list[object], name: str) -> tuple[list[str], str | None]:
    """Header names stripped of surrounding whitespace, and a note saying so (None: nothing
    stripped). Raises InputFormatError naming a column that appears twice (also after
    stripping: pandas would silently rename the second one ``x.1``)."""
    raw = [str(n) for n in names]
    stripped = [n.strip() for n in raw]
    seen: set[str] = set()
    for column in stripped:
        if column in seen:
            raise InputFormatError(
                f"{name}: column '{column}' appears more than once in the header "
                f"(expected each column once)"
            )
        seen.add(column)
    changed = [repr(r) for r, s in zip(raw, stripped, strict=True) if r != s]
    note = None
    if changed:
        note = f"{name}: stripped surrounding whitespace from column name(s) {', '.join(changed)}"
    return stripped, note


def csv_header(
    source: str | Path | IO[str], name: str, sep: str = ","
) -> tuple[list[str], str | None]:
    """The CSV header as written (duplicates not renamed), cleaned by :func:`clean_header`."""
    first = pd.read_csv(source, sep=sep, header=None, nrows=1, dtype=str, keep_default_na=False)
    return clean_header(list(first.iloc[0]) if len(first) else [], name)


def read_table(path: str | Path, stdin: IO[str] | None = None) -> pd.DataFrame:
    """Read one table by its extension; ``-`` reads CSV from standard input.

    Ids and usernames are read as text verbatim (:data:`VERBATIM_COLUMNS`). A note about
    header names stripped of whitespace is left in ``frame.attrs["notes"]`` for the caller.
    """
    fmt = detect_format(path)
    name = "<stdin>" if str(path) == "-" else str(path)
    if str(path) != "-" and not Path(path).exists():
        raise InputFormatError(f"{name}: file not found")
    if name.lower().endswith(".zst") and importlib.util.find_spec("zstandard") is None:
        raise InputFormatError(
            f"{name}: reading .zst needs the zstandard package (pip install 'engagement-detector[zstd]'), "
            f"or decompress the file first"
        )
    size = None  # bytes to read, where a bar counts them: files Arrow reads
    if (
        counting()
        and fmt in ("csv", "tsv")
        and str(path) != "-"
        and not name.lower().endswith(".zst")
    ):
        size = Path(path).stat().st_size
    with stage(f"reading {name}", size, "bytes" if size else "") as counted:
        frame, note = _read(path, name, fmt, stdin, counted if size else None)
    if frame.shape[1] == 0:
        raise InputFormatError(f"{name}: empty file (expected a header row and one row per like)")
    if note:
        frame.attrs["notes"] = [note]
    return frame


def _read(
    path: str | Path, name: str, fmt: str, stdin: IO[str] | None, counted: Stage | None
) -> tuple[pd.DataFrame, str | None]:
    note = None
    try:
        if str(path) == "-":
            text = (stdin or sys.stdin).read()
            if not text.strip():
                raise InputFormatError(f"{name}: empty input (expected CSV with a header row)")
            names, note = csv_header(io.StringIO(text), name)
            frame = _read_csv(io.BytesIO(text.encode("utf-8")), ",", names)
        elif fmt in ("csv", "tsv"):
            sep = "\t" if fmt == "tsv" else ","
            names, note = csv_header(path, name, sep)
            if name.lower().endswith(".zst"):
                frame = pd.read_csv(path, sep=sep, **_csv_options(names))
            else:
                frame = _read_csv(path, sep, names, counted)
        else:
            if fmt == "parquet":
                frame = pd.read_parquet(path)
            else:  # JSON numbers and strings as written; dates parsed by the schema
                frame = pd.read_json(path, lines=True, dtype=False)
            names, note = clean_header(list(frame.columns), name)
            frame.columns = names
    except InputFormatError:
        raise
    except pd.errors.EmptyDataError:
        raise InputFormatError(
            f"{name}: empty file (expected a header row and one row per like)"
        ) from None
    except DAMAGED as error:
        raise InputFormatError(
            f"{name}: damaged or truncated file, cannot be decompressed/decoded as {fmt} "
            f"({type(error).__name__}: {_first_line(error)})"
        ) from None
    except (ValueError, OSError, pd.errors.ParserError) as error:
        raise InputFormatError(f"{name}: cannot be read as {fmt}: {_first_line(error)}") from None
    return frame, note


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def load_likes(
    path: str | Path,
    accounts: str | Path | None = None,
    label_column: str | None = None,
    stdin: IO[str] | None = None,
    creators: Sequence[str] | None = None,
    creator_facts: str | Path | pd.DataFrame | None = None,
    source: str | None = None,
) -> pd.DataFrame:
    """Read, validate and join a likes table (and optional accounts and creators tables).

    ``source`` names a platform export (:data:`detector.sources.SOURCES`) to read ``path``
    as; a folder that is one is read so without it (a folder of Parquet files stays a table).
    ``label_column`` may be on either table; it is required when given. ``creators`` keeps
    only their likes (before the accounts are joined, so that how many likers the accounts
    table has is counted on them). ``creator_facts`` is a creators table (path or DataFrame,
    :func:`detector.creators.join_creators`). Notes from reading (header names stripped, what
    export was read) are in ``result.attrs["notes"]`` for the caller to show.
    """
    where = "<stdin>" if str(path) == "-" else str(path)
    if source is not None and str(path) == "-":
        raise SchemaError(f"--source {source}: a platform export is a folder, not standard input")
    if source is None and str(path) != "-":
        source = detect_source(path)
    likes_label = None
    raw = read_table(path, stdin=stdin) if source is None else read_source(path, source)
    if label_column is not None and label_column in raw.columns:
        likes_label = label_column
    notes = list(raw.attrs.get("notes", []))
    with stage(f"checking {where}"):
        likes = validate_likes(raw, where, label_column=likes_label)
    del raw
    # Arrow keeps the buffers of the table read for reuse; scoring needs that memory more
    pa.default_memory_pool().release_unused()
    if creators:
        likes = likes[likes["creator_id"].isin(list(creators)).to_numpy()].reset_index(drop=True)
        if likes.empty:
            raise SchemaError(f"{where}: no likes for creator(s) {', '.join(creators)}")
    if accounts is not None:
        table = read_table(accounts)
        notes += table.attrs.get("notes", [])
        likes = join_accounts(likes, table, str(accounts))
        check_accounts_matched(likes.attrs[ACCOUNTS_MATCHED], len(likes), str(accounts), where)
        if label_column is not None and likes_label is None:
            if label_column not in likes.columns:
                raise SchemaError(
                    f"{where}: label column '{label_column}' is in neither the likes "
                    f"nor the accounts table"
                )
            likes[label_column] = parse_labels(likes[label_column], str(accounts), label_column)
    elif label_column is not None and likes_label is None:
        raise SchemaError(f"{where}: label column '{label_column}' not found")
    if creator_facts is not None:
        facts = read_creators(creator_facts)
        notes += facts.attrs.get("notes", [])
        likes = join_creators(likes, facts, likes_source=where)
    likes.attrs["notes"] = notes
    return likes


def read_creators(creators: str | Path | pd.DataFrame) -> pd.DataFrame:
    """A creators table (path or DataFrame) read and validated once
    (:func:`detector.creators.validate_creators`), for every partition's join; notes from
    reading it are in ``attrs["notes"]``."""
    if isinstance(creators, pd.DataFrame):
        return validate_creators(creators)
    table = read_table(creators)
    facts = validate_creators(table, str(creators))
    facts.attrs["notes"] = list(table.attrs.get("notes", []))
    return facts


def write_text(path: str | Path, text: str, overwrite: bool = True) -> Path:
    """Write text atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), overwrite)


def write_frame(path: str | Path, frame: pd.DataFrame, overwrite: bool = True) -> Path:
    """Write a DataFrame atomically in the format given by the file extension."""
    fmt = detect_format(path)

    def write(tmp: Path) -> None:
        if fmt == "parquet":
            frame.to_parquet(tmp, index=False)
        elif fmt == "jsonl":
            frame.to_json(tmp, orient="records", lines=True, date_format="iso")
        else:
            frame.to_csv(tmp, index=False, sep="\t" if fmt == "tsv" else ",")

    return atomic_write(path, write, overwrite)

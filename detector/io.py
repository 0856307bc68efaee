"""Reading tables (CSV, Parquet, JSON Lines, ``-`` for CSV on stdin) and writing results atomically.

No machine learning here: this module turns files into validated DataFrames and DataFrames
into files, and every write goes to a temporary file in the target folder that is then renamed,
so an interrupted run never leaves a half-written file behind.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pandas as pd

from detector.errors import InputFormatError, SchemaError
from detector.schema import join_accounts, parse_labels, validate_likes

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


def read_table(path: str | Path, stdin: IO[str] | None = None) -> pd.DataFrame:
    """Read one table by its extension; ``-`` reads CSV from standard input."""
    fmt = detect_format(path)
    name = "<stdin>" if str(path) == "-" else str(path)
    if str(path) != "-" and not Path(path).exists():
        raise InputFormatError(f"{name}: file not found")
    try:
        if str(path) == "-":
            text = (stdin or sys.stdin).read()
            if not text.strip():
                raise InputFormatError(f"{name}: empty input (expected CSV with a header row)")
            frame = pd.read_csv(io.StringIO(text))
        elif fmt == "csv":
            frame = pd.read_csv(path)
        elif fmt == "tsv":
            frame = pd.read_csv(path, sep="\t")
        elif fmt == "parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_json(path, lines=True)
    except InputFormatError:
        raise
    except pd.errors.EmptyDataError:
        raise InputFormatError(
            f"{name}: empty file (expected a header row and one row per like)"
        ) from None
    except (ValueError, OSError, pd.errors.ParserError) as error:
        first_line = (
            str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        )
        raise InputFormatError(f"{name}: cannot be read as {fmt}: {first_line}") from error
    if frame.shape[1] == 0:
        raise InputFormatError(f"{name}: empty file (expected a header row and one row per like)")
    return frame


def load_likes(
    path: str | Path,
    accounts: str | Path | None = None,
    label_column: str | None = None,
    stdin: IO[str] | None = None,
) -> pd.DataFrame:
    """Read, validate and join a likes table (and optional accounts table).

    ``label_column`` may be on either table; it is required when given.
    """
    source = "<stdin>" if str(path) == "-" else str(path)
    likes_label = None
    raw = read_table(path, stdin=stdin)
    if label_column is not None and label_column in raw.columns:
        likes_label = label_column
    likes = validate_likes(raw, source, label_column=likes_label)
    if accounts is not None:
        likes = join_accounts(likes, read_table(accounts), str(accounts))
        if label_column is not None and likes_label is None:
            if label_column not in likes.columns:
                raise SchemaError(
                    f"{source}: label column '{label_column}' is in neither the likes "
                    f"nor the accounts table"
                )
            likes[label_column] = parse_labels(likes[label_column], str(accounts), label_column)
    elif label_column is not None and likes_label is None:
        raise SchemaError(f"{source}: label column '{label_column}' not found")
    return likes


def atomic_write(path: str | Path, write: Callable[[Path], None], overwrite: bool = True) -> Path:
    """Call ``write(tmp_path)`` then rename the temporary file onto ``path``."""
    target = Path(path)
    if target.exists() and not overwrite:
        raise InputFormatError(f"{target}: already exists (pass --force to overwrite)")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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

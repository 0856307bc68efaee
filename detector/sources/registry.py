"""The platform exports the detector reads, which one a folder is, and reading one into a
contract-shaped table (validated afterwards by :func:`detector.schema.validate_likes`, as any
table is)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from detector.errors import SchemaError
from detector.sources import bluesky, instaloader_profiles, x_api
from detector.sources._layout import (
    JSON_SUFFIXES,
    PARQUET_SUFFIXES,
    Source,
    export_files,
    has_suffix,
    sniff,
)

if TYPE_CHECKING:
    import pandas as pd

SOURCES: dict[str, Source] = {
    source.name: source for source in (x_api.SOURCE, instaloader_profiles.SOURCE, bluesky.SOURCE)
}


def _listed() -> str:
    return "; ".join(f"{s.name}: {s.title}, {s.layout}" for s in SOURCES.values())


def detect_source(path: str | Path) -> str | None:
    """The name of the export ``path`` is, or ``None`` when it is no export folder.

    ``None`` for a file, and for a folder holding Parquet files or no JSON at all (a folder
    of Parquet files is a likes table). Raises :class:`SchemaError` when the JSON files are
    no source's, when they are of two sources, or when more than one source would read them.
    """
    root = Path(path)
    if not root.is_dir():
        return None
    files = export_files(root)
    if any(has_suffix(f, PARQUET_SUFFIXES) for f in files):
        return None
    candidates = [f for f in files if has_suffix(f, JSON_SUFFIXES)]
    if not candidates:
        return None
    claimed: dict[Path, set[str]] = {}
    for file in candidates:
        document = sniff(file)
        names = {
            s.name for s in SOURCES.values() if document is not None and s.claims(file, document)
        }
        if names:
            claimed[file] = names
    if not claimed:
        raise SchemaError(
            f"{root}: not a recognised platform export: {candidates[0]} is no source's file "
            f"(expected one of {_listed()})"
        )
    common = set.intersection(*claimed.values())
    if len(common) == 1:
        return common.pop()
    kinds = {
        frozenset(names): file for file, names in reversed(claimed.items())
    }  # first file of each
    apart = next(((a, b) for a in kinds for b in kinds if not a & b), None)
    if common or apart is None:
        could = common or set().union(*kinds)
        raise SchemaError(
            f"{root}: ambiguous, the files could be {' or '.join(sorted(could))} "
            f"(give --source NAME)"
        )
    first, other = sorted((kinds[apart[0]], kinds[apart[1]]))
    raise SchemaError(
        f"{root}: mixes two exports: {first} is {_titles(claimed[first])}, {other} is "
        f"{_titles(claimed[other])} (expected the files of one source per folder)"
    )


def _titles(names: set[str]) -> str:
    return " or ".join(SOURCES[name].title for name in sorted(names))


def read_source(path: str | Path, name: str | None = None) -> pd.DataFrame:
    """Read an export folder as source ``name`` (detected when ``None``) into one row per like
    in contract column names, unvalidated; columns the export leaves empty throughout are
    left out. Notes saying what was read, and the adapter's, are in ``frame.attrs["notes"]``."""
    import pandas as pd  # cold start: the command line lists SOURCES without pandas

    root = Path(path)
    if name is None:
        name = detect_source(root)
        if name is None:
            raise SchemaError(f"{root}: not a platform export folder (expected one of {_listed()})")
    if name not in SOURCES:
        raise SchemaError(f"unknown source '{name}' (expected one of {', '.join(SOURCES)})")
    source = SOURCES[name]
    if not root.is_dir():
        raise SchemaError(f"{root}: not a folder (expected {source.title}: {source.layout})")
    export = source.read(root)
    if not export.rows:
        raise SchemaError(
            f"{root}: no likers in any file (expected {source.title}: {source.layout})"
        )
    frame = pd.DataFrame.from_records(export.rows, columns=list(source.columns))
    # a column the export leaves empty throughout is one it does not have: left out, an
    # accounts table may give it (join_accounts refuses a column given by both tables)
    empty = [c for c in frame.columns[3:] if frame[c].isna().all()]
    frame = frame.drop(columns=empty)
    counts = frame.groupby("creator_id")["post_id"].nunique()
    frame.attrs["notes"] = [
        f"{root}: read as source '{name}' ({source.title}): {len(frame):,} likes on "
        f"{int(counts.sum()):,} post(s) of {len(counts):,} creator(s)",
        *export.notes,
    ]
    return frame

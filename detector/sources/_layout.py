"""What every platform export shares: the :class:`Source` description, JSON files read with
messages that name the file, and the paged ``PATH/<creator_id>/<post_id>[.<page>].json`` layout.

No pandas here: the adapters turn documents into plain rows (one dict per like), and only
:func:`detector.sources.registry.read_source` makes a DataFrame of them, so the command line can
list the sources without loading pandas.
"""

from __future__ import annotations

import json
import lzma
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from detector.errors import SchemaError

Row = dict[str, object]
"""One like in contract column names (``None``: the export does not say)."""


@dataclass
class Export:
    """What an adapter read: one row per like, and notes for the user (pages that say likers
    are missing, say)."""

    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Source:
    """A platform export the detector reads: how its files look and how to read them.

    ``claims`` answers, from one file's parsed content (the first record of a JSON Lines
    file), whether the file is this source's: detection asks every source about every file.
    ``read`` reads a whole export folder, checking every file, and raises
    :class:`SchemaError` naming the first file that does not fit ``layout``.
    """

    name: str
    title: str
    layout: str
    columns: tuple[str, ...]
    claims: Callable[[Path, object], bool]
    read: Callable[[Path], Export]


JSON_SUFFIXES = (".json", ".json.xz", ".jsonl")
"""File names whose content detection looks at; any other file is claimed by no source."""

PARQUET_SUFFIXES = (".parquet", ".pq")


def has_suffix(path: Path, suffixes: tuple[str, ...]) -> bool:
    return path.name.lower().endswith(suffixes)


def export_files(root: Path) -> list[Path]:
    """Every file under ``root`` in a stable order, skipping hidden ones (``.DS_Store``)."""
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )


def depth(root: Path, path: Path) -> int:
    """How many folders deep below ``root`` a path is (``root/a/b.json`` is 2)."""
    return len(path.relative_to(root).parts)


def load_json(path: Path) -> object:
    """A ``.json`` or ``.json.xz`` file's content; broken JSON or a damaged ``.xz`` is refused
    with the file and the place."""
    try:
        if path.name.lower().endswith(".xz"):
            with lzma.open(path, "rt", encoding="utf-8") as handle:
                text = handle.read()
        else:
            text = path.read_text(encoding="utf-8")
    except (lzma.LZMAError, EOFError, UnicodeDecodeError) as error:
        raise SchemaError(f"{path}: damaged file, cannot be decoded ({error})") from None
    return parse_json(text, str(path))


def parse_json(text: str, where: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise SchemaError(
            f"{where}: not valid JSON ({error.msg} at line {error.lineno} column {error.colno})"
        ) from None


def json_lines(path: Path) -> Iterator[tuple[str, object]]:
    """Each record of a JSON Lines file with where it is (``file:line``); blank lines skipped."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                where = f"{path}:{number}"
                yield where, parse_json(line, where)


def sniff(path: Path) -> object | None:
    """What detection looks at: a JSON file's content, the first record of a JSON Lines file,
    nothing (``None``) for other files and empty JSON Lines files."""
    if path.name.lower().endswith(".jsonl"):
        return next((record for _, record in json_lines(path)), None)
    if has_suffix(path, (".json", ".json.xz")):
        return load_json(path)
    return None


_PAGE = re.compile(r"^(?P<post>.+?)(?:\.(?P<page>\d+))?\.json$")


def paged_posts(root: Path, source: Source) -> dict[tuple[str, str], list[Path]]:
    """The saved pages of each post in ``PATH/<creator_id>/<post_id>.json`` (first page) and
    ``<post_id>.<n>.json`` (page n = 2, 3, ...), in page order, keyed by (creator, post).

    Refuses a file anywhere else, a page without the pages before it, and a page numbered 1
    (the first page has no number): a missing page would silently drop its likers.
    """
    pages: dict[tuple[str, str], dict[int, Path]] = {}
    for path in export_files(root):
        match = _PAGE.match(path.name)
        if depth(root, path) != 2 or match is None:
            raise SchemaError(f"{path}: not where {source.title} belong (expected {source.layout})")
        number = int(match["page"]) if match["page"] is not None else 1
        if match["page"] is not None and number < 2:
            raise SchemaError(
                f"{path}: page numbers start at 2 (expected the first page as "
                f"{match['post']}.json, then {match['post']}.2.json, ...)"
            )
        pages.setdefault((path.parent.name, match["post"]), {})[number] = path
    ordered: dict[tuple[str, str], list[Path]] = {}
    for key, numbered in pages.items():
        for number, path in sorted(numbered.items()):
            if number > 1 and number - 1 not in numbered:
                before = key[1] + (".json" if number == 2 else f".{number - 1}.json")
                raise SchemaError(
                    f"{path}: page {number} without page {number - 1} ({before} is missing; "
                    f"expected every page of a post, from {key[1]}.json on)"
                )
        ordered[key] = [numbered[number] for number in sorted(numbered)]
    return ordered


def unsaved_page_note(pages: list[Path], post: str, marker: str) -> str:
    """The note for a post whose last saved page still points to a next one (``marker``: the
    field that does)."""
    return (
        f"{pages[-1]}: has a {marker}, but the next page is not saved: "
        f"likers of post {post} may be missing"
    )


def text_length(value: object) -> int | None:
    """Characters of a bio, ``None`` when the export does not carry the field."""
    return len(value) if isinstance(value, str) else None

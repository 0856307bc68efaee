"""Odd likes tables for the fuzz suite, shared by tests/test_fuzz.py and benchmarks/fuzz.py.

A strategy draws a :class:`Case`: the bytes of one input file (CSV, TSV, JSONL, Parquet or gzip
CSV, sometimes with an accounts table) and what the CLI must do with it. ``expect`` is ``"ok"``
(exit 0 and a report that agrees with the input), ``"error"`` (exit 1, one ``Error:`` line) or
``"either"`` (the contract leaves it open, e.g. epoch milliseconds or an account created after the
like; both exits are fine, but an exit 0 must still agree with the input). Valid rows never share
a (creator, post, liker) key, so the only duplicates are exact copies of a row, which the team's
rule counts once. :func:`check` runs ``detector score`` in-process and returns the problems found.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import strategies as st

VERDICTS = {"authentic", "suspicious", "inflated", "cannot tell"}
BASE = datetime(2026, 1, 1, tzinfo=timezone.utc)
ID_ALPHABET = "abcXYZ019_-.é名ß "
ODD_IDS = ["007", "7", "1e3", "1000", "0x1F", "-1", "1.0", "true", "名前", "a b", "x" * 300]
COUNTS = ["followers", "following", "posts", "bio_length"]
BOOLS = ["has_avatar", "is_private", "is_verified"]


@dataclass
class Case:
    """One input for ``detector score``, and what the report must say about it."""

    name: str
    data: bytes
    expect: str
    creators: dict[str, int] = field(default_factory=dict)
    accounts: bytes | None = None
    category: str = "valid"


def _ts(moment: datetime, style: str) -> str:
    """A moment written in one of the timestamp spellings users send."""
    epoch = moment.timestamp()
    if style == "iso_z":
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "iso_offset":
        return moment.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat()
    if style == "iso_naive":
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    if style == "day":
        return moment.strftime("%Y-%m-%d")
    scale = {"epoch_s": 1, "epoch_ms": 10**3, "epoch_us": 10**6, "epoch_ns": 10**9}[style]
    return str(int(epoch) * scale)


# Spellings the README promises (ISO 8601 with or without offset or time, epoch numbers in any
# unit told by magnitude); none is left open any more.
PROMISED_TS = [
    "iso_z",
    "iso_offset",
    "iso_naive",
    "day",
    "epoch_s",
    "epoch_ms",
    "epoch_us",
    "epoch_ns",
]
OPEN_TS: list[str] = []

ids = st.one_of(
    st.sampled_from(ODD_IDS),
    st.text(ID_ALPHABET, min_size=1, max_size=12).map(lambda s: s.strip() or "z"),
)


@st.composite
def tables(draw: st.DrawFn) -> dict:
    """A valid contract table as rows of cell text, with its header and options."""
    creators = draw(st.lists(ids, min_size=1, max_size=4, unique=True))
    ts_style = draw(st.sampled_from(PROMISED_TS + OPEN_TS))
    optional = draw(
        st.lists(
            st.sampled_from(
                ["post_published_at", "creator_followers", "account_created_at", "username"]
                + COUNTS
                + BOOLS
            ),
            unique=True,
            max_size=6,
        )
    )
    blank_share = draw(st.sampled_from([0.0, 0.0, 0.3]))
    header = ["creator_id", "post_id", "liker_id", "liked_at", *optional]
    rows: list[list[str]] = []
    followers = {c: draw(st.integers(0, 10**6)) for c in creators}
    for creator in creators:
        n_posts = draw(st.integers(1, 3))
        likers = draw(st.lists(ids, min_size=1, max_size=8, unique=True))
        for p in range(n_posts):
            published = BASE + timedelta(hours=draw(st.integers(0, 24 * 30)))
            for liker in likers[: draw(st.integers(1, len(likers)))]:
                liked = published + timedelta(seconds=draw(st.integers(0, 86400 * 3)))
                row = {
                    "creator_id": creator,
                    "post_id": f"{creator}:p{p}",
                    "liker_id": liker,
                    "liked_at": _ts(liked, ts_style),
                    "post_published_at": _ts(published, ts_style),
                    "creator_followers": str(followers[creator]),
                    "account_created_at": _ts(BASE - timedelta(days=400), "iso_z"),
                    "username": f"u_{liker}",
                }
                for col in COUNTS:
                    row[col] = str(draw(st.integers(0, 5000)))
                for col in BOOLS:
                    row[col] = draw(st.sampled_from(["true", "false", "yes", "no", "1", "0"]))
                cells = [row[c] for c in header]
                for i in range(4, len(cells)):
                    if blank_share and draw(st.floats(0, 1)) < blank_share:
                        cells[i] = ""
                rows.append(cells)
    n_dupes = draw(st.integers(0, min(3, len(rows))))
    for i in draw(st.lists(st.integers(0, len(rows) - 1), min_size=n_dupes, max_size=n_dupes)):
        rows.append(list(rows[i]))
    order = draw(st.permutations(range(len(rows))))
    rows = [rows[i] for i in order]
    return {"header": header, "rows": rows, "ts_style": ts_style}


def _distinct(table: dict) -> dict[str, int]:
    """Likes per creator id, exact duplicate rows once."""
    out: dict[str, int] = {}
    for row in {tuple(r) for r in table["rows"]}:
        out[row[0]] = out.get(row[0], 0) + 1
    return out


def _csv(header: list[str], rows: list[list[str]], delimiter: str = ",") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode()


def _jsonl(header: list[str], rows: list[list[str]]) -> bytes:
    lines = [
        json.dumps({h: (v if v != "" else None) for h, v in zip(header, r, strict=True)})
        for r in rows
    ]
    return ("\n".join(lines) + "\n").encode()


def _parquet(header: list[str], rows: list[list[str]]) -> bytes:
    """Parquet with string ids; an all-text table, as an export tool may write it."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=header).replace("", None)
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


@st.composite
def valid_cases(draw: st.DrawFn) -> Case:
    """A legal table in one of the formats; expect a report that agrees with it."""
    table = draw(tables())
    fmt = draw(st.sampled_from(["csv", "csv", "tsv", "jsonl", "parquet", "csv.gz"]))
    header, rows = table["header"], table["rows"]
    if fmt == "csv":
        data = _csv(header, rows)
    elif fmt == "tsv":
        data = _csv(header, rows, "\t")
    elif fmt == "jsonl":
        data = _jsonl(header, rows)
    elif fmt == "parquet":
        data = _parquet(header, rows)
    else:
        data = gzip.compress(_csv(header, rows), mtime=0)
    expect = "ok" if table["ts_style"] in PROMISED_TS else "either"  # every format is promised
    return Case(f"likes.{fmt}", data, expect, _distinct(table), category=f"valid_{fmt}")


BROKEN_KINDS = [
    "missing_column",
    "bad_timestamp",
    "out_of_range_ts",
    "duplicate_header",
    "whitespace_header",
    "truncated_gz",
    "empty",
    "header_only",
    "bad_count",
    "bad_bool",
    "na_id",
    "blank_required",
    "accounts_missing_key",
    "accounts_bad_count",
    "account_after_like",
]


@st.composite
def broken_cases(draw: st.DrawFn) -> Case:
    """A table with one fault; most must be refused with one Error line."""
    table = draw(tables())
    header, rows = list(table["header"]), [list(r) for r in table["rows"]]
    kind = draw(st.sampled_from(BROKEN_KINDS))
    row = draw(st.integers(0, len(rows) - 1))
    expect, accounts = "error", None
    if kind == "missing_column":
        drop = draw(st.sampled_from([0, 1, 2]))  # the required ids (liked_at is optional)
        header.pop(drop)
        rows = [r[:drop] + r[drop + 1 :] for r in rows]
    elif kind == "bad_timestamp":
        rows[row][3] = draw(st.sampled_from(["yesterday", "2026-13-01", "12:00", "nan", "1.5e"]))
    elif kind == "out_of_range_ts":
        rows[row][3] = draw(
            st.sampled_from(["99999-01-01", "1e20", "-99999999999999", "0001-01-01"])
        )
    elif kind == "duplicate_header":
        header[2] = header[1]
    elif kind == "whitespace_header":
        header = [f" {h} " for h in header]
        expect = "either"
    elif kind == "empty":
        return Case("likes.csv", b"", "error", category=kind)
    elif kind == "header_only":
        return Case("likes.csv", _csv(header, []), "error", category=kind)
    elif kind == "truncated_gz":
        whole = gzip.compress(_csv(header, rows), mtime=0)
        cut = draw(st.integers(10, max(11, len(whole) - 5)))
        return Case("likes.csv.gz", whole[:cut], "error", category=kind)
    elif kind in ("bad_count", "bad_bool"):
        cols = COUNTS if kind == "bad_count" else BOOLS
        col = draw(st.sampled_from(cols))
        if col not in header:
            header.append(col)
            rows = [r + ["1"] for r in rows]
        bad = (
            ["3.5", "inf", "-1", "1e40", "ten", "-inf"]
            if kind == "bad_count"
            else ["maybe", "2", "ja"]
        )
        rows[row][header.index(col)] = draw(st.sampled_from(bad))
    elif kind == "na_id":  # 'NA' is an id like any other (ids are read verbatim)
        rows[row][draw(st.sampled_from([0, 2]))] = "NA"
        expect = "ok"
    elif kind == "blank_required":
        rows[row][draw(st.sampled_from([0, 1, 2, 3]))] = ""
    elif kind.startswith("accounts") or kind == "account_after_like":
        likers = sorted({r[2] for r in rows})
        acc_header = ["account_id", "followers", "account_created_at"]
        acc_rows = [[lk, "10", "2020-01-01T00:00:00Z"] for lk in likers]
        if kind == "accounts_missing_key":
            acc_header[0] = "id"
        elif kind == "accounts_bad_count":
            acc_rows[0][1] = draw(st.sampled_from(["3.5", "inf", "-1", "1e40"]))
        else:
            acc_rows[0][2] = "2030-01-01T00:00:00Z"
            expect = "either"
        for col in ("followers", "account_created_at"):
            if col in header:
                i = header.index(col)
                header.pop(i)
                rows = [r[:i] + r[i + 1 :] for r in rows]
        accounts = _csv(acc_header, acc_rows)
    creators = _distinct({"rows": rows}) if expect != "error" else {}
    return Case("likes.csv", _csv(header, rows), expect, creators, accounts, category=kind)


cases = st.one_of(valid_cases(), broken_cases())


def _finite(value: object) -> bool:
    """Every number anywhere in a JSON value is finite (NaN and inf are disagreements)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


def agreement(report: dict, creators: dict[str, int]) -> list[str]:
    """What in a report disagrees with the input's distinct likes per creator id."""
    problems = []
    got = {str(c["creator_id"]): c for c in report.get("creators", [])}
    if set(got) != set(creators):
        problems.append(f"creator ids {sorted(got)[:5]} != input {sorted(creators)[:5]}")
    if sum(c["likes"] for c in got.values()) != sum(creators.values()):
        problems.append(
            f"likes sum {sum(c['likes'] for c in got.values())} != {sum(creators.values())}"
        )
    if not _finite(report):
        problems.append("a figure is not finite")
    for cid, c in got.items():
        if cid in creators and c["likes"] != creators[cid]:
            problems.append(f"{cid!r}: likes {c['likes']} != {creators[cid]}")
        share, (low, high) = c["inauthentic_share"], c["inauthentic_share_interval"]
        if not 0 <= c["authenticity"] <= 100:
            problems.append(f"{cid!r}: authenticity {c['authenticity']}")
        if not (0 <= low <= share <= high <= 1):
            problems.append(f"{cid!r}: interval {low}..{high} share {share}")
        if c["verdict"] not in VERDICTS:
            problems.append(f"{cid!r}: verdict {c['verdict']!r}")
    return problems


def run(
    case: Case, folder: Path, engine: str | None = None
) -> tuple[int, str, str, BaseException | None]:
    """``detector score`` on the case in-process: exit code, stdout, stderr, unexpected exception."""
    from typer.testing import CliRunner

    from detector.cli import app

    path = folder / case.name
    path.write_bytes(case.data)
    args = ["score", str(path), "--format", "json"]
    if case.accounts is not None:
        (folder / "accounts.csv").write_bytes(case.accounts)
        args += ["--accounts", str(folder / "accounts.csv")]
    if engine:
        args += ["--engine", engine]
    env = {k: v for k, v in os.environ.items() if k != "DETECTOR_DEBUG"}
    result = CliRunner().invoke(app, args, env=env)
    unexpected = result.exception if not isinstance(result.exception, SystemExit) else None
    return result.exit_code, result.stdout, result.stderr, unexpected


def check(case: Case, folder: Path) -> tuple[str, list[str]]:
    """Run one case; return its outcome class and the list of property violations.

    Stderr may hold ``note:`` and ``warning:`` lines; an exit 1 must hold exactly one line that
    starts with ``Error: `` and names the file, a column or a row.
    """
    code, out, err, exc = run(case, folder)
    problems = []
    if exc is not None:
        problems.append(f"traceback: {type(exc).__name__}: {str(exc)[:200]}")
    if "Traceback" in err or "Aborted!" in err + out:
        problems.append("Traceback or Aborted! in output")
    if code == 0:
        if case.expect == "error":
            problems.append("accepted a broken table")
        try:
            problems += agreement(json.loads(out), case.creators)
        except (ValueError, KeyError, TypeError) as error:
            problems.append(f"report unreadable: {error!r}")
        if not problems and case.name.endswith(".parquet"):
            code2, out2, _, exc2 = run(case, folder, engine="chunked")
            if code2 != 0 or exc2 is not None or _body(out2) != _body(out):
                problems.append(f"chunked engine differs (exit {code2})")
    elif code == 1:
        if case.expect == "ok":
            problems.append("refused a valid table")
        errors = [line for line in err.splitlines() if line.startswith("Error:")]
        if len(errors) != 1:
            problems.append(f"{len(errors)} Error: lines")
        elif not any(w in errors[0] for w in (case.name, "accounts.csv", "column", "row")):
            problems.append(f"Error line names no file/column/row: {errors[0][:120]}")
    elif exc is None:
        problems.append(f"exit {code}")
    return f"exit{code}", problems


def _body(out: str) -> object:
    """The report without meta (which names the engine and timings)."""
    try:
        return json.loads(out).get("creators")
    except ValueError:
        return out

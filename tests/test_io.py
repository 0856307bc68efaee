"""Reading every supported format, refusing the rest, and writing without losing anything."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from detector.errors import InputFormatError, SchemaError
from detector.io import atomic_write, load_likes, read_table, write_frame


@pytest.mark.parametrize("name", ["likes.csv", "likes.parquet", "likes.jsonl", "likes.csv.gz"])
def test_every_format_reads_to_the_same_validated_table(tmp_path, tiny_likes, name):
    path = tmp_path / name
    if name.endswith(".parquet"):
        tiny_likes.to_parquet(path)
    elif name.endswith(".jsonl"):
        tiny_likes.to_json(path, orient="records", lines=True)
    else:
        tiny_likes.to_csv(path, index=False)
    likes = load_likes(path)
    assert likes["liked_at"].dt.minute.tolist() == [0, 1, 5, 0]
    assert likes["liker_id"].tolist() == ["1", "2", "3", "1"]


def test_dash_reads_csv_from_stdin(tiny_likes):
    likes = load_likes("-", stdin=io.StringIO(tiny_likes.to_csv(index=False)))
    assert len(likes) == 4


def test_unknown_format_and_missing_and_empty_files_are_refused(tmp_path):
    (tmp_path / "likes.xlsx").write_text("x")
    with pytest.raises(InputFormatError, match=r"likes.xlsx: unknown format '.xlsx'"):
        read_table(tmp_path / "likes.xlsx")
    with pytest.raises(InputFormatError, match="nothing.csv: file not found"):
        read_table(tmp_path / "nothing.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputFormatError, match="empty.csv: empty file"):
        read_table(tmp_path / "empty.csv")


def test_header_only_file_is_refused(tmp_path):
    (tmp_path / "header.csv").write_text("creator_id,post_id,liker_id,liked_at\n")
    with pytest.raises(SchemaError, match="header.csv: no rows"):
        load_likes(tmp_path / "header.csv")


def test_label_may_come_from_the_accounts_table(tmp_path, tiny_likes):
    tiny_likes.drop(columns=["followers", "following", "account_created_at", "username"]).to_csv(
        tmp_path / "likes.csv", index=False
    )
    pd.DataFrame({"account_id": [1, 2, 3], "followers": [1, 2, 3], "is_fake": [0, 1, 0]}).to_csv(
        tmp_path / "accounts.csv", index=False
    )
    likes = load_likes(tmp_path / "likes.csv", tmp_path / "accounts.csv", label_column="is_fake")
    assert likes["is_fake"].tolist() == [0, 1, 0, 0]
    with pytest.raises(SchemaError, match="label column 'label' is in neither"):
        load_likes(tmp_path / "likes.csv", tmp_path / "accounts.csv", label_column="label")


def test_failed_write_leaves_the_existing_file_untouched(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("precious")

    def crash(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, crash)
    assert target.read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_write_refuses_to_overwrite_unless_asked(tmp_path, tiny_likes):
    target = tmp_path / "out.csv"
    write_frame(target, tiny_likes)
    with pytest.raises(InputFormatError, match="already exists"):
        write_frame(target, tiny_likes, overwrite=False)
    assert len(pd.read_csv(target)) == 4


# ------------------------------------------------- issue 16: reading input faithfully
_VERBATIM = (
    "creator_id,post_id,liker_id,liked_at,username\n"
    "007,1e3,NA,2026-01-01T00:00:00Z,NA\n"
    "7,p2,null,2026-01-01T00:01:00Z,None\n"
)


@pytest.mark.parametrize("name", ["likes.csv", "likes.tsv", "-", "likes.jsonl"])
def test_ids_and_usernames_are_read_verbatim(tmp_path, name):
    frame = pd.read_csv(io.StringIO(_VERBATIM), dtype=str, keep_default_na=False)
    stdin = None
    if name == "-":
        stdin = io.StringIO(_VERBATIM)
    elif name.endswith(".jsonl"):
        frame.to_json(tmp_path / name, orient="records", lines=True)
    else:
        frame.to_csv(tmp_path / name, index=False, sep="\t" if name.endswith(".tsv") else ",")
    likes = load_likes(name if name == "-" else tmp_path / name, stdin=stdin)
    assert likes["creator_id"].tolist() == ["007", "7"]  # two creators, not one '7'
    assert likes["post_id"].tolist() == ["1e3", "p2"]
    assert likes["liker_id"].tolist() == ["NA", "null"]
    assert likes["username"].tolist() == ["NA", "None"]


def test_integer_parquet_and_json_ids_become_decimal_text(tmp_path, tiny_likes):
    frame = tiny_likes.assign(creator_id=[7, 7, 8, 10**15])
    frame.to_parquet(tmp_path / "likes.parquet")
    frame.to_json(tmp_path / "likes.jsonl", orient="records", lines=True)
    for name in ("likes.parquet", "likes.jsonl"):
        assert load_likes(tmp_path / name)["creator_id"].tolist() == ["7", "7", "8", str(10**15)]


def test_only_an_empty_id_is_missing(tmp_path):
    (tmp_path / "likes.csv").write_text(
        "creator_id,post_id,liker_id,liked_at\nc,p,,2026-01-01\n", encoding="utf-8"
    )
    with pytest.raises(SchemaError, match="column 'liker_id' row 1: id is missing"):
        load_likes(tmp_path / "likes.csv")


def test_accounts_keys_are_verbatim_and_joined_exactly(tmp_path):
    (tmp_path / "likes.csv").write_text(
        "creator_id,post_id,liker_id,liked_at\nc,p,007,2026-01-01\nc,p,7,2026-01-01\n",
        encoding="utf-8",
    )
    (tmp_path / "accounts.csv").write_text(
        "account_id,followers,username\n007,5,NA\n7,NA,b\n", encoding="utf-8"
    )
    likes = load_likes(tmp_path / "likes.csv", tmp_path / "accounts.csv")
    assert likes["username"].tolist() == ["NA", "b"]
    assert likes["followers"].iloc[0] == 5 and pd.isna(likes["followers"].iloc[1])  # counts: NA


@pytest.mark.parametrize("suffix", [".csv.gz", ".csv.bz2", ".csv.xz"])
@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_damaged_compressed_input_is_one_error_naming_the_file(
    tmp_path, tiny_likes, suffix, damage
):
    path = tmp_path / f"likes{suffix}"
    big = pd.concat([tiny_likes] * 2000, ignore_index=True)
    big.to_csv(path, index=False)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if damage == "truncated" else b"not compressed" * 50)
    with pytest.raises(InputFormatError, match=rf"likes{suffix}: "):
        read_table(path)


def test_zst_without_zstandard_says_how_to_read_it(tmp_path, monkeypatch):
    import importlib.util

    path = tmp_path / "likes.csv.zst"
    path.write_bytes(b"\x28\xb5\x2f\xfd")
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda n, *a: None if n == "zstandard" else real(n, *a)
    )
    with pytest.raises(InputFormatError, match=r"pip install .engagement-detector\[zstd\]."):
        read_table(path)


@pytest.mark.parametrize(
    "header",
    [
        "creator_id,post_id,liker_id,liked_at,liker_id",
        "creator_id,post_id,liker_id,liked_at, liker_id",
    ],
)
def test_a_column_twice_in_the_header_is_refused_by_name(tmp_path, header):
    (tmp_path / "likes.csv").write_text(f"{header}\nc,p,a,2026-01-01,b\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match="column 'liker_id' appears more than once"):
        read_table(tmp_path / "likes.csv")


def test_a_column_twice_in_jsonl_after_stripping_is_refused(tmp_path):
    (tmp_path / "likes.jsonl").write_text('{"a": 1, " a": 2}\n', encoding="utf-8")
    with pytest.raises(InputFormatError, match="column 'a' appears more than once"):
        read_table(tmp_path / "likes.jsonl")


def test_header_whitespace_is_stripped_and_noted(tmp_path):
    (tmp_path / "likes.csv").write_text(
        "creator_id,post_id,liker_id ,liked_at\nc,p,a,2026-01-01\n", encoding="utf-8"
    )
    likes = load_likes(tmp_path / "likes.csv")
    assert likes["liker_id"].tolist() == ["a"]
    assert likes.attrs["notes"] == [
        f"{tmp_path / 'likes.csv'}: stripped surrounding whitespace from column name(s) 'liker_id '"
    ]


@pytest.mark.parametrize("value", ["9999-12-31", "9999-12-31T00:00:00Z", "1778512752000"])
def test_csv_timestamps_read_as_dates_or_epoch_ms_give_one_error_or_the_instant(tmp_path, value):
    (tmp_path / "likes.csv").write_text(
        f"creator_id,post_id,liker_id,liked_at\nc,p,a,2026-01-01\nc,p,b,{value}\n", encoding="utf-8"
    )
    if value.startswith("9999"):
        with pytest.raises(SchemaError, match="row 2: '9999-12-31.*' is out of range"):
            load_likes(tmp_path / "likes.csv")
    else:
        assert (
            str(load_likes(tmp_path / "likes.csv")["liked_at"].iloc[1])
            == "2026-05-11 15:19:12+00:00"
        )


def test_a_fifo_or_folder_output_is_refused_naming_the_path(tmp_path):
    import os

    from detector.io import write_text

    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    with pytest.raises(InputFormatError, match="out.fifo: not a regular file"):
        write_text(fifo, "x")
    with pytest.raises(InputFormatError, match="is a folder"):
        write_text(tmp_path, "x")
    assert [p.name for p in tmp_path.iterdir()] == ["out.fifo"]


def test_a_symlink_is_written_through_to_its_target(tmp_path):
    from detector.io import write_text

    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "report.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_text(link, "new")
    assert link.is_symlink() and target.read_text() == "new"


def test_staged_outputs_are_all_or_nothing_and_leave_no_temp_file(tmp_path):
    from detector.io import write_text
    from detector.output import staged

    first = tmp_path / "a.txt"
    first.write_text("old")
    with pytest.raises(RuntimeError), staged():
        write_text(first, "new")
        raise RuntimeError("the second output failed")
    assert first.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    with staged():
        write_text(first, "new")
        assert first.read_text() == "old"  # renamed only at the end
    assert first.read_text() == "new"


def test_leftovers_of_a_dead_run_are_removed_and_a_live_runs_kept(tmp_path):
    import os

    from detector.output import remove_leftovers

    dead = tmp_path / ".detector-999999999-report.json.abc.tmp"
    live = tmp_path / f".detector-{os.getppid()}-report.json.abc.tmp"
    dead.write_text("x")
    live.write_text("x")
    remove_leftovers(tmp_path)
    assert not dead.exists() and live.exists()


def test_sigterm_during_a_write_removes_the_temporary_file(tmp_path):
    import subprocess
    import sys

    script = f"""
import os, signal, time, sys
from pathlib import Path
import detector.cli as cli
from detector.io import atomic_write
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(s, cli._interrupted)
def write(tmp):
    tmp.write_text("partial")
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(5)
try:
    atomic_write(Path({str(tmp_path / "out.csv")!r}), write)
except KeyboardInterrupt:
    sys.exit(130)
"""
    done = subprocess.run([sys.executable, "-c", script], timeout=60)
    assert done.returncode == 130
    assert list(tmp_path.iterdir()) == []

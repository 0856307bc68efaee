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

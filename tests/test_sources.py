"""Platform exports (detector.sources): each documented layout reads to contract rows, a folder
says which export it is, and every wrong layout gives one error naming the file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import detector.schema
from detector.cli import app
from detector.errors import SchemaError
from detector.io import load_likes
from detector.schema import validate_likes
from detector.sources import SOURCES, detect_source, read_source

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
X_POST = "1460323737035677698"
LIKED_AT_REQUIRED = "liked_at" in detector.schema.REQUIRED_COLUMNS
runner = CliRunner()


def copy(name: str, tmp_path: Path) -> Path:
    """A writable copy of a fixture export, to break."""
    return Path(shutil.copytree(FIXTURES / name, tmp_path / name))


def write(path: Path, content: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


# --- each source reads to the expected rows ----------------------------------------------------


def test_x_api_pages_read_one_row_per_listed_user():
    frame = read_source(FIXTURES / "x-api-v2", "x-api-v2")
    assert "liked_at" not in frame.columns  # the endpoint gives no like time
    assert frame["liker_id"].tolist() == ["1001", "1002", "1003", "1003", "1004", "2001", "1002"]
    assert set(frame["post_id"]) == {X_POST, "1462000000000000002"}  # the empty page adds none
    maria = frame.iloc[0]
    assert (maria["username"], maria["account_created_at"]) == (
        "maria_runs",
        "2012-03-14T09:26:53.000Z",
    )
    assert (maria["followers"], maria["following"], maria["posts"]) == (812, 420, 15203)
    assert maria["bio_length"] == len("Runner. Coffee.")
    assert frame["has_avatar"].tolist()[:5] == [
        True,
        False,
        True,
        True,
        True,
    ]  # default_profile_images
    assert frame["is_private"].tolist()[:3] == [False, False, True]
    assert frame["is_verified"].tolist()[:5] == [False, False, False, False, True]
    sparse = frame.iloc[5]  # user.fields not returned: missing, not zero
    assert sparse[["account_created_at", "followers", "bio_length", "has_avatar"]].isna().all()
    notes = frame.attrs["notes"]
    assert "read as source 'x-api-v2'" in notes[0] and "7 likes on 2 post(s)" in notes[0]
    assert "lists 1 error(s) (first: Could not find user with id: [1009].)" in notes[1]


def test_x_api_last_page_with_a_next_token_is_noted_as_incomplete(tmp_path):
    root = copy("x-api-v2", tmp_path)
    (root / "creator_a" / f"{X_POST}.2.json").unlink()
    notes = read_source(root, "x-api-v2").attrs["notes"]
    assert any(f"{X_POST}.json: has a next_token" in note for note in notes)


def test_instaloader_structures_and_bare_nodes_read_in_every_saved_form():
    frame = read_source(FIXTURES / "instaloader", "instaloader")
    assert "liked_at" not in frame.columns and "account_created_at" not in frame.columns
    assert (
        frame["post_id"].tolist() == ["CxYz1AbCdEf"] * 2 + ["CxYz2GhIjKl"] * 3 + ["DaBcD3eFgHi"] * 2
    )
    rows = frame.set_index(["post_id", "liker_id"])
    anna = rows.loc[("CxYz1AbCdEf", "4213370001")]  # pretty .json, edge_*.count
    assert (anna["followers"], anna["following"]) == (1520, 310)
    assert pd.isna(anna["posts"])  # Profile._asdict drops edge_owner_to_timeline_media
    assert anna["has_avatar"] == 1  # iphone_struct.has_anonymous_profile_picture
    liker = rows.loc[("CxYz1AbCdEf", "5550000002")]  # .json.xz, a likes-listing node
    assert liker["is_private"] == 1
    assert liker[["followers", "bio_length", "has_avatar"]].isna().all()  # not guessed
    mo = rows.loc[("CxYz2GhIjKl", "6660000003")]  # bare node with pk and the newer names
    assert (mo["followers"], mo["following"], mo["posts"], mo["bio_length"]) == (98000, 12, 640, 0)
    assert mo["is_verified"] == 1
    assert rows.loc[("CxYz2GhIjKl", "7770000004"), "has_avatar"] == 0


def test_bluesky_pages_read_with_like_times():
    frame = read_source(FIXTURES / "bluesky")
    assert frame["liker_id"].tolist() == [
        "did:plc:aaaa1111",
        "did:plc:bbbb2222",
        "did:plc:cccc3333",
        "did:plc:bbbb2222",
    ]
    assert frame.loc[0, "liked_at"] == "2024-10-10T12:00:05.000Z"
    assert frame.loc[0, "username"] == "sam.bsky.social"
    assert frame["has_avatar"].tolist() == [True, False, True, False]
    assert frame["bio_length"].tolist() == [len("Photographer"), 0, len("News desk"), 0]
    assert frame["is_verified"].tolist() == [False, None, True, None]  # None: no verification
    assert "followers" not in frame.columns  # a profileView has no counts


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_raw_frame_follows_the_contract(name):
    frame = read_source(FIXTURES / name, name)
    assert set(frame.columns) <= set(detector.schema.CONTRACT_COLUMNS)
    if "liked_at" not in frame.columns:  # until like times are optional
        frame = frame.assign(liked_at="2024-10-10T12:00:00Z")
    likes = validate_likes(frame, name)
    assert likes["liker_id"].map(type).eq(str).all()


def test_columns_an_export_leaves_empty_are_left_to_an_accounts_table(tmp_path):
    root = tmp_path / "export"
    write(root / "c1" / "p1.jsonl", {"id": "1", "username": "a"})
    frame = read_source(root, "instaloader")
    assert list(frame.columns) == ["creator_id", "post_id", "liker_id", "username"]


# --- detection ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_each_fixture_is_detected(name):
    assert detect_source(FIXTURES / name) == name


def test_tables_are_not_taken_for_exports(tmp_path, tiny_likes):
    folder = tmp_path / "likes"
    folder.mkdir()
    tiny_likes.iloc[:2].to_parquet(folder / "part-0.parquet")
    tiny_likes.iloc[2:].to_parquet(folder / "part-1.parquet")
    (folder / "_metadata.json").write_text("{}")
    assert detect_source(folder) is None
    assert detect_source(FIXTURES / "bluesky" / "alice.bsky.social" / "3l7abcdxyz22k.json") is None
    assert len(load_likes(folder)) == 4  # a folder of Parquet files is still a likes table


def test_an_explicit_source_reads_every_file_as_its_own(tmp_path):
    root = copy("bluesky", tmp_path)
    write(root / "alice.bsky.social" / "3zzz.json", {"meta": {"result_count": 0}})
    with pytest.raises(SchemaError, match="mixes two exports"):
        detect_source(root)
    with pytest.raises(SchemaError, match=r"3zzz.json: not a getLikes response \(expected an"):
        read_source(root, "bluesky")


# --- wrong layouts: one error naming the file and what was expected ----------------------------


def _not_a_response(root: Path) -> str:
    write(root / "creator_a" / "1461000000000000001.json", {"id": "1", "text": "a post"})
    return "1461000000000000001.json: not a liking_users response (expected a GET /2/tweets/:id/liking_users response"


def _error_response(root: Path) -> str:
    page = {"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429}
    write(root / "creator_a" / f"{X_POST}.2.json", page)
    return f"{X_POST}.2.json: an error response (429 Too Many Requests), not a page of likers"


def _too_shallow(root: Path) -> str:
    write(root / "1.json", {"data": [], "meta": {"result_count": 0}})
    return "1.json: not where X API v2 liking_users responses belong (expected PATH/<creator_id>/<post_id>.json"


def _too_deep(root: Path) -> str:
    write(root / "creator_a" / "old" / "1.json", {"meta": {"result_count": 0}})
    return "old/1.json: not where X API v2 liking_users responses belong"


def _first_page_missing(root: Path) -> str:
    (root / "creator_a" / f"{X_POST}.json").unlink()
    return f"{X_POST}.2.json: page 2 without page 1 ({X_POST}.json is missing"


def _middle_page_missing(root: Path) -> str:
    write(root / "creator_a" / f"{X_POST}.4.json", {"meta": {"result_count": 0}})
    return f"{X_POST}.4.json: page 4 without page 3 ({X_POST}.3.json is missing"


def _page_one_numbered(root: Path) -> str:
    write(root / "creator_b" / "9.1.json", {"meta": {"result_count": 0}})
    return "9.1.json: page numbers start at 2 (expected the first page as 9.json"


def _broken_json(root: Path) -> str:
    write(root / "creator_b" / "1462000000000000002.json", '{"data": [{"id": "1"},]')
    return "1462000000000000002.json: not valid JSON (Expecting value at line 1 column 23)"


def _data_not_users(root: Path) -> str:
    write(root / "creator_b" / "1462000000000000002.json", {"data": ["1", "2"], "meta": {}})
    return "1462000000000000002.json: 'data' is not a list of user objects with an 'id'"


def _mixed_with_instaloader(root: Path) -> str:
    shutil.copytree(FIXTURES / "instaloader" / "creator_b", root / "creator_c")
    return "mixes two exports: "


@pytest.mark.parametrize(
    "damage",
    [
        _not_a_response,
        _error_response,
        _too_shallow,
        _too_deep,
        _first_page_missing,
        _middle_page_missing,
        _page_one_numbered,
        _broken_json,
        _data_not_users,
        _mixed_with_instaloader,
    ],
)
def test_a_wrong_x_layout_names_the_file_and_what_was_expected(tmp_path, damage):
    root = copy("x-api-v2", tmp_path)
    expected = damage(root)
    with pytest.raises(SchemaError) as raised:
        load_likes(root)  # detected, then read
    message = str(raised.value)
    assert expected in message and "\n" not in message


def test_a_mixed_folder_names_a_file_of_each_export(tmp_path):
    root = copy("x-api-v2", tmp_path)
    _mixed_with_instaloader(root)
    with pytest.raises(SchemaError) as raised:
        detect_source(root)
    assert str(raised.value) == (
        f"{root}: mixes two exports: {root / 'creator_a' / f'{X_POST}.2.json'} is X API v2 "
        f"liking_users responses, {root / 'creator_c' / 'DaBcD3eFgHi.jsonl'} is instaloader "
        f"Profile structures (expected the files of one source per folder)"
    )


def test_wrong_instaloader_layouts(tmp_path):
    root = copy("instaloader", tmp_path)
    post = root / "creator_a" / "CxYz1AbCdEf"
    write(post / "post.json", {"node": {"shortcode": "x"}, "instaloader": {"node_type": "Post"}})
    with pytest.raises(SchemaError, match=r"post.json: an instaloader Post structure \(expected"):
        read_source(root, "instaloader")
    (post / "post.json").unlink()
    write(post / "bare.json", {"id": "1", "username": "a"})
    with pytest.raises(SchemaError, match="bare.json: not an instaloader Profile structure"):
        read_source(root, "instaloader")
    (post / "bare.json").unlink()
    write(root / "creator_a" / "CxYz1AbCdEf.jsonl", {"id": "1", "username": "a"})
    with pytest.raises(SchemaError, match="is also saved as .*CxYz1AbCdEf \\(expected each post"):
        read_source(root, "instaloader")
    (root / "creator_a" / "CxYz1AbCdEf.jsonl").unlink()
    with (root / "creator_b" / "DaBcD3eFgHi.jsonl").open("a") as handle:
        handle.write('{"id": "9", "username": \n')
    with pytest.raises(SchemaError, match=r"DaBcD3eFgHi.jsonl:3: not valid JSON"):
        read_source(root)
    write(root / "creator_b" / "DaBcD3eFgHi.jsonl", '{"id": "9", "full_name": "no username"}\n')
    with pytest.raises(
        SchemaError, match=r"DaBcD3eFgHi.jsonl:1: a profile node without 'username'"
    ):
        read_source(root, "instaloader")


def test_bluesky_pages_of_two_posts_are_refused(tmp_path):
    root = copy("bluesky", tmp_path)
    page = root / "alice.bsky.social" / "3l6oveex3ii2l.2.json"
    response = json.loads(page.read_text())
    write(page, {**response, "uri": "at://did:plc:other/app.bsky.feed.post/3zzz"})
    with pytest.raises(SchemaError, match="3l6oveex3ii2l.2.json: likes of at://did:plc:other"):
        read_source(root)
    write(page, {**response, "likes": [{"createdAt": "2024-10-10T12:00:00Z"}]})
    with pytest.raises(SchemaError, match=r"2.json: likes\[0\]: not a like with an actor"):
        read_source(root)


def test_unrecognised_ambiguous_and_unknown_sources_are_named(tmp_path):
    root = write(tmp_path / "odd" / "c1" / "p1.json", {"items": []}).parents[1]
    with pytest.raises(SchemaError, match="odd: not a recognised platform export: .*p1.json is no"):
        load_likes(root)
    both = {"uri": "at://x", "likes": [], "data": [], "meta": {"result_count": 0}}
    write(root / "c1" / "p1.json", both)
    with pytest.raises(SchemaError, match="ambiguous, the files could be bluesky or x-api-v2"):
        detect_source(root)
    with pytest.raises(SchemaError, match="unknown source 'tiktok' .expected one of x-api-v2"):
        read_source(root, "tiktok")
    with pytest.raises(SchemaError, match="no likers in any file"):
        read_source(root, "x-api-v2")
    with pytest.raises(SchemaError, match="not a folder"):
        read_source(root / "c1" / "p1.json", "x-api-v2")


# --- the command line --------------------------------------------------------------------------


def _one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize("damage", [_first_page_missing, _broken_json, _mixed_with_instaloader])
def test_a_wrong_layout_is_one_error_line_on_the_command_line(tmp_path, damage):
    root = copy("x-api-v2", tmp_path)
    expected = damage(root)
    _one_line_error(runner.invoke(app, ["score", str(root)]), expected)


def test_a_source_that_does_not_fit_is_one_error_line(tmp_path):
    result = runner.invoke(app, ["score", str(FIXTURES / "x-api-v2"), "--source", "bluesky"])
    _one_line_error(result, f"{X_POST}.json: not a getLikes response")
    result = runner.invoke(app, ["evaluate", str(FIXTURES / "bluesky"), "--source", "bluesky"])
    _one_line_error(result, "no label column 'is_fake' and no --creators truth")
    assert (
        runner.invoke(app, ["score", str(FIXTURES / "bluesky"), "--source", "tiktok"]).exit_code
        == 2
    )
    result = runner.invoke(
        app, ["score", str(FIXTURES / "bluesky"), "--source", "bluesky", "--engine", "chunked"]
    )
    assert result.exit_code == 2


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            name,
            marks=pytest.mark.skipif(
                LIKED_AT_REQUIRED and "liked_at" not in source.columns,
                reason="this source has no like times; runs once liked_at is optional",
            ),
        )
        for name, source in sorted(SOURCES.items())
    ],
)
@pytest.mark.parametrize("given", [True, False], ids=["--source", "detected"])
def test_score_prints_a_report_for_each_export(name, given):
    args = ["score", str(FIXTURES / name), "--format", "json"]
    result = runner.invoke(app, [*args, "--source", name] if given else args)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    expected = sorted(read_source(FIXTURES / name, name)["creator_id"].unique())
    assert sorted(c["creator_id"] for c in report["creators"]) == expected
    assert f"note: {FIXTURES / name}: read as source '{name}'" in result.stderr

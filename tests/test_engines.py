"""Chunked and Dask engines: the same report as in-memory scoring, bounded temp files, errors."""

from __future__ import annotations

import io
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from detector.cli import OutputFormat, _render_creators, app
from detector.engines.chunked import bucket_of, score_parquet_chunked
from detector.errors import InputFormatError, MissingDependencyError, SchemaError
from detector.estimator import AuthenticityModel
from detector.report import CreatorReport
from detector.schema import validate_likes
from detector.scoring.pipeline import check_present
from detector.synth import generate_world, write_world_parquet_chunked

SEED = 5
N_CREATORS = 16
SPILLED = {"buckets": 2}
READ_GROUPED = {"read_grouped": True}


@pytest.fixture(autouse=True)
def one_task_per_row_group(monkeypatch):
    """Tasks as small as the row groups, as on inputs large enough to need no merging, so that
    grouped reading is tested with many tasks on these small inputs."""
    from detector.engines import grouped

    monkeypatch.setattr(grouped, "MIN_TASK_ROWS", 0)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Path]:
    """The same world as one Parquet file and as a folder of 4 parts of 4 creators each."""
    root = tmp_path_factory.mktemp("engines")
    likes, _ = generate_world(n_creators=N_CREATORS, seed=SEED)
    single = root / "likes.parquet"
    likes.to_parquet(single, index=False)
    folder, _ = write_world_parquet_chunked(root / "world", N_CREATORS, SEED, creators_per_chunk=4)
    assert len(list(folder.glob("*.parquet"))) == 4
    return {"file": single, "folder": folder}


@pytest.fixture(scope="module")
def likes(data) -> pd.DataFrame:
    out = validate_likes(pd.read_parquet(data["file"]), "likes", label_column="is_fake")
    out.attrs["detector_validated"] = True
    return out


@pytest.fixture(scope="module")
def small_model(likes) -> AuthenticityModel:
    return AuthenticityModel(n_estimators=40).fit(likes, likes["is_fake"])


@pytest.fixture(scope="module")
def expected(small_model, likes) -> CreatorReport:
    return small_model.report(likes, include_likes=True)


def assert_same_report(got: CreatorReport, want: CreatorReport, likes: bool = True) -> None:
    """Creators, posts (and per-like scores) equal, in the same order; floats to 1e-12."""
    for name in ("creators", "posts", *(["likes"] if likes else [])):
        pd.testing.assert_frame_equal(
            getattr(got, name), getattr(want, name), check_exact=False, rtol=1e-12, atol=1e-12
        )
    by_id = got.creators.sort_values("creator_id", ignore_index=True)
    pd.testing.assert_frame_equal(
        by_id, want.creators.sort_values("creator_id", ignore_index=True), rtol=1e-12
    )
    assert got.meta == want.meta


# ----------------------------------------------------------------------------------- chunked
@pytest.mark.parametrize("source", ["file", "folder"])
@pytest.mark.parametrize(("buckets", "workers"), [(1, None), (3, 1), (7, 3)])
def test_chunked_equals_in_memory(data, small_model, expected, source, buckets, workers):
    split = bucket_of(pd.Series([f"c{i:05d}" for i in range(N_CREATORS)]), buckets)
    if buckets > 1:  # the creators of one input part end up in different buckets
        assert len(set(split[:4])) > 1
    report = score_parquet_chunked(
        data[source],
        small_model,
        buckets=buckets,
        include_likes=True,
        batch_rows=2000,
        workers=workers,
    )
    assert_same_report(report, expected)


@pytest.mark.parametrize("source", ["file", "folder"])
def test_below_the_process_threshold_units_are_scored_on_threads(
    data, small_model, expected, source, monkeypatch
):
    import detector.engines.chunked as chunked
    from detector.engines import workers

    def no_workers(*args, **kwargs):
        raise AssertionError("worker processes started below PROCESSES_FROM_ROWS")

    threaded = []

    def recorded(function, items, threads):
        items = list(items)
        threaded.append((len(items), threads))
        return chunked_map_threads(function, items, threads)

    chunked_map_threads = chunked.map_threads
    monkeypatch.setattr(workers.Workers, "map", no_workers)
    monkeypatch.setattr(chunked, "cpu_threads", lambda: 2)
    monkeypatch.setattr(chunked, "map_threads", recorded)
    report = score_parquet_chunked(data[source], small_model, buckets=4, include_likes=True)
    assert threaded == [(4, 2)]  # creator scope: pass 2 only, a bucket per task
    assert_same_report(report, expected)


def test_a_first_bucket_without_creator_follower_counts_keeps_the_column_order(
    likes, small_model, tmp_path
):
    table = likes.copy()
    first_bucket = bucket_of(table["creator_id"], 4) == 0
    table.loc[first_bucket, "creator_followers"] = np.nan
    path = tmp_path / "likes.parquet"
    table.to_parquet(path, index=False)
    want = small_model.report(validate_likes(table, "likes", label_column="is_fake"))
    got = score_parquet_chunked(path, small_model, buckets=4)
    assert list(got.creators.columns) == list(want.creators.columns)
    assert_same_report(got, want, likes=False)


@pytest.mark.parametrize("compressed", [True, False])
def test_buckets_are_compressed_only_when_they_may_not_fit_in_memory(
    data, small_model, expected, compressed, monkeypatch
):
    from detector.engines import chunked

    spilled_likes = 10_000_000
    monkeypatch.setattr(chunked, "SPILL_COMPRESSED_FROM", 0.0 if compressed else 1e9)
    assert chunked.spill_compression(spilled_likes) == ("lz4" if compressed else None)
    report = score_parquet_chunked(data["file"], small_model, buckets=3, include_likes=True)
    assert_same_report(report, expected)


@pytest.mark.parametrize(
    "reading", [SPILLED, {**READ_GROUPED, "workers": 2}], ids=["spilled", "read_grouped"]
)
def test_chunked_creator_scope_and_creator_filter(data, small_model, likes, reading):
    chosen = ["c00003", "c00011", "c00012"]
    subset = likes[likes["creator_id"].isin(chosen)].reset_index(drop=True)
    subset.attrs["detector_validated"] = True
    for scope in ("creator", "batch"):
        want = small_model.report(subset, scope=scope)
        got = score_parquet_chunked(
            data["folder"], small_model, creators=chosen, scope=scope, **reading
        )
        assert_same_report(got, want, likes=False)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_chunked_streams_per_like_output_in_input_order(
    data, small_model, expected, tmp_path, suffix
):
    target = tmp_path / f"per_like{suffix}"
    report = score_parquet_chunked(
        data["folder"], small_model, buckets=3, likes_output=target, batch_rows=1500
    )
    assert report.likes is None
    if suffix == ".csv":  # scores may differ in the last digit (compiled vs scikit-learn trees)
        written = pd.read_csv(target)
        want = pd.read_csv(io.StringIO(expected.likes.to_csv(index=False)))
        pd.testing.assert_frame_equal(written, want, rtol=1e-12)
    else:
        pd.testing.assert_frame_equal(pd.read_parquet(target), expected.likes, rtol=1e-12)
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary file left


def test_temporary_buckets_are_removed_after_success_and_failure(
    data, small_model, tmp_path, monkeypatch
):
    spill = tmp_path / "spill"
    spill.mkdir()
    score_parquet_chunked(data["folder"], small_model, buckets=4, tmpdir=spill)
    assert list(spill.iterdir()) == []

    import detector.engines.chunked as chunked

    seen: list[int] = []

    def failing(*args, **kwargs):
        seen.append(len(list(next(spill.iterdir()).glob("bucket-*.arrow"))))
        raise KeyboardInterrupt

    monkeypatch.setattr(chunked, "second_pass", failing)
    with pytest.raises(KeyboardInterrupt):
        score_parquet_chunked(data["folder"], small_model, buckets=4, tmpdir=spill)
    assert seen and seen[0] > 1  # the buckets existed while scoring
    assert list(spill.iterdir()) == []


@pytest.mark.parametrize("reading", [SPILLED, READ_GROUPED], ids=["spilled", "read_grouped"])
def test_bad_input_gives_one_line_error_naming_file_and_row(data, small_model, tmp_path, reading):
    folder = tmp_path / "bad"
    folder.mkdir()
    parts = sorted(data["folder"].glob("*.parquet"))
    for part in parts[:2]:
        (folder / part.name).write_bytes(part.read_bytes())
    broken = pd.read_parquet(parts[2])
    broken["liked_at"] = broken["liked_at"].astype(str)
    broken.loc[2500, "liked_at"] = "yesterday"
    broken.to_parquet(folder / parts[2].name, index=False)
    with pytest.raises(SchemaError) as error:
        score_parquet_chunked(folder, small_model, batch_rows=1000, **reading)
    message = str(error.value)
    assert message == (
        f"{folder / parts[2].name}: column 'liked_at' row 2501: 'yesterday' is not a timestamp "
        f"(expected ISO 8601 or a Unix epoch number in s, ms, us or ns; 1 bad value(s) in all)"
    )

    pd.read_parquet(parts[0]).drop(columns=["liker_id"]).to_parquet(tmp_path / "no_liker.parquet")
    with pytest.raises(
        SchemaError, match=r"no_liker.parquet: missing required column\(s\) 'liker_id'"
    ):
        score_parquet_chunked(tmp_path / "no_liker.parquet", small_model)
    text = tmp_path / "likes.csv"
    text.write_text("creator_id\n")
    with pytest.raises(InputFormatError, match="chunked engine reads a .parquet file"):
        score_parquet_chunked(text, small_model)


@pytest.fixture(scope="module")
def row_groups(tmp_path_factory, likes) -> Path:
    """The world as 3 Parquet files of small row groups (700 rows: not a multiple of the
    batches' 1000), so that a split of the spill can start in the middle of a file."""
    folder = tmp_path_factory.mktemp("row_groups")
    raw = likes.drop(columns="is_fake")
    for i, (start, stop) in enumerate([(0, 5000), (5000, 9000), (9000, len(raw))]):
        table = pa.Table.from_pandas(raw.iloc[start:stop], preserve_index=False)
        pq.write_table(table, folder / f"part-{i}.parquet", row_group_size=700)
    return folder


def _identical(got: CreatorReport, want: CreatorReport) -> None:
    for name in ("creators", "posts", "likes"):
        if getattr(want, name) is None:
            assert getattr(got, name) is None
        else:
            pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name), check_exact=True)
    assert got.meta == want.meta


def test_spill_ranges_cover_the_row_groups_in_order(row_groups):
    from detector.engines.chunked import _open, _plan

    fragments, _, total = _open(row_groups)
    assert _plan(fragments, 1) == [(list(zip(fragments, [0, 0, 0], strict=True)), 0)]
    for parts in (2, 3, 5):
        ranges = _plan(fragments, parts)
        assert len(ranges) == parts
        seen, position = [], 0
        for part in ranges:
            assert part.start == position
            for fragment, offset in part.pieces:
                groups = [g.id for g in fragment.row_groups]
                assert offset == 700 * groups[0]
                seen += [(Path(fragment.path).name, g) for g in groups]
                position += sum(g.num_rows for g in fragment.row_groups)
        assert position == total
        assert seen == [
            (f"part-{i}.parquet", g) for i, n in enumerate((8, 6, 10)) for g in range(n)
        ]
    assert any(offset for part in _plan(fragments, 3) for _, offset in part.pieces)


def test_parallel_spill_gives_an_identical_report_and_per_like_file(
    row_groups, small_model, expected, tmp_path, monkeypatch
):
    import detector.engines.chunked as chunked

    spilled: list[list[tuple[Path, ...]]] = []
    spill = chunked._spill

    def recorded(*args, **kwargs):
        spilled.append(spill(*args, **kwargs))
        return spilled[-1]

    monkeypatch.setattr(chunked, "_spill", recorded)
    reports = {}
    for workers in (1, 3):
        reports[workers] = score_parquet_chunked(
            row_groups,
            small_model,
            buckets=4,
            include_likes=True,
            likes_output=tmp_path / f"likes-{workers}.parquet",
            batch_rows=1000,
            workers=workers,
        )
    assert {len(parts) for parts in spilled[0]} == {1}
    assert max(len(parts) for parts in spilled[1]) == 3  # a part per range
    _identical(reports[3], reports[1])
    assert_same_report(reports[1], expected)
    written = (tmp_path / "likes-1.parquet").read_bytes()
    assert (tmp_path / "likes-3.parquet").read_bytes() == written
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "likes-1.parquet"), expected.likes)


def test_parallel_spill_with_a_creator_filter(row_groups, small_model, likes):
    chosen = ["c00001", "c00013"]  # in the first and the last file only: a range spills nothing
    subset = likes[likes["creator_id"].isin(chosen)].reset_index(drop=True)
    subset.attrs["detector_validated"] = True
    want = small_model.report(subset, include_likes=True)
    got = {
        workers: score_parquet_chunked(
            row_groups,
            small_model,
            buckets=3,
            creators=chosen,
            include_likes=True,
            batch_rows=1000,
            workers=workers,
        )
        for workers in (1, 3)
    }
    _identical(got[3], got[1])
    assert_same_report(got[1], want)
    with pytest.raises(SchemaError, match="no likes for creator"):
        score_parquet_chunked(row_groups, small_model, creators=["nobody"], workers=3)


@pytest.mark.parametrize("reading", [SPILLED, READ_GROUPED], ids=["spilled", "read_grouped"])
def test_parallel_reading_reports_the_first_bad_row_of_the_input(
    likes, small_model, tmp_path, reading
):
    broken = likes.drop(columns="is_fake")
    broken["liked_at"] = broken["liked_at"].astype(str)
    path = tmp_path / "bad.parquet"
    spill = tmp_path / "spill"
    spill.mkdir()

    def message(workers: int) -> str:
        with pytest.raises(SchemaError) as error:
            score_parquet_chunked(
                path, small_model, batch_rows=300, workers=workers, tmpdir=spill, **reading
            )
        assert list(spill.iterdir()) == []
        return str(error.value)

    for bad, shown in (([12344], 12345), ([6000, 12344], 6001)):
        frame = broken.copy()
        frame.loc[bad, "liked_at"] = "yesterday"
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=1000)
        want = (
            f"{path}: column 'liked_at' row {shown}: 'yesterday' is not a timestamp "
            f"(expected ISO 8601 or a Unix epoch number in s, ms, us or ns; 1 bad value(s) in all)"
        )
        assert message(1) == want
        assert message(3) == want  # ranges start at rows 5000 and 11000 of the file


def test_a_spill_range_stops_after_an_earlier_range_failed(row_groups, tmp_path):
    from detector.engines.chunked import _open, _plan, _spill_range
    from detector.engines.partitions import validated_sample

    fragments, columns, _ = _open(row_groups)
    first, second = _plan(fragments, 2)
    schema = pa.Schema.from_pandas(validated_sample(columns), preserve_index=False)
    args = (columns, schema, 2, tmp_path, 1000, None)
    (tmp_path / "spill-failed-000").touch()
    assert _spill_range(second, 1, *args) is None
    assert _spill_range(first, 0, *args) == {0, 1}


# ------------------------------------------------------------ input grouped by creator
def test_grouped_tasks_are_whole_creators_covering_the_input_in_order(row_groups, likes):
    from detector.engines import grouped
    from detector.engines.chunked import _open

    fragments, columns, total = _open(row_groups)
    ids = likes["creator_id"].to_numpy()
    for workers in (1, 2, 40):
        tasks = grouped.plan(fragments, columns, workers)
        position = 0
        for task in tasks:
            first = task.pieces[0].position
            assert first == 0 or ids[first] != ids[first - 1]  # a task starts a creator
            for piece in task.pieces:
                assert piece.position == position
                assert (
                    piece.file_row
                    + piece.start
                    + sum(  # the piece's rows, in its file
                        len(pd.read_parquet(f))
                        for f in sorted(row_groups.glob("*.parquet"))
                        if f.name < Path(piece.path).name
                    )
                    == position
                )
                position += piece.stop - piece.start
        assert position == total
        assert any(len(task.pieces) > 1 for task in tasks)  # creators span row groups and files
    one, many = (len(grouped.plan(fragments, columns, w)) for w in (1, 40))
    assert one <= N_CREATORS and one <= many <= N_CREATORS  # more workers: finer, whole creators


def test_small_row_groups_are_merged_into_larger_tasks(row_groups, monkeypatch):
    from detector.engines import grouped
    from detector.engines.chunked import _open

    fragments, columns, total = _open(row_groups)
    monkeypatch.setattr(grouped, "MIN_TASK_ROWS", 5000)
    tasks = grouped.plan(fragments, columns, 2)
    assert all(task.rows >= 5000 for task in tasks[:-1])
    assert sum(task.rows for task in tasks) == total
    assert max(len(task.pieces) for task in tasks) >= 7  # row groups of 700 likes


@pytest.mark.parametrize("workers", [1, 2])
def test_grouped_input_is_read_where_it_lies_with_the_spilled_report(
    row_groups, small_model, expected, tmp_path, monkeypatch, workers
):
    import detector.engines.chunked as chunked

    spilled = score_parquet_chunked(row_groups, small_model, include_likes=True, buckets=3)

    def no_spill(*args, **kwargs):
        raise AssertionError("grouped input was spilled")

    monkeypatch.setattr(chunked, "_spill", no_spill)
    target = tmp_path / "per_like.parquet"
    report = score_parquet_chunked(
        row_groups, small_model, include_likes=True, likes_output=target, workers=workers
    )
    _identical(report, spilled)
    assert_same_report(report, expected)
    pd.testing.assert_frame_equal(pd.read_parquet(target), expected.likes, rtol=1e-12)


@pytest.mark.parametrize(("buckets", "workers"), [(None, 2), (3, 1)], ids=["grouped", "spilled"])
def test_json_output_is_the_report_json_with_lines_rendered_where_creators_were_scored(
    row_groups, small_model, tmp_path, monkeypatch, buckets, workers
):
    import json

    import detector.engines.chunked as chunked
    from detector import report as report_module

    monkeypatch.setattr(report_module, "JSON_PRETTY_UP_TO", 0)  # a line per creator
    used = []

    def recorded(partials, report):
        used.append(original(partials, report))
        return used[-1]

    original = chunked.assembled_lines
    monkeypatch.setattr(chunked, "assembled_lines", recorded)
    target = tmp_path / "report.json"
    report = score_parquet_chunked(
        row_groups, small_model, buckets=buckets, json_output=target, workers=workers
    )
    assert used[0] is not None and len(used[0]) == len(report.creators) == N_CREATORS
    text = target.read_text(encoding="utf-8")
    assert text == report_module.report_json(report)  # as if rendered at the end, here
    assert json.loads(text) == json.loads(report.to_json())


def test_lines_are_not_reused_when_a_partition_had_other_dtypes(likes, small_model):
    from detector.engines.partitions import ROW_KEY, split_rows
    from detector.scoring.pipeline import assemble, assembled_lines, second_pass

    frame = likes.drop(columns="is_fake").assign(**{ROW_KEY: np.arange(len(likes))})
    first = frame["creator_id"].isin(frame["creator_id"].unique()[:5])
    partials = []
    for part in (frame[first], frame[~first]):
        partial = second_pass(*split_rows(part), small_model, None)
        partial.creator_lines = partial.report.creator_lines()
        partials.append(partial)
    report = assemble(partials)
    assert assembled_lines(partials, report) == report.creator_lines()
    ints = partials[1].report.creators["likes"]
    partials[1].report.creators["likes"] = ints.astype(float)  # would be written 12.0, not 12
    assert assembled_lines(partials, assemble(partials)) is None
    partials[1].report.creators["likes"] = ints
    partials[0].creator_lines = None
    assert assembled_lines(partials, report) is None


def test_grouped_input_in_batch_scope_and_an_unknown_creator(row_groups, small_model, likes):
    everyone = score_parquet_chunked(row_groups, small_model, scope="batch", read_grouped=True)
    assert_same_report(everyone, small_model.report(likes, scope="batch"), likes=False)
    with pytest.raises(SchemaError, match=r"no likes for creator\(s\) nobody"):
        score_parquet_chunked(row_groups, small_model, creators=["nobody"], read_grouped=True)


@pytest.mark.parametrize(
    "storage", ["dictionary", "plain", "integers", "with a missing id"], ids=lambda s: s
)
def test_grouping_is_found_however_creator_ids_are_stored(tmp_path, storage):
    """Ids compared by their dictionary codes or decoded give the same tasks; a creator that
    comes back after another one started, in another row group, means not grouped."""
    from detector.engines import grouped
    from detector.engines.chunked import _open

    creators = np.repeat([3, 1, 4, 5, 9, 2, 6], [5, 9, 2, 6, 5, 3, 5])
    if storage == "with a missing id":
        creators = creators.astype(object)
        creators[7] = None  # splits creator 1 in two runs: not grouped
    frame = pd.DataFrame(
        {
            "creator_id": creators if storage != "plain" else creators.astype(str),
            "post_id": "p",
            "liker_id": [f"u{i}" for i in range(len(creators))],
            "liked_at": pd.Timestamp("2026-01-01", tz="UTC"),
        }
    )
    if storage in ("dictionary", "with a missing id"):
        frame["creator_id"] = frame["creator_id"].map(lambda c: None if c is None else f"c{c}")
    path = tmp_path / "likes.parquet"
    pq.write_table(
        pa.Table.from_pandas(frame, preserve_index=False),
        path,
        row_group_size=4,
        use_dictionary=storage != "plain",
    )
    fragments, columns, total = _open(path)
    tasks = grouped.plan(fragments, columns, 40)
    if storage == "with a missing id":
        assert tasks is None
        return
    starts = sorted(task.pieces[0].position for task in tasks)
    assert starts == [0, 5, 14, 16, 22, 27, 30]  # one task per creator, at its first like
    comeback = tmp_path / "comeback.parquet"
    frame.iloc[np.r_[0:14, 3:5, 14 : len(frame)]].to_parquet(comeback, row_group_size=4)
    assert grouped.plan(*_open(comeback)[:2], 2) is None


def test_files_with_different_columns_are_spilled(row_groups, tmp_path):
    from detector.engines import grouped
    from detector.engines.chunked import _open

    folder = tmp_path / "mixed"
    folder.mkdir()
    files = sorted(row_groups.glob("*.parquet"))
    pq.write_table(pq.read_table(files[0]), folder / files[0].name)
    pq.write_table(pq.read_table(files[1]).drop(["username"]), folder / files[1].name)
    fragments, columns, _ = _open(folder)
    assert grouped.plan(fragments, columns, 2) is None
    fragments, columns, _ = _open(row_groups)
    assert grouped.plan(fragments, columns, 2) is not None


def test_input_not_grouped_by_creator_is_spilled(likes, small_model, tmp_path, monkeypatch):
    import detector.engines.chunked as chunked

    shuffled = likes.sample(frac=1, random_state=0).reset_index(drop=True)
    shuffled.attrs["detector_validated"] = True
    path = tmp_path / "shuffled.parquet"
    shuffled.drop(columns="is_fake").to_parquet(path, index=False)
    spills = []
    spill = chunked._spill
    monkeypatch.setattr(chunked, "_spill", lambda *a, **k: spills.append(1) or spill(*a, **k))
    report = score_parquet_chunked(path, small_model)
    assert spills == [1]
    assert_same_report(report, small_model.report(shuffled), likes=False)
    with pytest.raises(InputFormatError, match=r"shuffled.parquet: not grouped by creator"):
        score_parquet_chunked(path, small_model, read_grouped=True)


def test_workers_receive_arrays_only_and_fit_a_missing_profile_from_them(small_model, likes):
    import pickle

    from detector.scoring.scorer import compiled_scorer

    small_model.prepare(likes.columns, "creator")
    sent = pickle.dumps(compiled_scorer(small_model))
    assert b"sklearn" not in sent  # arrays only: no estimator travels to the workers
    received = pickle.loads(sent)
    features = small_model.features(likes.drop(columns=["username"]), scope="creator").values
    assert not received.arrays.supports(tuple(features.columns))  # fitted from the arrays
    pd.testing.assert_frame_equal(
        received.score_features(features), small_model.score_features(features)
    )


def test_small_input_is_spilled_and_scored_in_this_process(data, small_model, monkeypatch):
    from detector.engines import workers

    def no_workers(*args, **kwargs):
        raise AssertionError("worker processes started for a small input")

    monkeypatch.setattr(workers.Workers, "map", no_workers)
    score_parquet_chunked(data["folder"], small_model, buckets=3)


def test_a_killed_worker_gives_a_one_line_error_with_the_remedy(
    data, small_model, tmp_path, monkeypatch
):
    import os
    from concurrent.futures.process import BrokenProcessPool

    import detector.engines.chunked as chunked
    from detector.engines import workers
    from detector.errors import ResourceError
    from detector.persistence import save_model

    with (
        pytest.raises(
            ResourceError, match=r"^in.parquet: a worker process .* stopped unexpectedly"
        ),
        workers.Workers(2, "in.parquet") as pool,
    ):
        list(pool.map(os._exit, [(3,)]))  # the worker dies, as when killed for lack of memory

    class Killed(workers.ProcessPoolExecutor):
        def map(self, *args, **kwargs):
            raise BrokenProcessPool("A process in the process pool was terminated abruptly")

    monkeypatch.setattr(workers, "ProcessPoolExecutor", Killed)
    monkeypatch.setattr(chunked, "PROCESSES_FROM_ROWS", 0)  # workers even for this small input
    path = save_model(small_model, tmp_path / "m.joblib")
    args = ["score", str(data["folder"]), "--model", str(path), "--engine", "chunked"]
    result = CliRunner().invoke(app, [*args, "--partitions", "3"])
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert "DETECTOR_THREADS=1" in result.stderr.strip().splitlines()[-1]


def test_the_columns_present_are_those_with_values_in_any_partition():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no partition is scored apart any more: nothing to warn
        present = check_present([["followers", "username"], ["followers"]])
    assert present == ["followers", "username"]
    assert check_present([]) == []


# -------------------------------------------------------------------------------------- dask
def test_missing_dask_gives_an_install_hint(monkeypatch):
    from detector.engines import dask_engine

    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'engagement-detector\[dask\]'"):
        dask_engine.read_likes_dask("likes.parquet")


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("dask.dataframe")
    import logging

    with distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as local:
        yield local


@pytest.mark.parametrize("source", ["file", "folder"])
def test_dask_on_a_local_cluster_equals_in_memory(cluster, data, small_model, expected, source):
    from distributed import Client

    from detector.engines.dask_engine import read_likes_dask, score_dask

    with Client(cluster) as client:
        report = score_dask(
            read_likes_dask(data[source]), small_model, include_likes=True, npartitions=3
        )
        assert len(client.scheduler_info()["workers"]) == 2
    assert_same_report(report, expected)


def test_cli_engines_print_the_same_report(cluster, data, small_model, tmp_path):
    from detector.io import load_likes
    from detector.persistence import load_model, save_model

    path = save_model(small_model, tmp_path / "m.joblib")
    want = _render_creators(load_model(path).report(load_likes(data["folder"])), OutputFormat.csv)
    runner = CliRunner()
    base = ["score", str(data["folder"]), "--model", str(path), "--format", "csv"]
    chunked = runner.invoke(app, [*base, "--engine", "chunked", "--partitions", "3"])
    assert chunked.exit_code == 0, chunked.stderr
    assert chunked.stdout == want
    dask = runner.invoke(app, [*base, "--engine", "dask", "--scheduler", cluster.scheduler_address])
    assert dask.exit_code == 0, dask.stderr
    assert dask.stdout == want
    usage = runner.invoke(app, [*base, "--scheduler", "tcp://localhost:8786"])
    assert usage.exit_code == 2


def test_auto_engine_chunks_large_parquet_input_and_loads_small_input(
    data, small_model, tmp_path, monkeypatch
):
    import detector.cli as cli
    from detector.io import load_likes
    from detector.persistence import load_model, save_model

    path = save_model(small_model, tmp_path / "m.joblib")
    want = _render_creators(load_model(path).report(load_likes(data["folder"])), OutputFormat.csv)
    base = ["score", str(data["folder"]), "--model", str(path), "--format", "csv"]
    rows = len(load_likes(data["folder"]))
    for threshold, engine in ((rows, "chunked"), (rows + 1, None)):
        monkeypatch.setattr(cli, "AUTO_CHUNKED_FROM", threshold)
        result = CliRunner().invoke(app, base)
        assert result.exit_code == 0, result.stderr
        assert result.stdout == want
        assert (f"{rows:,} likes: chunked engine" in result.stderr) == (engine == "chunked")


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # inside dask, pandas 3.1
def test_accounts_table_is_joined_per_partition(data, small_model, likes, tmp_path):
    from detector.engines.dask_engine import read_likes_dask, score_dask
    from detector.schema import ACCOUNT_COLUMNS, join_accounts

    dask = pytest.importorskip("dask")
    raw = pd.read_parquet(data["file"])
    account_columns = [c for c in ACCOUNT_COLUMNS if c in raw.columns]
    accounts = (
        raw[["liker_id", *account_columns]]
        .drop_duplicates("liker_id")
        .rename(columns={"liker_id": "account_id"})
    )
    accounts.to_csv(tmp_path / "accounts.csv", index=False)
    raw.drop(columns=account_columns).to_parquet(tmp_path / "likes.parquet", index=False)
    joined = join_accounts(
        validate_likes(raw.drop(columns=account_columns), "likes"),
        pd.read_csv(tmp_path / "accounts.csv"),
    )
    joined.attrs["detector_validated"] = True
    want = small_model.report(joined, include_likes=True)

    for reading in (SPILLED, READ_GROUPED):
        got = score_parquet_chunked(
            tmp_path / "likes.parquet",
            small_model,
            accounts=tmp_path / "accounts.csv",
            include_likes=True,
            **reading,
        )
        assert_same_report(got, want)
    with dask.config.set(scheduler="sync"):
        got = score_dask(
            read_likes_dask(tmp_path / "likes.parquet"),
            small_model,
            accounts=tmp_path / "accounts.csv",
            npartitions=2,
            include_likes=True,
        )
    assert_same_report(got, want)


@pytest.mark.parametrize("dtype", ["str", pd.StringDtype("python"), object])
def test_creator_changes_are_found_however_ids_are_held(dtype):
    from detector.engines.grouped import _changes

    ids = ["a", "a", "b", "b", "b", "a", "c", "c", "ä", "ä", "d"]
    expected = [1, 4, 5, 7, 9]
    column = pd.Series(ids, dtype=dtype)
    assert _changes(column).tolist() == expected
    chunked = pd.concat([column.iloc[:4], column.iloc[4:]], ignore_index=True)
    assert _changes(chunked).tolist() == expected
    assert _changes(column.iloc[3:].reset_index(drop=True)).tolist() == [1, 2, 4, 6]
    assert _changes(column.iloc[:1]).tolist() == []


# ---------------------------------------------------------------------------------- progress
def test_engines_count_their_progress(cluster, data, small_model, expected):
    """Each engine's stages end complete: the chunked engine's buckets, Dask's own task counts
    (the distributed scheduler's and the local scheduler's), and the reports stay the same."""
    import dask
    from distributed import Client

    from detector.engines.dask_engine import read_likes_dask, score_dask
    from detector.progress import reporting
    from tests.test_progress import Recorder

    chunked = Recorder()
    with reporting(chunked):
        got = score_parquet_chunked(data["folder"], small_model, buckets=3, include_likes=True)
    assert_same_report(got, expected)
    spill, scoring = (
        chunked.stages[f"reading {data['folder']} into 3 buckets"],
        chunked.stages["scoring"],
    )
    assert spill.done == spill.total >= 1
    assert scoring.unit == "buckets" and scoring.done == scoring.total == 3

    distributed = Recorder()
    with Client(cluster), reporting(distributed):
        got = score_dask(read_likes_dask(data["file"]), small_model, include_likes=True)
    assert_same_report(got, expected)
    for name in ("reading and grouping by creator", "scoring"):
        tasks = distributed.stages[name]
        assert tasks.unit == "tasks" and tasks.total and tasks.done == tasks.total

    local = Recorder()
    with dask.config.set(scheduler="sync"), reporting(local):
        got = score_dask(read_likes_dask(data["file"]), small_model, include_likes=True)
    assert_same_report(got, expected)
    tasks = local.stages["scoring"]
    assert tasks.total and tasks.done == tasks.total

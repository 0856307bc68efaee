"""The command line: outputs, exit codes, and one-line errors on bad input."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from detector.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("world")
    result = runner.invoke(app, ["generate", str(out), "--creators", "12", "--seed", "5"])
    assert result.exit_code == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def model_path(world_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "m.joblib"
    result = runner.invoke(
        app, ["train", str(world_dir / "likes.csv"), "--output", str(path), "--n-estimators", "40"]
    )
    assert result.exit_code == 0, result.stderr
    return path


def test_running_out_of_memory_gives_a_one_line_error_with_the_remedy(
    world_dir, model_path, monkeypatch
):
    import detector.io

    def out_of_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(detector.io, "load_likes", out_of_memory)
    result = runner.invoke(app, ["score", str(world_dir / "likes.csv"), "--model", str(model_path)])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "Error: out of memory; score Parquet input with --engine chunked (bounded memory), "
        "in more buckets (--partitions) if it still runs out"
    ]


def test_generate_writes_likes_and_creator_truth(world_dir):
    likes = pd.read_csv(world_dir / "likes.csv")
    creators = pd.read_csv(world_dir / "creators.csv")
    assert {"creator_id", "post_id", "liker_id", "liked_at", "is_fake"} <= set(likes.columns)
    assert {"creator_id", "inauthentic_share", "tier"} <= set(creators.columns)


def test_train_prints_held_out_metrics_and_writes_model_and_sidecar(model_path):
    meta = json.loads(model_path.with_suffix(".json").read_text())
    assert meta["metrics"]["supervised"] is True
    assert 0.5 < meta["metrics"]["holdout"]["like_level"]["roc_auc"] <= 1


def test_adapt_writes_a_model_from_clean_creators_and_refuses_fake_labels(
    world_dir, model_path, tmp_path
):
    likes = pd.read_csv(world_dir / "likes.csv")
    creators = pd.read_csv(world_dir / "creators.csv")
    clean = likes[
        likes["creator_id"].isin(creators.loc[creators["inauthentic_share"] == 0, "creator_id"])
    ]
    clean_file = tmp_path / "clean.csv"
    clean.to_csv(clean_file, index=False)  # keeps is_fake, all 0: accepted
    out = tmp_path / "adapted.joblib"
    command = ["adapt", str(clean_file), "--model", str(model_path), "--output", str(out)]
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["adapted"] is True and printed["clean_likes"] == len(clean)
    n_clean = clean["creator_id"].nunique()
    assert f"warning: only {n_clean} clean creator(s)" in result.stderr  # fewer than 10
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["training"]["adapted_from"] == str(model_path)
    scored = runner.invoke(app, ["score", str(world_dir / "likes.csv"), "--model", str(out)])
    assert scored.exit_code == 0, scored.stderr

    again = runner.invoke(app, command)
    assert again.exit_code == 1 and "already exists" in again.stderr

    labelled = runner.invoke(
        app, ["adapt", str(world_dir / "likes.csv"), "--output", str(tmp_path / "x.joblib")]
    )
    assert labelled.exit_code == 1
    fakes = int(likes["is_fake"].sum())
    assert labelled.stderr.strip() == (
        f"Error: {world_dir / 'likes.csv'}: column 'is_fake' marks {fakes:,} likes as fake; "
        "adapt takes likes of creators known to be clean (with fake labels, use 'detector train')"
    )
    assert not (tmp_path / "x.joblib").exists()


def test_score_json_goes_to_stdout(world_dir, model_path):
    result = runner.invoke(
        app, ["score", str(world_dir / "likes.csv"), "--model", str(model_path), "--format", "json"]
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(data["creators"]) == 12


def test_score_one_creator_as_csv_and_per_like_output(world_dir, model_path, tmp_path):
    likes_out = tmp_path / "likes_scored.parquet"
    result = runner.invoke(
        app,
        [
            "score",
            str(world_dir / "likes.csv"),
            "--model",
            str(model_path),
            "--creator",
            "c00001",
            "--format",
            "csv",
            "--likes-output",
            str(likes_out),
        ],
    )
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(pd.io.common.StringIO(result.stdout))
    assert table["creator_id"].tolist() == ["c00001"]
    assert set(pd.read_parquet(likes_out)["creator_id"]) == {"c00001"}


def test_table_output_lists_features_used_on_stderr(world_dir, model_path):
    result = runner.invoke(app, ["score", str(world_dir / "likes.csv"), "--model", str(model_path)])
    assert result.exit_code == 0
    assert "Creator authenticity" in result.stdout
    assert "features used:" in result.stderr


def test_output_file_is_not_overwritten_without_force(world_dir, model_path, tmp_path):
    target = tmp_path / "report.json"
    target.write_text("mine")
    args = [
        "score",
        str(world_dir / "likes.csv"),
        "--model",
        str(model_path),
        "--output",
        str(target),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert target.read_text() == "mine"
    assert runner.invoke(app, [*args, "--force", "--format", "json"]).exit_code == 0
    assert json.loads(target.read_text())["creators"]


def test_evaluate_reports_creator_level_metrics(world_dir, model_path):
    result = runner.invoke(
        app,
        [
            "evaluate",
            str(world_dir / "likes.csv"),
            "--model",
            str(model_path),
            "--creators",
            str(world_dir / "creators.csv"),
        ],
    )
    assert result.exit_code == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert 0 <= metrics["creator_level"]["roc_auc"] <= 1
    assert "like_level" in metrics


def test_info_reads_the_sidecar(model_path):
    result = runner.invoke(app, ["info", str(model_path)])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["model_class"] == "AuthenticityModel"


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("detector ")


def _one_line_error(result, *fragments):
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_bad_inputs_give_one_line_and_exit_1(tmp_path, world_dir, model_path):
    good = pd.read_csv(world_dir / "likes.csv").head(50)
    cases = {
        "missing.csv": (good.drop(columns=["post_id", "liker_id"]), ["'post_id', 'liker_id'"]),
        "time.csv": (
            good.assign(liked_at=["soon"] + list(good["liked_at"][1:])),
            ["liked_at", "row 1", "soon"],
        ),
        "negative.csv": (good.assign(followers=-1), ["followers", "negative"]),
    }
    for name, (frame, fragments) in cases.items():
        frame.to_csv(tmp_path / name, index=False)
        result = runner.invoke(app, ["score", str(tmp_path / name), "--model", str(model_path)])
        _one_line_error(result, name, *fragments)
    (tmp_path / "empty.csv").write_text("")
    _one_line_error(runner.invoke(app, ["score", str(tmp_path / "empty.csv")]), "empty")
    (tmp_path / "likes.xls").write_text("x")
    _one_line_error(runner.invoke(app, ["score", str(tmp_path / "likes.xls")]), "unknown format")
    broken = tmp_path / "broken.joblib"
    broken.write_bytes(model_path.read_bytes())
    broken.with_suffix(".npz").write_bytes(model_path.with_suffix(".npz").read_bytes()[:200])
    broken.with_suffix(".json").write_text(model_path.with_suffix(".json").read_text())
    _one_line_error(
        runner.invoke(app, ["score", str(world_dir / "likes.csv"), "--model", str(broken)]),
        "broken.npz: checksum mismatch",
    )
    broken.with_suffix(".npz").unlink()
    _one_line_error(
        runner.invoke(app, ["score", str(world_dir / "likes.csv"), "--model", str(broken)]),
        "broken.npz: missing",
    )


def test_usage_errors_exit_2():
    assert runner.invoke(app, ["score"]).exit_code == 2
    assert runner.invoke(app, ["score", "x.csv", "--format", "xml"]).exit_code == 2


def test_creator_scope_gives_the_same_result_alone_and_in_the_batch(
    world_dir, model_path, tmp_path
):
    likes = pd.read_csv(world_dir / "likes.csv")
    likes[likes["creator_id"] == "c00002"].to_csv(tmp_path / "one.csv", index=False)
    args = ["--model", str(model_path), "--format", "json", "--scope", "creator"]
    alone = json.loads(runner.invoke(app, ["score", str(tmp_path / "one.csv"), *args]).stdout)
    batch = json.loads(runner.invoke(app, ["score", str(world_dir / "likes.csv"), *args]).stdout)
    in_batch = next(c for c in batch["creators"] if c["creator_id"] == "c00002")
    assert (
        alone["creators"][0]["inauthentic_share_interval"] == in_batch["inauthentic_share_interval"]
    )
    assert alone["creators"][0]["reasons"] == in_batch["reasons"]


def test_train_can_bound_the_depth_of_the_head_for_faster_scoring(world_dir, tmp_path):
    from detector.persistence import load_model

    path = tmp_path / "shallow.joblib"
    args = ["train", str(world_dir / "likes.csv"), "--output", str(path), "--n-estimators", "20"]
    result = runner.invoke(app, [*args, "--head-max-depth", "3"])
    assert result.exit_code == 0, result.stderr
    assert load_model(path).get_params()["head_max_depth"] == 3
    result = runner.invoke(app, [*args, "--head-max-depth", "0", "--force"])
    assert result.exit_code != 0


def test_the_report_format_follows_the_output_file_name_unless_given(
    world_dir, model_path, tmp_path
):
    args = ["score", str(world_dir / "likes.csv"), "--model", str(model_path), "--output"]
    assert runner.invoke(app, [*args, str(tmp_path / "r.json")]).exit_code == 0
    assert json.loads((tmp_path / "r.json").read_text())["creators"]
    assert runner.invoke(app, [*args, str(tmp_path / "r.csv")]).exit_code == 0
    assert (tmp_path / "r.csv").read_text().startswith("creator_id,")
    assert runner.invoke(app, [*args, str(tmp_path / "r.txt")]).exit_code == 0
    assert "Creator authenticity" in (tmp_path / "r.txt").read_text()
    forced = [*args, str(tmp_path / "t.json"), "--format", "table"]
    assert runner.invoke(app, forced).exit_code == 0
    assert "Creator authenticity" in (tmp_path / "t.json").read_text()


def test_scoring_a_small_file_imports_neither_numba_nor_the_chunked_readers(world_dir, tmp_path):
    import subprocess
    import sys

    script = (
        "import runpy, sys\n"
        f"sys.argv = ['detector', 'score', {str(world_dir / 'likes.csv')!r}, '--output', "
        f"{str(tmp_path / 'r.json')!r}]\n"
        "try:\n    runpy.run_module('detector', run_name='__main__')\n"
        "except SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "print(sorted(m for m in ('numba', 'pyarrow.dataset', 'detector.engines.grouped') "
        "if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"  # they would slow the cold start
    assert (tmp_path / "r.json").exists()


def test_the_table_fits_an_80_column_terminal(world_dir, model_path):
    args = ["score", str(world_dir / "likes.csv"), "--model", str(model_path)]
    result = runner.invoke(app, args, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "Creator authenticity" in result.stdout and max(map(len, lines)) <= 80


def test_a_fifo_output_is_refused_before_the_work_and_the_first_output_untouched(
    world_dir, model_path, tmp_path
):
    import os

    report = tmp_path / "report.json"
    report.write_text("mine")
    fifo = tmp_path / "likes.csv"
    os.mkfifo(fifo)
    args = ["score", str(world_dir / "likes.csv"), "--model", str(model_path), "--force"]
    result = runner.invoke(app, [*args, "--output", str(report), "--likes-output", str(fifo)])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: {fifo}: not a regular file (a device, FIFO or socket); refused, give a file name"
    ]
    assert report.read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["likes.csv", "report.json"]


@pytest.mark.parametrize(
    "args",
    [
        ["generate", "/tmp/x", "--format", "xml"],
        ["generate", "/tmp/x", "--populations", "nope"],
        ["generate", "-"],
        ["train", "x.csv", "--output", "-"],
        ["adapt", "x.csv", "--output", "-"],
        ["score", "x.csv", "--likes-output", "-"],
        ["score", "x.csv", "--scheduler", "tcp://h:1"],
        ["score", "x.csv", "--partitions", "3"],
        ["score", "x.csv", "--partitions", "0", "--engine", "chunked"],
        ["train", "x.csv"],
        ["evaluate", "x.csv", "--scope", "all"],
    ],
)
def test_usage_errors_of_every_command_exit_2(args):
    assert runner.invoke(app, args).exit_code == 2

"""Hand-made bad and odd inputs through ``python -m detector`` of a source tree, one line each.

    python benchmarks/bad_inputs.py [TREE]

TREE (default: this project) may be another checkout, such as a ``git worktree`` of an older
commit, to print a change's before and after side by side. Each line gives the case, the exit
code, the number of stderr lines (and whether one is a traceback), the first of them, and a
figure where one matters. The inputs are made from the tree's own sample in a temporary folder.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

BASE = ["creator_id", "post_id", "liker_id", "liked_at"]
ACCOUNT_COLUMNS = [
    "account_created_at", "followers", "following", "posts", "has_avatar", "is_private",
    "is_verified", "bio_length", "username",
]  # fmt: skip


class Bench:
    """Runs the tree's command line on files written to a temporary folder."""

    def __init__(self, tree: Path, folder: Path) -> None:
        self.tree, self.folder = tree, folder
        self.sample = pd.read_csv(
            tree / "datasets" / "sample" / "likes.csv", dtype=str, keep_default_na=False
        )
        self.env = {**os.environ, "PYTHONPATH": str(tree), "COLUMNS": "200"}
        self.env.pop("DETECTOR_DEBUG", None)

    def write(self, name: str, frame: pd.DataFrame) -> Path:
        path = self.folder / name
        frame.to_csv(path, index=False)
        return path

    def run(self, *args: object) -> tuple[int, list[str], str]:
        done = subprocess.run(
            [sys.executable, "-m", "detector", *map(str, args)],
            capture_output=True, text=True, env=self.env, cwd=self.folder,
        )  # fmt: skip
        return (
            done.returncode,
            [line for line in done.stderr.splitlines() if line.strip()],
            done.stdout,
        )

    def report(self, path: Path, *more: object) -> tuple[int, list[str], dict | None]:
        code, err, out = self.run("score", path, "--format", "json", *more)
        try:
            return code, err, json.loads(out)
        except ValueError:
            return code, err, None


def show(name: str, code: int, err: list[str], figure: object = "") -> None:
    traceback = " TRACEBACK" if any("Traceback" in line for line in err) else ""
    first = err[0][:110] if err else ""
    print(f"{name:34s} exit {code} stderr {len(err):3d} lines{traceback} | {first} {figure}")


def inflated(report: dict | None) -> int | None:
    return None if report is None else sum(c["verdict"] == "inflated" for c in report["creators"])


def _shifted(frame: pd.DataFrame, column: str, days: int) -> pd.DataFrame:
    """``column`` set ``days`` after each like (an impossible time)."""
    liked = pd.to_datetime(frame["liked_at"], utc=True, format="ISO8601")
    moved = liked + pd.Timedelta(days=days)
    return frame.assign(**{column: moved.dt.strftime("%Y-%m-%dT%H:%M:%SZ")})


def ids(b: Bench) -> None:
    frame = b.sample[BASE].head(40).copy()
    frame["creator_id"] = ["007"] * 20 + ["7"] * 20
    code, err, report = b.report(b.write("ids.csv", frame))
    show(
        "creator ids 007 and 7",
        code,
        err,
        report and [(c["creator_id"], c["likes"]) for c in report["creators"]],
    )


def timestamps(b: Bench) -> None:
    frame = b.sample[BASE].head(200).copy()
    millis = pd.to_datetime(frame["liked_at"], utc=True, format="ISO8601").astype("int64") // 10**6
    show(
        "epoch milliseconds",
        *b.report(b.write("ms.csv", frame.assign(liked_at=millis.astype(str))))[:2],
    )
    frame.loc[frame.index[3], "liked_at"] = "9999-12-31"
    show("liked_at 9999-12-31", *b.report(b.write("far.csv", frame))[:2])


def counts(b: Bench) -> None:
    for value in ("3.5", "inf", "1e30"):
        frame = b.sample.head(3000).copy()
        frame.loc[frame.index[5], "followers"] = value
        show(f"followers {value}", *b.report(b.write("count.csv", frame))[:2])


def headers(b: Bench) -> None:
    twice = b.sample[BASE].head(500).copy()
    twice.columns = ["creator_id", "post_id", "liker_id", "liker_id"]
    show("duplicate header", *b.report(b.write("twice.csv", twice))[:2])
    path = b.folder / "space.csv"
    path.write_text(
        b.sample[BASE].head(500).to_csv(index=False).replace("liker_id", "liker_id ", 1)
    )
    show("header 'liker_id '", *b.report(path)[:2])


def duplicates(b: Bench) -> None:
    one = b.sample[b.sample["creator_id"] == b.sample["creator_id"].iloc[0]]
    code, err, twice = b.report(b.write("twice_rows.csv", pd.concat([one, one])))
    _, _, once = b.report(b.write("once_rows.csv", one))
    if twice and once:
        a, c = twice["creators"][0], once["creators"][0]
        figure = f"likes {a['likes']} (real {c['likes']}), share {a['inauthentic_share']} (real {c['inauthentic_share']})"
    else:
        figure = ""
    show("a creator's rows twice", code, err, figure)


def compressed(b: Bench) -> None:
    whole = gzip.compress(b.sample.head(3000).to_csv(index=False).encode())
    (b.folder / "cut.csv.gz").write_bytes(whole[: len(whole) // 2])
    show("truncated .csv.gz", *b.report(b.folder / "cut.csv.gz")[:2])
    (b.folder / "x.csv.zst").write_bytes(b"\x28\xb5\x2f\xfd" + b"0" * 50)
    show(".csv.zst without zstandard", *b.report(b.folder / "x.csv.zst")[:2])


def impossible_times(b: Bench) -> None:
    _, _, given = b.report(b.tree / "datasets" / "sample" / "likes.csv")
    code, err, late = b.report(b.write("late.csv", _shifted(b.sample, "account_created_at", 30)))
    show(
        "accounts created after the like",
        code,
        err,
        f"inflated {inflated(late)} (true dates: {inflated(given)})",
    )
    code, err, early = b.report(b.write("early.csv", _shifted(b.sample, "post_published_at", 1)))
    show("likes before publication", code, err, f"inflated {inflated(early)}")


def accounts(b: Bench) -> None:
    bare = b.write("bare.csv", b.sample.drop(columns=ACCOUNT_COLUMNS))
    table = b.sample[["liker_id", *ACCOUNT_COLUMNS]].drop_duplicates("liker_id")
    table = table.rename(columns={"liker_id": "account_id"})
    none = b.write("none.csv", table.assign(account_id="x" + table["account_id"]))
    show("accounts table matching no liker", *b.report(bare, "--accounts", none)[:2])
    few = b.write("few.csv", table.head(30))
    show("accounts table matching few", *b.report(bare, "--accounts", few)[:2])


def order(b: Bench) -> None:
    outputs = set()
    for seed in (None, 1, 2):
        frame = b.sample if seed is None else b.sample.sample(frac=1, random_state=seed)
        outputs.add(b.run("score", b.write("shuffled.csv", frame), "--format", "json")[2])
    print(f"{'sample shuffled 3 ways':34s} distinct JSON outputs: {len(outputs)}")


def models(b: Bench) -> None:
    copy = b.folder / "model"
    copy.mkdir()
    for path in (b.tree / "models").glob("default.*"):
        shutil.copy(path, copy)
    artifact = copy / "default.joblib"
    artifact.write_bytes(b"\0" * artifact.stat().st_size)
    show("info on a zeroed .joblib", *b.run("info", artifact)[:2])
    sample = b.tree / "datasets" / "sample" / "likes.csv"
    show("score with a zeroed .joblib", *b.run("score", sample, "--model", artifact)[:2])


CASES: list[Callable[[Bench], None]] = [
    ids, timestamps, counts, headers, duplicates, compressed, impossible_times, accounts, order,
    models,
]  # fmt: skip


def main() -> None:
    tree = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]).resolve()
    with tempfile.TemporaryDirectory() as folder:
        bench = Bench(tree, Path(folder))
        for case in CASES:
            case(bench)


if __name__ == "__main__":
    main()

"""md5 of every report a source tree's command line writes for fixed data with every column.

    python benchmarks/identical.py [TREE ...] [--work DIR]

For each TREE (default: this project; another may be a ``git worktree`` of an older commit) it
scores the same inputs, made once by this project's simulator with fixed seeds, in every engine
and scope, and prints one md5 per output file, the trees side by side, and whether each row
agrees. A redesign that claims the same reports byte for byte shows it here. The inputs: the
shipped sample (CSV); a 300-creator world (CSV, past the size from which the memory engine
scores in slices on threads) and the same world as Parquet (for the chunked and Dask engines).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def make_inputs(work: Path) -> dict[str, Path]:
    """The inputs, written with this project's simulator (reused when present)."""
    import pandas as pd

    world = work / "world"
    if not (world / "likes.csv").exists():
        subprocess.run(
            [sys.executable, "-m", "detector", "generate", str(world), "--creators", "300",
             "--seed", "11", "--force"],
            check=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=work,
        )  # fmt: skip
    likes = pd.read_csv(world / "likes.csv", dtype=str, keep_default_na=False)
    likes = likes.drop(columns=[c for c in ("is_fake", "tier") if c in likes.columns])
    plain = work / "world.csv"
    likes.to_csv(plain, index=False)
    parquet = work / "world.parquet"
    if not parquet.exists():
        pd.read_csv(plain).to_parquet(parquet, index=False)
    return {
        "sample": ROOT / "datasets" / "sample" / "likes.csv",
        "world": plain,
        "parquet": parquet,
    }


CASES = [
    ("sample", "memory", "creator"),
    ("sample", "memory", "batch"),
    ("world", "memory", "creator"),
    ("world", "memory", "batch"),
    ("parquet", "chunked", "creator"),
    ("parquet", "chunked", "batch"),
    ("parquet", "dask", "creator"),
    ("parquet", "dask", "batch"),
]


def run_tree(tree: Path, inputs: dict[str, Path], out: Path) -> dict[str, str]:
    """md5 of each output file of each case, keyed by case and file kind."""
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "DETECTOR_CACHE": "off",
        "DETECTOR_MODEL": str(tree / "models" / "default.joblib"),  # the tree's own model
    }
    sums: dict[str, str] = {}
    for source, engine, scope in CASES:
        name = f"{source}-{engine}-{scope}"
        report, per_like = out / f"{name}.json", out / f"{name}.likes.csv"
        command = [sys.executable, "-m", "detector", "score", str(inputs[source]),
                   "--engine", engine, "--scope", scope, "--format", "json",
                   "--output", str(report), "--likes-output", str(per_like), "--force"]  # fmt: skip
        if engine == "dask":
            command.remove("--likes-output")
            command.remove(str(per_like))
        # run from the output folder: ``python -m`` puts the working folder first on the path
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=out)
        if done.returncode:
            sums[name] = f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"
            continue
        sums[name + " report"] = md5(report)
        if per_like.exists():
            sums[name + " likes"] = md5(per_like)
    return sums


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="*", type=Path, default=[ROOT])
    parser.add_argument("--work", type=Path, default=None, help="folder for inputs and outputs")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="identical-"))
    work.mkdir(parents=True, exist_ok=True)
    inputs = make_inputs(work)
    columns = []
    for index, tree in enumerate(args.trees):
        out = work / f"tree{index}"
        out.mkdir(exist_ok=True)
        columns.append(run_tree(tree.resolve(), inputs, out))
    print("| output | " + " | ".join(str(t) for t in args.trees) + " | same |")
    print("|---|" + "---|" * len(args.trees) + "---|")
    keys = sorted({k for column in columns for k in column})
    differ = 0
    for key in keys:
        values = [column.get(key, "missing") for column in columns]
        same = len(set(values)) == 1 and not values[0].startswith(("exit", "missing"))
        differ += not same
        print(f"| {key} | " + " | ".join(values) + f" | {'yes' if same else 'NO'} |")
    return 1 if differ and len(args.trees) > 1 else 0


if __name__ == "__main__":
    sys.exit(main())

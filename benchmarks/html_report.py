"""What the HTML report costs: time and bytes against the JSON report of the same run.

Run from the repository root::

    python benchmarks/html_report.py                 # the sample and a 2,000-creator world
    python benchmarks/html_report.py --repeats 5 --creators 2000

Each case is scored by the command line in a new process (``detector score FILE --creators
CREATORS --output report.{json,html} --force --quiet``), JSON and HTML in turn (A B A B ...) so
that drift of the machine's speed falls on both; the figures are medians, and the ratio is taken
pair by pair. The world is made by the project's simulator (``detector generate``, seed 7) and
cached in ``benchmarks/results/html-data/`` (gitignored). With Chromium on the PATH, the time
it takes to open the page and run its script (``--dump-dom``) is measured too.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def world(creators: int, seed: int) -> tuple[Path, Path]:
    folder = RESULTS / "html-data" / f"world-{creators}-{seed}"
    likes, facts = folder / "likes.csv", folder / "creators.csv"
    if not likes.exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "detector", "generate", str(folder),
             "--creators", str(creators), "--seed", str(seed)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    return likes, facts


def measure(name: str, likes: Path, facts: Path, repeats: int, out: Path) -> dict[str, object]:
    base = [sys.executable, "-m", "detector", "score", str(likes), "--creators", str(facts)]
    commands = {
        fmt: [*base, "--output", str(out / f"{name}.{fmt}"), "--force", "--quiet"]
        for fmt in ("json", "html")
    }
    timed(commands["html"])  # warm-up: the page's modules and the file cache
    seconds: dict[str, list[float]] = {"json": [], "html": []}
    for _ in range(repeats):
        for fmt, command in commands.items():
            seconds[fmt].append(timed(command))
    ratios = [h / j for h, j in zip(seconds["html"], seconds["json"], strict=True)]
    row: dict[str, object] = {
        "case": name,
        "likes": sum(1 for _ in likes.open()) - 1,
        "json_seconds": statistics.median(seconds["json"]),
        "html_seconds": statistics.median(seconds["html"]),
        "html_over_json": statistics.median(ratios),
        "json_bytes": (out / f"{name}.json").stat().st_size,
        "html_bytes": (out / f"{name}.html").stat().st_size,
    }
    browser = shutil.which("chromium")
    if browser:
        page = (out / f"{name}.html").as_uri()
        opened = [
            timed([browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                   f"--user-data-dir={out / 'profile'}", page])
            for _ in range(repeats)
        ]  # fmt: skip
        row["chromium_open_seconds"] = statistics.median(opened)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--creators", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    sample = ROOT / "datasets" / "sample"
    cases = [("sample", sample / "likes.csv", sample / "creators.csv")]
    cases.append((f"world of {args.creators:,} creators", *world(args.creators, args.seed)))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, likes, facts in cases:
            rows.append(measure(name.replace(" ", "-"), likes, facts, args.repeats, Path(tmp)))
            rows[-1]["case"] = name
            print(json.dumps(rows[-1]), file=sys.stderr)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "html_report.json").write_text(json.dumps(rows, indent=2) + "\n")
    print(
        "| case | likes | JSON s | HTML s | HTML / JSON | JSON bytes | HTML bytes | open in Chromium s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        opened = r.get("chromium_open_seconds")
        print(
            f"| {r['case']} | {r['likes']:,} | {r['json_seconds']:.2f} | {r['html_seconds']:.2f} "
            f"| {r['html_over_json']:.2f} | {r['json_bytes']:,} | {r['html_bytes']:,} "
            f"| {'' if opened is None else f'{opened:.2f}'} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Speed benchmark: end-to-end scoring against a straightforward pipeline and a reading floor.

Run from the repository root::

    python benchmarks/speed.py                          # 1M, 5M and 20M likes, 3 repeats
    python benchmarks/speed.py --quick                  # 200k and 1M likes, 2 repeats
    python benchmarks/speed.py --sizes 1M --repeats 5 --methods end_to_end_memory,floor
    python benchmarks/speed.py --sizes 20M,5M:heavy --cold-sample   # the issue-17 targets

Data: for each size, a likes table made by the project's simulator (``detector.synth``) with a
fixed seed, written as one Parquet file without the ground-truth columns (``is_fake``, ``tier``)
and cut at a creator boundary once the target number of likes is reached. Files are cached in
the work directory (default ``benchmarks/results/speed-data/``, gitignored) and reused when the
size, seed and simulator source match.

Shapes (``--shape`` for every size, or ``SIZE:SHAPE`` in ``--sizes``):

- ``uniform`` (default): one simulated world as above; creators hold a few hundred to some
  thousands of likes each, and every column is present.
- ``heavy``: creator sizes with a Zipf tail, because a creator is never split across threads or
  processes and one giant creator can dominate a table. Creator ``r`` = 1, 2, ... of the tail holds
  ``HEAVY_TOP_SHARE / r**HEAVY_EXPONENT`` of the likes (45 %, 11 %, 5 %, ...) while that is at
  least ``HEAVY_MIN_LIKES``; each is a one-creator simulator world (seed ``1000 * seed + r``; the
  first organic, the others inflated by a stealth, aged or naive farm in rotation) whose likes
  scale is calibrated to its size, renamed ``gNN`` (its liker ids too, so that accounts of
  different worlds never share an id). The rest is the uniform world, cut at the target; the
  tail comes first in the file. Half of the optional columns are dropped
  (:data:`HEAVY_DROPPED`): the liker traits that need one profile request per liker
  (``account_created_at``, ``followers``, ``following``, ``posts``, ``bio_length``) and
  ``has_avatar``, which a liker list gives only as a picture address; the liker lists of the
  large platforms carry the username, privacy and verification. The measured share of the
  largest creator is logged and kept in the JSON (``largest_creator_share``).

Methods, each run as a separate child process (interpreter start and imports included):

- ``end_to_end_memory``: ``python -m detector score FILE --engine memory --format json
  --output REPORT --force`` (read, validate, features, scores, creator report written).
- ``end_to_end_chunked``: the same with ``--engine chunked`` (the simulator writes creator
  after creator, so the engine reads the file where it lies, without spilling it).
- ``end_to_end_spilled``: the same with ``--engine chunked --partitions K`` (K: one bucket per
  125,000 likes, the default), which spills the input into buckets first, as the engine does
  for input not grouped by creator. Not run unless asked for (``--methods``).
- ``straightforward``: pandas ``read_parquet``, ``detector.schema.validate_likes``,
  ``detector.features.build_like_features`` in memory, a default scikit-learn
  ``IsolationForest(random_state=0)`` fitted on 100,000 sampled likes, ``score_samples`` on every
  like (one process, default threads), mean score per creator written as CSV.
- ``floor``: ``pyarrow.parquet.read_table`` plus one vectorised pass (likes per creator with
  ``Table.group_by``).

The end-to-end runs use a profile cache of their own (``DETECTOR_CACHE`` set to
``WORK_DIR/profile-cache``): a column profile the model does not ship (every heavy table lacks
columns) is fitted once, in an untimed run of the sample with the same columns dropped
(both engines), so that the timed runs measure scoring, as a user's second run does, not
the one-off fit.

``--cold-sample``: cold CLI scoring (a new process, the default engine) of
``datasets/sample/likes.csv`` with every column against the same file without
``account_created_at`` (written once to a temporary CSV by dropping that field from every line,
so the other cells are byte-identical), because a missing column must not make a small job
markedly slower. Three methods: ``sample_every_column``, ``sample_without_created`` (profile
cache filled beforehand) and ``sample_without_created_empty_cache`` (a new empty cache for every
run: a user's first run). Repeats are interleaved (``--sample-repeats``); the table gives
medians and each method's ratio to ``sample_every_column``. ``--sizes none`` runs only this.

Each method runs under a small launcher (this script with ``--measure``) that times it with
``time.perf_counter`` (wall seconds, interpreter start and imports included) and reaps it with
``os.wait4``, whose ``ru_maxrss`` is the method's own peak resident memory (a child forked
straight from the benchmark would also count the benchmark's memory: Linux carries the
parent's peak over exec). Because the chunked engine scores on worker processes from 4M likes,
the launcher also samples the memory of the method's whole process tree every 250 ms (the sum of
each process's proportional set size, ``Pss``, which counts pages shared between processes
once); peak memory is the larger of the two figures. The two children written here also report
their in-process time (``work s``: after imports). Repeats are interleaved (every method once, then again) so that
load from other users of the machine spreads over all methods; figures are medians, peak
memory is the maximum over repeats. A run that fails or exceeds ``--timeout`` is recorded with the
tail of its stderr and the benchmark goes on.

A Markdown table goes to stdout, progress to stderr, every figure to a JSON file (default
``benchmarks/results/speed.json``, written after each size, atomically).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# Heavy imports (pandas, pyarrow, scikit-learn, detector) stay inside functions so that a
# child process loads only what its method needs.

REPO = Path(__file__).resolve().parent.parent
DEFAULT_WORK_DIR = REPO / "benchmarks" / "results" / "speed-data"
DEFAULT_OUTPUT = REPO / "benchmarks" / "results" / "speed.json"
METHODS = (
    "end_to_end_memory",
    "end_to_end_chunked",
    "end_to_end_spilled",
    "straightforward",
    "floor",
)
DEFAULT_METHODS = ("end_to_end_memory", "end_to_end_chunked", "straightforward", "floor")
END_TO_END = ("end_to_end_memory", "end_to_end_chunked", "end_to_end_spilled")
BUCKET_LIKES = 125_000  # end_to_end_spilled: likes per bucket (the chunked engine's default)
LABEL_COLUMNS = ("is_fake", "tier")
LIKES_PER_CREATOR = 870  # default simulator, measured; used to choose the creator count
OVERSHOOT = 1.1  # generate 10% more creators than needed, then cut at the target
SAMPLE_ROWS = 100_000  # straightforward: rows the isolation forest is fitted on
DATA_FORMAT = 1  # bump when the data preparation changes
SHAPES = ("uniform", "heavy")
HEAVY_FORMAT = 1  # bump when the heavy shape's preparation changes
HEAVY_TOP_SHARE = 0.45  # heavy: share of the likes the largest creator is given
HEAVY_EXPONENT = 2.0  # heavy: creator r of the tail holds HEAVY_TOP_SHARE / r**HEAVY_EXPONENT
HEAVY_MIN_LIKES = 20_000  # heavy: the tail ends here (the largest uniform creators hold ~18k)
HEAVY_POSTS = 120  # heavy: posts of a tail creator (the simulator's most)
HEAVY_FOLLOWERS_PER_LIKE = 160  # heavy: followers per like of a tail creator (as in the world)
HEAVY_TIERS = ("organic", "stealth", "aged", "naive")  # heavy: tail creator r's tier, in rotation
HEAVY_DROPPED = (
    "account_created_at",
    "followers",
    "following",
    "posts",
    "bio_length",
    "has_avatar",
)  # heavy: 6 of the 11 optional columns, absent
SAMPLE = REPO / "datasets" / "sample" / "likes.csv"
SAMPLE_METHODS = (
    "sample_every_column",
    "sample_without_created",
    "sample_without_created_empty_cache",
)
GIB = 1024**3
SAMPLE_SECONDS = 0.25  # launcher: how often the process tree's memory is sampled
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def log(message: str) -> None:
    """Progress line on stderr."""
    print(f"[speed {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- sizes
def parse_size(text: str) -> int:
    """``"200k"`` -> 200000, ``"1M"`` -> 1000000, ``"1.5M"``, ``"350000"``."""
    text = text.strip()
    scale = {"k": 1_000, "m": 1_000_000, "g": 1_000_000_000}.get(text[-1:].lower(), 1)
    number = text[:-1] if scale > 1 else text
    value = round(float(number) * scale)
    if value < 1:
        raise ValueError(f"size must be positive, got {text!r}")
    return value


def size_label(likes: int) -> str:
    """Short label: 1000000 -> "1M", 200000 -> "200k"."""
    for suffix, scale in (("M", 1_000_000), ("k", 1_000)):
        if likes >= scale and likes % (scale // 10) == 0:
            return f"{likes / scale:g}{suffix}"
    return str(likes)


# ----------------------------------------------------------------------------- data
@dataclass
class Dataset:
    """A cached benchmark likes table."""

    label: str
    target_likes: int
    seed: int
    path: str
    likes: int
    creators: int
    creators_generated: int
    file_bytes: int
    synth_sha256: str
    data_format: int = DATA_FORMAT
    generate_seconds: float | None = None
    shape: str = "uniform"
    dropped_columns: list[str] = field(default_factory=list)
    largest_creator_likes: int | None = None
    largest_creator_share: float | None = None
    tail_creator_likes: list[int] = field(default_factory=list)
    heavy_format: int | None = None


def code_fingerprint() -> str:
    """SHA-256 over ``detector/**/*.py`` and ``models/*``: did the code under test change?"""
    digest = hashlib.sha256()
    files = sorted((REPO / "detector").rglob("*.py")) + sorted((REPO / "models").glob("*"))
    for path in files:
        if path.is_file():
            digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def synth_fingerprint() -> str:
    """SHA-256 over the simulator package's files (name and bytes, sorted by name): cached data
    is rebuilt when any part of the simulator changes."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "detector" / "synth").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def cached_dataset(
    sidecar: Path, target: int, seed: int, fingerprint: str, shape: str = "uniform"
) -> Dataset | None:
    """The cached table described by ``sidecar`` when it matches, else None."""
    try:
        data = Dataset(**json.loads(sidecar.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    heavy_format = HEAVY_FORMAT if shape == "heavy" else None
    matches = (
        data.target_likes,
        data.seed,
        data.synth_sha256,
        data.data_format,
        data.shape,
        data.heavy_format,
    ) == (target, seed, fingerprint, DATA_FORMAT, shape, heavy_format)
    path = Path(data.path)
    if matches and path.is_file() and path.stat().st_size == data.file_bytes:
        return data
    return None


def _creator_cut(creator_ids: Any, need: int) -> int:
    """Rows of ``creator_ids`` (an Arrow array sorted by creator) to keep: at least ``need``, and
    the last creator whole."""
    if need >= len(creator_ids):
        return len(creator_ids)
    tail = creator_ids.slice(need - 1).to_pylist()
    same = next((i for i, value in enumerate(tail) if value != tail[0]), len(tail))
    return need - 1 + same


def concatenate_parts(
    parts_dir: Path,
    target: int,
    out: Path,
    *,
    lead: tuple[Path, ...] = (),
    drop: tuple[str, ...] = (),
) -> tuple[int, int]:
    """Stream the simulator's parts into one Parquet file, without labels, cut at ``target``.

    ``lead``: parts written before those of ``parts_dir`` (the heavy shape's tail creators);
    ``drop``: further columns left out. Returns (likes, creators) written. Each part becomes
    one row group (a part of more than a million rows, several).
    """
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    writer = None
    rows = creators = 0
    left_out = (*LABEL_COLUMNS, *drop)
    try:
        for part in [*lead, *sorted(parts_dir.glob("part-*.parquet"))]:
            table = pq.read_table(part)
            table = table.drop_columns([c for c in left_out if c in table.column_names])
            keep = _creator_cut(table["creator_id"], target - rows)
            table = table.slice(0, keep)
            if writer is None:
                writer = pq.ParquetWriter(out, table.schema)
            writer.write_table(table)
            rows += table.num_rows
            creators += len(pc.unique(table["creator_id"]))
            if rows >= target:
                break
    finally:
        if writer is not None:
            writer.close()
    return rows, creators


def heavy_tail_sizes(target: int) -> list[int]:
    """Likes of the heavy shape's tail creators: ``HEAVY_TOP_SHARE * target / r**HEAVY_EXPONENT``
    for r = 1, 2, ... while at least ``HEAVY_MIN_LIKES`` (at least one creator)."""
    sizes = []
    for rank in range(1, 10_000):
        likes = round(HEAVY_TOP_SHARE * target / rank**HEAVY_EXPONENT)
        if likes < HEAVY_MIN_LIKES and sizes:
            break
        sizes.append(likes)
    return sizes


def simulate_tail_creator(rank: int, likes: int, seed: int, out: Path) -> int:
    """Write tail creator ``rank`` (about ``likes`` likes, one simulator world of one creator,
    renamed ``gNN``) to ``out``; returns its likes. The likes scale is corrected from the likes
    a first draw gave (the world's other draws do not depend on it)."""
    from detector.synth import SimulationParams, generate_world

    followers = HEAVY_FOLLOWERS_PER_LIKE * likes
    rate = 0.03 * (followers / 100_000.0) ** -0.2  # the simulator's median engagement rate
    tier = HEAVY_TIERS[(rank - 1) % len(HEAVY_TIERS)]
    scale = likes / (HEAVY_POSTS * followers * rate)
    world_seed = 1000 * seed + rank
    for _ in range(4):
        params = SimulationParams(
            creator_followers_min=followers,
            creator_followers_max=followers,
            engagement_rate_sigma=0.0,
            posts_per_week_sigma=0.0,
            posts_min=HEAVY_POSTS,
            posts_max=HEAVY_POSTS,
            max_likes_per_post=10**9,
            likes_scale=scale,
            inflated_tiers=(tier,) if tier != "organic" else SimulationParams.inflated_tiers,
        )
        share = 0.0 if tier == "organic" else 1.0
        frame, _ = generate_world(1, world_seed, params=params, inflated_share=share)
        if abs(len(frame) / likes - 1) < 0.03:
            break
        scale *= likes / max(1, len(frame))
    name = f"g{rank:02d}"
    old = frame["creator_id"].iloc[0]
    frame["creator_id"] = name
    frame["post_id"] = name + frame["post_id"].str.slice(len(old))
    frame["liker_id"] = name + frame["liker_id"]
    frame.to_parquet(out, index=False)
    return len(frame)


def _largest_creator(path: Path) -> int:
    """Likes of the largest creator of the Parquet file at ``path``."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    counts = (
        pq.read_table(path, columns=["creator_id"])
        .group_by("creator_id")
        .aggregate([("creator_id", "count")])
    )
    return int(pc.max(counts["creator_id_count"]).as_py())


def prepare_dataset(target: int, seed: int, work_dir: Path, shape: str = "uniform") -> Dataset:
    """Generate (or reuse) the likes table of ``target`` likes for ``seed`` and ``shape``."""
    from detector.synth import write_world_parquet_chunked

    label = size_label(target) + ("" if shape == "uniform" else f"-{shape}")
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / f"likes-{label}-seed{seed}.parquet"
    sidecar = path.with_suffix(".json")
    fingerprint = synth_fingerprint()
    cached = cached_dataset(sidecar, target, seed, fingerprint, shape)
    if cached is not None:
        share = cached.largest_creator_share
        log(
            f"data {label}: reusing {path} ({cached.likes:,} likes, {cached.creators:,} creators"
            + (f", largest creator {share:.1%} of the likes)" if share is not None else ")")
        )
        return cached
    start = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix=".speed-gen-", dir=work_dir))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    lead: list[Path] = []
    tail: list[int] = []
    try:
        if shape == "heavy":
            for rank, likes in enumerate(heavy_tail_sizes(target), start=1):
                log(f"data {label}: simulating tail creator {rank} (~{likes:,} likes)")
                lead.append(scratch / f"tail-{rank:03d}.parquet")
                tail.append(simulate_tail_creator(rank, likes, seed, lead[-1]))
        rest = max(1, target - sum(tail))
        n_creators = math.ceil(rest * OVERSHOOT / LIKES_PER_CREATOR)
        log(f"data {label}: simulating {n_creators:,} creators (seed {seed}) into {path}")
        parts, _ = write_world_parquet_chunked(
            scratch / "world", n_creators, seed, creators_per_chunk=500
        )
        dropped = HEAVY_DROPPED if shape == "heavy" else ()
        likes, creators = concatenate_parts(parts, target, tmp, lead=tuple(lead), drop=dropped)
        largest = _largest_creator(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        shutil.rmtree(scratch, ignore_errors=True)
    if likes < target:
        log(f"data {label}: only {likes:,} likes generated (target {target:,})")
    data = Dataset(
        label=label,
        target_likes=target,
        seed=seed,
        path=str(path),
        likes=likes,
        creators=creators,
        creators_generated=n_creators,
        file_bytes=path.stat().st_size,
        synth_sha256=fingerprint,
        generate_seconds=round(time.perf_counter() - start, 1),
        shape=shape,
        dropped_columns=list(dropped),
        largest_creator_likes=largest,
        largest_creator_share=round(largest / likes, 4),
        tail_creator_likes=tail,
        heavy_format=HEAVY_FORMAT if shape == "heavy" else None,
    )
    sidecar.write_text(json.dumps(asdict(data), indent=2) + "\n", encoding="utf-8")
    log(
        f"data {label}: {likes:,} likes, {creators:,} creators in {data.generate_seconds} s; "
        f"largest creator {largest:,} likes ({largest / likes:.1%})"
        + (f"; columns dropped: {', '.join(dropped)}" if dropped else "")
    )
    return data


# ----------------------------------------------------------------------------- children
def child_floor(path: str) -> dict[str, Any]:
    """Floor: read the Parquet file with pyarrow, count likes per creator (one vectorised pass)."""
    import pyarrow.parquet as pq

    start = time.perf_counter()
    table = pq.read_table(path)
    read = time.perf_counter()
    counts = table.group_by("creator_id").aggregate([("creator_id", "count")])
    done = time.perf_counter()
    return {
        "likes": table.num_rows,
        "creators": counts.num_rows,
        "read_seconds": read - start,
        "pass_seconds": done - read,
        "work_seconds": done - start,
    }


def child_straightforward(path: str, out_dir: str) -> dict[str, Any]:
    """Straightforward: pandas + the project's in-memory features + a plain isolation forest."""
    import numpy as np
    import pandas as pd
    from sklearn.ensemble import IsolationForest

    from detector.features import build_like_features
    from detector.schema import validate_likes

    marks = [("start", time.perf_counter())]
    likes = pd.read_parquet(path)
    marks.append(("read", time.perf_counter()))
    likes = validate_likes(likes, path)
    marks.append(("validate", time.perf_counter()))
    features = build_like_features(likes).values
    matrix = features.to_numpy(dtype=np.float64)
    marks.append(("features", time.perf_counter()))
    rng = np.random.default_rng(0)
    sample = rng.choice(len(matrix), size=min(SAMPLE_ROWS, len(matrix)), replace=False)
    forest = IsolationForest(random_state=0).fit(matrix[sample])
    marks.append(("fit", time.perf_counter()))
    suspicion = -forest.score_samples(matrix)
    marks.append(("score", time.perf_counter()))
    per_creator = pd.DataFrame({"creator_id": likes["creator_id"], "suspicion": suspicion})
    per_creator = per_creator.groupby("creator_id", sort=False)["suspicion"].mean()
    per_creator.to_csv(Path(out_dir) / "straightforward-creators.csv")
    marks.append(("report", time.perf_counter()))
    out: dict[str, Any] = {"likes": len(likes), "features": features.shape[1]}
    for (_, before), (name, after) in zip(marks, marks[1:], strict=False):
        out[f"{name}_seconds"] = after - before
    out["work_seconds"] = marks[-1][1] - marks[0][1]
    return out


def run_child_method(argv: list[str]) -> int:
    """Entry point of a child process: ``--child METHOD FILE OUT_DIR``; prints one JSON line."""
    method, path, out_dir = argv
    if method == "floor":
        result = child_floor(path)
    elif method == "straightforward":
        result = child_straightforward(path, out_dir)
    else:
        raise SystemExit(f"unknown child method {method!r}")
    print(json.dumps(result), flush=True)
    return 0


# ----------------------------------------------------------------------------- running
@dataclass
class Run:
    """One timed child process."""

    method: str
    repeat: int
    status: str  # "ok", "failed" or "timeout"
    seconds: float
    peak_rss_bytes: int
    returncode: int | None
    child: dict[str, Any] = field(default_factory=dict)
    stderr_tail: str = ""


def command_for(method: str, data: Dataset, out_dir: Path) -> list[str]:
    """The command line that runs ``method`` on ``data``."""
    if method in END_TO_END:
        engine = ["--engine", "memory" if method == "end_to_end_memory" else "chunked"]
        if method == "end_to_end_spilled":
            engine += ["--partitions", str(max(1, math.ceil(data.likes / BUCKET_LIKES)))]
        report = out_dir / f"report-{method}.json"
        return [
            sys.executable,
            "-m",
            "detector",
            "score",
            data.path,
            *engine,
            "--format",
            "json",
            "--output",
            str(report),
            "--force",
        ]
    script = str(Path(__file__).resolve())
    return [sys.executable, script, "--child", method, data.path, str(out_dir)]


def _tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _last_json_line(path: Path) -> dict[str, Any]:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return {}
    for line in reversed(lines):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return {}
    return {}


def _memory_bytes(pid: str) -> int:
    """A process's proportional set size (``Pss``: its private pages plus its share of pages it
    shares with other processes, so a process tree's sum counts shared libraries once), or its
    resident size where ``smaps_rollup`` is not available."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * PAGE_BYTES


def _tree_rss_bytes(root: int) -> int:
    """Memory of ``root`` and all its descendants now: the sum of :func:`_memory_bytes`."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):  # the process ended meanwhile
            continue
        children.setdefault(parent, []).append(int(entry.name))
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            total += _memory_bytes(str(pid))
        except (OSError, ValueError, IndexError):
            pass
        stack.extend(children.get(pid, []))
    return total


def run_measured(argv: list[str]) -> int:
    """Launcher: ``--measure RESULT -- COMMAND...`` runs COMMAND and writes its figures to RESULT.

    Linux counts in ``ru_maxrss`` the memory of the process that forked the child, because exec
    happens in a copy of it; a child forked straight from the benchmark (which holds pandas
    and the generated data) would report at least the benchmark's own size. This small launcher
    forks the measured command instead and reaps it with ``os.wait4``, whose ``ru_maxrss``
    (KiB on Linux) is then the command's own peak (floor: the launcher's ~15 MiB). That figure
    is one process's peak; commands that start worker processes (the chunked engine from 4M
    likes) use several, so a thread also samples the memory of the whole process tree (summed
    proportional set sizes) every :data:`SAMPLE_SECONDS`; the peak reported is the larger of
    the two.
    """
    result_path, separator, *command = argv
    if separator != "--" or not command:
        raise SystemExit("usage: speed.py --measure RESULT -- COMMAND...")
    start = time.perf_counter()
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
    tree_peak = [0]
    finished = threading.Event()

    def sample() -> None:
        while not finished.wait(SAMPLE_SECONDS):
            tree_peak[0] = max(tree_peak[0], _tree_rss_bytes(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, wait_status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    finished.set()
    sampler.join()
    code = os.waitstatus_to_exitcode(wait_status)
    process.returncode = code  # reaped here: keep Popen from waiting again
    figures = {
        "seconds": seconds,
        "max_rss_bytes": max(usage.ru_maxrss * 1024, tree_peak[0]),
        "process_max_rss_bytes": usage.ru_maxrss * 1024,
        "tree_peak_sampled_bytes": tree_peak[0],
        "exit": code,
    }
    Path(result_path).write_text(json.dumps(figures), encoding="utf-8")
    return 0 if code == 0 else 1


def timed_run(
    command: list[str], timeout: float, log_dir: Path, env: dict[str, str] | None = None
) -> tuple[str, float, int, int]:
    """Run ``command`` through the launcher; (status, wall seconds, peak RSS bytes, exit code).

    The launcher gets its own session so that a timeout kills it and the command together.
    ``env``: variables set for the launcher and the command, on top of this process's.
    """
    result = log_dir / "measure.json"
    launcher = [sys.executable, str(Path(__file__).resolve()), "--measure", str(result), "--"]
    with open(log_dir / "stdout", "wb") as out, open(log_dir / "stderr", "wb") as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            launcher + command,
            cwd=REPO,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return "timeout", time.perf_counter() - start, 0, process.returncode
        wall = time.perf_counter() - start
    try:
        figures = json.loads(result.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # the launcher itself failed
        return "failed", wall, 0, process.returncode
    code = figures["exit"]
    return "ok" if code == 0 else "failed", figures["seconds"], figures["max_rss_bytes"], code


def run_method(
    method: str,
    repeat: int,
    data: Dataset,
    timeout: float,
    run_dir: Path,
    env: dict[str, str] | None = None,
) -> Run:
    """Time one run of ``method``; outputs go to ``run_dir`` (emptied first)."""
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    command = command_for(method, data, run_dir)
    status, seconds, rss, code = timed_run(command, timeout, run_dir, env)
    run = Run(method, repeat, status, round(seconds, 3), rss, code)
    if status == "ok":
        run.child = _last_json_line(run_dir / "stdout")
    else:
        run.stderr_tail = _tail(run_dir / "stderr")
    return run


def score_command(path: Path, report: Path, engine: str | None = None) -> list[str]:
    """``python -m detector score PATH [--engine ENGINE] --format json --output REPORT --force``."""
    engine_args = ["--engine", engine] if engine else []
    return [
        sys.executable,
        "-m",
        "detector",
        "score",
        str(path),
        *engine_args,
        "--format",
        "json",
        "--output",
        str(report),
        "--force",
    ]


def sample_without(columns: tuple[str, ...], out: Path) -> Path:
    """``datasets/sample/likes.csv`` without ``columns``, written to ``out``: those fields are cut
    from every line, the other cells stay as written."""
    import csv

    with open(SAMPLE, newline="", encoding="utf-8") as source:
        rows = csv.reader(source)
        header = next(rows)
        keep = [i for i, name in enumerate(header) if name not in columns]
        with open(out, "w", newline="", encoding="utf-8") as target:
            writer = csv.writer(target, lineterminator="\n")
            writer.writerow([header[i] for i in keep])
            for row in rows:
                writer.writerow([row[i] for i in keep])
    return out


def fill_profile_cache(cache: Path, dropped: tuple[str, ...], scratch: Path) -> None:
    """Fit the compiled scorers for the column profile without ``dropped`` into ``cache``, by
    scoring the sample without those columns with both engines (untimed; Parquet for the
    chunked engine)."""
    if not dropped:
        return
    scratch.mkdir(parents=True, exist_ok=True)
    import pyarrow.csv
    import pyarrow.parquet as pq

    csv_path = sample_without(dropped, scratch / "sample.csv")
    parquet_path = scratch / "sample.parquet"  # the chunked engine reads Parquet only
    pq.write_table(pyarrow.csv.read_csv(csv_path), parquet_path)
    start = time.perf_counter()
    for engine, path in (("memory", csv_path), ("chunked", parquet_path)):
        subprocess.run(
            score_command(path, scratch / "report.json", engine),
            cwd=REPO,
            env={**os.environ, "DETECTOR_CACHE": str(cache)},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
    log(f"profile cache without {', '.join(dropped)}: ready in {time.perf_counter() - start:.1f} s")


def benchmark_cold_sample(args: argparse.Namespace) -> dict[str, Any]:
    """Cold CLI scoring of the sample with every column against the sample without
    ``account_created_at`` (profile cache filled first, and empty), interleaved repeats."""
    runs_dir = args.work_dir / f"runs-{os.getpid()}" / "sample"
    shutil.rmtree(runs_dir, ignore_errors=True)
    runs_dir.mkdir(parents=True)
    without = sample_without(("account_created_at",), runs_dir / "likes-without-created.csv")
    warm = runs_dir / "cache-warm"
    fill_profile_cache(warm, ("account_created_at",), runs_dir / "fill")
    paths = {SAMPLE_METHODS[0]: SAMPLE, SAMPLE_METHODS[1]: without, SAMPLE_METHODS[2]: without}
    rows = sum(1 for _ in open(SAMPLE, encoding="utf-8")) - 1
    runs: list[Run] = []
    for repeat in range(args.sample_repeats):
        for method in SAMPLE_METHODS:
            run_dir = runs_dir / f"{method}-{repeat}"
            shutil.rmtree(run_dir, ignore_errors=True)
            run_dir.mkdir(parents=True)
            cache = warm if method != SAMPLE_METHODS[2] else run_dir / "cache-empty"
            command = score_command(paths[method], run_dir / "report.json")
            status, seconds, rss, code = timed_run(
                command, args.timeout, run_dir, {"DETECTOR_CACHE": str(cache)}
            )
            run = Run(method, repeat, status, round(seconds, 3), rss, code)
            if status != "ok":
                run.stderr_tail = _tail(run_dir / "stderr")
            log(
                f"sample {method} repeat {repeat + 1}/{args.sample_repeats}: {status} in {seconds:.2f} s"
            )
            runs.append(run)
    shutil.rmtree(runs_dir, ignore_errors=True)
    summary = {m: summarise([r for r in runs if r.method == m], rows) for m in SAMPLE_METHODS}
    base = summary[SAMPLE_METHODS[0]].get("median_seconds")
    ratio = {
        f"{m}_vs_every_column": summary[m]["median_seconds"] / base
        if base and summary[m].get("median_seconds")
        else None
        for m in SAMPLE_METHODS[1:]
    }
    return {
        "file": str(SAMPLE.relative_to(REPO)),
        "likes": rows,
        "dropped": ["account_created_at"],
        "summary": summary,
        "ratios": ratio,
        "runs": [asdict(r) for r in runs],
    }


def cold_sample_table(entry: dict[str, Any]) -> str:
    """One row per cold-sample method."""
    from benchmarks.quality import _table

    header = ["method", "ok/runs", "median s", "min s", "max s", "peak RSS GiB", "x every column"]
    rows = []
    for method, figures in entry["summary"].items():
        ratio = entry["ratios"].get(f"{method}_vs_every_column")
        rows.append(
            [
                method,
                f"{figures['ok']}/{figures['runs']}",
                _round(figures.get("median_seconds"), 3),
                _round(figures.get("min_seconds"), 3),
                _round(figures.get("max_seconds"), 3),
                _round(figures.get("peak_rss_gib"), 2),
                "1.00x" if method == SAMPLE_METHODS[0] else (f"{ratio:.2f}x" if ratio else None),
            ]
        )
    return _table(header, rows)


def compare_reports(run_dirs: dict[str, Path]) -> dict[str, Any]:
    """Do the end-to-end methods run report the same creators as the first of them? (first
    repeat's reports; creators differing from it in any of them)"""
    methods = [m for m in END_TO_END if m in run_dirs]
    paths = [run_dirs[m] / f"report-{m}.json" for m in methods]
    if len(paths) < 2:
        return {"checked": False, "reason": "fewer than two engines were run"}
    if not all(p.is_file() for p in paths):
        return {"checked": False, "reason": "a report is missing"}
    keys = ("creator_id", "likes", "flagged_likes", "inauthentic_share", "verdict")
    tables = []
    for path in paths:
        creators = json.loads(path.read_text(encoding="utf-8"))["creators"]
        tables.append({c["creator_id"]: tuple(c.get(k) for k in keys) for c in creators})
    first = tables[0]
    differing = sorted(
        k
        for other in tables[1:]
        for k in first.keys() | other.keys()
        if first.get(k) != other.get(k)
    )
    return {
        "checked": True,
        "methods": methods,
        "creators": len(first),
        "fields": list(keys),
        "differing_creators": len(set(differing)),
        "examples": sorted(set(differing))[:5],
    }


# ----------------------------------------------------------------------------- summary
def summarise(runs: list[Run], likes: int) -> dict[str, Any]:
    """Median, min, max seconds, likes per second, peak RSS of one method's runs."""
    ok = [r for r in runs if r.status == "ok"]
    out: dict[str, Any] = {"runs": len(runs), "ok": len(ok)}
    if not ok:
        return out
    seconds = [r.seconds for r in ok]
    median = statistics.median(seconds)
    out.update(
        median_seconds=median,
        min_seconds=min(seconds),
        max_seconds=max(seconds),
        likes_per_second=likes / median,
        peak_rss_gib=max(r.peak_rss_bytes for r in ok) / GIB,
    )
    work = [r.child["work_seconds"] for r in ok if "work_seconds" in r.child]
    if work:
        out["median_work_seconds"] = statistics.median(work)
    stages = {k for r in ok for k in r.child if k.endswith("_seconds") and k != "work_seconds"}
    if stages:
        out["median_stage_seconds"] = {
            k: statistics.median(r.child[k] for r in ok if k in r.child) for k in sorted(stages)
        }
    return out


def ratios(summary: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    """Speed-up of each end-to-end engine over the straightforward pipeline; times the floor."""

    def median(method: str) -> float | None:
        return summary.get(method, {}).get("median_seconds")

    out: dict[str, float | None] = {}
    for method in END_TO_END:
        mine, base, floor = median(method), median("straightforward"), median("floor")
        out[f"{method}_speedup_vs_straightforward"] = base / mine if mine and base else None
        out[f"{method}_times_floor"] = mine / floor if mine and floor else None
    return out


def markdown_table(sizes: list[dict[str, Any]]) -> str:
    """One row per size x method."""
    from benchmarks.quality import _table

    header = [
        "size", "likes", "method", "ok/runs", "median s", "min s", "max s", "work s", "likes/s",
        "peak RSS GiB", "speed-up vs straightforward", "x floor",
    ]  # fmt: skip
    rows = []
    for entry in sizes:
        for method, figures in entry["summary"].items():
            speedup = entry["ratios"].get(f"{method}_speedup_vs_straightforward")
            times_floor = entry["ratios"].get(f"{method}_times_floor")
            rate = figures.get("likes_per_second")
            rows.append(
                [
                    entry["data"]["label"],
                    f"{entry['data']['likes']:,}",
                    method,
                    f"{figures['ok']}/{figures['runs']}",
                    _round(figures.get("median_seconds"), 2),
                    _round(figures.get("min_seconds"), 2),
                    _round(figures.get("max_seconds"), 2),
                    _round(figures.get("median_work_seconds"), 2),
                    f"{rate:,.0f}" if rate else None,
                    _round(figures.get("peak_rss_gib"), 2),
                    f"{speedup:.2f}x" if speedup else None,
                    f"{times_floor:.1f}x" if times_floor else None,
                ]
            )
    return _table(header, rows)


def _round(value: float | None, digits: int) -> str | None:
    return None if value is None else f"{value:.{digits}f}"


def failures_text(sizes: list[dict[str, Any]]) -> str:
    """The stderr tail of every failed or timed-out run."""
    lines = []
    for entry in sizes:
        for run in entry["runs"]:
            if run["status"] != "ok":
                lines.append(
                    f"- {entry['data']['label']} {run['method']} repeat {run['repeat'] + 1}: "
                    f"{run['status']} (exit {run['returncode']}, {run['seconds']} s)\n"
                    + "\n".join("    " + ln for ln in run["stderr_tail"].splitlines()[-8:])
                )
    return "\n".join(lines)


def machine_facts() -> dict[str, Any]:
    """Cores, memory, CPU, versions (from the quality benchmark), git commit, UTC date."""
    import importlib.metadata

    from benchmarks.quality import git_state, machine_info

    facts = machine_info()
    for package in ("threadpoolctl", "dask", "distributed"):
        try:
            facts["packages"][package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            facts["packages"][package] = None
    facts["load_average_at_start"] = list(os.getloadavg())
    return {"machine": facts, "git": git_state()}


def facts_text(facts: dict[str, Any], started: str) -> str:
    """Machine facts as Markdown bullet lines."""
    machine, git = facts["machine"], facts["git"]
    packages = ", ".join(f"{k} {v}" for k, v in machine["packages"].items() if v)
    changed = git.get("uncommitted_detector_changes")
    return "\n".join(
        [
            f"- date (UTC): {started}",
            f"- machine: {machine['cores']} cores ({machine['cpu']}), {machine['memory_gib']} GiB RAM, "
            f"load average at start {', '.join(f'{x:.2f}' for x in machine['load_average_at_start'])}",
            f"- platform: {machine['platform']}, Python {machine['python']}",
            f"- packages: {packages}",
            f"- git commit: {git.get('commit')}"
            + (f" (uncommitted changes in {', '.join(changed)})" if changed else ""),
        ]
    )


# ----------------------------------------------------------------------------- main
def benchmark_size(target: int, args: argparse.Namespace, shape: str = "uniform") -> dict[str, Any]:
    """Prepare one size, run every method ``--repeats`` times (interleaved), summarise."""
    data = prepare_dataset(target, args.seed, args.work_dir, shape)
    code_before = code_fingerprint()
    runs_dir = args.work_dir / f"runs-{os.getpid()}"  # private: benchmarks may share a work dir
    cache = args.work_dir / "profile-cache"
    env = {"DETECTOR_CACHE": str(cache)}
    if any(m in END_TO_END for m in args.methods):
        fill_profile_cache(cache, tuple(data.dropped_columns), runs_dir / "fill")
    runs: list[Run] = []
    first_dirs: dict[str, Path] = {}
    for repeat in range(args.repeats):
        for method in args.methods:
            run_dir = runs_dir / f"{data.label}-{method}-{repeat}"
            log(f"{data.label} {method} repeat {repeat + 1}/{args.repeats}")
            run = run_method(method, repeat, data, args.timeout, run_dir, env)
            log(
                f"{data.label} {method}: {run.status} in {run.seconds:.2f} s, "
                f"peak RSS {run.peak_rss_bytes / GIB:.2f} GiB"
            )
            runs.append(run)
            if repeat == 0:
                first_dirs[method] = run_dir
    check = compare_reports(first_dirs)
    shutil.rmtree(runs_dir, ignore_errors=True)
    code_after = code_fingerprint()
    if code_after != code_before:
        log(f"{data.label}: detector/ or models/ changed while this size ran")
    summary = {m: summarise([r for r in runs if r.method == m], data.likes) for m in args.methods}
    return {
        "data": asdict(data),
        "summary": summary,
        "ratios": ratios(summary),
        "engines_agree": check,
        "code_sha256": {"before": code_before, "after": code_after},
        "runs": [asdict(r) for r in runs],
    }


def write_json(path: Path, result: dict[str, Any]) -> None:
    """Write ``result`` to ``path`` atomically (temporary file, then ``os.replace``)."""
    from benchmarks.quality import _jsonable

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(_jsonable(result), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description="Speed benchmark: end-to-end scoring vs a straightforward pipeline and a floor.",
        epilog="Example: python benchmarks/speed.py --sizes 1M,5M --repeats 3",
    )
    parser.add_argument(
        "--sizes",
        default=None,
        help="likes per table, comma-separated, each optionally SIZE:SHAPE (default 1M,5M,20M; "
        "'none': no table)",
    )
    parser.add_argument(
        "--shape",
        choices=SHAPES,
        default="uniform",
        help="shape of the sizes given without one (default uniform; see the module docstring)",
    )
    parser.add_argument(
        "--cold-sample",
        action="store_true",
        help="also time cold CLI scoring of the sample with every column vs without "
        "account_created_at",
    )
    parser.add_argument(
        "--sample-repeats", type=int, default=5, help="runs per cold-sample method (default 5)"
    )
    parser.add_argument("--repeats", type=int, default=None, help="runs per method (default 3)")
    parser.add_argument(
        "--methods",
        default=",".join(DEFAULT_METHODS),
        help=f"comma-separated subset of {','.join(METHODS)} (default: all but the spilled run)",
    )
    parser.add_argument("--seed", type=int, default=0, help="simulator seed (default 0)")
    parser.add_argument(
        "--timeout", type=float, default=1800.0, help="seconds allowed per run (default 1800)"
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=DEFAULT_WORK_DIR,
        help=f"cached data and run outputs (default {DEFAULT_WORK_DIR.relative_to(REPO)})",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"JSON results file (default {DEFAULT_OUTPUT.relative_to(REPO)})",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: sizes 200k,1M and 2 repeats"
    )
    args = parser.parse_args(argv)
    if args.sizes is None:
        args.sizes = "200k,1M" if args.quick else "1M,5M,20M"
    if args.repeats is None:
        args.repeats = 2 if args.quick else 3
    entries = [] if args.sizes.strip().lower() == "none" else args.sizes.split(",")
    args.sizes, args.shapes = [], []
    try:
        for entry in (e.strip() for e in entries if e.strip()):
            size, _, shape = entry.partition(":")
            shape = shape.strip().lower() or args.shape
            if shape not in SHAPES:
                raise ValueError(f"unknown shape {shape!r} (choose from {', '.join(SHAPES)})")
            args.sizes.append(parse_size(size))
            args.shapes.append(shape)
    except ValueError as error:
        parser.error(f"--sizes: {error}")
    if not args.sizes and not args.cold_sample:
        parser.error("--sizes none needs --cold-sample")
    args.methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in args.methods if m not in METHODS]
    if unknown or not args.methods:
        parser.error(f"--methods: unknown {unknown}; choose from {', '.join(METHODS)}")
    if args.repeats < 1 or args.sample_repeats < 1 or args.timeout <= 0:
        parser.error("--repeats, --sample-repeats and --timeout must be positive")
    args.work_dir = args.work_dir.resolve()
    return args


def main(argv: list[str] | None = None) -> int:
    """Run every size, print the table, write the JSON."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return run_child_method(argv[1:])
    if argv[:1] == ["--measure"]:
        return run_measured(argv[1:])
    args = parse_args(argv)
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    wall = time.perf_counter()
    facts = machine_facts()
    result: dict[str, Any] = {
        "command": "python benchmarks/speed.py " + " ".join(argv),
        "date": started,
        **facts,
        "settings": {
            "sizes": args.sizes,
            "shapes": args.shapes,
            "heavy_dropped_columns": list(HEAVY_DROPPED),
            "cold_sample": args.cold_sample,
            "sample_repeats": args.sample_repeats if args.cold_sample else None,
            "repeats": args.repeats,
            "methods": args.methods,
            "seed": args.seed,
            "timeout_seconds": args.timeout,
            "straightforward_sample_rows": SAMPLE_ROWS,
        },
        "sizes": [],
    }
    for target, shape in zip(args.sizes, args.shapes, strict=True):
        result["sizes"].append(benchmark_size(target, args, shape))
        result["total_seconds"] = round(time.perf_counter() - wall, 1)
        write_json(args.output, result)
    if args.cold_sample:
        result["cold_sample"] = benchmark_cold_sample(args)
        result["total_seconds"] = round(time.perf_counter() - wall, 1)
        write_json(args.output, result)
    print(facts_text(facts, started) + "\n")
    if result["sizes"]:
        print(markdown_table(result["sizes"]), flush=True)
    for entry in result["sizes"]:
        data = entry["data"]
        if data.get("shape", "uniform") != "uniform":
            print(
                f"\n{data['label']}: largest creator {data['largest_creator_likes']:,} likes "
                f"({data['largest_creator_share']:.1%}); columns absent: "
                f"{', '.join(data['dropped_columns'])}"
            )
    if args.cold_sample:
        sample = result["cold_sample"]
        print(f"\nCold CLI scoring of {sample['file']} ({sample['likes']:,} likes):\n")
        print(cold_sample_table(sample), flush=True)
    for entry in result["sizes"]:
        check = entry["engines_agree"]
        if check.get("checked"):
            print(
                f"\n{entry['data']['label']}: reports of {', '.join(check['methods'])} differ for "
                f"{check['differing_creators']} of {check['creators']} creators "
                f"(compared: {', '.join(check['fields'])})"
            )
    changed = [
        e["data"]["label"] for e in result["sizes"] if len(set(e["code_sha256"].values())) > 1
    ]
    if changed:
        print(f"\nWarning: detector/ or models/ changed during the runs of {', '.join(changed)}")
    failed = failures_text(
        result["sizes"]
        + (
            [{"data": {"label": "sample"}, "runs": result["cold_sample"]["runs"]}]
            if args.cold_sample
            else []
        )
    )
    if failed:
        print("\nFailed runs:\n" + failed)
    log(f"done in {result['total_seconds']:.0f} s; figures written to {args.output}")
    return 0


if __name__ == "__main__":
    if __package__ in (None, ""):  # run as a script: make the repository root importable
        sys.path.insert(0, str(REPO))
    sys.exit(main())

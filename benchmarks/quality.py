"""Detection-quality benchmark: the detector against published rules and plain anomaly detectors.

Run from the repository root::

    python benchmarks/quality.py                 # full size (see BENCHMARKS.md for the runtime)
    python benchmarks/quality.py --quick         # smoke run, about a minute
    python benchmarks/quality.py --skip-real-pools --label-fractions 0,0.01,0.1,1

Part 1, simulated: a training world and a test world from different seeds. The detector is
trained on the training world (labels used) and the shipped model is loaded as is; both, and the
baselines of :mod:`benchmarks.baselines`, score the test world *without* its labels, which are
used only to compute the figures (per inauthentic tier and overall).

Part 1b, label fractions: on the same two simulated worlds, what labels add over the
unsupervised model. For each fraction of the training world's likes whose label is kept (chosen at
random per like with the fixed seed ``LABEL_SEED``, nested: the 1% are among the 10%), the
detector is trained with the rest of the labels unknown (NaN); fraction 0 trains it without any
label (the unsupervised forest alone). Each model scores the unlabelled test world.

Part 2, real accounts: for each labelled pool in the shared data folder, creators are built from
the pool's real accounts (:mod:`benchmarks.real_pools`) in two timing modes; the test creators use
one half of the accounts, the "retrained" detector is trained on creators built from the other
half. Skipped with a message when the folder is absent (or with ``--skip-real-pools``).

Part 3, coarse times (alone with ``--coarse-times-only``): the shipped model, in both scopes, and
the rule of thumb on the simulated test world and one world per real pool, each as built, with
every time cut to its UTC day, and without ``liked_at`` (:data:`TIME_VARIANTS`).

Part 4, shift (alone with ``--shift-only``): the methods of :data:`SHIFT_METHODS` (the shipped
model in both scopes, the rule of thumb) in each of part 3's time variants on worlds whose
authentic population is not the simulator's default (:mod:`benchmarks.shift_worlds`): three
simulated shifts beside the default test world, part 3's real-pool worlds and the Bitcoin OTC
ratings (real event timing); on the real worlds, which of :data:`SHIFT_CRITERIA` the shipped
model meets; and per world the share MAE of other quantifiers of the same scores
(:mod:`benchmarks.quantifiers`) beside the report's own correction.

A readable table goes to stdout, progress to stderr, every figure to a JSON file
(default ``benchmarks/results/quality.json``, gitignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import baselines  # noqa: E402
from benchmarks.baselines import MethodScores  # noqa: E402
from benchmarks.metrics import (  # noqa: E402
    SCENARIOS,
    SIM_GROUPS,
    pool_metrics,
    ranking_metrics,
    simulated_metrics,
)
from benchmarks.quantifiers import quantifier_shares  # noqa: E402
from benchmarks.real_pools import (  # noqa: E402
    POOLS,
    TIMING_MODES,
    build_pool_world,
    resolve_shared_datasets,
    split_accounts,
)
from benchmarks.shift_worlds import (  # noqa: E402
    BITCOIN_FOLDER,
    SIMULATED_SHIFTS,
    bitcoin_otc_world,
    shifted_world,
)
from detector.persistence import default_model_path, load_model, read_sidecar  # noqa: E402
from detector.schema import ID_COLUMNS, validate_likes  # noqa: E402
from detector.synth import generate_world  # noqa: E402
from detector.training import adapt, train  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO / "benchmarks" / "results" / "quality.json"
LABEL_COLUMNS = ("is_fake", "tier")
#: Label fractions of part 1b (``--label-fractions``).
DEFAULT_LABEL_FRACTIONS = (0.0, 0.01, 0.1, 1.0)
#: Seed of the random choice of which training likes keep their label in part 1b.
LABEL_SEED = 0


def log(message: str) -> None:
    """Progress line on stderr."""
    print(f"[quality {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- scoring
def validated(likes: pd.DataFrame, source: str, label: bool) -> pd.DataFrame:
    """Likes as the detector's readers return them (labels parsed when ``label``)."""
    out = validate_likes(likes, source, label_column="is_fake" if label else None)
    out.attrs["detector_validated"] = True
    return out


def unlabelled(likes: pd.DataFrame) -> pd.DataFrame:
    """The validated likes without any ground-truth column: what every scorer sees."""
    out = likes.drop(columns=[c for c in LABEL_COLUMNS if c in likes.columns])
    out.attrs["detector_validated"] = True
    return out


def detector_scores(
    name: str, model: Any, likes: pd.DataFrame, scope: str | None = None, **report_options: Any
) -> MethodScores:
    """Score with ``model.report`` (creator ranking = ``suspicion_index``).

    ``scope`` None is the model's default ("creator": each creator's own likes only); "batch" adds
    the features that look across creators (a liker's footprint in the whole table). Any other
    ``report_options`` go to ``model.report`` as they are, so that a report option is a method.
    """
    start = time.perf_counter()
    options = dict(report_options) if scope is None else {"scope": scope, **report_options}
    report = model.report(likes, include_likes=True, **options)
    creators = report.creators
    table = pd.DataFrame(
        {
            "creator_id": creators["creator_id"].astype(str),
            "rank_score": creators["suspicion_index"].astype(float),
            "share": creators["inauthentic_share"].astype(float),
            "low": creators["inauthentic_share_low"].astype(float),
            "high": creators["inauthentic_share_high"].astype(float),
            "flagged": creators["verdict"] != "authentic",
            "verdict": creators["verdict"].astype(str),
        }
    )
    return MethodScores(
        name,
        report.likes["score"].to_numpy(dtype=float),
        table,
        time.perf_counter() - start,
        note=f"{len(report.meta['features_used'])} features",
        extra={
            "scope": scope or "default",
            "report_options": report_options,
            "features_used": list(report.meta["features_used"]),
            "false_positive_rate": report.meta["false_positive_rate"],
            "true_positive_rate": report.meta["true_positive_rate"],
        },
        like_flagged=report.likes["flagged"].to_numpy(dtype=bool),
    )


def score_all(models: dict[str, Any], likes: pd.DataFrame) -> dict[str, MethodScores]:
    """Every method on the same unlabelled table.

    Each detector model is scored twice: with its default scope (creator) and with
    ``scope="batch"``.
    """
    out: dict[str, MethodScores] = {}
    for name, model in models.items():
        out[name] = detector_scores(name, model, likes)
        out[f"{name}/batch_scope"] = detector_scores(f"{name}/batch_scope", model, likes, "batch")
    out["rule_of_thumb"] = baselines.rule_of_thumb(likes)
    out["isolation_forest"] = baselines.isolation_forest(likes)
    out["ecod"] = baselines.ecod(likes)
    return out


def _method_record(method: MethodScores, figures: dict[str, Any]) -> dict[str, Any]:
    return {**figures, "seconds": round(method.seconds, 3), "extra": method.extra}


# ----------------------------------------------------------------------------- part 1
def simulated_worlds(args: argparse.Namespace, timings: dict[str, float]) -> dict[str, Any]:
    """The simulated training and test worlds (validated, labels kept), generated once."""
    start = time.perf_counter()
    log(
        f"simulated: generating the training world ({args.creators} creators, seed {args.train_seed})"
    )
    train_likes, _ = generate_world(args.creators, args.train_seed)
    train_likes = validated(train_likes, "training world", label=True)
    log(f"simulated: generating the test world ({args.creators} creators, seed {args.test_seed})")
    test_likes, test_creators = generate_world(args.creators, args.test_seed)
    test_likes = validated(test_likes, "test world", label=True)
    timings["simulated_generate"] = time.perf_counter() - start
    return {"train_likes": train_likes, "test_likes": test_likes, "test_creators": test_creators}


def run_simulated(
    args: argparse.Namespace, shipped: Any, timings: dict[str, float], worlds: dict[str, Any]
) -> dict:
    """Train on one simulated world, score another; figures per tier."""
    train_likes = worlds["train_likes"]
    test_likes, test_creators = worlds["test_likes"], worlds["test_creators"]
    start = time.perf_counter()
    log(f"simulated: training the detector on {len(train_likes):,} likes")
    model, _ = train(train_likes, "is_fake", holdout=0, random_state=0)
    timings["simulated_train"] = time.perf_counter() - start

    start = time.perf_counter()
    log(f"simulated: scoring {len(test_likes):,} test likes with every method")
    methods = score_all(
        {"detector_retrained": model, "detector_shipped": shipped}, unlabelled(test_likes)
    )
    truth = test_likes[["creator_id", "is_fake", "tier"]]
    results = {
        name: _method_record(m, simulated_metrics(m, truth, test_creators))
        for name, m in methods.items()
    }
    timings["simulated_score"] = time.perf_counter() - start
    counts = test_creators.groupby(["tier"]).size().to_dict()
    return {
        "train_seed": args.train_seed,
        "test_seed": args.test_seed,
        "creators": args.creators,
        "train_likes": len(train_likes),
        "test_likes": len(test_likes),
        "test_fake_likes": int(test_likes["is_fake"].sum()),
        "test_creators_by_tier": {k: int(v) for k, v in counts.items()},
        "test_creators_by_scenario": {
            k: int(v) for k, v in test_creators.groupby("scenario").size().items()
        },
        "methods": results,
    }


# ----------------------------------------------------------------------------- part 1b
def parse_fractions(text: str) -> tuple[float, ...]:
    """Comma-separated label fractions in [0, 1] ("" = none); duplicates dropped, order kept."""
    out: list[float] = []
    for item in text.split(","):
        if not item.strip():
            continue
        value = float(item)
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"label fraction {value} is not in [0, 1]")
        if value not in out:
            out.append(value)
    return tuple(out)


def hide_labels(labels: pd.Series | np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Keep the labels of ``round(fraction * n)`` rows chosen at random, NaN elsewhere.

    Rows are chosen per like (not per creator) from one random permutation drawn with ``seed``,
    so for the same seed a smaller fraction keeps a subset of a larger one's labels.
    """
    values = np.asarray(labels, dtype=float)
    kept = int(round(fraction * len(values)))
    order = np.random.default_rng(seed).permutation(len(values))
    out = np.full(len(values), np.nan)
    out[order[:kept]] = values[order[:kept]]
    return out


def run_label_fractions(
    fractions: tuple[float, ...], worlds: dict[str, Any], timings: dict[str, float]
) -> dict:
    """Train on the simulated training world with a share of its labels; score the test world.

    Fraction 0: trained without labels (unsupervised). A training or scoring failure is recorded
    in the fraction's entry instead of stopping the benchmark.
    """
    start = time.perf_counter()
    train_likes = worlds["train_likes"]
    test_likes, test_creators = worlds["test_likes"], worlds["test_creators"]
    test_view = unlabelled(test_likes)
    truth = test_likes[["creator_id", "is_fake", "tier"]]
    rows: list[dict[str, Any]] = []
    for fraction in fractions:
        labels = hide_labels(train_likes["is_fake"], fraction, LABEL_SEED)
        known = ~np.isnan(labels)
        entry: dict[str, Any] = {
            "fraction": fraction,
            "labelled_likes": int(known.sum()),
            "labelled_fake_likes": int((labels == 1).sum()),
            "labelled_creators_with_fakes": int(
                train_likes.loc[labels == 1, "creator_id"].nunique()
            ),
        }
        log(
            f"label fractions: training with {fraction:g} of the labels "
            f"({entry['labelled_likes']:,} labelled likes, {entry['labelled_fake_likes']:,} fake)"
        )
        try:
            tick = time.perf_counter()
            if fraction == 0:
                model, _ = train(unlabelled(train_likes), None, holdout=0, random_state=0)
            else:
                likes = unlabelled(train_likes).assign(is_fake=labels)
                likes.attrs["detector_validated"] = True
                model, _ = train(likes, "is_fake", holdout=0, random_state=0)
            entry["train_seconds"] = round(time.perf_counter() - tick, 3)
            entry["supervised"] = bool(model.supervised_)
            entry["scope"] = model.scope  # the model's default scope, used to score
            method = detector_scores(f"labels_{fraction:g}", model, test_view)
            entry.update(
                status="ok",
                **_method_record(method, simulated_metrics(method, truth, test_creators)),
            )
        except Exception as error:  # reported in the table row, not raised
            entry.update(status="error", error=f"{type(error).__name__}: {error}")
            log(f"label fractions: {fraction:g} failed: {entry['error']}")
        rows.append(entry)
    timings["label_fractions"] = time.perf_counter() - start
    return {
        "label_seed": LABEL_SEED,
        "train_likes": len(train_likes),
        "train_fake_likes": int(train_likes["is_fake"].sum()),
        "test_likes": len(test_likes),
        "fractions": rows,
    }


# ----------------------------------------------------------------------------- part 2
def clean_creators_likes(likes: pd.DataFrame, creators: pd.DataFrame) -> pd.DataFrame:
    """The likes of the creators without inauthentic likes, without the label column: what a
    user who knows some of their creators to be clean, and has no fake labels, can train on."""
    clean = creators.loc[creators["inauthentic_share"] == 0, "creator_id"]
    return unlabelled(likes[likes["creator_id"].isin(clean)].reset_index(drop=True))


def run_real_pools(args: argparse.Namespace, shipped: Any, timings: dict[str, float]) -> dict:
    """Every labelled pool x timing mode: shipped, retrained, clean-reference, adapted and
    baselines on the same creators."""
    root = resolve_shared_datasets(args.shared_datasets)
    if not root.is_dir():
        message = (
            f"Real pools skipped: shared data folder {root} not found "
            f"(give --shared-datasets PATH or set DETECTOR_SHARED_DATASETS)"
        )
        log(message)
        return {"status": "skipped", "reason": message, "path": str(root)}
    start = time.perf_counter()
    pools: dict[str, Any] = {}
    for index, (name, info) in enumerate(POOLS.items()):
        try:
            accounts = info.loader(root)
        except (OSError, ValueError, KeyError) as error:
            log(f"real pool {name}: skipped ({error})")
            pools[name] = {"status": "skipped", "reason": str(error)}
            continue
        first, second = split_accounts(accounts, seed=args.pool_seed + index)
        entry: dict[str, Any] = {
            "status": "ok",
            "platform": info.platform,
            "note": info.note,
            "accounts": {
                "genuine": int((accounts["is_fake"] == 0).sum()),
                "fake": int((accounts["is_fake"] == 1).sum()),
            },
            "columns": [  # contract columns of the built likes
                "account_created_at" if c == "account_age_days" else c
                for c in accounts.columns
                if c not in ("is_fake", "source_class")
            ],
            "modes": {},
        }
        for m, mode in enumerate(TIMING_MODES):
            seed = 1000 * (args.pool_seed + 1) + 10 * index + m
            log(f"real pool {name}, {mode} timing: building creators")
            train_likes, train_creators = build_pool_world(
                first, n_creators=args.pool_creators, timing=mode, seed=seed, prefix="t"
            )
            test_likes, test_creators = build_pool_world(
                second, n_creators=args.pool_creators, timing=mode, seed=seed + 5, prefix="r"
            )
            train_likes = validated(train_likes, f"{name} training creators", label=True)
            test_likes = validated(test_likes, f"{name} test creators", label=True)
            log(f"real pool {name}, {mode} timing: training on {len(train_likes):,} likes")
            model, _ = train(train_likes, "is_fake", holdout=0, random_state=0)
            clean_likes = clean_creators_likes(train_likes, train_creators)
            log(
                f"real pool {name}, {mode} timing: unsupervised on {len(clean_likes):,} likes "
                f"of the training creators known to be clean"
            )
            clean_model, _ = train(clean_likes, None, holdout=0, random_state=0)
            adapted, _ = adapt(shipped, clean_likes)
            log(f"real pool {name}, {mode} timing: scoring {len(test_likes):,} likes")
            methods = score_all(
                {
                    "detector_retrained": model,
                    "detector_clean_reference": clean_model,
                    "detector_adapted": adapted,
                    "detector_shipped": shipped,
                },
                unlabelled(test_likes),
            )
            entry["modes"][mode] = {
                "test_likes": len(test_likes),
                "test_fake_likes": int(test_likes["is_fake"].sum()),
                "test_creators": len(test_creators),
                "test_inflated": int((test_creators["inauthentic_share"] > 0).sum()),
                "accounts_used": dict(test_creators.attrs),
                "train_likes": len(train_likes),
                "train_creators": len(train_creators),
                "methods": {
                    k: _method_record(v, pool_metrics(v, test_likes, test_creators))
                    for k, v in methods.items()
                },
            }
        pools[name] = entry
    timings["real_pools"] = time.perf_counter() - start
    return {"status": "ok", "path": str(root), "pools": pools}


# ----------------------------------------------------------------------------- coarse times
TIME_VARIANTS: tuple[str, ...] = ("exact times", "day resolution", "no like times")
"""Part 3's variants of each world: as built; every time (likes and posts) cut to its UTC day,
as date-only exports give them; and no ``liked_at`` at all, as lists of a post's likers come
(post publication times kept: a user has their own posts' times)."""


def coarsened(likes: pd.DataFrame, variant: str) -> pd.DataFrame:
    """``likes`` as the variant gives them (a copy; labels untouched)."""
    if variant == "exact times":
        return likes
    if variant == "no like times":
        return likes.drop(columns=["liked_at"])
    out = likes.copy()
    for column in ("liked_at", "post_published_at"):
        if column in out.columns:
            out[column] = out[column].dt.floor("D")
    return out


#: Verdict shares of part 3 and part 4: (figure, creators counted, verdict). Clean creators have
#: no bought like; heavy ones at least 35%.
DECISION_FIGURES: tuple[tuple[str, str, str], ...] = (
    ("clean_inflated", "clean", "inflated"),
    ("heavy_authentic", "heavy", "authentic"),
    ("clean_cannot_tell", "clean", "cannot tell"),
    ("heavy_cannot_tell", "heavy", "cannot tell"),
)
HEAVY_FROM = 0.35


def decision_figures(method: MethodScores, creators: pd.DataFrame) -> dict[str, float]:
    """Share of clean and of heavy creators given each verdict of :data:`DECISION_FIGURES`
    (NaN for a method without verdicts or a world without such creators)."""
    if not method.available or "verdict" not in method.creators.columns:
        return {figure: float("nan") for figure, _, _ in DECISION_FIGURES}
    joined = creators[["creator_id", "inauthentic_share"]].merge(
        method.creators, on="creator_id", how="left", validate="one_to_one"
    )
    groups = {
        "clean": joined["inauthentic_share"] == 0,
        "heavy": joined["inauthentic_share"] >= HEAVY_FROM,
    }
    return {
        figure: float((joined.loc[groups[group], "verdict"] == verdict).mean())
        if groups[group].any()
        else float("nan")
        for figure, group, verdict in DECISION_FIGURES
    }


def pool_worlds(
    args: argparse.Namespace, part: str, skipped: dict[str, str] | None = None
) -> Iterator[tuple[str, pd.DataFrame, pd.DataFrame]]:
    """One world per real pool found: part 2's test creators with farm timing (the same accounts
    and seed), validated; nothing when the shared folder is absent or real pools are skipped.
    Why a pool is left out is logged and, when ``skipped`` is given, recorded there."""
    root = resolve_shared_datasets(args.shared_datasets)
    reasons = {} if skipped is None else skipped
    if args.skip_real_pools or not root.is_dir():
        why = "--skip-real-pools" if args.skip_real_pools else f"folder {root} not found"
        reasons.update(dict.fromkeys(POOLS, why))
        log(f"{part}: no real-pool world ({why})")
        return
    for index, (name, info) in enumerate(POOLS.items()):
        try:
            accounts = info.loader(root)
        except (OSError, ValueError, KeyError) as error:
            reasons[name] = str(error)
            log(f"{part}: pool {name} skipped ({error})")
            continue
        _, second = split_accounts(accounts, seed=args.pool_seed + index)
        seed = 1000 * (args.pool_seed + 1) + 10 * index + 5
        log(f"{part}: building {args.pool_creators} creators of pool {name}")
        likes, creators = build_pool_world(
            second, n_creators=args.pool_creators, timing="farm", seed=seed, prefix="r"
        )
        yield name, validated(likes, f"{name} creators", label=True), creators


def coarse_time_worlds(args: argparse.Namespace) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """Part 3's worlds: the simulated test world, and :func:`pool_worlds`."""
    log(f"coarse times: simulated world ({args.creators} creators, seed {args.test_seed})")
    likes, creators = generate_world(args.creators, args.test_seed)
    worlds = {"simulated": (validated(likes, "simulated world", label=True), creators)}
    for name, likes, creators in pool_worlds(args, "coarse times"):
        worlds[name] = (likes, creators)
    return worlds


def run_coarse_times(args: argparse.Namespace, shipped: Any, timings: dict[str, float]) -> dict:
    """The shipped model (creator and batch scope) and the rule of thumb on every world of
    :func:`coarse_time_worlds` in each of :data:`TIME_VARIANTS`."""
    start = time.perf_counter()
    out: dict[str, Any] = {}
    for world, (likes, creators) in coarse_time_worlds(args).items():
        out[world] = {
            "creators": len(creators),
            "inflated": int((creators["inauthentic_share"] > 0).sum()),
        }
        for variant in TIME_VARIANTS:
            log(f"coarse times: {world}, {variant}")
            table = unlabelled(coarsened(likes, variant))
            methods = {
                "detector_shipped": detector_scores("detector_shipped", shipped, table),
                "detector_shipped/batch_scope": detector_scores(
                    "detector_shipped/batch_scope", shipped, table, "batch"
                ),
                "rule_of_thumb": baselines.rule_of_thumb(table),
            }
            out[world][variant] = {
                name: {
                    **_method_record(method, pool_metrics(method, likes, creators)),
                    **decision_figures(method, creators),
                }
                for name, method in methods.items()
            }
    timings["coarse_times"] = time.perf_counter() - start
    return out


def coarse_time_table(result: dict) -> str:
    """Markdown table of part 3."""
    header = [
        "world",
        "times",
        "method",
        "creator ROC AUC",
        "share MAE",
        "90% coverage",
        "clean inflated",
        "clean flagged",
        ">=35% called authentic",
    ]
    rows = []
    for world, entry in result.items():
        for variant in TIME_VARIANTS:
            for name, rec in entry[variant].items():
                if not rec.get("available", True):
                    continue
                rows.append(
                    [
                        world,
                        variant,
                        name,
                        rec.get("creator_roc_auc"),
                        rec.get("share_mae"),
                        rec.get("interval_coverage"),
                        rec.get("clean_inflated"),
                        rec.get("clean_flagged"),
                        rec.get("heavy_authentic"),
                    ]
                )
    title = "Coarse times: the shipped model as is, like times exact, cut to the day, or absent"
    return "\n".join([title, "", _table(header, rows)])


# ----------------------------------------------------------------------------- shift
#: Part 4's simulated worlds: the default test world (part 3's "simulated"), then the shifted ones.
SHIFT_SIMULATED_WORLDS: tuple[str, ...] = ("simulated", *SIMULATED_SHIFTS)
#: Part 4's real-pool worlds (:func:`pool_worlds`, those found).
SHIFT_POOL_WORLDS: tuple[str, ...] = tuple(POOLS)
#: Part 4's world of real event timing (:func:`benchmarks.shift_worlds.bitcoin_otc_world`).
BITCOIN_WORLD = BITCOIN_FOLDER
#: The worlds of real data, whose criteria part 4 sums up.
CRITERIA_WORLDS: tuple[str, ...] = (*SHIFT_POOL_WORLDS, BITCOIN_WORLD)

ShiftMethod = Callable[[str, Any, pd.DataFrame], MethodScores]
"""A part-4 method: (its name, the shipped model, the unlabelled likes) -> its scores."""


def _rule_of_thumb(name: str, model: Any, likes: pd.DataFrame) -> MethodScores:
    """The rule of thumb as a part-4 method (it needs no model)."""
    return baselines.rule_of_thumb(likes)


#: Part 4's methods: a report option of the shipped model is one more line with ``partial``.
SHIFT_METHODS: dict[str, ShiftMethod] = {
    "detector_shipped": detector_scores,
    "detector_shipped/batch_scope": partial(detector_scores, scope="batch"),
    "detector_shipped/batch_rates": partial(detector_scores, rates="batch"),
    "rule_of_thumb": _rule_of_thumb,
}


@dataclass(frozen=True)
class Criterion:
    """A bound on one figure of :data:`CRITERIA_METHOD`: at least ``low``, at most ``high``,
    above the same figure of the method ``above`` on the same world and times."""

    figure: str
    low: float | None = None
    high: float | None = None
    above: str | None = None


#: The method whose figures the criteria judge.
CRITERIA_METHOD = "detector_shipped"
#: What a detector must do on a platform it was not fitted to.
SHIFT_CRITERIA: dict[str, Criterion] = {
    "clean inflated <= 1%": Criterion("clean_inflated", high=0.01),
    "heavy authentic <= 5%": Criterion("heavy_authentic", high=0.05),
    "creator ROC AUC above the rule of thumb's": Criterion(
        "creator_roc_auc", above="rule_of_thumb"
    ),
    "share MAE <= 0.05": Criterion("share_mae", high=0.05),
    "90% coverage in [0.80, 0.97]": Criterion("interval_coverage", low=0.80, high=0.97),
}


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def criteria_summary(methods: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per criterion of :data:`SHIFT_CRITERIA`: ``met`` (None = n/a: the figure or its reference
    cannot be computed), the ``value`` and the ``reference`` of an ``above`` criterion."""
    figures = methods.get(CRITERIA_METHOD, {})
    out: dict[str, dict[str, Any]] = {}
    for name, criterion in SHIFT_CRITERIA.items():
        value = figures.get(criterion.figure)
        reference = None
        if criterion.above is not None:
            reference = methods.get(criterion.above, {}).get(criterion.figure)
        met: bool | None = None
        if _finite(value) and (criterion.above is None or _finite(reference)):
            met = bool(
                (criterion.low is None or value >= criterion.low)
                and (criterion.high is None or value <= criterion.high)
                and (criterion.above is None or value > reference)
            )
        out[name] = {"met": met, "value": value, "reference": reference}
    return out


def shift_worlds(
    args: argparse.Namespace, skipped: dict[str, str]
) -> Iterator[tuple[str, str, pd.DataFrame, pd.DataFrame]]:
    """Part 4's worlds one at a time, as (name, kind, validated likes, creators); a world that
    cannot be built is logged and its reason recorded in ``skipped``."""
    for name in SHIFT_SIMULATED_WORLDS:
        log(f"shift: simulated world {name} ({args.creators} creators, seed {args.test_seed})")
        if name == "simulated":
            likes, creators = generate_world(args.creators, args.test_seed)
        else:
            likes, creators = shifted_world(name, args.creators, args.test_seed)
        yield name, "simulated", validated(likes, f"{name} world", label=True), creators
    for name, likes, creators in pool_worlds(args, "shift", skipped):
        yield name, "real pool", likes, creators
    folder = resolve_shared_datasets(args.shared_datasets) / BITCOIN_FOLDER
    if not folder.is_dir():
        skipped[BITCOIN_WORLD] = f"folder {folder} not found"
        log(f"shift: {BITCOIN_WORLD} skipped ({skipped[BITCOIN_WORLD]})")
        return
    try:
        likes, creators = bitcoin_otc_world(folder)
    except (OSError, ValueError) as error:
        skipped[BITCOIN_WORLD] = str(error)
        log(f"shift: {BITCOIN_WORLD} skipped ({error})")
        return
    yield BITCOIN_WORLD, "real events", validated(likes, BITCOIN_WORLD, label=True), creators


def world_facts(likes: pd.DataFrame, creators: pd.DataFrame) -> dict[str, Any]:
    """Sizes and the truth's distribution: how much each figure rests on."""
    share = creators["inauthentic_share"]
    return {
        "creators": len(creators),
        "clean": int((share == 0).sum()),
        "inflated": int((share > 0).sum()),
        "heavy": int((share >= HEAVY_FROM).sum()),
        "likes": len(likes),
        "fake_likes": int(likes["is_fake"].sum()),
        "posts": int(likes["post_id"].nunique()),
        "share_quartiles": [float(q) for q in share.quantile([0.25, 0.5, 0.75])],
        "columns": [c for c in likes.columns if c not in (*LABEL_COLUMNS, *ID_COLUMNS)],
    }


def _scored(name: str, method: ShiftMethod, shipped: Any, table: pd.DataFrame) -> MethodScores:
    """The method's scores, or an unavailable entry saying what failed (the run goes on)."""
    try:
        return method(name, shipped, table)
    except Exception as error:  # reported in the table's notes, not raised
        log(f"shift: {name} failed: {type(error).__name__}: {error}")
        return MethodScores(name, None, None, note=f"failed: {type(error).__name__}: {error}")


def run_shift(args: argparse.Namespace, shipped: Any, timings: dict[str, float]) -> dict:
    """Every method of :data:`SHIFT_METHODS` on every world of :func:`shift_worlds` in each of
    :data:`TIME_VARIANTS`; the criteria of :data:`SHIFT_CRITERIA` on the real worlds."""
    start = time.perf_counter()
    skipped: dict[str, str] = {}
    worlds: dict[str, Any] = {}
    for world, kind, likes, creators in shift_worlds(args, skipped):
        entry: dict[str, Any] = {"kind": kind, **world_facts(likes, creators), "variants": {}}
        if world in SIMULATED_SHIFTS:
            entry["changes"] = SIMULATED_SHIFTS[world]
        if creators.attrs:
            entry["accounts_used"] = dict(creators.attrs)
        for variant in TIME_VARIANTS:
            log(f"shift: {world}, {variant}")
            table = unlabelled(coarsened(likes, variant))
            records: dict[str, Any] = {}
            for name, method in SHIFT_METHODS.items():
                scores = _scored(name, method, shipped, table)
                records[name] = {
                    **_method_record(scores, pool_metrics(scores, likes, creators)),
                    **decision_figures(scores, creators),
                }
            entry["variants"][variant] = records
            entry.setdefault("quantifiers", {})[variant] = quantifier_figures(
                shipped, table, creators
            )
        worlds[world] = entry
    criteria = {
        world: {
            variant: criteria_summary(methods)
            for variant, methods in worlds[world]["variants"].items()
        }
        for world in CRITERIA_WORLDS
        if world in worlds
    }
    timings["shift"] = time.perf_counter() - start
    return {"worlds": worlds, "criteria": criteria, "skipped": skipped}


QUANTIFIERS: tuple[str, ...] = ("acc", "pcc", "em", "hdy")
"""Part 4's quantifiers of the shipped model's scores (:mod:`benchmarks.quantifiers`); ``acc``
is the report's own share."""


def quantifier_figures(model: Any, table: pd.DataFrame, creators: pd.DataFrame) -> dict:
    """Share MAE and creator ROC AUC of each of :data:`QUANTIFIERS` on one world's variant."""
    shares, note = quantifier_shares(model, table)
    joined = creators[["creator_id", "inauthentic_share"]].merge(
        shares, on="creator_id", validate="one_to_one"
    )
    inflated = (joined["inauthentic_share"] > 0).to_numpy()
    out: dict[str, Any] = {"note": note}
    for name in QUANTIFIERS:
        estimate = joined[name].to_numpy(dtype=float)
        available = bool(np.isfinite(estimate).all())
        out[name] = {
            "share_mae": float(np.mean(np.abs(estimate - joined["inauthentic_share"])))
            if available
            else float("nan"),
            "creator_roc_auc": ranking_metrics(inflated, estimate)["roc_auc"]
            if available
            else float("nan"),
        }
    return out


def quantifier_table(result: dict) -> str:
    """Markdown table of part 4's quantifiers: share MAE (creator ROC AUC) per world and times."""
    rows = [
        [
            world,
            variant,
            *(
                f"{_fmt(figures[name]['share_mae'])} ({_fmt(figures[name]['creator_roc_auc'])})"
                for name in QUANTIFIERS
            ),
        ]
        for world, entry in result["worlds"].items()
        for variant, figures in entry.get("quantifiers", {}).items()
    ]
    title = (
        "Quantifiers of the shipped model's scores, creator scope: share MAE (creator ROC AUC); "
        "acc = the report's share"
    )
    return "\n".join([title, "", _table(["world", "times", *QUANTIFIERS], rows)])


def shift_table(result: dict) -> str:
    """Markdown tables of part 4: the worlds, every figure, and the criteria on the real worlds."""
    facts = [
        f"- {world} ({entry['kind']}): {entry['creators']} creators, {entry['clean']} clean, "
        f"{entry['heavy']} with >= 35% bought likes; {entry['likes']:,} likes "
        f"({entry['fake_likes']:,} fake) on {entry['posts']:,} posts; share quartiles "
        + ", ".join(f"{q:.2f}" for q in entry["share_quartiles"])
        + (
            "; changed: " + ", ".join(f"{k} {v:g}" for k, v in entry["changes"].items())
            if "changes" in entry
            else ""
        )
        for world, entry in result["worlds"].items()
    ]
    header = [
        "world",
        "times",
        "method",
        "creator ROC AUC",
        "share MAE",
        "90% coverage",
        "clean inflated",
        ">=35% called authentic",
        "clean cannot tell",
        ">=35% cannot tell",
    ]
    rows: list[list[Any]] = []
    notes = {f"{world}: {reason}": None for world, reason in result["skipped"].items()}
    for world, entry in result["worlds"].items():
        for variant, methods in entry["variants"].items():
            for name, rec in methods.items():
                if not rec["available"]:
                    notes[f"{world}/{name}: {rec['note']}"] = None  # once, not per variant
                    continue
                rows.append(
                    [
                        world,
                        variant,
                        name,
                        rec["creator_roc_auc"],
                        rec["share_mae"],
                        rec["interval_coverage"],
                        rec["clean_inflated"],
                        rec["heavy_authentic"],
                        rec["clean_cannot_tell"],
                        rec["heavy_cannot_tell"],
                    ]
                )
    text = [
        "Shift: the shipped model as is on worlds whose authentic population is not the "
        "simulator's default",
        "",
        *facts,
        "",
        _table(header, rows),
        "",
        criteria_table(result["criteria"]),
        "",
        quantifier_table(result),
    ]
    if notes:
        text += ["", "Not run: " + "; ".join(notes)]
    return "\n".join(text)


def criteria_table(criteria: dict) -> str:
    """Markdown table of the criteria: met (yes/no/n/a) and the figure, per real world and
    times."""
    rows: list[list[Any]] = []
    for world, variants in criteria.items():
        for variant, checks in variants.items():
            cells = []
            for check in checks.values():
                verdict = {True: "yes", False: "no", None: "n/a"}[check["met"]]
                shown = [_fmt(check[k]) for k in ("value", "reference") if _finite(check[k])]
                cells.append(f"{verdict} ({' vs '.join(shown)})" if shown else verdict)
            rows.append([world, variant, *cells])
    title = (
        f"Criteria met by {CRITERIA_METHOD} on the real worlds (figure in brackets; the rule "
        f"of thumb's creator ROC AUC is the bound of its criterion, n/a without its columns)"
    )
    return "\n".join([title, "", _table(["world", "times", *SHIFT_CRITERIA], rows)])


# ----------------------------------------------------------------------------- output
def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def simulated_tables(sim: dict) -> str:
    """Markdown tables of part 1."""
    header = [
        "tier",
        "method",
        "like ROC AUC",
        "like PR AUC",
        "creator ROC AUC",
        "creator PR AUC",
        "share MAE",
        "90% interval coverage",
    ]
    rows: list[list[Any]] = []
    skipped: list[str] = []
    for group in (*SIM_GROUPS, "clean"):
        for name, rec in sim["methods"].items():
            if not rec["available"]:
                if group == SIM_GROUPS[0]:
                    skipped.append(f"{name}: {rec['note']}")
                continue
            g = rec["groups"][group]
            rows.append(
                [
                    group,
                    name,
                    g.get("like_roc_auc"),
                    g.get("like_pr_auc"),
                    g.get("creator_roc_auc"),
                    g.get("creator_pr_auc"),
                    g["share_mae"],
                    g["interval_coverage"],
                ]
            )
    flag_rows = [
        [
            name,
            *(rec["flagged_clean"][s] for s in SCENARIOS),
            rec["authentic_likes_flagged"],
            rec["fake_likes_flagged"],
        ]
        for name, rec in sim["methods"].items()
        if rec["available"]
    ]
    text = [
        f"Simulated: trained on seed {sim['train_seed']}, tested on seed {sim['test_seed']} "
        f"({sim['creators']} creators, {sim['test_likes']:,} likes, "
        f"{sim['test_fake_likes']:,} fake; creators by tier {sim['test_creators_by_tier']}, "
        f"by scenario {sim['test_creators_by_scenario']})",
        "",
        _table(header, rows),
        "",
        "Clean creators not called authentic, by scenario (detector: verdict != authentic; "
        "baselines: estimated share >= 10%), and likes flagged at each method's own threshold",
        "",
        _table(
            [
                "method",
                *SCENARIOS,
                "authentic likes flagged",
                "fake likes flagged",
            ],
            flag_rows,
        ),
    ]
    if skipped:
        text += ["", "Not run: " + "; ".join(skipped)]
    return "\n".join(text)


def label_fraction_table(result: dict) -> str:
    """Markdown table of part 1b."""
    header = [
        "labels (share)",
        "labelled likes",
        *(f"creator ROC AUC {g}" for g in SIM_GROUPS),
        "like PR AUC all",
        "share MAE all",
        "clean flagged (max over scenarios)",
    ]
    rows: list[list[Any]] = []
    for entry in result["fractions"]:
        share = f"{100 * entry['fraction']:g}%"
        if entry["status"] != "ok":
            error = str(entry["error"]).replace("|", "/").replace("\n", " ")
            rows.append([share, entry["labelled_likes"], f"failed: {error}", *[""] * 7])
            continue
        groups = entry["groups"]
        rows.append(
            [
                share,
                entry["labelled_likes"],
                *(groups[g]["creator_roc_auc"] for g in SIM_GROUPS),
                groups["all"]["like_pr_auc"],
                groups["all"]["share_mae"],
                max(entry["flagged_clean"].values()),
            ]
        )
    scopes = ", ".join(sorted({e["scope"] for e in result["fractions"] if "scope" in e})) or "n/a"
    return "\n".join(
        [
            f"Label fractions: the detector trained on the simulated training world "
            f"({result['train_likes']:,} likes, {result['train_fake_likes']:,} fake) with a share "
            f"of its likes labelled (chosen per like, seed {result['label_seed']}; the rest "
            f"unknown; 0% = no label, unsupervised), scored on the unlabelled test world "
            f"with the model's default scope ({scopes})",
            "",
            _table(header, rows),
        ]
    )


def pool_tables(real: dict) -> str:
    """Markdown tables of part 2, one per timing mode."""
    if real.get("status") != "ok":
        return str(real.get("reason", "Real pools skipped"))
    header = [
        "pool",
        "method",
        "creator ROC AUC",
        "creator PR AUC",
        "share MAE",
        "clean flagged",
        "like ROC AUC",
        "creator ROC AUC, mean like score",
        "authentic likes flagged",
        "fake likes flagged",
    ]
    notes: list[str] = []
    worlds: list[str] = []
    tables: dict[str, list[list[Any]]] = {}
    for pool, entry in real["pools"].items():
        if entry.get("status") != "ok":
            notes.append(f"{pool}: {entry.get('reason')}")
            continue
        for mode, result in entry["modes"].items():
            used = result["accounts_used"]
            worlds.append(
                f"- {pool} ({entry['accounts']['genuine']:,} genuine / "
                f"{entry['accounts']['fake']:,} fake accounts; columns "
                f"{', '.join(entry['columns'])}), {mode} timing: {result['test_creators']} test "
                f"creators ({result['test_inflated']} inflated), {result['test_likes']:,} likes "
                f"({result['test_fake_likes']:,} fake) from {used['genuine_accounts_used']:,} "
                f"genuine and {used['fake_accounts_used']:,} fake accounts; a liker likes "
                f"{used['creators_per_genuine_liker']} (genuine) / "
                f"{used['creators_per_fake_liker']} (fake) creators on average"
            )
            for name, rec in result["methods"].items():
                if not rec["available"]:
                    if name != "ecod":
                        notes.append(f"{pool}/{name}: {rec['note']}")
                    continue
                tables.setdefault(mode, []).append(
                    [
                        pool,
                        name,
                        rec["creator_roc_auc"],
                        rec["creator_pr_auc"],
                        rec["share_mae"],
                        rec["clean_flagged"],
                        rec["like_roc_auc"],
                        rec["creator_roc_auc_mean_like_score"],
                        rec["authentic_likes_flagged"],
                        rec["fake_likes_flagged"],
                    ]
                )
    text = ["Real account pools (test creators from one half of each pool's accounts)", ""]
    text += worlds
    for mode, rows in tables.items():
        text += ["", f"Timing mode: {mode}", "", _table(header, rows)]
    if notes:
        text += ["", "Not run: " + "; ".join(sorted(set(notes)))]
    return "\n".join(text)


def machine_info() -> dict[str, Any]:
    """Cores, memory, CPU, Python and package versions."""
    memory = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    memory = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    cpu = platform.processor() or None
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next(
                (ln.split(":", 1)[1].strip() for ln in handle if ln.startswith("model name")), cpu
            )
    except OSError:
        pass
    versions: dict[str, str | None] = {}
    for package in ("engagement-detector", "numpy", "pandas", "scikit-learn", "pyarrow", "pyod"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cores": os.cpu_count(),
        "memory_gib": memory,
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
    }


def git_state() -> dict[str, Any]:
    """Commit of the working tree and whether ``detector/`` or ``models/`` differ from it."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "detector", "models"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "uncommitted_detector_changes": None}
    return {"commit": commit, "uncommitted_detector_changes": [line[3:] for line in changed]}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description="Detection-quality benchmark: detector vs baselines, simulated and real pools.",
        epilog="Example: python benchmarks/quality.py --creators 400 --output /tmp/quality.json",
    )
    parser.add_argument(
        "--creators",
        type=int,
        default=None,
        help="creators per simulated world (default 400; 60 with --quick)",
    )
    parser.add_argument(
        "--train-seed", type=int, default=1, help="seed of the simulated training world"
    )
    parser.add_argument("--test-seed", type=int, default=2, help="seed of the simulated test world")
    parser.add_argument(
        "--pool-creators",
        type=int,
        default=None,
        help="creators per real-pool world (default 180; 45 with --quick)",
    )
    parser.add_argument(
        "--pool-seed", type=int, default=0, help="seed of the account splits and real-pool creators"
    )
    parser.add_argument(
        "--shared-datasets",
        default=None,
        help="folder of the real labelled pools (default: $DETECTOR_SHARED_DATASETS or <repo>/../shared/datasets)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"JSON results file (default {DEFAULT_OUTPUT.relative_to(REPO)})",
    )
    parser.add_argument(
        "--label-fractions",
        default=",".join(f"{f:g}" for f in DEFAULT_LABEL_FRACTIONS),
        help="shares of the training world's likes labelled in the label-fraction part "
        '(default "0,0.01,0.1,1"; "" skips the part)',
    )
    parser.add_argument(
        "--skip-real-pools",
        action="store_true",
        help="skip part 2 (the real account pools) and the real-pool worlds of parts 3 and 4",
    )
    parser.add_argument(
        "--coarse-times-only",
        action="store_true",
        help="run part 3 alone (the shipped model on worlds with coarse or no like times)",
    )
    parser.add_argument(
        "--shift-only",
        action="store_true",
        help="run part 4 alone (the shipped model on worlds whose authentic population differs)",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    args = parser.parse_args(argv)
    if args.creators is None:
        args.creators = 60 if args.quick else 400
    if args.pool_creators is None:
        args.pool_creators = 45 if args.quick else 180
    if args.coarse_times_only and args.shift_only:
        parser.error("--coarse-times-only and --shift-only exclude each other")
    if args.train_seed == args.test_seed:
        parser.error("--train-seed and --test-seed must differ")
    try:
        args.label_fractions = parse_fractions(args.label_fractions)
    except ValueError as error:
        parser.error(f"--label-fractions: {error}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run every part, print the tables, write the JSON."""
    args = parse_args(argv)
    started = dt.datetime.now(dt.timezone.utc)
    wall = time.perf_counter()
    timings: dict[str, float] = {}
    model_path = default_model_path()
    shipped = load_model(model_path)
    shipped_info = {
        k: v
        for k, v in read_sidecar(model_path).items()
        if k in ("created_at", "sha256", "training")
    }
    if args.coarse_times_only:
        coarse = run_coarse_times(args, shipped, timings)
        print(coarse_time_table(coarse), flush=True)
        return _write_result(
            args, argv, started, wall, timings, model_path, shipped_info, {"coarse_times": coarse}
        )
    if args.shift_only:
        shift = run_shift(args, shipped, timings)
        print(shift_table(shift), flush=True)
        return _write_result(
            args, argv, started, wall, timings, model_path, shipped_info, {"shift": shift}
        )
    worlds = simulated_worlds(args, timings)
    sim = run_simulated(args, shipped, timings, worlds)
    print(simulated_tables(sim), flush=True)
    fractions: dict[str, Any] = {"status": "skipped", "reason": "--label-fractions is empty"}
    if args.label_fractions:
        fractions = {"status": "ok", **run_label_fractions(args.label_fractions, worlds, timings)}
        print("\n" + label_fraction_table(fractions), flush=True)
    del worlds
    if args.skip_real_pools:
        real = {"status": "skipped", "reason": "Real pools skipped (--skip-real-pools)"}
        log(real["reason"])
    else:
        real = run_real_pools(args, shipped, timings)
    print("\n" + pool_tables(real), flush=True)
    coarse = run_coarse_times(args, shipped, timings)
    print("\n" + coarse_time_table(coarse), flush=True)
    shift = run_shift(args, shipped, timings)
    print("\n" + shift_table(shift), flush=True)
    parts = {"simulated": sim, "label_fractions": fractions, "real_pools": real}
    parts.update(coarse_times=coarse, shift=shift)
    return _write_result(args, argv, started, wall, timings, model_path, shipped_info, parts)


def _write_result(
    args: argparse.Namespace,
    argv: list[str] | None,
    started: dt.datetime,
    wall: float,
    timings: dict[str, float],
    model_path: Path,
    shipped_info: dict[str, Any],
    parts: dict[str, Any],
) -> int:
    """Write the JSON of the parts run, with how and where they ran."""
    timings["total"] = time.perf_counter() - wall
    result = {
        "command": "python " + " ".join([os.path.relpath(sys.argv[0], REPO), *sys.argv[1:]])
        if argv is None
        else "python benchmarks/quality.py " + " ".join(argv),
        "date": started.isoformat(timespec="seconds"),
        "machine": machine_info(),
        "git": git_state(),
        "shipped_model": {"path": str(model_path), **shipped_info},
        "timings_seconds": {k: round(v, 2) for k, v in timings.items()},
        **parts,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_name(f".{args.output.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(_jsonable(result), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, args.output)
    log(f"done in {timings['total']:.0f} s; figures written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

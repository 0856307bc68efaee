"""The shift check, the rates under shift, rates from the batch and the 'cannot tell' verdict."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from benchmarks.shift_worlds import shifted_world
from detector.calibrate import batch_false_positive_rate
from detector.cli import app
from detector.report import CANNOT_TELL
from detector.shift import ShiftTally, rate_profile, shift_figures
from detector.synth import generate_world

from .conftest import validated


def _flags(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    """Flagged with a chance that grows with the feature: 5% at 0, 35% at 1 (20% on average)."""
    return rng.random(len(x)) < 0.05 + 0.3 * x[:, 0]


def _reference(rng: np.random.Generator, n: int = 40_000) -> tuple[np.ndarray, np.ndarray]:
    """One feature, uniform on [0, 1), flagged by :func:`_flags`."""
    x = rng.random((n, 1))
    return x, _flags(rng, x)


def test_a_sample_of_the_reference_shows_no_shift_and_keeps_its_rate():
    rng = np.random.default_rng(0)
    x, flags = _reference(rng)
    profile = rate_profile(x, flags)
    sample = rng.random((2_000, 1))
    figures = shift_figures(
        sample, _flags(rng, sample), np.zeros(2_000, np.int64), 1, profile, 0.2, 0.9
    )
    assert figures.shift[0] < 0.03
    assert abs(figures.fpr_low[0] - 0.2) < 0.02 and abs(figures.fpr_high[0] - 0.2) < 0.02


def test_the_rate_is_reweighted_to_the_shift_it_sees():
    """Authentic likes concentrated on [0.5, 1): 27.5% of them are flagged, not 20%; the
    reweighted rate finds it from the unflagged ones alone."""
    rng = np.random.default_rng(1)
    x, flags = _reference(rng)
    profile = rate_profile(x, flags)
    shifted = 0.5 + 0.5 * rng.random((5_000, 1))
    figures = shift_figures(
        shifted, _flags(rng, shifted), np.zeros(5_000, np.int64), 1, profile, 0.2, 0.9
    )
    assert figures.shift[0] > 0.4
    assert figures.fpr_high[0] == pytest.approx(0.275, abs=0.02)
    assert figures.tpr_low[0] <= 0.9 - figures.shift[0] + 1e-9  # unseen fakes may drop as far


def test_each_creators_figures_are_its_own():
    rng = np.random.default_rng(2)
    x, flags = _reference(rng)
    profile = rate_profile(x, flags)
    alike, moved = rng.random((500, 1)), 0.5 + 0.5 * rng.random((500, 1))
    values = np.vstack([alike, moved])
    group = np.r_[np.zeros(500, np.int64), np.ones(500, np.int64)]
    flags = _flags(rng, values)
    both = shift_figures(values, flags, group, 2, profile, 0.2, 0.9)
    alone = shift_figures(alike, flags[:500], np.zeros(500, np.int64), 1, profile, 0.2, 0.9)
    assert both.shift[0] == pytest.approx(alone.shift[0])
    assert both.shift[1] > both.shift[0] + 0.3


def test_tallies_of_partitions_add_up_to_the_whole_runs():
    rng = np.random.default_rng(3)
    x, flags = _reference(rng)
    profile = rate_profile(x, flags)
    values = 0.3 + 0.7 * rng.random((3_000, 1))
    flagged = _flags(rng, values)
    whole = ShiftTally.of(values, flagged, profile, ["x"]).facts()
    parts = [
        ShiftTally.of(values[rows], flagged[rows], profile, ["x"])
        for rows in np.array_split(np.arange(3_000), 3)
    ]
    assert ShiftTally.combined(parts).facts() == whole
    assert whole["shift"] > 0.2


def test_the_batch_floor_only_ever_raises_the_rate():
    likes = np.full(40, 100)
    tame = np.r_[np.full(20, 0.01), np.linspace(0.1, 0.6, 20)]
    assert batch_false_positive_rate(likes, tame, 0.05)[0] == 0.05
    harsh = np.r_[np.full(20, 0.15), np.linspace(0.3, 0.8, 20)]
    used, facts = batch_false_positive_rate(likes, harsh, 0.05)
    assert used == pytest.approx(0.15) and facts["batch_floor"] == pytest.approx(0.15)
    few = batch_false_positive_rate(likes[:5], harsh[:5], 0.05)
    assert few[0] == 0.05 and "note" in few[1]


@pytest.fixture(scope="module")
def less_active() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A held-out world whose genuine likers post less, lurk more and follow fewer: authentic
    likes the shipped model flags far more often than its reference's, times cut to the day."""
    likes, creators = shifted_world("less active", 80, 7)
    for column in ("liked_at", "post_published_at"):
        likes[column] = likes[column].dt.floor("D")
    return validated(likes), creators


def _clean_inflated(report, creators: pd.DataFrame) -> float:
    joined = creators.merge(report.creators, on="creator_id", suffixes=("_true", ""))
    clean = joined["inauthentic_share_true"] == 0
    return float((joined.loc[clean, "verdict"] == "inflated").mean())


def test_a_shifted_world_is_told_and_rates_from_the_batch_spare_honest_creators(
    shipped_model, less_active
):
    likes, creators = less_active
    default = generate_world(40, 7)[0]
    usual = shipped_model.report(validated(default))
    by_reference = shipped_model.report(likes)
    by_batch = shipped_model.report(likes, rates="batch")
    assert by_reference.meta["shift"]["shift"] > usual.meta["shift"]["shift"] + 0.15
    rates = by_batch.meta["rates"]
    assert rates["false_positive_rate"] > rates["reference_false_positive_rate"]
    # held-out quality floors: the reference's rates call 7 of the 40 honest creators inflated
    # here (seed 7); the batch's floor, 3, of which two have 31 and 151 likes
    assert _clean_inflated(by_batch, creators) <= 0.10
    assert _clean_inflated(by_batch, creators) <= _clean_inflated(by_reference, creators) / 2


def test_cannot_tell_says_why(shipped_model, less_active):
    report = shipped_model.report(less_active[0])
    unsure = report.creators[report.creators["verdict"] == CANNOT_TELL]
    assert len(unsure)
    for reasons, high in zip(unsure["reasons"], unsure["inauthentic_share_high"], strict=True):
        assert reasons[0].startswith("cannot tell: ")
        assert high >= 0.25


def test_the_command_line_warns_of_a_shift_and_names_the_next_step(tmp_path, less_active):
    path = tmp_path / "likes.csv"
    less_active[0].drop(columns=["is_fake", "tier"]).to_csv(path, index=False)
    result = CliRunner().invoke(app, ["score", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    warning = [
        line for line in result.stderr.splitlines() if "far from the model's reference" in line
    ]
    assert len(warning) == 1 and "detector adapt" in warning[0]
    refused = CliRunner().invoke(
        app, ["score", str(path), "--rates", "batch", "--engine", "chunked"]
    )
    assert refused.exit_code != 0 and "--engine memory" in refused.output

"""Retraining on labelled data and evaluating a model, at like and creator level.

Training holds out a share of *creators* (never rows of the same creator on both sides), fits
the reference on the authentic likes of the rest, chooses the threshold on labelled rows (see
:mod:`detector.calibrate`), and measures ROC AUC, PR AUC, precision and recall on the held-out
creators. Those figures are stored in the model's sidecar.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from detector.calibrate import detection_metrics
from detector.errors import NotEnoughDataError, SchemaError
from detector.estimator import AuthenticityModel, _validated, labels_from
from detector.features import build_like_features


def split_creators(
    creators: np.ndarray, holdout: float, random_state: int | None, labels: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks (train, test) over likes, splitting whole creators.

    With labels, creators with and without fake likes are split separately (stratified), so
    both sides hold both kinds whenever there are at least two of each.
    """
    frame = pd.DataFrame({"creator": creators, "fake": 0 if labels is None else labels})
    has_fake = frame.groupby("creator", sort=False)["fake"].max()
    if len(has_fake) < 2:
        raise NotEnoughDataError(
            f"{len(has_fake)} creator(s): a held-out split needs at least 2 creators "
            f"(use holdout=0 to skip evaluation)"
        )
    rng = np.random.default_rng(random_state)
    test_creators: list[object] = []
    for _, stratum in has_fake.groupby(has_fake):
        n_test = int(round(holdout * len(stratum)))
        if len(stratum) >= 2:
            n_test = min(max(n_test, 1), len(stratum) - 1)
        test_creators.extend(rng.choice(stratum.index.to_numpy(), n_test, replace=False))
    test = np.isin(creators, np.asarray(test_creators, dtype=object))
    return ~test, test


def train(
    likes: pd.DataFrame,
    label_column: str | None = "is_fake",
    *,
    holdout: float = 0.25,
    params: dict[str, Any] | None = None,
    random_state: int = 0,
) -> tuple[AuthenticityModel, dict[str, Any]]:
    """Fit a model on validated likes; return it with held-out metrics.

    With ``label_column`` present the model is fitted on the authentic rows of the training
    creators and calibrated with the labels; otherwise it is trained unsupervised on all rows
    and the metrics are empty. Labels may be partial (NaN = unknown): unknown rows join the
    reference, labelled fakes train the supervised head.
    """
    model = AuthenticityModel(random_state=random_state, **(params or {}))
    features = build_like_features(likes).values
    labelled = label_column is not None and label_column in likes.columns
    if not labelled:
        model.fit_features(features, groups=likes["creator_id"].to_numpy())
        return model, {"supervised": False}
    y = labels_from(likes[label_column], len(likes))
    if not (y == 1).any() or (y == 1).all():
        raise NotEnoughDataError(
            f"column '{label_column}' holds {'only fake' if (y == 1).all() else 'no fake'} "
            f"labels; training needs both classes"
        )
    metrics: dict[str, Any] = {"supervised": True}
    if holdout > 0:
        train_mask, test_mask = split_creators(
            likes["creator_id"].to_numpy(), holdout, random_state, y
        )
        model.fit_features(
            features[train_mask], y[train_mask], likes["creator_id"].to_numpy()[train_mask]
        )
        held_out = likes[test_mask & (y >= 0)].reset_index(drop=True)
        metrics["holdout"] = evaluate(model, held_out, label_column)
    else:
        model.fit_features(features, y, likes["creator_id"].to_numpy())
    return model, metrics


def adapt(
    model: AuthenticityModel,
    clean_likes: pd.DataFrame,
    *,
    random_state: int | None = None,
) -> tuple[AuthenticityModel, dict[str, Any]]:
    """A model for another platform, from likes of creators known to be clean; no fake label.

    The new model has ``model``'s parameters. Its reference, threshold and false-positive rate
    come from ``clean_likes`` (every like taken as authentic; whole creators are held out for
    the rates), and its supervised head learns ``model``'s stored sample of fake likes
    (``fake_sample_``, the simulated farms it was trained on) against them: what normal looks
    like where it is used, and what fakes look like from the simulator. Features that the clean
    likes or the fake sample lack are left out. The true-positive rate is measured on the
    held-out simulated fakes, so it is the simulator's, not the platform's. ``clean_likes`` is
    a likes DataFrame following the data contract (validated here if it was not).
    """
    fakes = model.__dict__.get("fake_sample_")
    if fakes is None or not len(fakes):
        raise NotEnoughDataError(
            "the model holds no sample of fake likes to adapt from (train it with labels first)"
        )
    clean_likes = _validated(clean_likes)
    features = build_like_features(clean_likes).values
    names = [c for c in features.columns if c in fakes.columns]
    fake_groups = model.__dict__.get("fake_groups_")
    fake_creators = np.arange(len(fakes)) if fake_groups is None else np.asarray(fake_groups)
    groups = np.r_[
        clean_likes["creator_id"].astype(str).to_numpy(dtype=object),
        np.char.add("simulated fakes ", fake_creators.astype(str)).astype(object),
    ]
    params = model.get_params()
    if random_state is not None:
        params["random_state"] = random_state
    adapted = AuthenticityModel(**params)
    adapted.fit_features(
        pd.concat([features[names], fakes[names]], ignore_index=True),
        np.r_[np.zeros(len(features)), np.ones(len(fakes))],
        groups,
    )
    metrics = {
        "supervised": True,
        "adapted": True,
        "clean_likes": int(len(features)),
        "clean_creators": int(clean_likes["creator_id"].nunique()),
        "simulated_fake_likes": int(len(fakes)),
        "features": names,
    }
    return adapted, metrics


def evaluate(
    model: AuthenticityModel,
    likes: pd.DataFrame,
    label_column: str | None = "is_fake",
    creators: pd.DataFrame | None = None,
    scope: str | None = None,
) -> dict[str, Any]:
    """Like-level and creator-level metrics of ``model`` on validated likes.

    Creator truth comes from ``creators`` (``creator_id``, ``inauthentic_share``) when given,
    else from the like labels. A creator counts as inflated when its true share is above 0.
    """
    likes = likes.reset_index(drop=True)
    likes.attrs["detector_validated"] = True
    report = model.report(likes, include_likes=True, scope=scope)
    scored = report.likes
    out: dict[str, Any] = {"likes": int(len(likes)), "creators": int(len(report.creators))}
    if label_column is not None and label_column in likes.columns:
        y = likes[label_column].to_numpy().astype(int)
        out["like_level"] = detection_metrics(
            y, scored["score"].to_numpy(), scored["flagged"].to_numpy()
        )
        truth = likes.groupby("creator_id", sort=False)[label_column].mean()
    else:
        truth = None
    if creators is not None:
        missing = [c for c in ("creator_id", "inauthentic_share") if c not in creators.columns]
        if missing:
            raise SchemaError(f"creators table: missing required column(s) {missing}")
        truth = (
            creators.assign(creator_id=creators["creator_id"].astype(str))
            .set_index("creator_id")["inauthentic_share"]
            .astype(float)
        )
    if truth is not None:
        out["creator_level"] = creator_metrics(report.creators, truth)
    return out


def creator_metrics(report: pd.DataFrame, truth: pd.Series) -> dict[str, float]:
    """ROC AUC and PR AUC of inflated vs clean, share error and interval coverage."""
    joined = report.set_index("creator_id").join(truth.rename("true_share"), how="inner")
    if joined.empty:
        raise SchemaError("creators table: no creator_id in common with the likes")
    inflated = (joined["true_share"] > 0).to_numpy().astype(int)
    ranking = joined["suspicion_index"].to_numpy()
    out: dict[str, float] = {
        "creators": int(len(joined)),
        "inflated": int(inflated.sum()),
        "share_mae": float(np.mean(np.abs(joined["inauthentic_share"] - joined["true_share"]))),
        "interval_coverage": float(
            np.mean(
                (joined["inauthentic_share_low"] <= joined["true_share"] + 1e-9)
                & (joined["true_share"] <= joined["inauthentic_share_high"] + 1e-9)
            )
        ),
        "clean_flagged_rate": float(
            np.mean(joined.loc[inflated == 0, "verdict"] != "authentic")
            if (inflated == 0).any()
            else 0.0
        ),
    }
    if 0 < inflated.sum() < len(inflated):
        out["roc_auc"] = float(roc_auc_score(inflated, ranking))
        out["pr_auc"] = float(average_precision_score(inflated, ranking))
    return out

"""The authenticity model: like features + isolation forest fitted on a trusted reference.

:class:`AuthenticityModel` is what ``models/`` ships and what the API and CLI use. It learns what
authentic engagement looks like from reference likes (the rows labelled genuine, or all rows when
no labels are given) and never from the batch it scores. It keeps a sample of its reference
feature vectors (and of labelled fake ones), so data that lacks an optional column is scored by a
forest refitted on the features present, cached by feature set.

Score orientation: a like's ``score`` is the negated isolation-forest score (**higher = more
suspicious**, see :mod:`detector.forest`); ``suspicion`` is its percentile among held-out
reference likes (0-1), comparable across feature sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, _fit_context
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from detector.calibrate import between_group_spread, clustered_size, youden_threshold
from detector.compiled import above, model_input, rank_below, score_matrix
from detector.errors import NotEnoughDataError
from detector.features import FEATURES, SCOPES, LikeFeatureSet, build_like_features
from detector.forest import LikeScorer
from detector.reasons import reference_shares
from detector.schema import parse_labels, validate_likes

if TYPE_CHECKING:
    from detector.report import CreatorReport

MIN_REFERENCE_ROWS = 50
MIN_KNOWN_CALIBRATION = 200
"""Held-out likes known to be authentic from which a partly labelled model measures its rates
on them alone (fewer: on every held-out reference like, unlabelled ones included)."""


@dataclass
class FittedFeatureSet:
    """The scorers fitted on one feature subset, with their calibration.

    ``score`` is the forest's suspicion alone (unsupervised) or, with a supervised head, the blend
    ``w * P(fake) + (1 - w) * forest percentile``; higher is more suspicious either way.
    """

    features: tuple[str, ...]
    forest: LikeScorer
    forest_calibration: np.ndarray
    head: HistGradientBoostingClassifier | None
    supervised_weight: float
    calibration_scores: np.ndarray
    threshold: float
    fpr: float
    tpr: float
    calibrator: IsotonicRegression | None = None
    fpr_size: float = np.inf
    tpr_size: float = np.inf
    fpr_spread: float = 0.0
    tpr_spread: float = 0.0

    def probability(self, scores: np.ndarray) -> np.ndarray:
        """P(fake | score) at even odds (isotonic fit on held-out labelled likes, classes
        weighted equally); NaN for a model trained without labels."""
        if self.calibrator is None:
            return np.full(len(scores), np.nan)
        return self.calibrator.predict(scores)

    def score(self, matrix: np.ndarray) -> np.ndarray:
        """Suspicion scores of a filled feature matrix (columns in ``features`` order)."""
        forest = self.forest.score_samples(matrix)
        if self.head is None:
            return forest
        percentile = rank_below(self.forest_calibration, forest) / len(self.forest_calibration)
        with threadpool_limits(1, user_api="openmp"):
            probability = self.head.predict_proba(matrix)[:, 1]
        return self.supervised_weight * probability + (1 - self.supervised_weight) * percentile


class AuthenticityModel(BaseEstimator):
    """Scores like events against a reference population of authentic likes.

    Parameters
    ----------
    n_estimators : int, default=50
        Trees in each isolation forest. 50 and 100 trees gave about the same creator ROC AUC
        on simulated and real-pool creators (within 0.02, BENCHMARKS.md); each tree costs about
        12 nanoseconds of CPU per like scored.
    max_samples : int, default=256
        Rows drawn to grow each tree.
    reference_size : int, default=20000
        Reference (authentic) like vectors kept in the model; also the fake sample's cap / 4.
    calibration_share : float, default=0.3
        Share of the reference held out from the forest to calibrate thresholds and rates.
    flag_quantile : float, default=0.99
        Without labels, likes scoring above this quantile of held-out reference likes are flagged.
    head_iterations : int, default=100
        Boosting iterations of the supervised head (early stopping may use fewer); with the
        forest's trees, what each like costs to score.
    head_max_depth : int or None, default=None
        Depth limit of the head's trees (None: only its 31-leaf limit). Scoring walks every
        tree to its deepest leaf, so this bounds what each like costs.
    supervised_weight : float, default=0.7
        With labels, weight of the supervised head (gradient boosting over the same features) in
        the blended score; the forest's percentile gets the rest. 0 keeps the forest alone.
    one_sided : bool, default=True
        Cap each feature whose suspicious side is known (the catalogue's ``suspicious``: few
        followers, few posts, a young account, following many...) at the reference median on
        its innocent side, for the forest and the head alike. An isolation forest isolates both
        tails; uncapped, real users far more active than the reference (say, a platform where
        people post daily) are isolated for being active. Capped, only deviations towards the
        suspicious side count. False scores every feature two-sided.
    scope : {"creator", "batch"}, default="creator"
        Which features score a table. "creator" uses each creator's own likes only, so a
        creator's result does not depend on what else is in the table (the default: it is also
        the more robust choice on data unlike the training data, see BENCHMARKS.md). "batch" also
        uses each liker's footprint across all the creators in the table (coordination between
        creators). The model is fitted for both; this only chooses at scoring time.
    label_column : str, default="is_fake"
        Name of the label column used by :meth:`fit` when ``y`` is not given.
    random_state : int or None, default=0
        Seed for sampling and trees; the same seed gives the same model.

    Examples
    --------
    >>> from detector import AuthenticityModel, generate_world
    >>> likes, creators = generate_world(n_creators=12, seed=1)
    >>> model = AuthenticityModel(n_estimators=50).fit(likes, likes["is_fake"])
    >>> report = model.report(likes)
    >>> sorted(report.creators.columns)[:3]
    ['authentic_likes', 'authenticity', 'creator_id']
    """

    _parameter_constraints: dict = {
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "max_samples": [Interval(Integral, 2, None, closed="left")],
        "reference_size": [Interval(Integral, MIN_REFERENCE_ROWS, None, closed="left")],
        "calibration_share": [Interval(Real, 0, 1, closed="neither")],
        "flag_quantile": [Interval(Real, 0, 1, closed="neither")],
        "label_column": [str],
        "random_state": ["random_state"],
        "threshold_rule": [StrOptions({"youden"})],
        "supervised_weight": [Interval(Real, 0, 1, closed="both")],
        "head_iterations": [Interval(Integral, 1, None, closed="left")],
        "head_max_depth": [Interval(Integral, 1, None, closed="left"), None],
        "scope": [StrOptions(set(SCOPES))],
        "one_sided": ["boolean"],
    }

    def __init__(
        self,
        *,
        n_estimators: int = 50,
        max_samples: int = 256,
        reference_size: int = 20_000,
        calibration_share: float = 0.3,
        flag_quantile: float = 0.99,
        threshold_rule: str = "youden",
        supervised_weight: float = 0.7,
        head_iterations: int = 100,
        head_max_depth: int | None = None,
        one_sided: bool = True,
        scope: str = "creator",
        label_column: str = "is_fake",
        random_state: int | None = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.reference_size = reference_size
        self.calibration_share = calibration_share
        self.flag_quantile = flag_quantile
        self.threshold_rule = threshold_rule
        self.supervised_weight = supervised_weight
        self.head_iterations = head_iterations
        self.head_max_depth = head_max_depth
        self.one_sided = one_sided
        self.scope = scope
        self.label_column = label_column
        self.random_state = random_state

    # ----------------------------------------------------------------------------- fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: pd.DataFrame, y: object = None) -> AuthenticityModel:
        """Learn the reference from likes; ``y`` (1 = fake) selects the authentic rows.

        Without ``y`` and without a label column, every row is taken as authentic reference
        (unsupervised training: only sound when the data is mostly authentic).
        """
        likes = _validated(X)
        if y is None and self.label_column in likes.columns:
            y = parse_labels(
                likes[self.label_column], "likes", self.label_column, allow_missing=True
            )
        built = build_like_features(likes)
        labels = None if y is None else labels_from(y, len(likes))
        return self.fit_features(built.values, labels, groups=likes["creator_id"].to_numpy())

    def fit_features(
        self,
        features: pd.DataFrame,
        y: np.ndarray | None = None,
        groups: np.ndarray | None = None,
    ) -> AuthenticityModel:
        """Fit from a like feature table (see :func:`detector.features.build_like_features`).

        ``y`` holds 1 (fake), 0 (authentic) or -1/NaN (unknown). The reference is every row not
        known to be fake; with some fakes labelled, the supervised head learns them against it
        (so a few labels already help, see the benchmark). When only some rows are labelled,
        the rows known to be authentic are preferred in the reference sample, and the false-
        positive rate, threshold and suspicion percentiles are measured on them alone (from
        :data:`MIN_KNOWN_CALIBRATION` held-out ones), since unknown rows hold unlabelled fakes.

        ``groups`` (the creator of each row) makes the calibration hold-out a set of whole
        creators, so the false- and true-positive rates are measured on creators the scorers
        never saw; without it, rows are held out at random.
        """
        for stale in ("threshold_quantile_", "_cache"):
            self.__dict__.pop(stale, None)
        rng = np.random.default_rng(self.random_state)
        labels = labels_from(y, len(features))
        genuine_rows = np.flatnonzero(labels != 1)
        if len(genuine_rows) < MIN_REFERENCE_ROWS:
            raise NotEnoughDataError(
                f"only {len(genuine_rows)} authentic likes to learn from "
                f"(at least {MIN_REFERENCE_ROWS} needed)"
            )
        self.supervised_ = bool(np.any(labels == 1))
        held_out = _calibration_rows((labels == 1).astype(int), groups, self.calibration_share, rng)
        group_codes = None if groups is None else pd.factorize(np.asarray(groups))[0]
        known_rows, unknown_rows = np.flatnonzero(labels == 0), np.flatnonzero(labels == -1)
        if self.supervised_ and len(known_rows) and len(unknown_rows):  # partly labelled
            known_rows = _sample_rows(known_rows, self.reference_size, rng)
            fill = _sample_rows(unknown_rows, self.reference_size - len(known_rows), rng)
            reference_rows = np.sort(np.r_[known_rows, fill])
        else:
            reference_rows = _sample_rows(genuine_rows, self.reference_size, rng)
        self.reference_known_ = labels[reference_rows] == 0
        self.reference_ = features.iloc[reference_rows].reset_index(drop=True)
        self.reference_is_calibration_ = held_out[reference_rows]
        self.reference_groups_ = None if group_codes is None else group_codes[reference_rows]
        self.fake_groups_ = None
        if self.supervised_:
            fake_rows = _sample_rows(np.flatnonzero(labels == 1), self.reference_size // 2, rng)
            self.fake_sample_ = features.iloc[fake_rows].reset_index(drop=True)
            self.fake_is_calibration_ = held_out[fake_rows]
            self.fake_groups_ = None if group_codes is None else group_codes[fake_rows]
        else:
            self.fake_sample_ = None
            self.fake_is_calibration_ = None
        self.medians_ = self.reference_.median().to_dict()
        self.floors_, self.ceilings_ = innocent_caps(self.medians_, self.one_sided)
        self.feature_names_in_ = np.asarray(features.columns, dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        self.reference_conditions_ = reference_shares(self.reference_)
        self._cache: dict[tuple[str, ...], FittedFeatureSet] = {}
        full = self.feature_set(tuple(features.columns))
        self.threshold_quantile_ = float(np.mean(full.calibration_scores <= full.threshold))
        own = tuple(n for n in features.columns if FEATURES[n].scope == "creator")
        if own != tuple(features.columns):
            self.feature_set(own)  # fitted now so that saved models carry it
        self.rate_spreads_ = {
            names: self._measure_spreads(features, labels, held_out, group_codes, names)
            for names in self._cache
        }
        for names, fitted in self._cache.items():
            fitted.fpr_spread, fitted.tpr_spread = self.rate_spreads_[names]
        return self

    def _measure_spreads(
        self,
        features: pd.DataFrame,
        labels: np.ndarray,
        held_out: np.ndarray,
        groups: np.ndarray | None,
        names: tuple[str, ...],
    ) -> tuple[float, float]:
        """How much the false- and true-positive rates vary between held-out creators.

        Measured on every held-out like (not only the sampled reference), since the spread
        between creators needs many likes per creator to show above sampling noise.
        """
        if groups is None:
            return 0.0, 0.0
        fitted = self._cache[names]
        spreads = []
        authentic = labels == 0 if self._known_calibration() is not None else labels != 1
        for rows in (held_out & authentic, held_out & (labels == 1)):
            if not rows.any():
                spreads.append(0.0)
                continue
            picked = features.iloc[np.flatnonzero(rows)][list(names)]
            matrix = model_input(picked, self.medians_, *self._caps())
            flags = above(fitted.score(matrix), fitted.threshold)
            spreads.append(between_group_spread(flags, groups[rows]))
        return spreads[0], spreads[1] if self.supervised_ else 0.0

    def feature_set(self, names: tuple[str, ...]) -> FittedFeatureSet:
        """The forest for a feature subset, fitted on the reference and cached."""
        check_is_fitted(self, "reference_")
        cache = self.__dict__.setdefault("_cache", {})
        if names in cache:
            return cache[names]
        unknown = [n for n in names if n not in self.reference_.columns]
        if unknown:
            raise NotEnoughDataError(f"the model's reference has no feature(s) {unknown}")
        caps = (self.medians_, *self._caps())
        reference = model_input(self.reference_[list(names)], *caps)
        cal = self.reference_is_calibration_
        forest = LikeScorer(
            n_estimators=self.n_estimators,
            max_samples=self.max_samples,
            random_state=self.random_state,
        ).fit(reference[~cal])
        forest_calibration = np.sort(forest.score_samples(reference[cal]))
        head = None
        fakes = None
        if self.fake_sample_ is not None and len(self.fake_sample_):
            fakes = model_input(self.fake_sample_[list(names)], *caps)
            fake_cal = self.fake_is_calibration_
            if self.supervised_weight > 0:
                head = HistGradientBoostingClassifier(
                    max_iter=self.head_iterations,
                    # absent from models saved before the option existed: no limit
                    max_depth=self.__dict__.get("head_max_depth"),
                    learning_rate=0.1,
                    class_weight="balanced",
                    random_state=self.random_state,
                )
                # OpenMP threads cost far more than they save on samples this small
                with threadpool_limits(1, user_api="openmp"):
                    head.fit(
                        np.vstack([reference[~cal], fakes[~fake_cal]]),
                        np.r_[np.zeros((~cal).sum()), np.ones((~fake_cal).sum())],
                    )
            fakes = fakes[fake_cal]
        fitted = FittedFeatureSet(
            names,
            forest,
            forest_calibration,
            head,
            self.supervised_weight,
            np.empty(0),
            0.0,
            0.0,
            1.0,
        )
        rates = self._known_calibration()  # rows the false-positive rate is measured on
        rates = cal if rates is None else rates
        unsorted = fitted.score(reference[rates])
        calibration = np.sort(unsorted)
        fake_scores = fitted.score(fakes) if fakes is not None and len(fakes) else None
        if fake_scores is not None:
            scores = np.r_[calibration, fake_scores]
            labels = np.r_[np.zeros(len(calibration)), np.ones(len(fake_scores))]
            threshold = youden_threshold(scores, labels)
        else:
            quantile = self.__dict__.get("threshold_quantile_", self.flag_quantile)
            threshold = float(np.quantile(calibration, quantile))
        fitted.calibration_scores = calibration
        fitted.threshold = threshold
        fitted.fpr = float(np.mean(above(calibration, threshold)))
        fitted.tpr = (
            float(np.mean(above(fake_scores, threshold))) if fake_scores is not None else 1.0
        )
        reference_groups = self.__dict__.get("reference_groups_")
        fitted.fpr_size = clustered_size(
            above(unsorted, threshold),
            None if reference_groups is None else reference_groups[rates],
        )
        if fake_scores is not None:
            fake_groups = self.__dict__.get("fake_groups_")
            fitted.tpr_size = clustered_size(
                above(fake_scores, threshold),
                None if fake_groups is None else fake_groups[self.fake_is_calibration_],
            )
        if fake_scores is not None:
            weights = np.r_[
                np.full(len(calibration), 0.5 / len(calibration)),
                np.full(len(fake_scores), 0.5 / len(fake_scores)),
            ]
            fitted.calibrator = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(
                np.r_[calibration, fake_scores],
                np.r_[np.zeros(len(calibration)), np.ones(len(fake_scores))],
                sample_weight=weights,
            )
        fitted.fpr_spread, fitted.tpr_spread = self._spreads_for(names, fitted.fpr)
        cache[names] = fitted
        return fitted

    def _spreads_for(self, names: tuple[str, ...], fpr: float) -> tuple[float, float]:
        """Measured spreads of a set fitted at training time; for a set fitted later (a column
        missing at scoring), the full set's, with the fpr spread scaled to this set's fpr."""
        spreads = self.__dict__.get("rate_spreads_", {})
        if names in spreads:
            return spreads[names]
        full = tuple(self.feature_names_in_)
        if full not in spreads or full not in self.__dict__.get("_cache", {}):
            return 0.0, 0.0
        fpr_spread, tpr_spread = spreads[full]
        full_fpr = self._cache[full].fpr
        return (fpr_spread * fpr / full_fpr if full_fpr > 0 else fpr_spread), tpr_spread

    def _known_calibration(self) -> np.ndarray | None:
        """Held-out reference rows known to be authentic, when the reference also holds unknown
        rows and there are enough of them to measure rates; else None (use every held-out row)."""
        known = self.__dict__.get("reference_known_")
        if known is None or known.all():
            return None
        rows = self.reference_is_calibration_ & known
        return rows if rows.sum() >= MIN_KNOWN_CALIBRATION else None

    def _caps(self) -> tuple[dict[str, float], dict[str, float]]:
        # models saved before one-sided caps existed have neither attribute: no caps
        return self.__dict__.get("floors_", {}), self.__dict__.get("ceilings_", {})

    # ----------------------------------------------------------------------------- scoring
    def features(self, X: pd.DataFrame, scope: str | None = None) -> LikeFeatureSet:
        """Like features of validated or raw likes for ``scope`` (default: the model's)."""
        return build_like_features(_validated(X), scope or self.scope)

    def score_features(self, features: pd.DataFrame, flags_only: bool = False) -> pd.DataFrame:
        """Score like feature rows: ``score``, ``suspicion`` (0-1), ``probability`` and
        ``flagged`` per row (``flags_only``: ``flagged`` alone, the same flags, as a creator
        report needs them)."""
        check_is_fitted(self, "reference_")
        names = tuple(c for c in self.feature_names_in_ if c in features.columns)
        if not names:
            raise NotEnoughDataError("no feature in common with the model's reference")
        fitted = self.feature_set(names)
        matrix = features[list(names)]
        return score_matrix(fitted, matrix, self.medians_, *self._caps(), flags_only=flags_only)

    def score_samples(self, X: pd.DataFrame, scope: str | None = None) -> np.ndarray:
        """Suspicion score per like (higher = more suspicious)."""
        return self.score_features(self.features(X, scope).values)["score"].to_numpy()

    def predict(self, X: pd.DataFrame, scope: str | None = None) -> np.ndarray:
        """1 for likes flagged as inauthentic, 0 otherwise."""
        return self.score_features(self.features(X, scope).values)["flagged"].to_numpy().astype(int)

    def score_likes(self, X: pd.DataFrame, scope: str | None = None) -> pd.DataFrame:
        """Per-like output joined to the input keys: ids, time, score, suspicion, flagged."""
        likes = _validated(X)
        scored = self.score_features(build_like_features(likes, scope or self.scope).values)
        keys = likes[["creator_id", "post_id", "liker_id", "liked_at"]]
        out = pd.concat([keys, scored], axis=1)
        out.attrs.update(scored.attrs)
        return out

    def report(
        self, X: pd.DataFrame, include_likes: bool = False, scope: str | None = None
    ) -> CreatorReport:
        """Creator report for raw or validated likes (see :mod:`detector.report`); a large
        table is scored in slices of whole creators on threads, with the same result
        (:func:`detector.engines.sliced.report_likes`)."""
        from detector.engines.sliced import report_likes

        return report_likes(self, _validated(X), include_likes, scope or self.scope)


def innocent_caps(
    medians: dict[str, float], one_sided: bool = True
) -> tuple[dict[str, float], dict[str, float]]:
    """Floors and ceilings at the reference median for the one-sided features.

    A feature suspicious when high gets its median as a floor; one suspicious when low gets it
    as a ceiling. The catalogue keeps binary features two-sided (their median is one of their
    two values, so a cap could erase them); a median that is not finite gives no cap.
    """
    floors: dict[str, float] = {}
    ceilings: dict[str, float] = {}
    if not one_sided:
        return floors, ceilings
    for name, median in medians.items():
        side = FEATURES[name].suspicious if name in FEATURES else "both"
        if not np.isfinite(median):
            continue
        if side == "high":
            floors[name] = float(median)
        elif side == "low":
            ceilings[name] = float(median)
    return floors, ceilings


def _validated(X: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame of likes, got {type(X).__name__}")
    if X.attrs.get("detector_validated"):
        return X
    out = validate_likes(X, "DataFrame")
    out.attrs["detector_validated"] = True
    return out


def labels_from(y: object, n: int) -> np.ndarray:
    """1 fake, 0 authentic, -1 unknown (NaN or -1 in ``y``); all unknown without ``y``."""
    if y is None:
        return np.full(n, -1, dtype=int)
    values = pd.to_numeric(pd.Series(np.asarray(y, dtype=object)), errors="coerce").to_numpy()
    out = np.where(np.isnan(values.astype(float)), -1, values).astype(int)
    bad = ~np.isin(out, (-1, 0, 1))
    if bad.any():
        raise ValueError(f"labels must be 0, 1 or missing; got {values[bad][0]!r}")
    return out


def _calibration_rows(
    labels: np.ndarray, groups: np.ndarray | None, share: float, rng: np.random.Generator
) -> np.ndarray:
    """Rows held out for calibration: whole groups (stratified by having fakes) when possible."""
    n = len(labels)
    if groups is not None:
        frame = pd.DataFrame({"group": groups, "fake": labels})
        has_fake = frame.groupby("group", sort=False)["fake"].max()
        chosen: list[object] = []
        for _, stratum in has_fake.groupby(has_fake):
            k = int(round(share * len(stratum)))
            if len(stratum) >= 2:
                k = min(max(k, 1), len(stratum) - 1)
                chosen.extend(rng.choice(stratum.index.to_numpy(), k, replace=False))
        mask = np.isin(groups, np.asarray(chosen, dtype=object))
        if all(mask[labels == c].any() and (~mask[labels == c]).any() for c in np.unique(labels)):
            return mask
    mask = np.zeros(n, dtype=bool)
    mask[rng.choice(n, min(max(int(round(share * n)), 1), n - 1), replace=False)] = True
    return mask


def _sample_rows(rows: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    if len(rows) <= size:
        return rows
    return np.sort(rng.choice(rows, size, replace=False))

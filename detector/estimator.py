"""The authenticity model: like features + isolation forest fitted on a trusted reference.

:class:`AuthenticityModel` is what ``models/`` ships and what the API and CLI use. It learns what
authentic engagement looks like from reference likes (the rows labelled genuine, or all rows when
no labels are given) and never from the batch it scores. It keeps a sample of its reference
feature vectors (and of labelled fake ones, :class:`~detector.model.feature_sets.TrainingSample`)
and fits, in :meth:`~AuthenticityModel.fit`, the scorers of every column profile real sources
give; data with another profile is scored by scorers fitted from that sample.

Score orientation: a like's ``score`` is the negated isolation-forest score (**higher = more
suspicious**, see :mod:`detector.model.forest`); ``suspicion`` is its percentile among held-out
reference likes (0-1), comparable across feature sets.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from detector.calibrate import between_group_spread
from detector.errors import NotEnoughDataError
from detector.features import FEATURES, SCOPES, LikeFeatureSet, build_like_features
from detector.features.catalogue import available_features, profile_feature_sets
from detector.model.feature_sets import FittedFeatureSet, fit_feature_set
from detector.model.forest import DEFAULT_TREES
from detector.model.formulas import above, model_input, score_matrix
from detector.model.sample import FitSettings, TrainingSample
from detector.reasons import reference_shares
from detector.schema import like_key, parse_labels, validate_likes
from detector.scoring.pipeline import report_likes
from detector.scoring.scorer import Scorer, compiled_scorer

if TYPE_CHECKING:
    from detector.report import CreatorReport

MIN_REFERENCE_ROWS = 50

_DERIVED: weakref.WeakKeyDictionary[AuthenticityModel, dict[tuple[str, ...], FittedFeatureSet]]
_DERIVED = weakref.WeakKeyDictionary()
"""Feature sets fitted after :meth:`AuthenticityModel.fit` (data with a column profile it did
not fit), kept beside each model rather than in its fitted state."""
_DERIVED_LOCK = threading.Lock()


class AuthenticityModel(BaseEstimator):
    """Scores like events against a reference population of authentic likes.

    Parameters
    ----------
    n_estimators : int, default=50
        Trees in each isolation forest (:data:`~detector.model.forest.DEFAULT_TREES`): more
        trees did not rank creators better on simulated and real-pool creators (BENCHMARKS.md),
        and each one adds to what every like costs to score.
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
        "supervised_weight": [Interval(Real, 0, 1, closed="both")],
        "head_iterations": [Interval(Integral, 1, None, closed="left")],
        "head_max_depth": [Interval(Integral, 1, None, closed="left"), None],
        "scope": [StrOptions(set(SCOPES))],
        "one_sided": ["boolean"],
    }

    def __init__(
        self,
        *,
        n_estimators: int = DEFAULT_TREES,
        max_samples: int = 256,
        reference_size: int = 20_000,
        calibration_share: float = 0.3,
        flag_quantile: float = 0.99,
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
        self.threshold_quantile_ = self.flag_quantile  # the full set's, measured below
        self.feature_sets_: dict[tuple[str, ...], FittedFeatureSet] = {}
        self.rate_spreads_: dict[tuple[str, ...], tuple[float, float]] = {}
        full = tuple(features.columns)
        self.feature_sets_[full] = fit_feature_set(self.training_sample(), full)
        fitted = self.feature_sets_[full]
        self.threshold_quantile_ = float(np.mean(fitted.calibration_scores <= fitted.threshold))
        own = tuple(n for n in full if FEATURES[n].scope == "creator")
        for names in (own, *profile_feature_sets(full)):
            if names and names not in self.feature_sets_:
                self.feature_sets_[names] = fit_feature_set(self.training_sample(), names)
        self.rate_spreads_ = {
            names: self._measure_spreads(features, labels, held_out, group_codes, names)
            for names in self.feature_sets_
        }
        for names, fitted in self.feature_sets_.items():
            fitted.fpr_spread, fitted.tpr_spread = self.rate_spreads_[names]
        _DERIVED.pop(self, None)
        return self

    def training_sample(self) -> TrainingSample:
        """The sample every feature set is fitted from (stored in the compiled artifact too)."""
        check_is_fitted(self, "reference_")
        full = tuple(self.feature_names_in_)
        fitted = self.__dict__.get("feature_sets_", {}).get(full)
        return TrainingSample(
            reference=self.reference_,
            reference_is_calibration=self.reference_is_calibration_,
            reference_known=self.reference_known_,
            reference_groups=self.reference_groups_,
            fake=self.fake_sample_,
            fake_is_calibration=self.fake_is_calibration_,
            fake_groups=self.fake_groups_,
            medians=self.medians_,
            floors=self.floors_,
            ceilings=self.ceilings_,
            settings=FitSettings(
                n_estimators=self.n_estimators,
                max_samples=self.max_samples,
                supervised_weight=self.supervised_weight,
                head_iterations=self.head_iterations,
                head_max_depth=self.head_max_depth,
                random_state=self.random_state,
                threshold_quantile=self.threshold_quantile_,
            ),
            rate_spreads=dict(self.__dict__.get("rate_spreads_", {})),
            full_fpr=None if fitted is None else fitted.fpr,
        )

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
        fitted = self.feature_sets_[names]
        spreads = []
        known = self.training_sample().known_calibration()
        authentic = labels == 0 if known is not None else labels != 1
        for rows in (held_out & authentic, held_out & (labels == 1)):
            if not rows.any():
                spreads.append(0.0)
                continue
            picked = features.iloc[np.flatnonzero(rows)][list(names)]
            matrix = model_input(picked, self.medians_, self.floors_, self.ceilings_)
            flags = above(fitted.score(matrix), fitted.threshold)
            spreads.append(between_group_spread(flags, groups[rows]))
        return spreads[0], spreads[1] if self.supervised_ else 0.0

    def feature_set(self, names: tuple[str, ...]) -> FittedFeatureSet:
        """The scorers of a feature subset: fitted in :meth:`fit` for the column profiles of
        :data:`~detector.features.catalogue.COLUMN_PROFILES`; any other subset is fitted from
        the training sample on first use and kept beside the model, not in it (the same
        result each time: fitting is seeded)."""
        check_is_fitted(self, "feature_sets_")
        if names in self.feature_sets_:
            return self.feature_sets_[names]
        with _DERIVED_LOCK:
            derived = _DERIVED.setdefault(self, {})
            if names not in derived:
                derived[names] = fit_feature_set(self.training_sample(), names)
            return derived[names]

    def prepare(self, present: Iterable[str], scope: str) -> None:
        """Fit the feature set that input columns ``present`` give in ``scope`` now, once,
        before threads or worker processes score partitions with it."""
        check_is_fitted(self, "feature_sets_")
        available = set(available_features(list(present), scope))
        wanted = tuple(n for n in self.feature_names_in_ if n in available)
        if wanted:
            try:
                self.feature_set(wanted)
            except NotEnoughDataError:
                pass  # the partitions raise the same error with context

    def fitted_sets(self) -> list[FittedFeatureSet]:
        """Every feature set fitted so far: in :meth:`fit`, then the ones fitted on use."""
        check_is_fitted(self, "feature_sets_")
        return [*self.feature_sets_.values(), *_DERIVED.get(self, {}).values()]

    def compiled(self, threads: int | None = None) -> Scorer:
        """This model's fitted feature sets compiled in memory: the same flags and scores
        (within 1e-9), scored by the tree kernels (:class:`~detector.scoring.scorer.Scorer`)."""
        return compiled_scorer(self, threads)

    # ----------------------------------------------------------------------------- scoring
    def features(self, X: pd.DataFrame, scope: str | None = None) -> LikeFeatureSet:
        """Like features of validated or raw likes for ``scope`` (default: the model's)."""
        return build_like_features(_validated(X), scope or self.scope)

    def score_features(self, features: pd.DataFrame, flags_only: bool = False) -> pd.DataFrame:
        """Score like feature rows: ``score``, ``suspicion`` (0-1), ``probability`` and
        ``flagged`` per row (``flags_only``: ``flagged`` alone, the same flags, as a creator
        report needs them)."""
        check_is_fitted(self, "feature_sets_")
        names = tuple(c for c in self.feature_names_in_ if c in features.columns)
        if not names:
            raise NotEnoughDataError("no feature in common with the model's reference")
        fitted = self.feature_set(names)
        matrix = features[list(names)]
        return score_matrix(
            fitted, matrix, self.medians_, self.floors_, self.ceilings_, flags_only=flags_only
        )

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
        keys = likes[like_key(likes)]
        out = pd.concat([keys, scored], axis=1)
        out.attrs.update(scored.attrs)
        return out

    def report(
        self,
        X: pd.DataFrame,
        include_likes: bool = False,
        scope: str | None = None,
        rates: str = "reference",
    ) -> CreatorReport:
        """Creator report for raw or validated likes (see :mod:`detector.report`), through the
        one pipeline every engine uses (:func:`detector.scoring.pipeline.report_likes`).

        ``rates="batch"`` raises the false-positive rate to the batch's least-flagged creators'
        rate when that is higher (:func:`detector.calibrate.batch_false_positive_rate`): each
        creator's result then depends on the batch.
        """
        return report_likes(self, _validated(X), include_likes, scope or self.scope, rates)


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

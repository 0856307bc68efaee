"""The scoring formulas shared by the fitted and the compiled feature sets.

What the scorers see (:func:`model_input`: the reference median for a missing value, one-sided
caps), how a score is ranked and flagged (:func:`rank_below`, :func:`above`, with a tolerance
so that both paths give the same flags) and the per-like table (:func:`score_matrix`). They
live beside the model they belong to and need numpy and pandas only, so the compiled scorer
uses them without importing scikit-learn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from detector import _jit
from detector._sorted import count_below
from detector._threads import map_row_chunks

if TYPE_CHECKING:
    from detector.model.protocol import FeatureSetScorer

TIE_TOLERANCE = 1e-12
"""Scores closer than this count as equal when ranked or compared with the threshold, so that
scikit-learn's and the compiled traversal's rounding (a few 1e-16, from summing trees in another
order) never moves a like past a calibration score: both paths give identical outputs."""


def rank_below(sorted_values: np.ndarray, values: np.ndarray) -> np.ndarray:
    """How many of ``sorted_values`` lie below each value (ties within the tolerance excluded)."""
    return count_below(sorted_values, np.asarray(values) - TIE_TOLERANCE)


def above(scores: np.ndarray, threshold: float) -> np.ndarray:
    """Scores above the threshold by more than the tolerance: the flag rule."""
    return np.asarray(scores) > threshold + TIE_TOLERANCE


def model_input(
    matrix: pd.DataFrame,
    medians: dict[str, float],
    floors: dict[str, float] | None = None,
    ceilings: dict[str, float] | None = None,
) -> np.ndarray:
    """The float64 array the scorers see: missing values take the reference median, then a
    feature with a floor (ceiling) is raised (lowered) to it. Models cap one-sided features at
    the reference median on their innocent side (see ``AuthenticityModel(one_sided=True)``).
    One row per like, laid out feature by feature (Fortran order), as the tree kernels read it."""
    return _filled(matrix, medians, floors, ceilings)[0]


def _filled(
    matrix: pd.DataFrame,
    medians: dict[str, float],
    floors: dict[str, float] | None = None,
    ceilings: dict[str, float] | None = None,
) -> tuple[np.ndarray, int]:
    """:func:`model_input` and how many values were missing, counted as they are filled."""
    columns = np.empty(matrix.shape[::-1], dtype=np.float64)  # one feature per row
    missing_values = 0
    kernels = _jit.kernels_for(len(matrix))
    for j, name in enumerate(matrix.columns):
        column = columns[j]
        source = matrix[name].to_numpy(dtype=np.float64, na_value=np.nan)
        if kernels is not None:  # one pass, the same values (NaN, -inf, inf: no change)
            median = float(medians.get(name, np.nan))
            floor = float((floors or {}).get(name, -np.inf))
            ceiling = float((ceilings or {}).get(name, np.inf))
            missing_values += kernels.fill_column(source, column, median, floor, ceiling)
            continue
        column[:] = source
        missing = np.isnan(column)
        missing_values += int(np.count_nonzero(missing))
        if name in medians:
            np.copyto(column, medians[name], where=missing)
        if floors and name in floors:
            np.maximum(column, floors[name], out=column)
        if ceilings and name in ceilings:
            np.minimum(column, ceilings[name], out=column)
    return columns.T, missing_values


SCORE_CHUNK_ROWS = 1 << 17
"""Rows filled and scored together, at most: a large table is scored in even chunks (on threads
when the scorer may use them), so its filled float64 copy never exists whole, while each chunk
stays large enough for the compiled kernels (:data:`detector._jit.JIT_FROM_ROWS`)."""


def score_matrix(
    fitted: FeatureSetScorer,
    matrix: pd.DataFrame,
    medians: dict[str, float],
    floors: dict[str, float] | None = None,
    ceilings: dict[str, float] | None = None,
    flags_only: bool = False,
) -> pd.DataFrame:
    """Per-like ``score``, ``suspicion``, ``probability`` and ``flagged`` from a fitted (or
    compiled) feature set; shared by the estimator and the compiled scorer. ``flags_only``: only
    ``flagged`` (the same flags; a compiled set then skips the forest for the likes whose flag
    the head alone settles, :meth:`CompiledFeatureSet.flags`).

    Rows are filled and scored in chunks of :data:`SCORE_CHUNK_ROWS` on up to
    ``fitted.threads`` threads: a row's result depends on that row alone, so this changes no
    bit, and one giant creator's likes use every core.
    """

    def part(start: int, stop: int) -> tuple[np.ndarray, np.ndarray | None, int]:
        values, missing = _filled(matrix.iloc[start:stop], medians, floors, ceilings)
        if flags_only:
            return fitted.flags(values, threads=inner), None, missing
        scores = fitted.score(values, threads=inner)
        return above(scores, fitted.threshold), scores, missing

    chunks = max(1, -(-len(matrix) // SCORE_CHUNK_ROWS))
    inner = fitted.threads if chunks <= 1 else 1  # one level of threads, not two
    even = -(-len(matrix) // chunks)  # no small last chunk scored without the kernels
    parts = map_row_chunks(part, len(matrix), even, fitted.threads)
    flags = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=bool)
    imputed = sum(p[2] for p in parts)
    if flags_only:
        out = pd.DataFrame({"flagged": flags}, index=matrix.index)
    else:
        scores = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0)
        calibration = fitted.calibration_scores
        suspicion = rank_below(calibration, scores) / max(len(calibration), 1)
        out = pd.DataFrame(
            {
                "score": scores,
                "suspicion": suspicion,
                "probability": fitted.probability(scores),
                "flagged": flags,
            },
            index=matrix.index,
        )
    out.attrs.update(
        features=list(matrix.columns),
        fpr=fitted.fpr,
        tpr=fitted.tpr,
        fpr_size=fitted.fpr_size,
        tpr_size=fitted.tpr_size,
        fpr_spread=fitted.fpr_spread,
        tpr_spread=fitted.tpr_spread,
        rate_profile=fitted.rate_profile,
        threshold=fitted.threshold,
        imputed_values=imputed,
    )
    return out

"""Engines for data larger than memory: chunked (one machine) and Dask (a cluster).

Both run the one pipeline of :mod:`detector.scoring.pipeline` on partitions of whole creators
and give the report the in-memory engine gives, byte for byte.

- :mod:`.chunked`: a Parquet file or folder (or any input spilled to Parquet buckets), bounded
  memory, worker processes for large inputs (:mod:`.workers`, :mod:`.grouped`).
- :mod:`.dask_engine`: a ``dask.dataframe.DataFrame`` on any scheduler (Dask is optional).
- :mod:`.partitions`: batches validated with file row numbers, and the order key.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from detector.model.protocol import FeatureScorer
    from detector.report import CreatorReport

__all__ = ["score_dask", "score_parquet_chunked"]


def score_parquet_chunked(path: str | Path, model: FeatureScorer, **options: Any) -> CreatorReport:
    """Score a Parquet file or folder with bounded memory (see :mod:`.chunked`)."""
    from detector.engines.chunked import score_parquet_chunked as run  # pyarrow.dataset: lazily

    return run(path, model, **options)


def score_dask(ddf: object, model: FeatureScorer, **options: Any) -> CreatorReport:
    """Score a ``dask.dataframe.DataFrame`` on the current Dask scheduler (see :mod:`.dask_engine`)."""
    from detector.engines.dask_engine import score_dask as run  # Dask is optional

    return run(ddf, model, **options)

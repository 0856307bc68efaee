"""From a likes table to a creator report, whatever scores it.

- :mod:`.protocol`: the declared interfaces every scorer and feature set implements.
- :mod:`.pipeline`: the one orchestration (partitions, slices on threads, assembly) that the
  memory, chunked and Dask engines all run.
- :mod:`.scorer`: :class:`~detector.scoring.scorer.Scorer`, scoring from compiled arrays.
- :mod:`.profile_cache`: compiled feature sets for column profiles an artifact lacks, kept in
  the user's cache folder.
"""

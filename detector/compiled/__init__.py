"""Scoring without scikit-learn: a fitted model as plain arrays, and the kernels that walk them.

- :mod:`.flatten`: fitted forests and boosting heads as node tables.
- :mod:`.traversal`: rows through node tables, all trees at once, on threads (and numba kernels,
  :mod:`detector._jit`, for large inputs).
- :mod:`.dedup`: identical feature vectors scored once.
- :mod:`.artifact`: the ``.npz`` artifact (feature sets, model facts, training sample) and
  :class:`~detector.compiled.artifact.CompiledModel`, which scores from it.
"""

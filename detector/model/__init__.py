"""What the estimator (:class:`detector.estimator.AuthenticityModel`) is made of.

- :mod:`.protocol`: the declared interfaces every scorer and feature set implements.
- :mod:`.forest`: :class:`~detector.model.forest.LikeScorer`, the isolation forest over like
  vectors.
- :mod:`.sample`: the training sample every feature set is fitted from (plain arrays).
- :mod:`.feature_sets`: fitting one feature set's scorers from that sample (scikit-learn).
- :mod:`.formulas`: what the scorers see and how scores become flags (numpy only, shared with
  the compiled scorer, which imports nothing of scikit-learn).
"""

"""Synthetic like events with ground truth: an organic world plus a ladder of attackers.

No public data set has like events with fraud labels, so the project evaluates on a simulated
world. The simulator models the world as it is (not as any detector sees it). Modules, in the
order they import one another:

- :mod:`~detector.synth.schema`: table columns, categories, tier names and codes, time units.
- :mod:`~detector.synth.params`: :class:`SimulationParams`, every distribution parameter.
- :mod:`~detector.synth.keyed_random`: hash-based draws per account index, keyed id permutation.
- :mod:`~detector.synth.usernames`: usernames by account type.
- :mod:`~detector.synth.draws`: small draws from a numpy Generator.
- :mod:`~detector.synth.plan`: the world plan (creators, tiers, pods, farms, account ranges).
- :mod:`~detector.synth.accounts`: attributes of genuine, creator, farm and pod accounts.
- :mod:`~detector.synth.like_timing`: organic like delays and the local daily cycle.
- :mod:`~detector.synth.audiences`: which genuine accounts like a creator.
- :mod:`~detector.synth.organic`: organic likes of a creator's posts and its viral post.
- :mod:`~detector.synth.campaigns`: fake likes of each inflated tier.
- :mod:`~detector.synth.creator`: one creator's posts and all its likes, merged.
- :mod:`~detector.synth.world`: the likes and creators tables, :func:`generate_world`.
- :mod:`~detector.synth.populations`: :data:`POPULATIONS`, :func:`generate_mixed_world`.
- :mod:`~detector.synth.files`: :func:`write_world`, :func:`write_world_parquet_chunked`.

Reproducibility: the world plan comes from ``default_rng([seed, 0])``, creator ``i``'s posts and
likes from ``default_rng([seed, 1, i])``, account attributes from a hash of (seed, account
index); hence chunked generation equals the in-memory one for any chunk size.
"""

from __future__ import annotations

from detector.synth.files import write_world, write_world_parquet_chunked
from detector.synth.params import SimulationParams
from detector.synth.populations import POPULATIONS, TRAINING_TIERS, generate_mixed_world
from detector.synth.schema import CATEGORIES, CREATORS_COLUMNS, LIKES_COLUMNS
from detector.synth.world import generate_world

__all__ = [
    "POPULATIONS",
    "TRAINING_TIERS",
    "generate_mixed_world",
    "CATEGORIES",
    "LIKES_COLUMNS",
    "CREATORS_COLUMNS",
    "SimulationParams",
    "generate_world",
    "write_world",
    "write_world_parquet_chunked",
]

"""Who likes a creator authentically: genuine accounts drawn with community, time-zone and age
preferences, and each creator's audience pool (favouring its category community and time zone,
so people follow several creators and audiences overlap)."""

from __future__ import annotations

import numpy as np

from detector.synth.accounts import genuine_age, genuine_tz
from detector.synth.plan import WorldPlan
from detector.synth.schema import CATEGORIES


def draw_genuine(
    rng: np.random.Generator,
    plan: WorldPlan,
    m: int,
    *,
    category: int | None = None,
    tz: float | None = None,
    old_accept: float | None = None,
    young_years: float = 1.0,
) -> np.ndarray:
    """m genuine accounts (with repetition) with community, time-zone and age preferences."""
    p = plan.p
    got: list[np.ndarray] = []
    need = m
    for _ in range(200):
        if need <= 0:
            break
        k = int(need * 3) + 16
        if category is None:
            idx = rng.integers(0, plan.n_gen, k)
        else:
            center = (category + 0.5) / len(CATEGORIES)
            local = rng.random(k) < p.category_affinity
            x = np.where(local, center + (rng.random(k) - 0.5) * p.community_width, rng.random(k))
            idx = np.minimum(np.floor(np.mod(x, 1.0) * plan.n_gen), plan.n_gen - 1).astype(np.int64)
        acc = np.ones(k)
        if tz is not None:
            acc = acc * np.where(genuine_tz(plan, idx) == tz, 1.0, p.tz_mismatch_accept)
        if old_accept is not None:
            age, _ = genuine_age(plan, idx)
            acc = acc * np.where(age < young_years, 1.0, old_accept)
        idx = idx[rng.random(k) < acc][:need]
        got.append(idx)
        need -= idx.size
    return np.concatenate(got) if got else np.empty(0, np.int64)


def sample_audience(rng: np.random.Generator, plan: WorldPlan, c: int, size: int) -> np.ndarray:
    """A creator's audience pool: distinct genuine accounts, in random order."""
    p = plan.p
    chosen = np.empty(0, np.int64)
    old_accept = p.new_creator_old_accept if plan.is_new[c] else None
    for _ in range(100):
        if chosen.size >= size:
            break
        cand = draw_genuine(
            rng,
            plan,
            size - chosen.size,
            category=int(plan.category[c]),
            tz=float(plan.tz[c]),
            old_accept=old_accept,
            young_years=p.young_audience_years,
        )
        _, first = np.unique(cand, return_index=True)
        cand = cand[np.sort(first)]
        cand = cand[~np.isin(cand, chosen)]
        chosen = np.concatenate([chosen, cand])
    return chosen[:size]

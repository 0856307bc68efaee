"""The world plan: everything decided before any like is simulated.

*Time.* A window of ``window_days`` (default 60) ending at ``window_end`` (2026-06-30 00:00 UTC).
Likes after the window end are not observed (recent posts are censored, as in a real crawl).
Timestamps have one-second resolution and are tz-aware UTC (``datetime64[us, UTC]``).

*Creators.* Followers are log-uniform between ``creator_followers_min`` and
``creator_followers_max`` (1k..1M). Each creator has a content category, an audience time zone,
an engagement rate (lognormal around 3 % at 100k followers, higher for small creators) and a
posting rate (lognormal, ~2 posts a week). ``inflated_share`` of them get inauthentic likes, the
tiers of ``inflated_tiers`` assigned in rotation; some organic ones get a viral post or are brand
new creators.

*Accounts* live in index ranges, one per type: genuine population, creators' own accounts,
stealth pool, aged farms, naive accounts (by registration time), pod outsiders, hollow farms.
Pods group in-world pod creators with outside members.

The plan comes from ``default_rng([seed, 0])``; each creator is then simulated from its own
stream (:mod:`detector.synth.creator`), so chunked generation equals the in-memory one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from detector.synth.draws import loguniform
from detector.synth.params import SimulationParams
from detector.synth.schema import CATEGORIES, DAY, INFLATED_TIERS


@dataclass
class WorldPlan:
    """The world's decisions: per-creator arrays and the account index ranges, genuine
    ``[0, n_gen)``, creators' own ``[c0, s0)``, stealth pool ``[s0, a0)``, aged farms
    ``[a0, v0)``, naive ``[v0, q0)``, pod outsiders ``[q0, h0)``, hollow farms ``[h0, total)``."""

    seed: int
    n: int
    p: SimulationParams
    key: int
    t0: float
    t1: float
    cid: np.ndarray
    followers: np.ndarray
    category: np.ndarray
    tz: np.ndarray
    tier: np.ndarray
    scenario: np.ndarray
    is_new: np.ndarray
    has_viral: np.ndarray
    share: np.ndarray
    er: np.ndarray
    n_posts: np.ndarray
    start: np.ndarray
    lam_mean: np.ndarray
    audience: np.ndarray
    acct_created: np.ndarray
    pod_of: np.ndarray
    pod_members: list[np.ndarray]
    farm_of: np.ndarray
    stealth_pool: int
    farm_size: int
    n_gen: int
    c0: int
    s0: int
    a0: int
    v0: int
    naive_t0: float
    q0: int
    h0: int
    hollow_size: int
    total: int
    id_width: int
    id_half: int
    id_keys: tuple[int, ...]
    tz_values: np.ndarray
    tz_cum: np.ndarray


def _split_pods(rng: np.random.Generator, members: list[int]) -> list[list[int]]:
    """Split in-world pod creators into groups of 2-3 (1 only if there is a single one)."""
    groups, rest = [], list(members)
    while rest:
        if len(rest) <= 3:
            size = len(rest)
        else:
            size = int(rng.integers(2, 4))
            if len(rest) - size == 1:
                size = 2
        groups.append(rest[:size])
        rest = rest[size:]
    return groups


def make_plan(n: int, seed: int, p: SimulationParams, inflated_share: float) -> WorldPlan:
    """The plan of a world of ``n`` creators, arguments checked first."""
    if n < 1:
        raise ValueError(f"n_creators must be >= 1, got {n}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    if not 0.0 <= inflated_share <= 1.0:
        raise ValueError(f"inflated_share must be in [0, 1], got {inflated_share}")
    if "hollow" in p.inflated_tiers and p.hollow_n_farms < 1:
        raise ValueError("hollow farms need hollow_n_farms >= 1")
    if not 1 <= p.posts_min <= p.posts_max < 1000:
        raise ValueError("need 1 <= posts_min <= posts_max < 1000")
    tiers = tuple(p.inflated_tiers)
    if not tiers or len(set(tiers)) != len(tiers) or not set(tiers) <= set(INFLATED_TIERS):
        raise ValueError(
            f"inflated_tiers must be distinct names among {INFLATED_TIERS}, got {tiers}"
        )
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    key = int(np.random.SeedSequence([seed, 2]).generate_state(1, np.uint64)[0])
    t1 = pd.Timestamp(p.window_end).tz_convert("UTC").timestamp()
    t0 = t1 - p.window_days * DAY
    width = max(5, len(str(n - 1)))
    cid = np.array([f"c{i:0{width}d}" for i in range(n)])

    perm = rng.permutation(n)
    n_inf = int(round(inflated_share * n))
    tier = np.full(n, "organic", dtype=object)
    scenario = np.full(n, "organic", dtype=object)
    infl, org = perm[:n_inf], perm[n_inf:]
    tier[infl] = np.array(tiers, dtype=object)[np.arange(n_inf) % len(tiers)]
    scenario[infl] = "inflated"
    n_org = org.size
    n_viral = int(round(p.viral_share * n_org))
    n_new = int(round(p.new_creator_share * n_org))
    if n_org >= 3:
        n_viral, n_new = max(1, n_viral), max(1, n_new)
    n_viral = min(n_viral, n_org)
    n_new = min(n_new, n_org - n_viral)
    scenario[org[:n_viral]] = "organic_viral"
    scenario[org[n_viral : n_viral + n_new]] = "organic_new_creator"
    is_inf = scenario == "inflated"
    u_new, u_viral = rng.random(n), rng.random(n)
    is_new = (scenario == "organic_new_creator") | (is_inf & (u_new < p.inflated_new_prob))
    has_viral = (scenario == "organic_viral") | (is_inf & (u_viral < p.inflated_viral_prob))

    followers = np.where(
        is_new,
        loguniform(rng, *p.new_creator_followers, n),
        loguniform(rng, p.creator_followers_min, p.creator_followers_max, n),
    ).astype(np.int64)
    category = rng.integers(0, len(CATEGORIES), n)
    tz_values = np.array([t for t, _ in p.timezones], dtype=np.float64)
    tz_w = np.array([w for _, w in p.timezones], dtype=np.float64)
    tz_cum = np.cumsum(tz_w) / tz_w.sum()
    tz = tz_values[np.minimum(np.searchsorted(tz_cum, rng.random(n)), tz_values.size - 1)]
    size_term = (followers / p.engagement_rate_ref_followers) ** p.engagement_rate_size_exponent
    er = (
        p.engagement_rate_median
        * size_term
        * np.exp(p.engagement_rate_sigma * rng.standard_normal(n))
    )
    start_days = rng.uniform(*p.new_creator_start_days, n)
    start = np.where(is_new, t1 - start_days * DAY, t0)
    rate = p.posts_per_week_median * np.exp(p.posts_per_week_sigma * rng.standard_normal(n))
    n_posts = np.clip(rng.poisson(rate * (t1 - start) / (7 * DAY)), p.posts_min, p.posts_max)
    lo, hi = p.inflation_share
    share = np.where(is_inf, loguniform(rng, lo, hi, n), 0.0)
    er = np.where(is_new, er * p.new_creator_er_boost, er)
    lam_mean = np.minimum(followers * er * p.likes_scale, p.max_likes_per_post)
    audience = np.maximum(p.audience_min, np.ceil(p.audience_size_factor * lam_mean)).astype(
        np.int64
    )
    acct_age = np.where(is_new, rng.uniform(5, 60, n), rng.uniform(30, 1_500, n)) * DAY
    acct_created = np.floor(start - acct_age)
    farm_of = rng.integers(0, max(1, p.aged_n_farms), n)

    n_gen = max(p.population_min, int(math.ceil(p.population_factor * audience.sum())))
    c0 = n_gen
    s0 = c0 + n
    n_stealth, n_aged = int((tier == "stealth").sum()), int((tier == "aged").sum())
    stealth_pool = max(p.stealth_pool_size, math.ceil(p.farm_accounts_per_creator * n_stealth))
    farm_size = max(
        p.aged_farm_size,
        math.ceil(p.farm_accounts_per_creator * n_aged / max(1, p.aged_n_farms)),
    )
    a0 = s0 + stealth_pool
    v0 = a0 + p.aged_n_farms * farm_size
    naive_lead = p.naive_account_age_days[1] + 20.0
    naive_t0 = t0 - naive_lead * DAY
    naive_space = int(math.ceil(p.naive_accounts_per_day * (p.window_days + naive_lead)))
    q0 = v0 + naive_space

    pod_creators = [int(c) for c in infl if tier[c] == "pod"]
    pod_of = np.full(n, -1, dtype=np.int64)
    pod_members: list[np.ndarray] = []
    nxt = q0
    for g, group in enumerate(_split_pods(rng, pod_creators)):
        size = max(int(rng.integers(p.pod_size[0], p.pod_size[1] + 1)), len(group) + 1)
        outsiders = size - len(group)
        members = np.concatenate(
            [c0 + np.array(group, dtype=np.int64), np.arange(nxt, nxt + outsiders)]
        )
        nxt += outsiders
        pod_of[group] = g
        pod_members.append(members)
    h0 = nxt
    n_hollow = int((tier == "hollow").sum())
    hollow_size = (
        max(
            p.hollow_farm_size, math.ceil(p.farm_accounts_per_creator * n_hollow / p.hollow_n_farms)
        )
        if n_hollow
        else 0
    )
    total = h0 + max(1, p.hollow_n_farms) * hollow_size
    id_width = max(7, len(str(4 * total)))
    id_half = (math.ceil(math.log2(10**id_width)) + 1) // 2
    id_keys = tuple(int(k) for k in np.random.SeedSequence([seed, 3]).generate_state(4, np.uint64))
    return WorldPlan(
        seed=seed,
        n=n,
        p=p,
        key=key,
        t0=t0,
        t1=t1,
        cid=cid,
        followers=followers,
        category=category,
        tz=tz,
        tier=tier.astype(str),
        scenario=scenario.astype(str),
        is_new=is_new,
        has_viral=has_viral,
        share=share,
        er=er,
        n_posts=n_posts.astype(np.int64),
        start=start,
        lam_mean=lam_mean,
        audience=audience,
        acct_created=acct_created,
        pod_of=pod_of,
        pod_members=pod_members,
        farm_of=farm_of,
        stealth_pool=stealth_pool,
        farm_size=farm_size,
        n_gen=n_gen,
        c0=c0,
        s0=s0,
        a0=a0,
        v0=v0,
        naive_t0=naive_t0,
        q0=q0,
        h0=h0,
        hollow_size=hollow_size,
        total=total,
        id_width=id_width,
        id_half=id_half,
        id_keys=id_keys,
        tz_values=tz_values,
        tz_cum=tz_cum,
    )

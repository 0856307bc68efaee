"""Inauthentic likes: the ladder of attackers, from bought bursts to farms that like like fans.

Unless a tier says otherwise, the fake likes number ``s / (1 - s)`` times the organic ones (at
least ``min_fake_likes``, so tiny creators end up above ``s``), with ``s`` log-uniform in
[3 %, 80 %]. The realised share is reported in ``creators.inauthentic_share``.

1. ``naive`` bought likes: fresh accounts (created 1-10 days before the purchase, empty: few
   posts and followers, often no avatar, following many, usernames with many digits), delivered
   in ONE burst of a few minutes after a purchase minutes to hours after publication, on 1-3 posts.
2. ``aged`` account farms: a few farms of accounts created in batches months to years ago, with
   some posts and sparse followers; likes drip-fed at a constant rate over 6-72 h on most posts.
   The same farm accounts return on many posts.
3. ``stealth`` farms: ONE shared pool of accounts whose attributes follow the organic
   distributions (created in batches on the same days). A farm job makes many pool accounts
   like the target post within the same few minutes; the same accounts serve many creators.
   Farm pools grow with their number of clients (``farm_accounts_per_creator``).
4. ``pod`` engagement pods: groups of 10-30 real-looking accounts (creators) who like every
   pod-mate's posts within minutes of publication. Pod creators in the world belong to pods with
   1-2 other in-world creators; their own accounts (``creators.account_id``) are pod members.
   The fake share then follows from the pod size and the creator's organic volume.
5. ``hollow`` account farms (opt-in: ``SimulationParams.inflated_tiers``; the training
   populations use it, the default world does not): accounts registered one by one months to
   years ago that like the way the audience does (spread over the posts like the organic likes,
   organic delays and daily cycle, a creator-sized subset of the farm returning across posts).
   Only their profile gives them away (:mod:`detector.synth.accounts`); each farm draws its
   medians relative to the world's genuine medians, so the traits overlap the genuine population.
"""

from __future__ import annotations

import math

import numpy as np

from detector.synth.accounts import HOLLOW_FARM_STREAM
from detector.synth.draws import lognormal, rows_without_replacement
from detector.synth.keyed_random import uniform
from detector.synth.like_timing import organic_delays, thin_by_daily_cycle
from detector.synth.plan import WorldPlan
from detector.synth.schema import AGED, DAY, HOLLOW, HOUR, NAIVE, POD, STEALTH, LikeBatch


def fake_likes(
    rng: np.random.Generator,
    plan: WorldPlan,
    c: int,
    pub: np.ndarray,
    authentic: list[LikeBatch],
) -> list[LikeBatch]:
    """Creator ``c``'s inauthentic likes by its tier (none for an organic creator), sized
    against its ``authentic`` likes."""
    p = plan.p
    tier = plan.tier[c]
    n_org = sum(batch.acct.size for batch in authentic)
    s = plan.share[c]
    n_fake = max(p.min_fake_likes, int(round(s / (1 - s) * n_org))) if s > 0 else 0
    eligible = np.flatnonzero(pub < plan.t1 - DAY)
    if not eligible.size:
        eligible = np.arange(int(plan.n_posts[c]))
    if tier == "naive":
        return _bought_likes(rng, plan, pub, eligible, n_fake)
    if tier in ("aged", "stealth"):
        return [_farm_jobs(rng, plan, c, pub, eligible, n_fake)]
    if tier == "pod":
        return [_pod_likes(rng, plan, c, pub)]
    if tier == "hollow":
        return [_hollow_likes(rng, plan, c, pub, authentic, n_fake, n_org)]
    return []


def _bought_likes(
    rng: np.random.Generator, plan: WorldPlan, pub: np.ndarray, eligible: np.ndarray, n_fake: int
) -> list[LikeBatch]:
    """Naive purchases: one burst per target post from accounts registered just before it."""
    p = plan.p
    k = min(int(rng.integers(p.naive_posts[0], p.naive_posts[1] + 1)), eligible.size)
    targets = rng.choice(eligible, k, replace=False)
    alloc = np.minimum(
        rng.multinomial(n_fake, rng.dirichlet(np.full(k, 2.0))), p.naive_max_per_post
    )
    batches = []
    for j, a in zip(targets, alloc, strict=True):
        delay = lognormal(
            rng, p.naive_purchase_delay_median_h * HOUR, p.naive_purchase_delay_sigma, 1
        )[0]
        buy = pub[j] + float(np.clip(delay, 300.0, 12 * HOUR))
        lo_t = buy - p.naive_account_age_days[1] * DAY
        hi_t = buy - p.naive_account_age_days[0] * DAY
        k_lo = int(math.ceil((lo_t - plan.naive_t0) / DAY * p.naive_accounts_per_day))
        k_hi = int(math.floor((hi_t - plan.naive_t0) / DAY * p.naive_accounts_per_day)) - 1
        span = max(k_hi - k_lo, 1)
        acct = plan.v0 + k_lo + rng.choice(span, min(int(a), span), replace=False)
        dur = rng.uniform(*p.naive_burst_min) * 60
        times = buy + rng.random(acct.size) * dur
        batches.append(
            LikeBatch(np.full(acct.size, j, np.int64), acct.astype(np.int64), times, NAIVE)
        )
    return batches


def _farm_jobs(
    rng: np.random.Generator,
    plan: WorldPlan,
    c: int,
    pub: np.ndarray,
    eligible: np.ndarray,
    n_fake: int,
) -> LikeBatch:
    """Aged farms drip likes over hours; the stealth pool delivers them in jobs of minutes."""
    p = plan.p
    aged = plan.tier[c] == "aged"
    frac = p.aged_post_fraction if aged else p.stealth_post_fraction
    min_job = p.aged_min_per_post if aged else p.stealth_min_job
    k = int(round(rng.uniform(*frac) * eligible.size))
    k = max(1, min(k, n_fake // max(min_job, 1)))
    targets = np.sort(rng.choice(eligible, k, replace=False))
    alloc = rng.multinomial(n_fake, rng.dirichlet(np.full(k, 2.0)))
    if aged:
        pool_size, base = plan.farm_size, plan.a0 + int(plan.farm_of[c]) * plan.farm_size
        start = pub[targets] + lognormal(rng, p.aged_start_delay_median_h * HOUR, 1.0, k)
        dur = rng.uniform(*p.aged_drip_h, k) * HOUR
    else:
        pool_size, base = plan.stealth_pool, plan.s0
        alloc = np.minimum(alloc, int(p.stealth_max_job_share * pool_size))
        delay = lognormal(
            rng, p.stealth_start_delay_median_h * HOUR, p.stealth_start_delay_sigma, k
        )
        start = pub[targets] + np.clip(delay, 120.0, DAY)
        dur = rng.uniform(*p.stealth_job_min, k) * 60
    rows, cols = rows_without_replacement(rng, alloc, pool_size)
    times = start[rows] + rng.random(rows.size) * dur[rows]
    return LikeBatch(targets[rows].astype(np.int64), base + cols, times, AGED if aged else STEALTH)


def _pod_likes(rng: np.random.Generator, plan: WorldPlan, c: int, pub: np.ndarray) -> LikeBatch:
    """Every pod-mate likes every post within minutes of publication."""
    p = plan.p
    n_posts = int(plan.n_posts[c])
    members = plan.pod_members[int(plan.pod_of[c])]
    members = members[members != plan.c0 + c]
    rows = np.repeat(np.arange(n_posts), members.size)
    delay = lognormal(rng, p.pod_delay_median_min * 60, p.pod_delay_sigma, rows.size)
    times = pub[rows] + np.clip(delay, 30.0, 6 * HOUR)
    return LikeBatch(rows.astype(np.int64), np.tile(members, n_posts), times, POD)


def _hollow_likes(
    rng: np.random.Generator,
    plan: WorldPlan,
    c: int,
    pub: np.ndarray,
    authentic: list[LikeBatch],
    n_fake: int,
    n_org: int,
) -> LikeBatch:
    """Like an extra slice of the audience: spread over the posts as the authentic likes are,
    from a creator-sized subset of one farm, with organic delays and daily cycle."""
    p = plan.p
    n_posts = int(plan.n_posts[c])
    per_post = np.bincount(np.concatenate([b.post for b in authentic]), minlength=n_posts) + 1.0
    alloc = rng.multinomial(n_fake, per_post / per_post.sum())
    farm = int(uniform(plan.key, np.array([c]), HOLLOW_FARM_STREAM + 50)[0] * p.hollow_n_farms)
    size = math.ceil(plan.audience[c] * n_fake / max(n_org, 1))
    size = int(min(plan.hollow_size, max(size, int(alloc.max()), 1)))
    members = plan.h0 + farm * plan.hollow_size + rng.choice(plan.hollow_size, size, False)
    rows, cols = rows_without_replacement(rng, alloc, size)
    notified = rng.random(rows.size) < p.loyal_like_share * p.loyal_notify_share

    def hollow_draw(pos: np.ndarray) -> np.ndarray:
        return pub[rows[pos]] + organic_delays(rng, p, notified[pos])

    times = thin_by_daily_cycle(rng, hollow_draw, np.full(rows.size, float(plan.tz[c])), p)
    return LikeBatch(rows.astype(np.int64), members[cols].astype(np.int64), times, HOLLOW)

"""Attributes of every account, a deterministic hash of (seed, account index).

*Genuine accounts* form one global population arranged on a ring of 12 overlapping category
communities. Attributes come from one latent activity factor that drives followers (lognormal,
long tail), following (~100..1000, capped at 7500) and posts (zero for lurkers, otherwise growing
with account age); ages run from days (a ``young_account_share`` of new users) to ~12 years; some
accounts are private, lack an avatar or a bio; a few popular ones are verified; usernames are
mostly names and words with few digits. Creators' own accounts and pod members look like
creators; stealth pool accounts follow the genuine distributions but were registered in batches.

*Farm accounts*: naive ones are fresh and empty, aged ones were registered in batches months to
years ago with some posts and sparse followers; hollow ones were registered one by one and show
the traits documented for bought followers (Cresci et al. 2015, "Fame for sale").

Because attributes are hashes, an account is identical wherever it appears (and across chunks).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from detector.schema import ACCOUNT_COLUMNS
from detector.synth.keyed_random import normal, permute, uniform
from detector.synth.plan import WorldPlan
from detector.synth.schema import DAY, HOUR, YEAR
from detector.synth.usernames import usernames

# Hash stream bases per account type (attributes of different types are independent).
_SB_GEN, _SB_STEALTH, _SB_NAIVE, _SB_AGED, _SB_POD, _SB_CREATOR = 0, 100, 200, 300, 400, 500
_SB_HOLLOW = 600
#: Stream base of per-farm draws of hollow farms (also picks a hollow creator's farm).
HOLLOW_FARM_STREAM = 700


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _settled_age(plan: WorldPlan, idx: np.ndarray) -> np.ndarray:
    """Age at window end (years) of accounts that are not "young" (the lognormal part)."""
    p = plan.p
    old = np.exp(math.log(p.acct_age_median_years) + p.acct_age_sigma * normal(plan.key, idx, 51))
    return np.clip(old, p.acct_age_min_years, p.acct_age_max_years)


def genuine_age(plan: WorldPlan, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(age at window end in years, young flag) of genuine accounts."""
    p, key = plan.p, plan.key
    young = uniform(key, idx, _SB_GEN + 50) < p.young_account_share
    old = _settled_age(plan, idx)
    lo, hi = p.young_account_days
    young_age = (lo + (hi - lo) * uniform(key, idx, _SB_GEN + 52)) / 365.25
    return np.where(young, young_age, old), young


def genuine_tz(plan: WorldPlan, idx: np.ndarray) -> np.ndarray:
    u = uniform(plan.key, idx, _SB_GEN + 53)
    return plan.tz_values[np.minimum(np.searchsorted(plan.tz_cum, u), plan.tz_values.size - 1)]


def _profile(
    plan: WorldPlan,
    idx: np.ndarray,
    sb: int,
    age_y: np.ndarray,
    young: np.ndarray,
    verified_ok: bool,
) -> dict[str, np.ndarray]:
    """Organic-looking attributes driven by a latent activity factor and the account age."""
    p, key = plan.p, plan.key
    z = normal(key, idx, sb + 1)
    age_term = np.log(np.maximum(age_y, 0.01) / p.acct_age_median_years)
    rho = p.followers_activity_corr
    lf = (
        math.log(p.followers_median)
        + p.followers_sigma * (rho * z + math.sqrt(1 - rho**2) * normal(key, idx, sb + 2))
        + p.followers_age_coef * age_term
    )
    followers = np.maximum(np.floor(np.exp(lf) - 1.0), 0).astype(np.int64)
    lfo = (
        math.log(p.following_median)
        + p.following_activity_coef * z
        + p.following_sigma * normal(key, idx, sb + 3)
    )
    following = np.clip(np.floor(np.exp(lfo)), 0, p.following_max).astype(np.int64)
    lurker = uniform(key, idx, sb + 6) < np.where(young, p.lurker_share_young, p.lurker_share)
    lp = (
        math.log(p.posts_median)
        + p.posts_activity_coef * z
        + p.posts_sigma * normal(key, idx, sb + 4)
        + p.posts_age_exponent * age_term
    )
    posts = np.where(lurker, 0, np.minimum(np.floor(np.exp(lp)), 50_000)).astype(np.int64)
    avatar_logit = (
        _logit(p.avatar_share) + p.avatar_activity_coef * z - p.avatar_young_penalty * young
    )
    has_avatar = uniform(key, idx, sb + 7) < _sigmoid(avatar_logit)
    is_private = uniform(key, idx, sb + 8) < p.private_share
    verified = (
        (followers >= p.verified_followers_min) & (uniform(key, idx, sb + 9) < p.verified_prob_big)
    ) | (uniform(key, idx, sb + 10) < p.verified_prob_base)
    is_verified = verified & verified_ok
    bio_empty = uniform(key, idx, sb + 11) < _sigmoid(_logit(p.bio_empty_share) - 0.5 * z)
    bio = np.clip(
        np.floor(np.exp(math.log(p.bio_median) + p.bio_sigma * normal(key, idx, sb + 5))),
        1,
        p.bio_max,
    )
    return {
        "followers": followers,
        "following": following,
        "posts": posts,
        "has_avatar": has_avatar,
        "is_private": is_private,
        "is_verified": is_verified,
        "bio_length": np.where(bio_empty, 0, bio).astype(np.int64),
    }


def _exp_int(key: int, idx: np.ndarray, stream: int, mean: float) -> np.ndarray:
    return np.floor(-mean * np.log(uniform(key, idx, stream))).astype(np.int64)


def _lognorm_int(key: int, idx: np.ndarray, stream: int, median: float, sigma: float):
    return np.floor(median * np.exp(sigma * normal(key, idx, stream))).astype(np.int64)


def _farm_profile(plan: WorldPlan, idx: np.ndarray, sb: int, kind: str) -> dict[str, np.ndarray]:
    p, key = plan.p, plan.key
    u = lambda s: uniform(key, idx, sb + s)  # noqa: E731
    if kind == "naive":
        posts = np.where(u(1) < 0.7, 0, 1 + np.floor(u(2) * 3)).astype(np.int64)
        return {
            "followers": _exp_int(key, idx, sb + 3, p.naive_followers_mean),
            "following": np.minimum(
                _lognorm_int(key, idx, sb + 4, p.naive_following_median, 0.8), p.following_max
            ),
            "posts": posts,
            "has_avatar": u(5) < p.naive_avatar_share,
            "is_private": u(6) < 0.05,
            "is_verified": np.zeros(idx.size, dtype=bool),
            "bio_length": np.where(u(7) < 0.9, 0, 3 + np.floor(u(8) * 18)).astype(np.int64),
        }
    posts = np.where(u(1) < 0.15, 0, np.floor(np.exp(u(2) * math.log(p.aged_posts_max))))
    return {
        "followers": _exp_int(key, idx, sb + 3, p.aged_followers_mean),
        "following": np.minimum(
            _lognorm_int(key, idx, sb + 4, p.aged_following_median, 0.6), p.following_max
        ),
        "posts": posts.astype(np.int64),
        "has_avatar": u(5) < p.aged_avatar_share,
        "is_private": u(6) < 0.1,
        "is_verified": np.zeros(idx.size, dtype=bool),
        "bio_length": np.where(u(7) < 0.75, 0, 5 + np.floor(u(8) * 55)).astype(np.int64),
    }


def _hollow_farm_value(
    plan: WorldPlan, farm: np.ndarray, stream: int, bounds: tuple[float, float], log: bool = True
) -> np.ndarray:
    """One parameter of each hollow farm, drawn in ``bounds`` (log-uniform or uniform)."""
    u = uniform(plan.key, farm, HOLLOW_FARM_STREAM + stream)
    lo, hi = bounds
    if log:
        return np.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
    return lo + u * (hi - lo)


def _hollow_profile(plan: WorldPlan, idx: np.ndarray, farm: np.ndarray) -> dict[str, np.ndarray]:
    """Hollow accounts: follow many, followed by few, post little, often no avatar or bio.

    The traits the fake-follower literature documents (Cresci et al. 2015, "Fame for sale"),
    with each farm's medians drawn from wide generic ranges, so no single threshold separates
    them from the genuine population.
    """
    p, key = plan.p, plan.key
    u = lambda s: uniform(key, idx, _SB_HOLLOW + s)  # noqa: E731
    value = functools.partial(_hollow_farm_value, plan, farm)
    followers = np.floor(
        p.followers_median
        * value(0, p.hollow_followers_factor)
        * np.exp(p.hollow_followers_sigma * normal(key, idx, _SB_HOLLOW + 1))
    )
    following = np.floor(
        p.following_median
        * value(1, p.hollow_following_factor)
        * np.exp(p.hollow_following_sigma * normal(key, idx, _SB_HOLLOW + 2))
    )
    posts = np.floor(
        p.posts_median
        * value(2, p.hollow_posts_factor)
        * np.exp(p.hollow_posts_sigma * normal(key, idx, _SB_HOLLOW + 3))
    )
    no_posts = u(4) < value(3, p.hollow_no_posts_share, log=False)
    return {
        "followers": followers.astype(np.int64),
        "following": np.clip(following, 0, p.following_max).astype(np.int64),
        "posts": np.where(no_posts, 0, posts).astype(np.int64),
        "has_avatar": u(5) < value(4, p.hollow_avatar_share, log=False),
        "is_private": u(6) < 0.1,
        "is_verified": np.zeros(idx.size, dtype=bool),
        "bio_length": np.where(
            u(7) < value(5, p.hollow_bio_empty_share, log=False),
            0,
            np.clip(
                np.floor(p.bio_median * np.exp(p.bio_sigma * normal(key, idx, _SB_HOLLOW + 8))),
                1,
                p.bio_max,
            ),
        ).astype(np.int64),
    }


def _creatorlike_profile(plan: WorldPlan, idx: np.ndarray, sb: int, followers: np.ndarray):
    p, key = plan.p, plan.key
    u = lambda s: uniform(key, idx, sb + s)  # noqa: E731
    return {
        "followers": followers.astype(np.int64),
        "following": np.minimum(_lognorm_int(key, idx, sb + 2, 450.0, 0.5), p.following_max),
        "posts": _lognorm_int(key, idx, sb + 3, 200.0, 0.7),
        "has_avatar": u(4) < 0.98,
        "is_private": u(5) < 0.02,
        "is_verified": (followers >= p.verified_followers_min) & (u(6) < 0.4),
        "bio_length": (40 + np.floor(u(7) * (p.bio_max - 39))).astype(np.int64),
    }


ATTR_COLUMNS = tuple(c for c in ACCOUNT_COLUMNS if c not in ("account_created_at", "username"))
"""The contract's account traits the simulator draws per account (creation times and usernames
are drawn apart)."""


def account_attributes(plan: WorldPlan, idx: np.ndarray) -> dict[str, np.ndarray]:
    """Attributes of accounts (a deterministic function of seed, plan and account index)."""
    p, key = plan.p, plan.key
    n = idx.size
    out: dict[str, np.ndarray] = {
        "created": np.empty(n, dtype=np.int64),
        "followers": np.empty(n, dtype=np.int64),
        "following": np.empty(n, dtype=np.int64),
        "posts": np.empty(n, dtype=np.int64),
        "has_avatar": np.empty(n, dtype=bool),
        "is_private": np.empty(n, dtype=bool),
        "is_verified": np.empty(n, dtype=bool),
        "bio_length": np.empty(n, dtype=np.int64),
        "username": np.empty(n, dtype="<U40"),
    }

    def fill(mask: np.ndarray, created: np.ndarray, attrs: dict, names: np.ndarray) -> None:
        out["created"][mask] = np.floor(created).astype(np.int64)
        for col in ATTR_COLUMNS:
            out[col][mask] = attrs[col]
        out["username"][mask] = names

    m = idx < plan.n_gen
    if m.any():
        i = idx[m]
        age, young = genuine_age(plan, i)
        prof = _profile(plan, i, _SB_GEN, age, young, True)
        fill(m, plan.t1 - age * YEAR, prof, usernames(key, i, _SB_GEN + 60, "organic"))
    m = (idx >= plan.c0) & (idx < plan.s0)
    if m.any():
        i = idx[m]
        c = i - plan.c0
        prof = _creatorlike_profile(plan, i, _SB_CREATOR, plan.followers[c])
        fill(m, plan.acct_created[c], prof, usernames(key, i, _SB_CREATOR + 60, "organic"))
    m = (idx >= plan.s0) & (idx < plan.a0)
    if m.any():
        i = idx[m]
        batch = (i - plan.s0) // p.stealth_batch_size
        batch_age = np.exp(
            math.log(p.acct_age_median_years) + p.acct_age_sigma * normal(key, batch, 150)
        )
        batch_age = np.clip(batch_age, p.acct_age_min_years, p.acct_age_max_years)
        age = batch_age + uniform(key, i, 151) * DAY / YEAR
        prof = _profile(plan, i, _SB_STEALTH, age, np.zeros(i.size, bool), False)
        fill(m, plan.t1 - age * YEAR, prof, usernames(key, i, _SB_STEALTH + 60, "organic"))
    m = (idx >= plan.a0) & (idx < plan.v0)
    if m.any():
        i = idx[m]
        farm, k = np.divmod(i - plan.a0, plan.farm_size)
        batch = farm * 100_000 + k // p.aged_batch_size
        lo, hi = p.aged_age_days
        age_days = lo + (hi - lo) * uniform(key, batch, 350)
        created = plan.t0 - age_days * DAY + uniform(key, i, 351) * 6 * HOUR
        prof = _farm_profile(plan, i, _SB_AGED, "aged")
        fill(m, created, prof, usernames(key, i, _SB_AGED + 60, "aged"))
    m = (idx >= plan.v0) & (idx < plan.q0)
    if m.any():
        i = idx[m]
        created = plan.naive_t0 + (i - plan.v0 + uniform(key, i, 250)) * (
            DAY / p.naive_accounts_per_day
        )
        prof = _farm_profile(plan, i, _SB_NAIVE, "naive")
        fill(m, created, prof, usernames(key, i, _SB_NAIVE + 60, "naive"))
    m = (idx >= plan.q0) & (idx < plan.h0)
    if m.any():
        i = idx[m]
        fol = _lognorm_int(key, i, _SB_POD + 1, p.pod_followers_median, 1.0)
        prof = _creatorlike_profile(plan, i, _SB_POD, fol)
        created = plan.t0 - (1.0 + 5.0 * uniform(key, i, _SB_POD + 8)) * YEAR
        fill(m, created, prof, usernames(key, i, _SB_POD + 60, "organic"))
    m = idx >= plan.h0
    if m.any():
        i = idx[m]
        farm = (i - plan.h0) // plan.hollow_size
        age = _settled_age(plan, i)  # aged: genuine ages without the young share, one by one
        prof = _hollow_profile(plan, i, farm)
        organic_name = uniform(key, i, _SB_HOLLOW + 9) < _hollow_farm_value(
            plan, farm, 6, p.hollow_organic_name_share, log=False
        )
        names = np.where(
            organic_name,
            usernames(key, i, _SB_HOLLOW + 60, "organic"),
            usernames(key, i, _SB_HOLLOW + 80, "aged"),
        )
        fill(m, plan.t1 - age * YEAR, prof, names)
    return out


def liker_ids(plan: WorldPlan, idx: np.ndarray) -> np.ndarray:
    perm = permute(idx, plan.id_keys, plan.id_half, 10**plan.id_width)
    return np.strings.add("u", np.strings.zfill(perm.astype(str), plan.id_width))

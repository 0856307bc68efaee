"""Synthetic like events with ground truth: an organic world plus a ladder of attackers.

No public data set has like events with fraud labels, so the project evaluates on a simulated
world. The simulator models the world as it is (not as any detector sees it); every distribution
parameter lives in :class:`SimulationParams`.

Structure of the world
----------------------
*Time.* A window of ``window_days`` (default 60) ending at ``window_end`` (2026-06-30 00:00 UTC).
Likes after the window end are not observed (recent posts are censored, as in a real crawl).
Timestamps have one-second resolution and are tz-aware UTC (``datetime64[us, UTC]``).

*Creators.* Followers are log-uniform between ``creator_followers_min`` and
``creator_followers_max`` (1k..1M). Each creator has a content category, an audience time zone,
an engagement rate (lognormal around 3 % at 100k followers, higher for small creators) and a
posting rate (lognormal, ~2 posts a week). Posts are published on random days at local prime
time (around 12:30 and 19:30).

*Likes per post* = followers x engagement rate x per-post lognormal factor x ``likes_scale``,
capped at ``max_likes_per_post``, then Poisson. ``likes_scale`` is a sampling knob that keeps the
data tractable (default: the 40-creator world has ~25-50k likes, ~5 MB of CSV); it does not change
the structure, but small creators get only a few likes per post. Posts without likes have no row.

*Accounts.* One global population of genuine accounts, arranged on a ring of 12 overlapping
category communities, so people follow several creators and audiences overlap. Attributes come
from one latent activity factor that drives followers (lognormal, long tail), following
(~100..1000, capped at 7500) and posts (zero for lurkers, otherwise growing with account age);
ages run from days (a ``young_account_share`` of new users) to ~12 years; some accounts are
private, lack an avatar or a bio; a few popular ones are verified; usernames are mostly names and
words with few digits. Every attribute is a deterministic hash of (seed, account index), so an
account is identical wherever it appears (and across chunks). Liker ids are a keyed permutation
of the account index, so ids carry no information about the account type.

*Organic likes* of a post come from three sources: loyal fans (a subset of the creator's audience
pool that likes most posts, many within minutes thanks to notifications), casual audience
members (sampled from the rest of the pool) and discovery likes from non-followers anywhere in
the population (the For You feed). Audience pools favour the creator's time zone. Like delays
after publication rise and decay (a fast and a slow lognormal component: most likes within 48 h,
long tail) and are thinned by the liker's local daily cycle (few likes at local night).

*Hard honest negatives.* ``organic_viral`` creators have one post that takes off: a genuine
burst of 10-100x the usual likes within a few hours, from non-followers all over the population
with a tilt towards new-ish accounts. ``organic_new_creator`` creators started posting 15-40 days
before the window end, grow fast (10k-200k followers, high engagement, rising likes per post) and
have a young audience (accounts much younger than usual, hence with few posts and followers).
Inflated creators can also be new or have a viral post.

*Inauthentic ladder* (``inflated_share`` of the creators, tiers of ``inflated_tiers`` assigned
in rotation). Unless a tier says otherwise, the fake likes number ``s / (1 - s)`` times the
organic ones (at least ``min_fake_likes``, so tiny creators end up above ``s``), with ``s``
log-uniform in [3 %, 80 %].
The realised share is reported in ``creators.inauthentic_share``.

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
   :data:`POPULATIONS` use it, the default world does not): accounts registered one by one
   months to years ago (organic age distribution) that like the way the audience does (spread
   over the posts like the organic likes, organic delays and daily cycle, a creator-sized
   subset of the farm returning across posts). Only their profile gives them away: the traits
   documented for bought followers (Cresci et al. 2015, "Fame for sale"): followed by few,
   following many, few or no posts, often no avatar or bio. Each farm draws its medians as
   multiples of the world's genuine medians from wide ranges (``hollow_*``), so the traits are
   relative to the platform and overlap the genuine population.

Reproducibility: the world plan (creators, pods, farms, index ranges) comes from
``default_rng([seed, 0])``; creator ``i``'s posts and likes from ``default_rng([seed, 1, i])``;
account attributes from a hash of (seed, account index). Hence chunked generation equals the
in-memory one for any chunk size.
"""

from __future__ import annotations

import functools
import math
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

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

#: Content categories. TikTok Pulse offers 12 categories but never published the full list;
#: the announced ones include beauty, fashion, food/cooking, gaming, sports and pets. The rest
#: are TikTok's largest verticals.
CATEGORIES: tuple[str, ...] = (
    "beauty",
    "fashion",
    "food",
    "gaming",
    "sports",
    "travel",
    "music",
    "comedy",
    "education",
    "pets",
    "tech",
    "lifestyle",
)

LIKES_COLUMNS: tuple[str, ...] = (
    "creator_id",
    "post_id",
    "liker_id",
    "liked_at",
    "post_published_at",
    "creator_followers",
    "account_created_at",
    "followers",
    "following",
    "posts",
    "has_avatar",
    "is_private",
    "is_verified",
    "bio_length",
    "username",
    "is_fake",
    "tier",
)

#: Contract columns first; ``account_id`` (the creator's own account, in liker-id space) and
#: ``pod_id`` ("" when not in a pod) are extra ground truth for evaluation.
CREATORS_COLUMNS: tuple[str, ...] = (
    "creator_id",
    "tier",
    "inauthentic_share",
    "category",
    "followers",
    "scenario",
    "likes",
    "account_id",
    "pod_id",
)

_TIERS: tuple[str, ...] = ("organic", "naive", "aged", "stealth", "pod", "hollow")
_INFLATED_TIERS: tuple[str, ...] = ("naive", "aged", "stealth", "pod")
#: Every inflated tier :attr:`SimulationParams.inflated_tiers` may name (``hollow`` is opt-in).
_ALL_INFLATED_TIERS: tuple[str, ...] = _TIERS[1:]
_ORGANIC, _NAIVE, _AGED, _STEALTH, _POD, _HOLLOW = range(6)
_DAY = 86400.0
_HOUR = 3600.0
_YEAR = 365.25 * _DAY


@dataclass(frozen=True)
class SimulationParams:
    """Every distribution parameter of the simulated world (units in the comments)."""

    # --- time ---
    window_end: str = "2026-06-30T00:00:00+00:00"  # end of observation (ISO 8601, UTC)
    window_days: float = 60.0  # length of the simulated window (days)

    # --- creators ---
    creator_followers_min: float = 1_000.0  # smallest creator (followers)
    creator_followers_max: float = 1_000_000.0  # largest creator (followers), log-uniform between
    engagement_rate_median: float = 0.03  # median likes per follower per post (fraction)
    engagement_rate_sigma: float = 0.6  # lognormal sigma of the engagement rate across creators
    engagement_rate_size_exponent: float = -0.2  # elasticity of the median rate w.r.t. followers
    engagement_rate_ref_followers: float = 100_000.0  # size at which the median applies
    post_likes_sigma: float = 0.5  # lognormal sigma of a post's likes around the creator mean
    likes_scale: float = 0.012  # sampling factor applied to expected likes (dimensionless)
    max_likes_per_post: int = 150  # cap on expected organic likes of a non-viral post (likes)
    posts_per_week_median: float = 2.0  # median posting rate across creators (posts/week)
    posts_per_week_sigma: float = 0.5  # lognormal sigma of the posting rate across creators
    posts_min: int = 3  # fewest posts per creator in the window (posts)
    posts_max: int = 120  # most posts per creator in the window (posts, < 1000)
    post_hour_peaks: tuple[float, float] = (12.5, 19.5)  # local publishing peaks (hour of day)
    post_hour_sd: float = 2.0  # sd of the publishing hour around a peak (hours)
    post_hour_midday_prob: float = 0.4  # probability of the midday peak (fraction)
    timezones: tuple[tuple[float, float], ...] = (  # (UTC offset in hours, weight)
        (-8.0, 0.12),
        (-6.0, 0.08),
        (-5.0, 0.16),
        (-3.0, 0.08),
        (0.0, 0.10),
        (1.0, 0.14),
        (2.0, 0.05),
        (3.0, 0.05),
        (5.5, 0.07),
        (7.0, 0.08),
        (8.0, 0.04),
        (9.0, 0.03),
    )

    # --- organic scenarios ---
    viral_share: float = 0.2  # share of organic creators with one viral post (fraction)
    new_creator_share: float = 0.15  # share of organic creators that are brand new (fraction)
    inflated_viral_prob: float = 0.1  # probability an inflated creator also has a viral post
    inflated_new_prob: float = 0.15  # probability an inflated creator is also brand new
    new_creator_followers: tuple[float, float] = (10_000.0, 200_000.0)  # log-uniform (followers)
    new_creator_er_boost: float = 2.0  # engagement-rate multiplier of fast-growing new creators
    new_creator_start_days: tuple[float, float] = (15.0, 40.0)  # first post, days before end
    new_creator_growth: float = 3.0  # likes ratio last post / first post of a new creator
    new_creator_old_accept: float = 0.15  # acceptance of accounts older than the young age
    young_audience_years: float = 1.5  # "young" account age for new-creator audiences (years)
    viral_multiplier: tuple[float, float] = (10.0, 100.0)  # viral likes / mean likes (log-unif.)
    viral_min_likes: int = 150  # fewest likes of a viral post (likes)
    viral_max_likes: int = 1_500  # most likes of a viral post (likes)
    viral_onset_median_h: float = 5.0  # median time from publication to take-off (hours)
    viral_burst_h: tuple[float, float] = (1.0, 6.0)  # duration scale of the burst (hours)
    viral_old_accept: float = 0.5  # acceptance of accounts older than 1 year among viral likers

    # --- audiences ---
    audience_size_factor: float = 4.0  # audience pool size / mean expected likes per post
    audience_min: int = 30  # smallest audience pool (accounts)
    loyal_like_share: float = 0.3  # share of a post's organic likes from loyal fans (fraction)
    loyal_like_prob: tuple[float, float] = (0.5, 0.9)  # a loyal fan's P(like a post), uniform
    loyal_notify_share: float = 0.4  # share of loyal-fan likes driven by notifications
    notify_delay_median_min: float = 6.0  # median delay of a notified like (minutes)
    notify_delay_sigma: float = 0.9  # lognormal sigma of notified delays
    discovery_share: float = 0.25  # share of non-loyal likes from non-followers (fraction)
    category_affinity: float = 0.75  # P(audience member from the creator's category community)
    community_width: float = 0.15  # width of a category community (fraction of population)
    tz_mismatch_accept: float = 0.15  # acceptance of audience members from another time zone
    population_factor: float = 1.5  # genuine population size / sum of audience pool sizes
    population_min: int = 20_000  # smallest genuine population (accounts)

    # --- organic timing ---
    delay_fast_median_h: float = 1.5  # median delay of the fast component (hours)
    delay_fast_sigma: float = 1.1  # lognormal sigma of the fast component
    delay_slow_median_h: float = 14.0  # median delay of the slow component (hours)
    delay_slow_sigma: float = 1.0  # lognormal sigma of the slow component
    delay_slow_share: float = 0.35  # share of likes from the slow component (fraction)
    diurnal_peaks_h: tuple[float, float] = (13.0, 21.0)  # local activity peaks (hour of day)
    diurnal_midday_weight: float = 0.6  # weight of the midday peak relative to the evening one
    diurnal_kappa: float = 2.0  # concentration of the daily peaks (von Mises kappa)
    diurnal_floor: float = 0.05  # minimum relative activity at local night (fraction of peak)

    # --- genuine accounts ---
    acct_age_median_years: float = 3.0  # median account age at window end (years)
    acct_age_sigma: float = 0.7  # lognormal sigma of the account age
    acct_age_max_years: float = 12.0  # oldest account (years)
    acct_age_min_years: float = 0.25  # youngest non-"young" account (years)
    young_account_share: float = 0.12  # share of young accounts (fraction)
    young_account_days: tuple[float, float] = (2.0, 180.0)  # young account age, uniform (days)
    followers_median: float = 120.0  # median followers of a 3-year-old average account
    followers_sigma: float = 1.5  # lognormal sigma of followers
    followers_activity_corr: float = 0.6  # correlation of log followers with activity
    followers_age_coef: float = 0.4  # elasticity of followers with respect to account age
    following_median: float = 300.0  # median following (accounts)
    following_sigma: float = 0.7  # lognormal sigma of following
    following_activity_coef: float = 0.3  # log following per unit of activity
    following_max: int = 7_500  # platform cap on following (accounts)
    lurker_share: float = 0.3  # share of accounts with zero posts (fraction)
    lurker_share_young: float = 0.55  # same among young accounts (fraction)
    posts_median: float = 25.0  # median posts of a 3-year-old active account (posts)
    posts_sigma: float = 1.0  # lognormal sigma of posts
    posts_activity_coef: float = 0.8  # log posts per unit of activity
    posts_age_exponent: float = 0.7  # elasticity of posts with respect to account age
    avatar_share: float = 0.88  # share with an avatar at average activity (fraction)
    avatar_activity_coef: float = 0.7  # logit change per unit of activity
    avatar_young_penalty: float = 0.8  # logit penalty for young accounts
    private_share: float = 0.25  # share of private accounts (fraction)
    verified_followers_min: int = 50_000  # accounts from here may be verified (followers)
    verified_prob_big: float = 0.25  # P(verified) above verified_followers_min
    verified_prob_base: float = 2e-4  # P(verified) otherwise
    bio_empty_share: float = 0.45  # share with an empty bio at average activity (fraction)
    bio_median: float = 40.0  # median length of a non-empty bio (characters)
    bio_sigma: float = 0.7  # lognormal sigma of the bio length
    bio_max: int = 150  # maximal bio length (characters)

    # --- inflation ---
    inflation_share: tuple[float, float] = (0.03, 0.80)  # share of fake likes, log-uniform
    min_fake_likes: int = 20  # fewest planned fake likes of an inflated creator (likes)
    # naive bought likes
    naive_posts: tuple[int, int] = (1, 3)  # posts receiving a purchase (inclusive range)
    naive_purchase_delay_median_h: float = 2.0  # median purchase time after publication (hours)
    naive_purchase_delay_sigma: float = 1.0  # lognormal sigma of the purchase delay
    naive_burst_min: tuple[float, float] = (3.0, 20.0)  # delivery duration, uniform (minutes)
    naive_account_age_days: tuple[float, float] = (1.0, 10.0)  # age at purchase (days)
    naive_accounts_per_day: int = 5_000  # accounts the naive sellers register per day
    naive_max_per_post: int = 5_000  # largest purchase per post (likes)
    naive_following_median: float = 1_200.0  # median following of naive accounts
    naive_followers_mean: float = 2.0  # mean followers of naive accounts (exponential)
    naive_avatar_share: float = 0.3  # share of naive accounts with an avatar
    # aged account farms
    aged_n_farms: int = 3  # number of aged farms (farms)
    aged_farm_size: int = 1_500  # smallest number of accounts per farm
    farm_accounts_per_creator: float = 20.0  # pools grow with their clients (accounts/creator)
    aged_batch_size: int = 200  # accounts registered together (accounts)
    aged_age_days: tuple[float, float] = (90.0, 1_500.0)  # batch age at window start (days)
    aged_post_fraction: tuple[float, float] = (0.5, 1.0)  # share of posts targeted, uniform
    aged_start_delay_median_h: float = 2.0  # median drip start after publication (hours)
    aged_drip_h: tuple[float, float] = (6.0, 72.0)  # drip duration per post, uniform (hours)
    aged_min_per_post: int = 5  # fewest planned likes of a drip on one post (likes)
    aged_followers_mean: float = 15.0  # mean followers of farm accounts (exponential)
    aged_following_median: float = 600.0  # median following of farm accounts
    aged_posts_max: float = 40.0  # farm accounts' posts: log-uniform 1..this (some zero)
    aged_avatar_share: float = 0.65  # share of farm accounts with an avatar
    # stealth farms
    stealth_pool_size: int = 600  # smallest shared stealth pool (accounts)
    stealth_batch_size: int = 50  # pool accounts registered on the same day (accounts)
    stealth_post_fraction: tuple[float, float] = (0.4, 1.0)  # share of posts targeted, uniform
    stealth_start_delay_median_h: float = 1.0  # median job start after publication (hours)
    stealth_start_delay_sigma: float = 1.0  # lognormal sigma of the job start
    stealth_job_min: tuple[float, float] = (2.0, 8.0)  # job duration, uniform (minutes)
    stealth_max_job_share: float = 0.6  # largest job as a share of the pool (fraction)
    stealth_min_job: int = 10  # fewest planned likes of one farm job (likes)
    # engagement pods
    pod_size: tuple[int, int] = (10, 30)  # members per pod (inclusive range)
    pod_delay_median_min: float = 8.0  # median pod like delay (minutes)
    pod_delay_sigma: float = 0.8  # lognormal sigma of pod delays
    pod_followers_median: float = 6_000.0  # median followers of pod members (not in the world)
    # hollow-account farms (opt-in tier): aged accounts, organic like timing, hollow profiles.
    # Each farm draws its own profile medians, as multiples of the genuine medians of the same
    # world (followers_median, following_median, posts_median), log-uniform in these ranges.
    hollow_n_farms: int = 3  # number of hollow farms (farms)
    hollow_farm_size: int = 1_500  # smallest number of accounts per farm (grows with clients)
    hollow_followers_factor: tuple[float, float] = (0.02, 0.3)  # farm median / genuine median
    hollow_followers_sigma: float = 1.0  # lognormal sigma of followers within a farm
    hollow_following_factor: tuple[float, float] = (2.0, 10.0)  # farm median / genuine median
    hollow_following_sigma: float = 0.7  # lognormal sigma of following within a farm
    hollow_posts_factor: tuple[float, float] = (0.01, 0.2)  # farm median / genuine median
    hollow_posts_sigma: float = 1.2  # lognormal sigma of posts within a farm
    hollow_no_posts_share: tuple[float, float] = (0.2, 0.7)  # accounts without posts, uniform
    hollow_avatar_share: tuple[float, float] = (0.2, 0.8)  # accounts with an avatar, uniform
    hollow_bio_empty_share: tuple[float, float] = (0.6, 0.95)  # accounts without a bio, uniform
    hollow_organic_name_share: tuple[float, float] = (0.3, 1.0)  # name-like usernames, uniform
    diurnal_max_tries: int = 30  # resampling rounds of the daily-cycle thinning
    # tiers of the inflated creators, assigned in rotation (any of naive, aged, stealth, pod,
    # hollow; the default world has the four-tier ladder)
    inflated_tiers: tuple[str, ...] = _INFLATED_TIERS


# ----------------------------------------------------------------------------- hashing
_U = np.uint64
_MASK64 = (1 << 64) - 1


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on a uint64 array (wrapping arithmetic)."""
    x = x ^ (x >> _U(30))
    x = x * _U(0xBF58476D1CE4E5B9)
    x = x ^ (x >> _U(27))
    x = x * _U(0x94D049BB133111EB)
    return x ^ (x >> _U(31))


def _hash(key: int, idx: np.ndarray, stream: int) -> np.ndarray:
    x = np.atleast_1d(np.asarray(idx, dtype=np.int64)).astype(np.uint64)
    salt = _U((key + stream * 0xD1B54A32D192ED03) & _MASK64)
    return _mix(_mix(x * _U(0x9E3779B97F4A7C15) + salt))


def _unif(key: int, idx: np.ndarray, stream: int) -> np.ndarray:
    """Uniform(0, 1) per (key, index, stream), open interval."""
    return ((_hash(key, idx, stream) >> _U(11)).astype(np.float64) + 0.5) * (1.0 / 2.0**53)


def _norm(key: int, idx: np.ndarray, stream: int) -> np.ndarray:
    """Standard normal per (key, index, stream) via Box-Muller."""
    u1 = _unif(key, idx, stream + 0x10000)
    u2 = _unif(key, idx, stream + 0x20000)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def _feistel(x: np.ndarray, keys: tuple[int, ...], half: int) -> np.ndarray:
    mask = _U((1 << half) - 1)
    left, right = x >> _U(half), x & mask
    for k in keys:
        left, right = right, left ^ (_mix(right + _U(k)) & mask)
    return (left << _U(half)) | right


def _permute(x: np.ndarray, keys: tuple[int, ...], half: int, modulus: int) -> np.ndarray:
    """Keyed bijection of [0, modulus) (Feistel network with cycle walking)."""
    cur = x.astype(np.uint64)
    out = cur.copy()
    pos = np.arange(cur.size)
    while pos.size:
        cur = _feistel(cur, keys, half)
        ok = cur < _U(modulus)
        out[pos[ok]] = cur[ok]
        pos, cur = pos[~ok], cur[~ok]
    return out.astype(np.int64)


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# ----------------------------------------------------------------------------- usernames
_FIRST = np.array(
    "emma olivia ava mia sofia isabella amelia luna chloe lily grace zoe nora ella hannah "
    "lea lena julia sara anna maria laura clara elena ines lucia paula marta alice giulia "
    "camille manon chiara aisha fatima priya ananya yuki sakura mei lin hana jisoo minji "
    "ana carla bianca gabi liam noah lucas mateo leo ethan james oliver jack henry sam max "
    "ben tom adam david daniel alex chris ryan kevin jason mike nick josh matt luis carlos "
    "diego pablo javi marco luca paolo hugo louis theo felix jonas lukas omar ali ahmed "
    "rahul arjun kenji hiro minho joon wei jun tuan bao kofi tunde musa andre rafa thiago "
    "joao pedro ivan dmitri nikos kai finn milo".split()
)
_LAST = np.array(
    "smith johnson brown garcia miller davis lopez wilson martin lee moore taylor thomas "
    "white harris clark lewis walker hall allen young king wright scott green baker adams "
    "nelson hill rivera campbell mitchell roberts carter phillips evans turner torres "
    "parker collins edwards stewart morris nguyen tran kim park chen wang li zhang singh "
    "patel khan ali silva santos costa pereira oliveira rossi russo ferrari muller schmidt "
    "schneider fischer weber meyer dubois moreau laurent bernard petit novak kowalski "
    "ivanova popescu jensen larsen hansen berg".split()
)
_WORDS = np.array(
    "sunny coffee pixel moon wild ocean sky star blue green rose honey cookie peach mango "
    "cherry lemon vanilla cloud storm river forest mountain desert city urban retro vintage "
    "neon dream happy lucky chill cozy daily travel foodie gamer music dance art photo "
    "style beauty fit yoga run bike surf skate ski chef baker bookworm nerd geek tech code "
    "pet dog cat puppy kitty bunny fox wolf bear lion tiger panda koala owl bee butterfly "
    "wave sun rain snow autumn summer spring winter night late early little big tiny super "
    "real official vibes life world diaries journey story".split()
)
_SEPS = np.array(["", ".", "_"])
_LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))


def _pick(words: np.ndarray, u: np.ndarray) -> np.ndarray:
    return words[np.minimum((u * words.size).astype(np.int64), words.size - 1)]


def _digits(u: np.ndarray, ndig: np.ndarray) -> np.ndarray:
    """A number with exactly ``ndig`` digits (1..11), as strings."""
    lo = np.power(10, ndig.astype(np.int64) - 1)
    return (lo + np.floor(u * 9 * lo).astype(np.int64)).astype(str)


def _cat(*parts: np.ndarray) -> np.ndarray:
    out = parts[0]
    for part in parts[1:]:
        out = np.strings.add(out, part)
    return out


def _usernames(key: int, idx: np.ndarray, sb: int, style: str) -> np.ndarray:
    """Usernames: "organic" (names and words, few digits), "naive" (many digits), "aged"."""
    n = idx.size
    first = _pick(_FIRST, _unif(key, idx, sb + 1))
    last = _pick(_LAST, _unif(key, idx, sb + 2))
    word = _pick(_WORDS, _unif(key, idx, sb + 3))
    word2 = _pick(_WORDS, _unif(key, idx, sb + 4))
    sep = _pick(_SEPS, _unif(key, idx, sb + 5))
    ud = _unif(key, idx, sb + 6)
    pat = _unif(key, idx, sb + 7)
    out = np.empty(n, dtype="<U40")
    if style == "organic":
        yy = (np.floor(_unif(key, idx, sb + 8) * 28).astype(np.int64) + 85) % 100  # 85..12
        two = np.strings.zfill(yy.astype(str), 2)
        year = (1975 + np.floor(ud * 38).astype(np.int64)).astype(str)
        choices = [
            (0.22, lambda m: _cat(first[m], sep[m], last[m])),
            (0.40, lambda m: _cat(first[m], word[m])),
            (0.55, lambda m: _cat(word[m], sep[m], word2[m])),
            (0.65, lambda m: _cat(first[m], sep[m], word[m])),
            (0.75, lambda m: _cat(np.full(m.sum(), "its"), first[m], sep[m], last[m])),
            (0.87, lambda m: _cat(first[m], last[m], two[m])),
            (0.95, lambda m: _cat(first[m], sep[m], year[m])),
            (1.01, lambda m: _cat(first[m], _digits(ud[m], 1 + (pat[m] * 1e3 % 3).astype(int)))),
        ]
    elif style == "naive":
        nd = 6 + np.floor(_unif(key, idx, sb + 8) * 5).astype(np.int64)  # 6..10 digits
        letters = _LETTERS[
            np.floor(np.stack([_unif(key, idx, sb + 20 + j) for j in range(8)], 1) * 26).astype(
                np.int64
            )
        ]
        rand = np.ascontiguousarray(letters).view("<U8").ravel()
        choices = [
            (0.45, lambda m: _cat(first[m], _digits(ud[m], nd[m]))),
            (0.65, lambda m: _cat(np.full(m.sum(), "user"), _digits(ud[m], nd[m] + 1))),
            (0.85, lambda m: _cat(first[m], last[m], _digits(ud[m], nd[m] - 1))),
            (1.01, lambda m: _cat(rand[m], _digits(ud[m], nd[m] - 4))),
        ]
    else:  # aged
        nd = 3 + np.floor(_unif(key, idx, sb + 8) * 4).astype(np.int64)  # 3..6 digits
        choices = [
            (0.45, lambda m: _cat(first[m], last[m], _digits(ud[m], nd[m]))),
            (0.70, lambda m: _cat(first[m], sep[m], word[m], _digits(ud[m], nd[m] - 1))),
            (0.85, lambda m: _cat(first[m], word[m])),
            (1.01, lambda m: _cat(first[m], _digits(ud[m], nd[m] + 2))),
        ]
    lo = 0.0
    for hi, make in choices:
        m = (pat >= lo) & (pat < hi)
        if m.any():
            out[m] = make(m)
        lo = hi
    return out


# ----------------------------------------------------------------------------- world plan
@dataclass
class _Plan:
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


def _loguniform(rng: np.random.Generator, lo: float, hi: float, size: int) -> np.ndarray:
    return np.exp(rng.uniform(math.log(lo), math.log(hi), size))


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


def _make_plan(n: int, seed: int, p: SimulationParams, inflated_share: float) -> _Plan:
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
    if not tiers or len(set(tiers)) != len(tiers) or not set(tiers) <= set(_ALL_INFLATED_TIERS):
        raise ValueError(
            f"inflated_tiers must be distinct names among {_ALL_INFLATED_TIERS}, got {tiers}"
        )
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    key = int(np.random.SeedSequence([seed, 2]).generate_state(1, np.uint64)[0])
    t1 = pd.Timestamp(p.window_end).tz_convert("UTC").timestamp()
    t0 = t1 - p.window_days * _DAY
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
        _loguniform(rng, *p.new_creator_followers, n),
        _loguniform(rng, p.creator_followers_min, p.creator_followers_max, n),
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
    start = np.where(is_new, t1 - start_days * _DAY, t0)
    rate = p.posts_per_week_median * np.exp(p.posts_per_week_sigma * rng.standard_normal(n))
    n_posts = np.clip(rng.poisson(rate * (t1 - start) / (7 * _DAY)), p.posts_min, p.posts_max)
    lo, hi = p.inflation_share
    share = np.where(is_inf, _loguniform(rng, lo, hi, n), 0.0)
    er = np.where(is_new, er * p.new_creator_er_boost, er)
    lam_mean = np.minimum(followers * er * p.likes_scale, p.max_likes_per_post)
    audience = np.maximum(p.audience_min, np.ceil(p.audience_size_factor * lam_mean)).astype(
        np.int64
    )
    acct_age = np.where(is_new, rng.uniform(5, 60, n), rng.uniform(30, 1_500, n)) * _DAY
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
    naive_t0 = t0 - naive_lead * _DAY
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
    return _Plan(
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


# ----------------------------------------------------------------------------- accounts
# Hash stream bases per account type (attributes of different types are independent).
_SB_GEN, _SB_STEALTH, _SB_NAIVE, _SB_AGED, _SB_POD, _SB_CREATOR = 0, 100, 200, 300, 400, 500
_SB_HOLLOW, _SB_HOLLOW_FARM = 600, 700


def _settled_age(plan: _Plan, idx: np.ndarray) -> np.ndarray:
    """Age at window end (years) of accounts that are not "young" (the lognormal part)."""
    p = plan.p
    old = np.exp(math.log(p.acct_age_median_years) + p.acct_age_sigma * _norm(plan.key, idx, 51))
    return np.clip(old, p.acct_age_min_years, p.acct_age_max_years)


def _genuine_age(plan: _Plan, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(age at window end in years, young flag) of genuine accounts."""
    p, key = plan.p, plan.key
    young = _unif(key, idx, _SB_GEN + 50) < p.young_account_share
    old = _settled_age(plan, idx)
    lo, hi = p.young_account_days
    young_age = (lo + (hi - lo) * _unif(key, idx, _SB_GEN + 52)) / 365.25
    return np.where(young, young_age, old), young


def _genuine_tz(plan: _Plan, idx: np.ndarray) -> np.ndarray:
    u = _unif(plan.key, idx, _SB_GEN + 53)
    return plan.tz_values[np.minimum(np.searchsorted(plan.tz_cum, u), plan.tz_values.size - 1)]


def _profile(
    plan: _Plan, idx: np.ndarray, sb: int, age_y: np.ndarray, young: np.ndarray, verified_ok: bool
) -> dict[str, np.ndarray]:
    """Organic-looking attributes driven by a latent activity factor and the account age."""
    p, key = plan.p, plan.key
    z = _norm(key, idx, sb + 1)
    age_term = np.log(np.maximum(age_y, 0.01) / p.acct_age_median_years)
    rho = p.followers_activity_corr
    lf = (
        math.log(p.followers_median)
        + p.followers_sigma * (rho * z + math.sqrt(1 - rho**2) * _norm(key, idx, sb + 2))
        + p.followers_age_coef * age_term
    )
    followers = np.maximum(np.floor(np.exp(lf) - 1.0), 0).astype(np.int64)
    lfo = (
        math.log(p.following_median)
        + p.following_activity_coef * z
        + p.following_sigma * _norm(key, idx, sb + 3)
    )
    following = np.clip(np.floor(np.exp(lfo)), 0, p.following_max).astype(np.int64)
    lurker = _unif(key, idx, sb + 6) < np.where(young, p.lurker_share_young, p.lurker_share)
    lp = (
        math.log(p.posts_median)
        + p.posts_activity_coef * z
        + p.posts_sigma * _norm(key, idx, sb + 4)
        + p.posts_age_exponent * age_term
    )
    posts = np.where(lurker, 0, np.minimum(np.floor(np.exp(lp)), 50_000)).astype(np.int64)
    avatar_logit = (
        _logit(p.avatar_share) + p.avatar_activity_coef * z - p.avatar_young_penalty * young
    )
    has_avatar = _unif(key, idx, sb + 7) < _sigmoid(avatar_logit)
    is_private = _unif(key, idx, sb + 8) < p.private_share
    verified = (
        (followers >= p.verified_followers_min) & (_unif(key, idx, sb + 9) < p.verified_prob_big)
    ) | (_unif(key, idx, sb + 10) < p.verified_prob_base)
    is_verified = verified & verified_ok
    bio_empty = _unif(key, idx, sb + 11) < _sigmoid(_logit(p.bio_empty_share) - 0.5 * z)
    bio = np.clip(
        np.floor(np.exp(math.log(p.bio_median) + p.bio_sigma * _norm(key, idx, sb + 5))),
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
    return np.floor(-mean * np.log(_unif(key, idx, stream))).astype(np.int64)


def _lognorm_int(key: int, idx: np.ndarray, stream: int, median: float, sigma: float):
    return np.floor(median * np.exp(sigma * _norm(key, idx, stream))).astype(np.int64)


def _farm_profile(plan: _Plan, idx: np.ndarray, sb: int, kind: str) -> dict[str, np.ndarray]:
    p, key = plan.p, plan.key
    u = lambda s: _unif(key, idx, sb + s)  # noqa: E731
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
    plan: _Plan, farm: np.ndarray, stream: int, bounds: tuple[float, float], log: bool = True
) -> np.ndarray:
    """One parameter of each hollow farm, drawn in ``bounds`` (log-uniform or uniform)."""
    u = _unif(plan.key, farm, _SB_HOLLOW_FARM + stream)
    lo, hi = bounds
    if log:
        return np.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
    return lo + u * (hi - lo)


def _hollow_profile(plan: _Plan, idx: np.ndarray, farm: np.ndarray) -> dict[str, np.ndarray]:
    """Hollow accounts: follow many, followed by few, post little, often no avatar or bio.

    The traits the fake-follower literature documents (Cresci et al. 2015, "Fame for sale"),
    with each farm's medians drawn from wide generic ranges, so no single threshold separates
    them from the genuine population.
    """
    p, key = plan.p, plan.key
    u = lambda s: _unif(key, idx, _SB_HOLLOW + s)  # noqa: E731
    value = functools.partial(_hollow_farm_value, plan, farm)
    followers = np.floor(
        p.followers_median
        * value(0, p.hollow_followers_factor)
        * np.exp(p.hollow_followers_sigma * _norm(key, idx, _SB_HOLLOW + 1))
    )
    following = np.floor(
        p.following_median
        * value(1, p.hollow_following_factor)
        * np.exp(p.hollow_following_sigma * _norm(key, idx, _SB_HOLLOW + 2))
    )
    posts = np.floor(
        p.posts_median
        * value(2, p.hollow_posts_factor)
        * np.exp(p.hollow_posts_sigma * _norm(key, idx, _SB_HOLLOW + 3))
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
                np.floor(p.bio_median * np.exp(p.bio_sigma * _norm(key, idx, _SB_HOLLOW + 8))),
                1,
                p.bio_max,
            ),
        ).astype(np.int64),
    }


def _creatorlike_profile(plan: _Plan, idx: np.ndarray, sb: int, followers: np.ndarray):
    p, key = plan.p, plan.key
    u = lambda s: _unif(key, idx, sb + s)  # noqa: E731
    return {
        "followers": followers.astype(np.int64),
        "following": np.minimum(_lognorm_int(key, idx, sb + 2, 450.0, 0.5), p.following_max),
        "posts": _lognorm_int(key, idx, sb + 3, 200.0, 0.7),
        "has_avatar": u(4) < 0.98,
        "is_private": u(5) < 0.02,
        "is_verified": (followers >= p.verified_followers_min) & (u(6) < 0.4),
        "bio_length": (40 + np.floor(u(7) * (p.bio_max - 39))).astype(np.int64),
    }


_ATTR_COLUMNS = (
    "followers",
    "following",
    "posts",
    "has_avatar",
    "is_private",
    "is_verified",
    "bio_length",
)


def _accounts(plan: _Plan, idx: np.ndarray) -> dict[str, np.ndarray]:
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
        for col in _ATTR_COLUMNS:
            out[col][mask] = attrs[col]
        out["username"][mask] = names

    m = idx < plan.n_gen
    if m.any():
        i = idx[m]
        age, young = _genuine_age(plan, i)
        prof = _profile(plan, i, _SB_GEN, age, young, True)
        fill(m, plan.t1 - age * _YEAR, prof, _usernames(key, i, _SB_GEN + 60, "organic"))
    m = (idx >= plan.c0) & (idx < plan.s0)
    if m.any():
        i = idx[m]
        c = i - plan.c0
        prof = _creatorlike_profile(plan, i, _SB_CREATOR, plan.followers[c])
        fill(m, plan.acct_created[c], prof, _usernames(key, i, _SB_CREATOR + 60, "organic"))
    m = (idx >= plan.s0) & (idx < plan.a0)
    if m.any():
        i = idx[m]
        batch = (i - plan.s0) // p.stealth_batch_size
        batch_age = np.exp(
            math.log(p.acct_age_median_years) + p.acct_age_sigma * _norm(key, batch, 150)
        )
        batch_age = np.clip(batch_age, p.acct_age_min_years, p.acct_age_max_years)
        age = batch_age + _unif(key, i, 151) * _DAY / _YEAR
        prof = _profile(plan, i, _SB_STEALTH, age, np.zeros(i.size, bool), False)
        fill(m, plan.t1 - age * _YEAR, prof, _usernames(key, i, _SB_STEALTH + 60, "organic"))
    m = (idx >= plan.a0) & (idx < plan.v0)
    if m.any():
        i = idx[m]
        farm, k = np.divmod(i - plan.a0, plan.farm_size)
        batch = farm * 100_000 + k // p.aged_batch_size
        lo, hi = p.aged_age_days
        age_days = lo + (hi - lo) * _unif(key, batch, 350)
        created = plan.t0 - age_days * _DAY + _unif(key, i, 351) * 6 * _HOUR
        prof = _farm_profile(plan, i, _SB_AGED, "aged")
        fill(m, created, prof, _usernames(key, i, _SB_AGED + 60, "aged"))
    m = (idx >= plan.v0) & (idx < plan.q0)
    if m.any():
        i = idx[m]
        created = plan.naive_t0 + (i - plan.v0 + _unif(key, i, 250)) * (
            _DAY / p.naive_accounts_per_day
        )
        prof = _farm_profile(plan, i, _SB_NAIVE, "naive")
        fill(m, created, prof, _usernames(key, i, _SB_NAIVE + 60, "naive"))
    m = (idx >= plan.q0) & (idx < plan.h0)
    if m.any():
        i = idx[m]
        fol = _lognorm_int(key, i, _SB_POD + 1, p.pod_followers_median, 1.0)
        prof = _creatorlike_profile(plan, i, _SB_POD, fol)
        created = plan.t0 - (1.0 + 5.0 * _unif(key, i, _SB_POD + 8)) * _YEAR
        fill(m, created, prof, _usernames(key, i, _SB_POD + 60, "organic"))
    m = idx >= plan.h0
    if m.any():
        i = idx[m]
        farm = (i - plan.h0) // plan.hollow_size
        age = _settled_age(plan, i)  # aged: genuine ages without the young share, one by one
        prof = _hollow_profile(plan, i, farm)
        organic_name = _unif(key, i, _SB_HOLLOW + 9) < _hollow_farm_value(
            plan, farm, 6, p.hollow_organic_name_share, log=False
        )
        names = np.where(
            organic_name,
            _usernames(key, i, _SB_HOLLOW + 60, "organic"),
            _usernames(key, i, _SB_HOLLOW + 80, "aged"),
        )
        fill(m, plan.t1 - age * _YEAR, prof, names)
    return out


def _liker_ids(plan: _Plan, idx: np.ndarray) -> np.ndarray:
    perm = _permute(idx, plan.id_keys, plan.id_half, 10**plan.id_width)
    return np.strings.add("u", np.strings.zfill(perm.astype(str), plan.id_width))


# ----------------------------------------------------------------------------- sampling
def _diurnal_shape(h: np.ndarray, p: SimulationParams) -> np.ndarray:
    mid, eve = p.diurnal_peaks_h
    a = np.exp(p.diurnal_kappa * (np.cos(2 * np.pi * (h - eve) / 24) - 1))
    b = np.exp(p.diurnal_kappa * (np.cos(2 * np.pi * (h - mid) / 24) - 1))
    return a + p.diurnal_midday_weight * b


@functools.lru_cache(maxsize=32)
def _diurnal_norm(p: SimulationParams) -> float:
    return float(_diurnal_shape(np.linspace(0, 24, 1441), p).max())


def _diurnal(local_hour: np.ndarray, p: SimulationParams) -> np.ndarray:
    """Relative like intensity at a local hour (1 at the evening peak)."""
    shape = _diurnal_shape(local_hour, p) / _diurnal_norm(p)
    return p.diurnal_floor + (1 - p.diurnal_floor) * shape


def _organic_delays(
    rng: np.random.Generator, p: SimulationParams, notified: np.ndarray
) -> np.ndarray:
    """Seconds from publication to an organic like: a fast or slow lognormal, or, for a
    follower notified of the post, the notification delay; at least 5 s."""
    n = notified.size
    slow = rng.random(n) < p.delay_slow_share
    median = np.where(slow, p.delay_slow_median_h, p.delay_fast_median_h) * _HOUR
    sigma = np.where(slow, p.delay_slow_sigma, p.delay_fast_sigma)
    delay = median * np.exp(sigma * rng.standard_normal(n))
    notify = _lognormal(rng, p.notify_delay_median_min * 60, p.notify_delay_sigma, n)
    return np.maximum(np.where(notified, notify, delay), 5.0)


def _thin_by_daily_cycle(
    rng: np.random.Generator,
    draw: Callable[[np.ndarray], np.ndarray],
    tz: np.ndarray,
    p: SimulationParams,
) -> np.ndarray:
    """Draw absolute times, redrawing those rejected by the liker's local daily cycle."""
    out = np.empty(tz.size)
    todo = np.arange(tz.size)
    for _ in range(p.diurnal_max_tries):
        t = draw(todo)
        local = np.mod(t / _HOUR + tz[todo], 24.0)
        ok = rng.random(todo.size) < _diurnal(local, p)
        out[todo[ok]] = t[ok]
        todo, t = todo[~ok], t[~ok]
        if not todo.size:
            break
    out[todo] = t
    return out


def _rows_without_replacement(
    rng: np.random.Generator, counts: np.ndarray, pool: int
) -> tuple[np.ndarray, np.ndarray]:
    """For row r pick counts[r] distinct columns of range(pool); returns (rows, cols)."""
    counts = np.minimum(counts, pool)
    kmax = int(counts.max()) if counts.size else 0
    if kmax == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    rows = np.flatnonzero(counts)
    order = np.argsort(rng.random((rows.size, pool)), axis=1)[:, :kmax]
    keep = np.arange(kmax)[None, :] < counts[rows][:, None]
    return np.broadcast_to(rows[:, None], keep.shape)[keep], order[keep].astype(np.int64)


def _draw_genuine(
    rng: np.random.Generator,
    plan: _Plan,
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
            acc = acc * np.where(_genuine_tz(plan, idx) == tz, 1.0, p.tz_mismatch_accept)
        if old_accept is not None:
            age, _ = _genuine_age(plan, idx)
            acc = acc * np.where(age < young_years, 1.0, old_accept)
        idx = idx[rng.random(k) < acc][:need]
        got.append(idx)
        need -= idx.size
    return np.concatenate(got) if got else np.empty(0, np.int64)


def _sample_audience(rng: np.random.Generator, plan: _Plan, c: int, size: int) -> np.ndarray:
    """A creator's audience pool: distinct genuine accounts, in random order."""
    p = plan.p
    chosen = np.empty(0, np.int64)
    old_accept = p.new_creator_old_accept if plan.is_new[c] else None
    for _ in range(100):
        if chosen.size >= size:
            break
        cand = _draw_genuine(
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


def _lognormal(rng: np.random.Generator, median: float, sigma: float, size) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(size))


# ----------------------------------------------------------------------------- one creator
def _simulate_creator(plan: _Plan, c: int) -> dict[str, np.ndarray]:
    """Posts and likes of creator ``c`` from its own RNG stream."""
    p = plan.p
    rng = np.random.default_rng(np.random.SeedSequence([plan.seed, 1, c]))
    t1 = plan.t1
    tz_c = float(plan.tz[c])
    n_posts = int(plan.n_posts[c])

    # publication times: random days, local prime time
    off = tz_c * _HOUR
    first_day = math.floor((plan.start[c] + off) / _DAY)
    last_day = math.floor((t1 - 1 + off) / _DAY)
    n_days = last_day - first_day + 1
    days = first_day + rng.choice(n_days, n_posts, replace=n_posts > n_days)
    peak = np.where(rng.random(n_posts) < p.post_hour_midday_prob, *p.post_hour_peaks)
    hour = np.clip(peak + p.post_hour_sd * rng.standard_normal(n_posts), 6.0, 23.9)
    pub = days * _DAY - off + hour * _HOUR
    pub = np.where(pub < plan.start[c], pub + _DAY, pub)  # keep the local day inside the window
    pub = np.where(pub > t1 - 1800, pub - _DAY, pub)
    pub = np.sort(np.floor(np.clip(pub, plan.start[c], t1 - 1800)))

    # organic volumes
    ramp = (
        p.new_creator_growth ** np.linspace(-0.5, 0.5, n_posts)
        if plan.is_new[c]
        else np.ones(n_posts)
    )
    sig = p.post_likes_sigma
    lam = plan.followers[c] * plan.er[c] * p.likes_scale * ramp
    lam = np.minimum(
        lam * np.exp(sig * rng.standard_normal(n_posts) - sig**2 / 2), p.max_likes_per_post
    )
    n_like = rng.poisson(lam)
    audience = _sample_audience(rng, plan, c, int(plan.audience[c]))
    a_size = audience.size

    # loyal fans
    lo, hi = p.loyal_like_prob
    n_loyal = int(min(a_size // 2, round(p.loyal_like_share * lam.mean() / ((lo + hi) / 2))))
    fan_p = rng.uniform(lo, hi, n_loyal)
    hit = rng.random((n_loyal, n_posts)) < fan_p[:, None]
    fan_i, loyal_post = np.nonzero(hit)
    loyal_acct = audience[fan_i]
    rest = np.maximum(n_like - hit.sum(0), 0)
    disc = rng.binomial(rest, p.discovery_share)
    casual = rest - disc
    pool = a_size - n_loyal
    cap = int(0.8 * pool)
    disc = disc + np.maximum(casual - cap, 0)
    casual = np.minimum(casual, cap)
    cas_post, cas_col = _rows_without_replacement(rng, casual, pool)
    cas_acct = audience[n_loyal + cas_col]
    disc_post = np.repeat(np.arange(n_posts), disc)
    disc_acct = _draw_genuine(rng, plan, int(disc.sum()), tz=tz_c)[: disc_post.size]
    disc_post = disc_post[: disc_acct.size]

    org_post = np.concatenate([loyal_post, cas_post, disc_post]).astype(np.int64)
    org_acct = np.concatenate([loyal_acct, cas_acct, disc_acct]).astype(np.int64)
    loyal = np.zeros(org_post.size, bool)
    loyal[: loyal_post.size] = True
    notified = loyal & (rng.random(org_post.size) < p.loyal_notify_share)

    def organic_draw(pos: np.ndarray) -> np.ndarray:
        return pub[org_post[pos]] + _organic_delays(rng, p, notified[pos])

    org_t = _thin_by_daily_cycle(rng, organic_draw, _genuine_tz(plan, org_acct), p)
    posts_l, accts_l, times_l, tiers_l = [org_post], [org_acct], [org_t], [_ORGANIC]

    # a viral post: a genuine burst from all over the population, tilted to new-ish accounts
    viral_ok = np.flatnonzero(pub < t1 - 2 * _DAY)
    if plan.has_viral[c] and viral_ok.size:
        v = int(rng.choice(viral_ok))
        mult = _loguniform(rng, *p.viral_multiplier, 1)[0]
        n_v = int(np.clip(round(mult * lam.mean()), p.viral_min_likes, p.viral_max_likes))
        v_acct = _draw_genuine(rng, plan, n_v, old_accept=p.viral_old_accept)
        onset = pub[v] + _lognormal(rng, p.viral_onset_median_h * _HOUR, 0.7, 1)[0]
        burst = rng.uniform(*p.viral_burst_h) * _HOUR

        def viral_draw(pos: np.ndarray) -> np.ndarray:
            return onset + burst * rng.gamma(2.0, 0.5, pos.size)

        v_t = _thin_by_daily_cycle(rng, viral_draw, _genuine_tz(plan, v_acct), p)
        posts_l.append(np.full(v_acct.size, v, np.int64))
        accts_l.append(v_acct)
        times_l.append(v_t)
        tiers_l.append(_ORGANIC)

    # inauthentic likes
    tier = plan.tier[c]
    n_org = sum(x.size for x in accts_l)
    s = plan.share[c]
    n_fake = max(p.min_fake_likes, int(round(s / (1 - s) * n_org))) if s > 0 else 0
    eligible = np.flatnonzero(pub < t1 - _DAY)
    if not eligible.size:
        eligible = np.arange(n_posts)
    if tier == "naive":
        k = min(int(rng.integers(p.naive_posts[0], p.naive_posts[1] + 1)), eligible.size)
        targets = rng.choice(eligible, k, replace=False)
        alloc = np.minimum(
            rng.multinomial(n_fake, rng.dirichlet(np.full(k, 2.0))), p.naive_max_per_post
        )
        for j, a in zip(targets, alloc, strict=True):
            delay = _lognormal(
                rng, p.naive_purchase_delay_median_h * _HOUR, p.naive_purchase_delay_sigma, 1
            )[0]
            buy = pub[j] + float(np.clip(delay, 300.0, 12 * _HOUR))
            lo_t = buy - p.naive_account_age_days[1] * _DAY
            hi_t = buy - p.naive_account_age_days[0] * _DAY
            k_lo = int(math.ceil((lo_t - plan.naive_t0) / _DAY * p.naive_accounts_per_day))
            k_hi = int(math.floor((hi_t - plan.naive_t0) / _DAY * p.naive_accounts_per_day)) - 1
            span = max(k_hi - k_lo, 1)
            acct = plan.v0 + k_lo + rng.choice(span, min(int(a), span), replace=False)
            dur = rng.uniform(*p.naive_burst_min) * 60
            posts_l.append(np.full(acct.size, j, np.int64))
            accts_l.append(acct.astype(np.int64))
            times_l.append(buy + rng.random(acct.size) * dur)
            tiers_l.append(_NAIVE)
    elif tier in ("aged", "stealth"):
        frac = p.aged_post_fraction if tier == "aged" else p.stealth_post_fraction
        min_job = p.aged_min_per_post if tier == "aged" else p.stealth_min_job
        k = int(round(rng.uniform(*frac) * eligible.size))
        k = max(1, min(k, n_fake // max(min_job, 1)))
        targets = np.sort(rng.choice(eligible, k, replace=False))
        alloc = rng.multinomial(n_fake, rng.dirichlet(np.full(k, 2.0)))
        if tier == "aged":
            pool_size, base = plan.farm_size, plan.a0 + int(plan.farm_of[c]) * plan.farm_size
            start = pub[targets] + _lognormal(rng, p.aged_start_delay_median_h * _HOUR, 1.0, k)
            dur = rng.uniform(*p.aged_drip_h, k) * _HOUR
        else:
            pool_size, base = plan.stealth_pool, plan.s0
            alloc = np.minimum(alloc, int(p.stealth_max_job_share * pool_size))
            delay = _lognormal(
                rng, p.stealth_start_delay_median_h * _HOUR, p.stealth_start_delay_sigma, k
            )
            start = pub[targets] + np.clip(delay, 120.0, _DAY)
            dur = rng.uniform(*p.stealth_job_min, k) * 60
        rows, cols = _rows_without_replacement(rng, alloc, pool_size)
        posts_l.append(targets[rows].astype(np.int64))
        accts_l.append(base + cols)
        times_l.append(start[rows] + rng.random(rows.size) * dur[rows])
        tiers_l.append(_AGED if tier == "aged" else _STEALTH)
    elif tier == "pod":
        members = plan.pod_members[int(plan.pod_of[c])]
        members = members[members != plan.c0 + c]
        rows = np.repeat(np.arange(n_posts), members.size)
        delay = _lognormal(rng, p.pod_delay_median_min * 60, p.pod_delay_sigma, rows.size)
        posts_l.append(rows.astype(np.int64))
        accts_l.append(np.tile(members, n_posts))
        times_l.append(pub[rows] + np.clip(delay, 30.0, 6 * _HOUR))
        tiers_l.append(_POD)
    elif tier == "hollow":
        # like an extra slice of the audience: spread over the posts as the organic likes are,
        # from a creator-sized subset of one farm, with organic delays and daily cycle
        per_post = np.bincount(np.concatenate(posts_l), minlength=n_posts) + 1.0
        alloc = rng.multinomial(n_fake, per_post / per_post.sum())
        farm = int(_unif(plan.key, np.array([c]), _SB_HOLLOW_FARM + 50)[0] * p.hollow_n_farms)
        size = math.ceil(plan.audience[c] * n_fake / max(n_org, 1))
        size = int(min(plan.hollow_size, max(size, int(alloc.max()), 1)))
        members = plan.h0 + farm * plan.hollow_size + rng.choice(plan.hollow_size, size, False)
        rows, cols = _rows_without_replacement(rng, alloc, size)
        notified_h = rng.random(rows.size) < p.loyal_like_share * p.loyal_notify_share

        def hollow_draw(pos: np.ndarray) -> np.ndarray:
            return pub[rows[pos]] + _organic_delays(rng, p, notified_h[pos])

        h_t = _thin_by_daily_cycle(rng, hollow_draw, np.full(rows.size, tz_c), p)
        posts_l.append(rows.astype(np.int64))
        accts_l.append(members[cols].astype(np.int64))
        times_l.append(h_t)
        tiers_l.append(_HOLLOW)

    post = np.concatenate(posts_l)
    acct = np.concatenate(accts_l)
    t = np.maximum(np.floor(np.concatenate(times_l)), pub[post] + 1.0)  # after publication
    code = np.concatenate(
        [np.full(x.size, tc, np.int8) for x, tc in zip(posts_l, tiers_l, strict=True)]
    )
    # a liker likes a post at most once (first source wins); nothing is seen after the window
    _, first = np.unique(post * plan.total + acct, return_index=True)
    keep = np.sort(first)
    keep = keep[t[keep] < t1]
    return {
        "post": post[keep],
        "acct": acct[keep],
        "t": t[keep].astype(np.int64),
        "code": code[keep],
        "pub": pub.astype(np.int64),
    }


# ----------------------------------------------------------------------------- frames
def _utc(seconds: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(seconds.astype("datetime64[s]").astype("datetime64[us]")).tz_localize(
        "UTC"
    )


def _likes_block(plan: _Plan, creators: np.ndarray) -> pd.DataFrame:
    """Likes of the given creators (sorted), independent of how creators are grouped."""
    sims = [_simulate_creator(plan, int(c)) for c in creators]
    sizes = np.array([s["post"].size for s in sims], dtype=np.int64)
    cre = np.repeat(np.asarray(creators, dtype=np.int64), sizes)
    post = np.concatenate([s["post"] for s in sims]) if sims else np.empty(0, np.int64)
    acct = np.concatenate([s["acct"] for s in sims]) if sims else np.empty(0, np.int64)
    t = np.concatenate([s["t"] for s in sims]) if sims else np.empty(0, np.int64)
    code = np.concatenate([s["code"] for s in sims]) if sims else np.empty(0, np.int8)
    pub = np.concatenate([s["pub"][s["post"]] for s in sims]) if sims else np.empty(0, np.int64)

    uniq, inv = np.unique(acct, return_inverse=True)
    attrs = _accounts(plan, uniq)
    perm = _permute(uniq, plan.id_keys, plan.id_half, 10**plan.id_width)
    ids = np.strings.add("u", np.strings.zfill(perm.astype(str), plan.id_width))
    ok = attrs["created"][inv] <= t  # an account cannot like before it exists
    cre, post, t, code, pub, inv = (x[ok] for x in (cre, post, t, code, pub, inv))
    order = np.lexsort((perm[inv], t, post, cre))
    cre, post, t, code, pub, inv = (x[order] for x in (cre, post, t, code, pub, inv))

    post_lbl = np.strings.add(
        np.strings.add(plan.cid[cre], "_p"), np.strings.zfill(post.astype(str), 3)
    )
    data = {
        "creator_id": plan.cid[cre],
        "post_id": post_lbl,
        "liker_id": ids[inv],
        "liked_at": _utc(t),
        "post_published_at": _utc(pub),
        "creator_followers": plan.followers[cre],
        "account_created_at": _utc(attrs["created"][inv]),
    }
    for col in _ATTR_COLUMNS:
        data[col] = attrs[col][inv]
    data["username"] = attrs["username"][inv]
    data["is_fake"] = (code != _ORGANIC).astype(np.int8)
    data["tier"] = np.array(_TIERS)[code]
    frame = pd.DataFrame(data)
    for col in ("creator_id", "post_id", "liker_id", "username", "tier"):
        frame[col] = frame[col].astype("str")
    return frame[list(LIKES_COLUMNS)]


def _creators_frame(plan: _Plan, likes: np.ndarray, fakes: np.ndarray) -> pd.DataFrame:
    share = np.divide(fakes, likes, out=np.zeros(plan.n), where=likes > 0)
    pod_id = np.where(plan.pod_of >= 0, np.char.add("pod", plan.pod_of.astype(str)), "")
    frame = pd.DataFrame(
        {
            "creator_id": plan.cid,
            "tier": plan.tier,
            "inauthentic_share": share.astype(np.float64),
            "category": np.array(CATEGORIES)[plan.category],
            "followers": plan.followers.astype(np.int64),
            "scenario": plan.scenario,
            "likes": likes.astype(np.int64),
            "account_id": _liker_ids(plan, plan.c0 + np.arange(plan.n, dtype=np.int64)),
            "pod_id": pod_id,
        }
    )
    for col in ("creator_id", "tier", "category", "scenario", "account_id", "pod_id"):
        frame[col] = frame[col].astype("str")
    return frame[list(CREATORS_COLUMNS)]


def _counts(plan: _Plan, block: pd.DataFrame, likes: np.ndarray, fakes: np.ndarray) -> None:
    idx = np.searchsorted(plan.cid, block["creator_id"].to_numpy(dtype=str))
    likes += np.bincount(idx, minlength=plan.n)
    fakes += np.bincount(idx, weights=block["is_fake"].to_numpy(), minlength=plan.n).astype(
        np.int64
    )


def _blocks(plan: _Plan, per_chunk: int) -> Iterator[pd.DataFrame]:
    for lo in range(0, plan.n, per_chunk):
        yield _likes_block(plan, np.arange(lo, min(plan.n, lo + per_chunk)))


# ----------------------------------------------------------------------------- public API
def generate_world(
    n_creators: int = 40,
    seed: int = 0,
    *,
    params: SimulationParams | None = None,
    inflated_share: float = 0.5,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate a world of creators, their posts and likes.

    Parameters
    ----------
    n_creators : int
        Number of creators.
    seed : int
        Non-negative seed; the same arguments give the same world.
    params : SimulationParams, optional
        Distribution parameters (defaults: :class:`SimulationParams()`).
    inflated_share : float
        Share of creators with inauthentic likes (spread across ``params.inflated_tiers``).

    Returns
    -------
    likes : pandas.DataFrame
        One row per like, columns :data:`LIKES_COLUMNS`, sorted by creator, post and time.
    creators : pandas.DataFrame
        One row per creator, columns :data:`CREATORS_COLUMNS`.
    """
    plan = _make_plan(n_creators, seed, params or SimulationParams(), inflated_share)
    likes = _likes_block(plan, np.arange(plan.n))
    n_likes = np.zeros(plan.n, np.int64)
    n_fake = np.zeros(plan.n, np.int64)
    _counts(plan, likes, n_likes, n_fake)
    return likes, _creators_frame(plan, n_likes, n_fake)


#: Tiers of the training populations: the default ladder plus hollow-account farms, whose only
#: signal is the profile (without them the supervised head never needs profile traits, since every
#: other tier is also given away by its timing or account ages).
TRAINING_TIERS: tuple[str, ...] = _INFLATED_TIERS + ("hollow",)

#: Account populations for training a model that must transfer across platforms (domain
#: randomisation). ``default`` is :class:`SimulationParams()` with the :data:`TRAINING_TIERS`;
#: the others move the genuine population's activity and audience, and the farms' disguise, to the
#: ranges that public labelled account sets show (Instagram and Twitter users post and follow far
#: more than the default world's lurker-heavy population; real farm accounts often have tens to
#: hundreds of followers). Hollow farms scale with each population's genuine medians.
POPULATIONS: dict[str, SimulationParams] = {
    "default": SimulationParams(inflated_tiers=TRAINING_TIERS),
    # Instagram-like active users: few lurkers, more posts, wider following
    "active": SimulationParams(
        inflated_tiers=TRAINING_TIERS,
        lurker_share=0.05,
        lurker_share_young=0.15,
        posts_median=60.0,
        posts_sigma=1.5,
        following_sigma=1.0,
        followers_median=250.0,
    ),
    # microblog-like: hundreds of posts, balanced follow counts; farms with real-looking audiences
    "microblog": SimulationParams(
        inflated_tiers=TRAINING_TIERS,
        lurker_share=0.02,
        lurker_share_young=0.1,
        posts_median=500.0,
        posts_sigma=1.5,
        followers_median=90.0,
        following_median=120.0,
        following_sigma=1.2,
        bio_empty_share=0.3,
        aged_followers_mean=200.0,
        aged_following_median=1_500.0,
        aged_posts_max=400.0,
    ),
    # social-network users with large networks; farms that follow thousands and carry avatars
    "social": SimulationParams(
        inflated_tiers=TRAINING_TIERS,
        lurker_share=0.03,
        lurker_share_young=0.1,
        posts_median=40.0,
        posts_sigma=1.3,
        followers_median=300.0,
        following_median=500.0,
        following_sigma=1.1,
        avatar_share=0.97,
        aged_followers_mean=120.0,
        aged_following_median=2_000.0,
        aged_avatar_share=0.9,
        naive_followers_mean=40.0,
        naive_avatar_share=0.6,
    ),
}


def generate_mixed_world(
    n_creators: int,
    seed: int,
    populations: tuple[str, ...] = tuple(POPULATIONS),
    *,
    inflated_share: float = 0.5,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One world per population (``n_creators`` each, seeds ``seed``, ``seed + 1``, ...), stacked.

    Creator, post and liker ids are prefixed with the population name (``active:c00001``), so
    accounts of different worlds never share an id. This is the training data of the shipped
    model: a model fitted on one population learns that population's quirks (for instance that
    accounts without posts are normal), one fitted on several learns what they share.
    """
    unknown = [name for name in populations if name not in POPULATIONS]
    if unknown or not populations:
        raise ValueError(f"populations must be among {sorted(POPULATIONS)}, got {unknown or '[]'}")
    likes_parts, creator_parts = [], []
    for offset, name in enumerate(populations):
        likes, creators = generate_world(
            n_creators, seed + offset, params=POPULATIONS[name], inflated_share=inflated_share
        )
        for column in ("creator_id", "post_id", "liker_id"):
            likes[column] = f"{name}:" + likes[column].astype(str)
        for column in ("creator_id", "account_id"):
            creators[column] = f"{name}:" + creators[column].astype(str)
        creators.insert(1, "population", name)
        likes_parts.append(likes)
        creator_parts.append(creators)
    return (
        pd.concat(likes_parts, ignore_index=True),
        pd.concat(creator_parts, ignore_index=True),
    )


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """The command line's atomic write (:func:`detector.output.atomic_write`): temporary files
    a later run recognises and removes, special files refused, symlinks written through."""
    from detector.output import atomic_write

    atomic_write(path, write)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """CSV with ISO 8601 UTC timestamps ("2026-06-01T12:34:56Z")."""
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            naive = out[col].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[s]")
            out[col] = np.strings.add(np.datetime_as_string(naive, unit="s"), "Z")
    _atomic_write(path, lambda tmp: out.to_csv(tmp, index=False))


def write_world(
    outdir: str | Path,
    n_creators: int,
    seed: int,
    *,
    params: SimulationParams | None = None,
    inflated_share: float = 0.5,
    fmt: str = "csv",
    populations: tuple[str, ...] | None = None,
) -> tuple[Path, Path]:
    """Write ``OUTDIR/likes.csv`` (or ``likes.parquet``) and ``OUTDIR/creators.csv``.

    With ``populations``, the world is :func:`generate_mixed_world` (``n_creators`` per
    population) and ``params`` must be None.

    Timestamps in CSV are ISO 8601 UTC (``2026-06-01T12:34:56Z``). Each file is written to a
    temporary file in ``outdir``; both are moved into place at the end, or neither.

    Returns
    -------
    (likes_path, creators_path) : tuple of Path
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', got {fmt!r}")
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    if populations is not None:
        if params is not None:
            raise ValueError("give params or populations, not both")
        likes, creators = generate_mixed_world(
            n_creators, seed, populations, inflated_share=inflated_share
        )
    else:
        likes, creators = generate_world(
            n_creators, seed, params=params, inflated_share=inflated_share
        )
    from detector.output import staged

    likes_path = out / f"likes.{fmt}"
    creators_path = out / "creators.csv"
    with staged():  # both files or neither
        if fmt == "csv":
            _write_csv(likes, likes_path)
        else:
            _atomic_write(likes_path, lambda tmp: likes.to_parquet(tmp, index=False))
        _write_csv(creators, creators_path)
    return likes_path, creators_path


def write_world_parquet_chunked(
    outdir: str | Path,
    n_creators: int,
    seed: int,
    *,
    params: SimulationParams | None = None,
    inflated_share: float = 0.5,
    creators_per_chunk: int = 200,
) -> tuple[Path, Path]:
    """Write a large world as ``OUTDIR/likes/part-00000.parquet``, ... plus ``creators.csv``.

    Memory is bounded by one chunk of creators. The parts, concatenated in order, equal
    ``generate_world(n_creators, seed, ...)[0]`` for any ``creators_per_chunk``. The parts are
    written to a temporary directory that replaces ``OUTDIR/likes`` at the end.

    Returns
    -------
    (likes_dir, creators_path) : tuple of Path
    """
    if creators_per_chunk < 1:
        raise ValueError(f"creators_per_chunk must be >= 1, got {creators_per_chunk}")
    plan = _make_plan(n_creators, seed, params or SimulationParams(), inflated_share)
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    likes_dir = out / "likes"
    tmp_dir = _tmp_name(likes_dir)
    tmp_dir.mkdir()
    n_likes = np.zeros(plan.n, np.int64)
    n_fake = np.zeros(plan.n, np.int64)
    try:
        for k, block in enumerate(_blocks(plan, creators_per_chunk)):
            _counts(plan, block, n_likes, n_fake)
            block.to_parquet(tmp_dir / f"part-{k:05d}.parquet", index=False)
            del block
        old = None
        if likes_dir.exists():
            old = _tmp_name(out / "likes.old")
            os.replace(likes_dir, old)
        os.replace(tmp_dir, likes_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    creators_path = out / "creators.csv"
    _write_csv(_creators_frame(plan, n_likes, n_fake), creators_path)
    return likes_dir, creators_path

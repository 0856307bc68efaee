"""Real labelled account pools and creators' like streams built from them.

No public data set holds like events with a fraud label, only labelled *accounts*. This module

1. loads each labelled pool from the shared data folder (``../shared/datasets`` beside the
   project, ``--shared-datasets`` or ``$DETECTOR_SHARED_DATASETS``) and maps it onto the data
   contract's liker account columns, keeping every real value untouched and leaving out the
   attributes a pool does not have (no username, age or count is invented);
2. builds creators whose likers are drawn from the pool's genuine accounts plus a known share of
   its fake accounts, with simulated like timing (:func:`build_pool_world`).

The data is read in place and never copied into the project.

Account age
    Social honeypot and Gilani et al. give an account's age when the data set observed it
    (``CollectedAt - CreatedAt``, ``age_of_account_in_days``). The loaders return it as
    ``account_age_days``; :func:`build_pool_world` anchors it at the start of the simulated
    window (``account_created_at = window start - account_age_days``), so the age at each like is
    the real age plus at most the window length. Absolute creation dates are not kept (they
    would carry the collection date of each file, which differs between the classes).

Timing modes
    ``"organic"``: fake likes are produced by exactly the same process as genuine ones (same
    audience mechanics, same delay distribution, same daily cycle), so only the real account
    attributes separate them: the honest hard case. ``"farm"``: fake likes arrive the way the
    simulator's farms deliver them, alternating between creators: ``burst`` (bought likes: one
    delivery of a few minutes on 1-3 posts, each liker once) and ``drip`` (an account farm:
    a constant trickle over 6-72 h on most posts, the same farm accounts returning).

Account reuse
    Pools are small (InstaFake has 200 fake accounts), so accounts like several creators. The
    genuine and fake pools actually used are sub-sampled so that a genuine and a fake account are
    expected to appear in the same number of creators; otherwise footprint features (likes given,
    creators liked) would separate the classes by pool size alone. A sub-pool is never made
    smaller than one creator's audience. When the whole fake pool is smaller than one bought
    delivery (InstaFake's 100 fake accounts in a test half), a post gets at most one like per
    fake account and the realised share falls below the target; the truth used for scoring is
    always the realised share.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from detector.synth import SimulationParams

__all__ = [
    "ENV_VAR",
    "POOLS",
    "PoolInfo",
    "TIMING_MODES",
    "build_pool_world",
    "default_shared_datasets",
    "load_gilani",
    "load_instafake",
    "load_purba",
    "load_social_honeypot",
    "resolve_shared_datasets",
    "split_accounts",
]

ENV_VAR = "DETECTOR_SHARED_DATASETS"
TIMING_MODES: tuple[str, ...] = ("farm", "organic")
#: Target inauthentic shares, cycled over the creators (a third of them clean).
SHARE_CYCLE: tuple[float, ...] = (0.0, 0.0, 0.0, 0.05, 0.10, 0.20, 0.30, 0.45, 0.60)
#: A creator's audience (accounts who may like its posts) over its mean likes per post.
AUDIENCE_FACTOR = 2.5

_DAY = 86_400.0
_HOUR = 3_600.0


# ----------------------------------------------------------------------------- location
def default_shared_datasets() -> Path:
    """``<repo>/../shared/datasets`` (the repo is this file's grandparent folder)."""
    return Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"


def resolve_shared_datasets(option: str | os.PathLike[str] | None = None) -> Path:
    """The shared data folder: the option, else ``$DETECTOR_SHARED_DATASETS``, else the default.

    The folder may not exist; callers check and skip.
    """
    if option:
        return Path(option).expanduser()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    return default_shared_datasets()


# ----------------------------------------------------------------------------- loaders
def _finish(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame[columns].reset_index(drop=True)
    out["is_fake"] = out["is_fake"].astype(np.int8)
    return out


def load_instafake(root: Path) -> pd.DataFrame:
    """InstaFake fake-v1.0 (Instagram): 994 real and 200 fake accounts.

    Columns: followers, following, posts (``userMediaCount``), has_avatar, is_private,
    bio_length, is_fake, source_class. No username (only its length and digit count are
    given) and no account age.
    """
    folder = Path(root) / "instafake" / "fake-v1.0"
    parts = []
    for name, label in (("realAccountData.json", 0), ("fakeAccountData.json", 1)):
        with open(folder / name, encoding="utf-8") as handle:
            part = pd.DataFrame(json.load(handle))
        if not (part["isFake"] == label).all():
            raise ValueError(f"{folder / name}: isFake is not {label} on every row")
        parts.append(part)
    raw = pd.concat(parts, ignore_index=True)
    frame = pd.DataFrame(
        {
            "followers": raw["userFollowerCount"].astype(np.int64),
            "following": raw["userFollowingCount"].astype(np.int64),
            "posts": raw["userMediaCount"].astype(np.int64),
            "has_avatar": raw["userHasProfilPic"].astype(bool),
            "is_private": raw["userIsPrivate"].astype(bool),
            "bio_length": raw["userBiographyLength"].astype(np.int64),
            "is_fake": raw["isFake"],
            "source_class": np.where(raw["isFake"] == 1, "fake", "real"),
        }
    )
    return _finish(frame, list(frame.columns))


_HONEYPOT_COLUMNS = [
    "UserID",
    "CreatedAt",
    "CollectedAt",
    "NumberOfFollowings",
    "NumberOfFollowers",
    "NumberOfTweets",
    "LengthOfScreenName",
    "LengthOfDescriptionInUserProfile",
]


def load_social_honeypot(root: Path) -> pd.DataFrame:
    """Social honeypot (Lee, Eoff and Caverlee 2011, Twitter): 19,276 legitimate, 22,223 polluters.

    Columns: account_age_days (``CollectedAt - CreatedAt``), following, followers,
    posts (``NumberOfTweets``), bio_length (``LengthOfDescriptionInUserProfile``), is_fake
    (content polluter), source_class. No avatar, privacy or screen name (only its length).
    """
    folder = Path(root) / "social_honeypot_caverlee2011"
    parts = []
    for name, label in (("legitimate_users.txt", 0), ("content_polluters.txt", 1)):
        part = pd.read_csv(folder / name, sep="\t", header=None, names=_HONEYPOT_COLUMNS)
        part["is_fake"] = label
        parts.append(part)
    raw = pd.concat(parts, ignore_index=True)
    created = pd.to_datetime(raw["CreatedAt"], format="%Y-%m-%d %H:%M:%S", utc=True)
    collected = pd.to_datetime(raw["CollectedAt"], format="%Y-%m-%d %H:%M:%S", utc=True)
    frame = pd.DataFrame(
        {
            "account_age_days": (collected - created).dt.total_seconds().to_numpy() / _DAY,
            "followers": raw["NumberOfFollowers"].astype(np.int64),
            "following": raw["NumberOfFollowings"].astype(np.int64),
            "posts": raw["NumberOfTweets"].astype(np.int64),
            "bio_length": raw["LengthOfDescriptionInUserProfile"].astype(np.int64),
            "is_fake": raw["is_fake"],
            "source_class": np.where(raw["is_fake"] == 1, "polluter", "legitimate"),
        }
    )
    if (frame["account_age_days"] < 0).any():
        raise ValueError(f"{folder}: an account was collected before it was created")
    return _finish(frame, list(frame.columns))


def load_purba(root: Path) -> pd.DataFrame:
    """Purba et al. 2020 (Instagram), 4 classes: r real; a active fake, i inactive fake, s spammer.

    Columns: posts (``pos``), followers (``flw``), following (``flg``), bio_length (``bl``),
    has_avatar (``pic``), is_fake (class a, i or s), source_class (the letter). No privacy flag,
    username or age.
    """
    path = Path(root) / "purba_instagram_fake_authentic" / "user_fake_authentic_4class.csv"
    raw = pd.read_csv(path)
    unknown = sorted(set(raw["class"].unique()) - {"r", "a", "i", "s"})
    if unknown:
        raise ValueError(f"{path}: unknown class(es) {unknown}")
    frame = pd.DataFrame(
        {
            "followers": raw["flw"].astype(np.int64),
            "following": raw["flg"].astype(np.int64),
            "posts": raw["pos"].astype(np.int64),
            "has_avatar": raw["pic"].astype(bool),
            "bio_length": raw["bl"].astype(np.int64),
            "is_fake": (raw["class"] != "r").astype(np.int8),
            "source_class": raw["class"].astype(str),
        }
    )
    return _finish(frame, list(frame.columns))


def load_gilani(root: Path) -> pd.DataFrame:
    """Gilani et al. 2017 (Twitter): 1,939 humans, 1,492 bots in four follower bands.

    The 21 screen names that appear in both ``humans.1M.csv`` and ``bots.1M.csv`` (contradictory
    labels) are dropped, leaving 1,918 humans and 1,471 bots. Columns: account_age_days (``age_of_account_in_days``), username (``screen_name``, real),
    is_fake (bot), source_class (``human.1k``, ``bot.100k``, ...). The set gives only the
    follower/friend *ratio*, not the counts, and tweet rates rather than totals, so followers,
    following and posts are left out.
    """
    folder = Path(root) / "gilani2017_stweeler"
    parts = []
    for kind, label in (("humans", 0), ("bots", 1)):
        for band in ("1k", "100k", "1M", "10M"):
            part = pd.read_csv(folder / kind / f"{kind}.{band}.csv", skipinitialspace=True)
            part["is_fake"] = label
            part["source_class"] = f"{kind[:-1]}.{band}"
            parts.append(part)
    raw = pd.concat(parts, ignore_index=True)
    # 21 screen names of the 1M band are listed both as human and as bot: drop them
    raw = raw[~raw["screen_name"].duplicated(keep=False)]
    frame = pd.DataFrame(
        {
            "account_age_days": raw["age_of_account_in_days"].astype(np.float64),
            "username": raw["screen_name"].astype(str),
            "is_fake": raw["is_fake"],
            "source_class": raw["source_class"],
        }
    )
    return _finish(frame, list(frame.columns))


@dataclass(frozen=True)
class PoolInfo:
    """A labelled account pool: its loader, folder and platform."""

    name: str
    folder: str
    platform: str
    loader: Callable[[Path], pd.DataFrame]
    note: str


POOLS: dict[str, PoolInfo] = {
    info.name: info
    for info in (
        PoolInfo(
            "instafake",
            "instafake/fake-v1.0",
            "Instagram",
            load_instafake,
            "994 real vs 200 fake; no age, no username",
        ),
        PoolInfo(
            "social_honeypot",
            "social_honeypot_caverlee2011",
            "Twitter",
            load_social_honeypot,
            "legitimate vs content polluters; age, counts, bio length",
        ),
        PoolInfo(
            "purba",
            "purba_instagram_fake_authentic",
            "Instagram",
            load_purba,
            "r vs a/i/s; counts, bio length, avatar; no age",
        ),
        PoolInfo(
            "gilani",
            "gilani2017_stweeler",
            "Twitter",
            load_gilani,
            "humans vs bots; age and screen name only",
        ),
    )
}
#: Left out: botnet_retweets_krebs_2017 has no genuine pool (the retweeters of the "clean"
#: tweet are themselves mostly botnet accounts: median 2 followers, 15 statuses), and
#: virallab_followeranalyzer_sample has no label.


def split_accounts(accounts: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two disjoint halves of a pool, each with half of its genuine and half of its fake accounts."""
    rng = np.random.default_rng(seed)
    first = np.zeros(len(accounts), dtype=bool)
    for label in (0, 1):
        rows = np.flatnonzero(accounts["is_fake"].to_numpy() == label)
        first[rng.choice(rows, len(rows) // 2, replace=False)] = True
    return accounts[first].reset_index(drop=True), accounts[~first].reset_index(drop=True)


# ----------------------------------------------------------------------------- timing
def _lognormal(rng: np.random.Generator, median: float, sigma: float, size: int) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(size))


def _diurnal(local_hour: np.ndarray, p: SimulationParams) -> np.ndarray:
    """Relative like intensity at a local hour (the simulator's daily cycle, 1 at its peak)."""
    grid = np.linspace(0, 24, 1441)

    def shape(h: np.ndarray) -> np.ndarray:
        mid, eve = p.diurnal_peaks_h
        a = np.exp(p.diurnal_kappa * (np.cos(2 * np.pi * (h - eve) / 24) - 1))
        b = np.exp(p.diurnal_kappa * (np.cos(2 * np.pi * (h - mid) / 24) - 1))
        return a + p.diurnal_midday_weight * b

    return p.diurnal_floor + (1 - p.diurnal_floor) * shape(local_hour) / shape(grid).max()


def _organic_times(
    rng: np.random.Generator, pub: np.ndarray, tz: float, p: SimulationParams
) -> np.ndarray:
    """Like times for likes on posts published at ``pub``: the simulator's organic delays
    (fast and slow lognormal components, notified fans) thinned by the local daily cycle."""
    notify_share = p.loyal_like_share * p.loyal_notify_share
    notified = rng.random(pub.size) < notify_share
    out = np.empty(pub.size)
    todo = np.arange(pub.size)
    for _ in range(p.diurnal_max_tries):
        slow = rng.random(todo.size) < p.delay_slow_share
        median = np.where(slow, p.delay_slow_median_h, p.delay_fast_median_h) * _HOUR
        sigma = np.where(slow, p.delay_slow_sigma, p.delay_fast_sigma)
        delay = median * np.exp(sigma * rng.standard_normal(todo.size))
        quick = _lognormal(rng, p.notify_delay_median_min * 60, p.notify_delay_sigma, todo.size)
        t = pub[todo] + np.maximum(np.where(notified[todo], quick, delay), 5.0)
        keep = rng.random(todo.size) < _diurnal(np.mod(t / _HOUR + tz, 24.0), p)
        out[todo[keep]] = t[keep]
        todo, t = todo[~keep], t[~keep]
        if not todo.size:
            break
    out[todo] = t
    return out


def _per_post_draws(
    rng: np.random.Generator, counts: np.ndarray, audience: int
) -> tuple[np.ndarray, np.ndarray]:
    """For post ``j`` draw ``counts[j]`` distinct audience members; returns (post, member)."""
    counts = np.minimum(counts, audience)
    kmax = int(counts.max()) if counts.size else 0
    if kmax == 0 or audience == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    order = np.argsort(rng.random((counts.size, audience)), axis=1)[:, :kmax]
    keep = np.arange(kmax)[None, :] < counts[:, None]
    posts = np.broadcast_to(np.arange(counts.size)[:, None], keep.shape)[keep]
    return posts.astype(np.int64), order[keep].astype(np.int64)


# ----------------------------------------------------------------------------- world
@dataclass
class _CreatorPlan:
    rng: np.random.Generator
    pub: np.ndarray
    tz: float
    genuine_counts: np.ndarray
    fake_counts: np.ndarray
    genuine_audience: int
    fake_audience: int
    target_share: float
    style: str
    fake_start: np.ndarray  # per post: when the delivery starts (farm mode)
    fake_duration: np.ndarray  # per post: how long it lasts (seconds, farm mode)


def _plan_creator(
    rng: np.random.Generator,
    share: float,
    style: str,
    t0: float,
    window_days: float,
    p: SimulationParams,
) -> _CreatorPlan:
    n_posts = int(rng.integers(6, 15))
    tz = float(rng.choice([t for t, _ in p.timezones]))
    days = np.sort(rng.choice(int(window_days) - 3, n_posts, replace=False))
    peak = np.where(rng.random(n_posts) < p.post_hour_midday_prob, *p.post_hour_peaks)
    hour = np.clip(peak + p.post_hour_sd * rng.standard_normal(n_posts), 6.0, 23.9)
    pub = np.floor(t0 + days * _DAY + (hour - tz) * _HOUR)
    mean_likes = math.exp(rng.uniform(math.log(8), math.log(60)))
    lam = mean_likes * np.exp(p.post_likes_sigma * rng.standard_normal(n_posts))
    genuine = np.maximum(rng.poisson(lam), 1)
    n_fake = int(round(share / (1 - share) * genuine.sum())) if share > 0 else 0
    fake = np.zeros(n_posts, dtype=np.int64)
    start = pub.copy()
    duration = np.zeros(n_posts)
    genuine_audience = max(20, math.ceil(AUDIENCE_FACTOR * genuine.mean()))
    fake_audience = 0
    if n_fake:
        if style == "organic":
            fake = rng.multinomial(n_fake, genuine / genuine.sum())
            fake_audience = max(1, math.ceil(genuine_audience * n_fake / genuine.sum()))
        else:
            if style == "burst":
                lo, hi = p.naive_posts
                k = min(int(rng.integers(lo, hi + 1)), n_posts)
            else:
                k = max(1, int(round(rng.uniform(*p.aged_post_fraction) * n_posts)))
            targets = rng.choice(n_posts, k, replace=False)
            fake[targets] = rng.multinomial(n_fake, rng.dirichlet(np.full(k, 2.0)))
            if style == "burst":
                delay = _lognormal(
                    rng, p.naive_purchase_delay_median_h * _HOUR, p.naive_purchase_delay_sigma, 1
                )
                start = pub + np.clip(delay, 300.0, 12 * _HOUR)
                duration = rng.uniform(*p.naive_burst_min, n_posts) * 60
                fake_audience = int(fake.sum())  # bought likes: each account delivers once
            else:
                start = pub + _lognormal(rng, p.aged_start_delay_median_h * _HOUR, 1.0, n_posts)
                duration = rng.uniform(*p.aged_drip_h, n_posts) * _HOUR
                fake_audience = max(1, math.ceil(1.5 * fake.max()))  # farm accounts return
    return _CreatorPlan(
        rng, pub, tz, genuine, fake, genuine_audience, fake_audience, share, style, start, duration
    )


def _balanced_pool_sizes(
    n_genuine: int,
    n_fake: int,
    genuine_slots: int,
    fake_slots: int,
    genuine_needed: int = 1,
    fake_needed: int = 1,
) -> tuple[int, int]:
    """Sub-pool sizes at which a genuine and a fake account serve equally many creators.

    Each is raised (within the pool) to what a single creator needs (``*_needed``: its largest
    audience), so that balancing never caps one creator's delivery.
    """
    if fake_slots == 0 or genuine_slots == 0:
        return n_genuine, n_fake
    use_genuine = min(n_genuine, math.ceil(n_fake * genuine_slots / fake_slots))
    use_fake = min(n_fake, math.ceil(use_genuine * fake_slots / genuine_slots))
    use_genuine = max(use_genuine, min(n_genuine, genuine_needed), 1)
    use_fake = max(use_fake, min(n_fake, fake_needed), 1)
    return use_genuine, use_fake


_ACCOUNT_COLUMNS = (
    "account_created_at",
    "followers",
    "following",
    "posts",
    "has_avatar",
    "is_private",
    "bio_length",
    "username",
)


def build_pool_world(
    accounts: pd.DataFrame,
    *,
    n_creators: int = 90,
    timing: str = "farm",
    seed: int = 0,
    prefix: str = "r",
    window_days: float = 30.0,
    params: SimulationParams | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Creators' like streams whose likers are real accounts of a labelled pool.

    Target shares cycle through :data:`SHARE_CYCLE` (a third of the creators clean, the others
    5-60 % fake likes; the realised share is in ``creators.inauthentic_share``). Posts, volumes
    and like timing are simulated (``timing`` is ``"farm"`` or ``"organic"``, see the module
    docstring); account attributes are the pool's, untouched.

    Returns
    -------
    likes : DataFrame
        Contract columns (``creator_id``, ``post_id``, ``liker_id``, ``liked_at``,
        ``post_published_at`` and the pool's account columns) plus ``is_fake``.
    creators : DataFrame
        ``creator_id``, ``inauthentic_share`` (realised), ``target_share``, ``style``
        (``clean``, ``organic``, ``burst`` or ``drip``), ``likes``.
    """
    if timing not in TIMING_MODES:
        raise ValueError(f"timing must be one of {TIMING_MODES}, got {timing!r}")
    p = params or SimulationParams()
    labels = accounts["is_fake"].to_numpy()
    genuine_rows, fake_rows = np.flatnonzero(labels == 0), np.flatnonzero(labels == 1)
    if not genuine_rows.size or not fake_rows.size:
        raise ValueError("the pool needs both genuine and fake accounts")
    t1 = pd.Timestamp(p.window_end).timestamp()
    t0 = t1 - window_days * _DAY

    plans: list[_CreatorPlan] = []
    for c in range(n_creators):
        share = SHARE_CYCLE[c % len(SHARE_CYCLE)]
        if share == 0:
            style = "clean"
        elif timing == "organic":
            style = "organic"
        else:
            style = ("burst", "drip")[c % 2]  # the cycle is odd: each share gets both styles
        rng = np.random.default_rng(np.random.SeedSequence([seed, 1, c]))
        plans.append(_plan_creator(rng, share, style, t0, window_days, p))

    world_rng = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    use_g, use_f = _balanced_pool_sizes(
        genuine_rows.size,
        fake_rows.size,
        sum(pl.genuine_audience for pl in plans),
        sum(pl.fake_audience for pl in plans),
        max(pl.genuine_audience for pl in plans),
        max(pl.fake_audience for pl in plans),
    )
    genuine_pool = world_rng.choice(genuine_rows, use_g, replace=False)
    fake_pool = world_rng.choice(fake_rows, use_f, replace=False)

    width = max(3, len(str(n_creators - 1)))
    blocks: list[dict[str, np.ndarray]] = []
    rows_creators = []
    for c, pl in enumerate(plans):
        rng = pl.rng
        cid = f"{prefix}{c:0{width}d}"
        audience_g = rng.choice(genuine_pool, min(pl.genuine_audience, use_g), replace=False)
        g_post, g_member = _per_post_draws(rng, pl.genuine_counts, audience_g.size)
        g_time = _organic_times(rng, pl.pub[g_post], pl.tz, p)
        posts, members, times, fakes = [g_post], [audience_g[g_member]], [g_time], [0 * g_post]
        if pl.fake_counts.sum():
            audience_f = rng.choice(fake_pool, min(pl.fake_audience, use_f), replace=False)
            f_post, f_member = _per_post_draws(rng, pl.fake_counts, audience_f.size)
            if pl.style == "organic":
                f_time = _organic_times(rng, pl.pub[f_post], pl.tz, p)
            else:
                f_time = pl.fake_start[f_post] + rng.random(f_post.size) * pl.fake_duration[f_post]
            posts.append(f_post)
            members.append(audience_f[f_member])
            times.append(f_time)
            fakes.append(np.ones(f_post.size, dtype=np.int64))
        post = np.concatenate(posts)
        fake = np.concatenate(fakes).astype(np.int8)
        blocks.append(
            {
                "creator": np.full(post.size, cid),
                "post": np.strings.add(f"{cid}_p", np.strings.zfill(post.astype(str), 2)),
                "account": np.concatenate(members),
                "liked": np.floor(np.maximum(np.concatenate(times), pl.pub[post] + 1)),
                "published": pl.pub[post],
                "fake": fake,
            }
        )
        rows_creators.append(
            {
                "creator_id": cid,
                "inauthentic_share": float(fake.mean()),
                "target_share": pl.target_share,
                "style": pl.style,
                "likes": int(post.size),
            }
        )
    data = {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}
    order = np.lexsort((data["liked"], data["post"]))
    data = {k: v[order] for k, v in data.items()}
    # liker ids: a random relabelling of the pool rows, so ids say nothing about the class
    ids = world_rng.permutation(len(accounts))
    width_id = len(str(len(accounts)))
    account = data["account"]
    likes = pd.DataFrame(
        {
            "creator_id": data["creator"],
            "post_id": data["post"],
            "liker_id": np.strings.add("a", np.strings.zfill(ids[account].astype(str), width_id)),
            "liked_at": _utc(data["liked"]),
            "post_published_at": _utc(data["published"]),
        }
    )
    chosen = accounts.iloc[account].reset_index(drop=True)
    if "account_age_days" in chosen.columns:
        created = t0 - np.round(chosen["account_age_days"].to_numpy() * _DAY)
        likes["account_created_at"] = _utc(created)
    for column in _ACCOUNT_COLUMNS[1:]:
        if column in chosen.columns:
            likes[column] = chosen[column].to_numpy()
    likes["is_fake"] = data["fake"]
    creators = pd.DataFrame(rows_creators)
    reach = likes.groupby("liker_id").agg(
        creators=("creator_id", "nunique"), fake=("is_fake", "first")
    )
    creators.attrs.update(
        genuine_accounts_used=int(use_g),
        fake_accounts_used=int(use_f),
        creators_per_genuine_liker=round(
            float(reach.loc[reach["fake"] == 0, "creators"].mean()), 2
        ),
        creators_per_fake_liker=round(float(reach.loc[reach["fake"] == 1, "creators"].mean()), 2),
    )
    return likes, creators


def _utc(seconds: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(
        np.asarray(seconds, dtype=np.float64).astype("int64").astype("datetime64[s]")
    ).tz_localize("UTC")

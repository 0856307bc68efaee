"""The in-memory world: the likes of a group of creators as one table (account attributes joined,
liker ids permuted, sorted), the creators table with the realised fake shares, and
:func:`generate_world`."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from detector.synth.accounts import ATTR_COLUMNS, account_attributes, liker_ids
from detector.synth.creator import simulate_creator
from detector.synth.keyed_random import permute
from detector.synth.params import SimulationParams
from detector.synth.plan import WorldPlan, make_plan
from detector.synth.schema import CATEGORIES, CREATORS_COLUMNS, LIKES_COLUMNS, ORGANIC, TIERS


def _utc(seconds: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(seconds.astype("datetime64[s]").astype("datetime64[us]")).tz_localize(
        "UTC"
    )


def likes_block(plan: WorldPlan, creators: np.ndarray) -> pd.DataFrame:
    """Likes of the given creators (sorted), independent of how creators are grouped."""
    sims = [simulate_creator(plan, int(c)) for c in creators]
    sizes = np.array([s["post"].size for s in sims], dtype=np.int64)
    cre = np.repeat(np.asarray(creators, dtype=np.int64), sizes)
    post = np.concatenate([s["post"] for s in sims]) if sims else np.empty(0, np.int64)
    acct = np.concatenate([s["acct"] for s in sims]) if sims else np.empty(0, np.int64)
    t = np.concatenate([s["t"] for s in sims]) if sims else np.empty(0, np.int64)
    code = np.concatenate([s["code"] for s in sims]) if sims else np.empty(0, np.int8)
    pub = np.concatenate([s["pub"][s["post"]] for s in sims]) if sims else np.empty(0, np.int64)

    uniq, inv = np.unique(acct, return_inverse=True)
    attrs = account_attributes(plan, uniq)
    perm = permute(uniq, plan.id_keys, plan.id_half, 10**plan.id_width)
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
    for col in ATTR_COLUMNS:
        data[col] = attrs[col][inv]
    data["username"] = attrs["username"][inv]
    data["is_fake"] = (code != ORGANIC).astype(np.int8)
    data["tier"] = np.array(TIERS)[code]
    frame = pd.DataFrame(data)
    for col in ("creator_id", "post_id", "liker_id", "username", "tier"):
        frame[col] = frame[col].astype("str")
    return frame[list(LIKES_COLUMNS)]


def creators_frame(plan: WorldPlan, likes: np.ndarray, fakes: np.ndarray) -> pd.DataFrame:
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
            "account_id": liker_ids(plan, plan.c0 + np.arange(plan.n, dtype=np.int64)),
            "pod_id": pod_id,
        }
    )
    for col in ("creator_id", "tier", "category", "scenario", "account_id", "pod_id"):
        frame[col] = frame[col].astype("str")
    return frame[list(CREATORS_COLUMNS)]


def count_likes(plan: WorldPlan, block: pd.DataFrame, likes: np.ndarray, fakes: np.ndarray) -> None:
    idx = np.searchsorted(plan.cid, block["creator_id"].to_numpy(dtype=str))
    likes += np.bincount(idx, minlength=plan.n)
    fakes += np.bincount(idx, weights=block["is_fake"].to_numpy(), minlength=plan.n).astype(
        np.int64
    )


def likes_in_chunks(plan: WorldPlan, per_chunk: int) -> Iterator[pd.DataFrame]:
    for lo in range(0, plan.n, per_chunk):
        yield likes_block(plan, np.arange(lo, min(plan.n, lo + per_chunk)))


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
    plan = make_plan(n_creators, seed, params or SimulationParams(), inflated_share)
    likes = likes_block(plan, np.arange(plan.n))
    n_likes = np.zeros(plan.n, np.int64)
    n_fake = np.zeros(plan.n, np.int64)
    count_likes(plan, likes, n_likes, n_fake)
    return likes, creators_frame(plan, n_likes, n_fake)

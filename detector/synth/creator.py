"""One creator's posts and likes, from its own random stream ``default_rng([seed, 1, c])``, so a
creator comes out the same whichever creators are simulated with it.

Posts are published on random days at local prime time (around 12:30 and 19:30); then come the
organic likes, the viral burst if any and the fake likes, merged so that a liker likes a post at
most once (the first source wins) and nothing after the window end is seen.
"""

from __future__ import annotations

import math

import numpy as np

from detector.synth.campaigns import fake_likes
from detector.synth.organic import organic_likes, viral_likes
from detector.synth.plan import WorldPlan
from detector.synth.schema import DAY, HOUR


def _publication_times(rng: np.random.Generator, plan: WorldPlan, c: int) -> np.ndarray:
    """Sorted publication times (seconds) of creator ``c``'s posts, inside its active window."""
    p = plan.p
    t1 = plan.t1
    n_posts = int(plan.n_posts[c])
    off = float(plan.tz[c]) * HOUR
    first_day = math.floor((plan.start[c] + off) / DAY)
    last_day = math.floor((t1 - 1 + off) / DAY)
    n_days = last_day - first_day + 1
    days = first_day + rng.choice(n_days, n_posts, replace=n_posts > n_days)
    peak = np.where(rng.random(n_posts) < p.post_hour_midday_prob, *p.post_hour_peaks)
    hour = np.clip(peak + p.post_hour_sd * rng.standard_normal(n_posts), 6.0, 23.9)
    pub = days * DAY - off + hour * HOUR
    pub = np.where(pub < plan.start[c], pub + DAY, pub)  # keep the local day inside the window
    pub = np.where(pub > t1 - 1800, pub - DAY, pub)
    return np.sort(np.floor(np.clip(pub, plan.start[c], t1 - 1800)))


def simulate_creator(plan: WorldPlan, c: int) -> dict[str, np.ndarray]:
    """Posts and likes of creator ``c``: post, account, time and tier code per like, and the
    publication time of every post."""
    rng = np.random.default_rng(np.random.SeedSequence([plan.seed, 1, c]))
    pub = _publication_times(rng, plan, c)
    organic, mean_likes = organic_likes(rng, plan, c, pub)
    batches = [organic]
    viral = viral_likes(rng, plan, c, pub, mean_likes)
    if viral is not None:
        batches.append(viral)
    batches += fake_likes(rng, plan, c, pub, batches)

    post = np.concatenate([b.post for b in batches])
    acct = np.concatenate([b.acct for b in batches])
    times = np.concatenate([b.t for b in batches])
    t = np.maximum(np.floor(times), pub[post] + 1.0)  # after publication
    code = np.concatenate([np.full(b.post.size, b.code, np.int8) for b in batches])
    # a liker likes a post at most once (first source wins); nothing is seen after the window
    _, first = np.unique(post * plan.total + acct, return_index=True)
    keep = np.sort(first)
    keep = keep[t[keep] < plan.t1]
    return {
        "post": post[keep],
        "acct": acct[keep],
        "t": t[keep].astype(np.int64),
        "code": code[keep],
        "pub": pub.astype(np.int64),
    }

"""Authentic likes of a creator's posts: how many, from whom, when; and the viral post.

*Likes per post* = followers x engagement rate x per-post lognormal factor x ``likes_scale``,
capped at ``max_likes_per_post``, then Poisson. ``likes_scale`` is a sampling knob that keeps the
data tractable (the default 40-creator world has ~25-50k likes, ~5 MB of CSV); it does not change
the structure, but small creators get only a few likes per post. Posts without likes have no row.

*Sources.* Loyal fans (a subset of the creator's audience pool that likes most posts, many within
minutes thanks to notifications), casual audience members (sampled from the rest of the pool) and
discovery likes from non-followers anywhere in the population (the For You feed).

*Hard honest negatives.* A viral post is a genuine burst of 10-100x the usual likes within a few
hours, from non-followers all over the population with a tilt towards new-ish accounts. Brand new
creators grow fast (rising likes per post) and have a young audience (accounts much younger than
usual, hence with few posts and followers).
"""

from __future__ import annotations

import numpy as np

from detector.synth.accounts import genuine_tz
from detector.synth.audiences import draw_genuine, sample_audience
from detector.synth.draws import lognormal, loguniform, rows_without_replacement
from detector.synth.like_timing import organic_delays, thin_by_daily_cycle
from detector.synth.plan import WorldPlan
from detector.synth.schema import DAY, HOUR, ORGANIC, LikeBatch


def organic_likes(
    rng: np.random.Generator, plan: WorldPlan, c: int, pub: np.ndarray
) -> tuple[LikeBatch, float]:
    """Creator ``c``'s likes from loyal fans, casual audience and discovery, with the mean
    expected likes per post (the scale of a viral burst)."""
    p = plan.p
    tz_c = float(plan.tz[c])
    n_posts = int(plan.n_posts[c])

    # volumes
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
    audience = sample_audience(rng, plan, c, int(plan.audience[c]))
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
    cas_post, cas_col = rows_without_replacement(rng, casual, pool)
    cas_acct = audience[n_loyal + cas_col]
    disc_post = np.repeat(np.arange(n_posts), disc)
    disc_acct = draw_genuine(rng, plan, int(disc.sum()), tz=tz_c)[: disc_post.size]
    disc_post = disc_post[: disc_acct.size]

    org_post = np.concatenate([loyal_post, cas_post, disc_post]).astype(np.int64)
    org_acct = np.concatenate([loyal_acct, cas_acct, disc_acct]).astype(np.int64)
    loyal = np.zeros(org_post.size, bool)
    loyal[: loyal_post.size] = True
    notified = loyal & (rng.random(org_post.size) < p.loyal_notify_share)

    def organic_draw(pos: np.ndarray) -> np.ndarray:
        return pub[org_post[pos]] + organic_delays(rng, p, notified[pos])

    org_t = thin_by_daily_cycle(rng, organic_draw, genuine_tz(plan, org_acct), p)
    return LikeBatch(org_post, org_acct, org_t, ORGANIC), lam.mean()


def viral_likes(
    rng: np.random.Generator, plan: WorldPlan, c: int, pub: np.ndarray, mean_likes: float
) -> LikeBatch | None:
    """The burst on creator ``c``'s viral post (None without one): genuine likers from all over
    the population, tilted to new-ish accounts."""
    p = plan.p
    viral_ok = np.flatnonzero(pub < plan.t1 - 2 * DAY)
    if not (plan.has_viral[c] and viral_ok.size):
        return None
    v = int(rng.choice(viral_ok))
    mult = loguniform(rng, *p.viral_multiplier, 1)[0]
    n_v = int(np.clip(round(mult * mean_likes), p.viral_min_likes, p.viral_max_likes))
    v_acct = draw_genuine(rng, plan, n_v, old_accept=p.viral_old_accept)
    onset = pub[v] + lognormal(rng, p.viral_onset_median_h * HOUR, 0.7, 1)[0]
    burst = rng.uniform(*p.viral_burst_h) * HOUR

    def viral_draw(pos: np.ndarray) -> np.ndarray:
        return onset + burst * rng.gamma(2.0, 0.5, pos.size)

    v_t = thin_by_daily_cycle(rng, viral_draw, genuine_tz(plan, v_acct), p)
    return LikeBatch(np.full(v_acct.size, v, np.int64), v_acct, v_t, ORGANIC)

"""When an authentic like happens: delays after publication rise and decay (a fast and a slow
lognormal component, most likes within 48 h, a long tail; notified fans within minutes), thinned
by the liker's local daily cycle (few likes at local night). Hollow farms copy this timing."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from detector.synth.draws import lognormal
from detector.synth.params import SimulationParams
from detector.synth.schema import HOUR


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


def organic_delays(
    rng: np.random.Generator, p: SimulationParams, notified: np.ndarray
) -> np.ndarray:
    """Seconds from publication to an organic like: a fast or slow lognormal, or, for a
    follower notified of the post, the notification delay; at least 5 s."""
    n = notified.size
    slow = rng.random(n) < p.delay_slow_share
    median = np.where(slow, p.delay_slow_median_h, p.delay_fast_median_h) * HOUR
    sigma = np.where(slow, p.delay_slow_sigma, p.delay_fast_sigma)
    delay = median * np.exp(sigma * rng.standard_normal(n))
    notify = lognormal(rng, p.notify_delay_median_min * 60, p.notify_delay_sigma, n)
    return np.maximum(np.where(notified, notify, delay), 5.0)


def thin_by_daily_cycle(
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
        local = np.mod(t / HOUR + tz[todo], 24.0)
        ok = rng.random(todo.size) < _diurnal(local, p)
        out[todo[ok]] = t[ok]
        todo, t = todo[~ok], t[~ok]
        if not todo.size:
            break
    out[todo] = t
    return out

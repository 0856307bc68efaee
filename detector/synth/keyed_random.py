"""Randomness keyed by (key, index, stream) instead of drawn in sequence.

An account must have the same attributes wherever it appears (on every creator it likes, in every
chunk), so its attributes are hashes (splitmix64) of its index rather than draws from a shared
generator. Liker ids are a keyed permutation of the account index (a Feistel network), so an id
carries no information about the account type.
"""

from __future__ import annotations

import numpy as np

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


def uniform(key: int, idx: np.ndarray, stream: int) -> np.ndarray:
    """Uniform(0, 1) per (key, index, stream), open interval."""
    return ((_hash(key, idx, stream) >> _U(11)).astype(np.float64) + 0.5) * (1.0 / 2.0**53)


def normal(key: int, idx: np.ndarray, stream: int) -> np.ndarray:
    """Standard normal per (key, index, stream) via Box-Muller."""
    u1 = uniform(key, idx, stream + 0x10000)
    u2 = uniform(key, idx, stream + 0x20000)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def _feistel(x: np.ndarray, keys: tuple[int, ...], half: int) -> np.ndarray:
    mask = _U((1 << half) - 1)
    left, right = x >> _U(half), x & mask
    for k in keys:
        left, right = right, left ^ (_mix(right + _U(k)) & mask)
    return (left << _U(half)) | right


def permute(x: np.ndarray, keys: tuple[int, ...], half: int, modulus: int) -> np.ndarray:
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

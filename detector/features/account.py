"""Liker account features: age, audience, activity and profile completeness.

Pure functions over a validated likes table (see :mod:`detector.schema`); each feature is
computed for all rows at once and is NaN where the input value is missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from detector import _jit
from detector.schema import creation_times, like_instants

SECONDS_PER_DAY = 86_400.0


def account_age_days(likes: pd.DataFrame) -> np.ndarray:
    """Age of the liking account when it liked (without like times, when the post was
    published), in days; unknown (NaN) where either time is missing or the creation time falls
    after the like (:func:`detector.schema.creation_times`)."""
    delta = like_instants(likes) - creation_times(likes)
    # a coarse like time may precede the creation within its own span (a date-only export's
    # like on the day the account was made): that account was new, not negative in age
    days = np.maximum(delta.astype("timedelta64[s]").astype("float64") / SECONDS_PER_DAY, 0.0)
    days[np.isnat(delta)] = np.nan
    return days


def username_digit_share(usernames: pd.Series) -> np.ndarray:
    """Share of characters that are digits (``\\d``, as Python's ``re`` counts them)."""
    dtype = usernames.dtype
    if not (isinstance(dtype, pd.StringDtype) and str(dtype.storage).startswith("pyarrow")):
        return _regex_digit_share(usernames)
    if len(usernames) == 0:
        return np.zeros(0)
    array = pa.array(usernames)
    if array.type != pa.large_string():
        array = array.cast(pa.large_string())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    length, digits, non_ascii = _ascii_digit_counts(array)
    out = np.divide(
        digits.astype("float64"),
        length.astype("float64"),
        out=np.zeros(len(length)),
        where=length > 0,
    )
    out[array.is_null().to_numpy(zero_copy_only=False)] = np.nan
    if non_ascii.any():  # other scripts have digits too: leave them to the regex
        out[non_ascii] = _regex_digit_share(usernames[non_ascii])
    return out


def _ascii_digit_counts(array: pa.LargeStringArray) -> tuple[np.ndarray, ...]:
    """Bytes, ASCII digits (0x30-0x39) and whether any byte is not ASCII, per string."""
    bounds = np.frombuffer(array.buffers()[1], dtype=np.int64)[
        array.offset : array.offset + len(array) + 1
    ]
    data = array.buffers()[2]
    raw = (
        np.frombuffer(data, dtype=np.uint8)[bounds[0] : bounds[-1]]
        if data
        else np.zeros(0, np.uint8)
    )
    kernels = _jit.kernels_for(len(array))
    if kernels is not None:  # one pass over the bytes, the same counts
        digits, non_ascii = np.empty(len(array), np.int64), np.empty(len(array), np.bool_)
        kernels.ascii_digit_counts(bounds, raw, digits, non_ascii)
        return np.diff(bounds), digits, non_ascii
    start = bounds - bounds[0]

    def per_string(where: np.ndarray) -> np.ndarray:
        return np.diff(np.searchsorted(np.flatnonzero(where), start))

    return np.diff(bounds), per_string(raw - np.uint8(0x30) < 10), per_string(raw >= 0x80) > 0


def _regex_digit_share(usernames: pd.Series) -> np.ndarray:
    """:func:`username_digit_share` by regex, computed once per distinct username."""
    codes, uniques = pd.factorize(usernames, use_na_sentinel=True)
    text = pd.Series(uniques, dtype="string")
    lengths = text.str.len().to_numpy("float64", na_value=np.nan)
    digits = text.str.count(r"\d").to_numpy("float64", na_value=np.nan)
    share = np.divide(digits, lengths, out=np.zeros_like(lengths), where=lengths > 0)
    out = np.full(len(codes), np.nan)
    known = codes >= 0
    out[known] = share[codes[known]]
    return out


def account_features(likes: pd.DataFrame) -> dict[str, np.ndarray]:
    """Every account feature whose input columns are present."""
    columns = likes.columns
    out: dict[str, np.ndarray] = {}
    age = account_age_days(likes) if "account_created_at" in columns else None
    if age is not None:
        out["log_account_age_days"] = np.log1p(age)
    for name in ("followers", "following", "posts"):
        if name in columns:
            out[f"log_{name}"] = np.log1p(likes[name].to_numpy("float64"))
    if "followers" in columns and "following" in columns:
        out["following_followers_log_ratio"] = out["log_following"] - out["log_followers"]
    if "posts" in columns and age is not None:
        out["log_posts_per_day"] = np.log1p(
            likes["posts"].to_numpy("float64") / np.maximum(age, 1.0)
        )
    for name in ("has_avatar", "is_private"):
        if name in columns:
            out[name] = likes[name].to_numpy("float64")
    if "bio_length" in columns:
        out["log_bio_length"] = np.log1p(likes["bio_length"].to_numpy("float64"))
    if "username" in columns:
        out["username_digit_share"] = username_digit_share(likes["username"])
    return out

"""The data contract: column names, types, and validation with precise messages.

One row per like. Required: ``creator_id``, ``post_id``, ``liker_id``. Optional:
``liked_at`` (most sources of likers give none; when given, every like has one),
``post_published_at``, ``creator_followers`` and the liker account attributes
(:data:`ACCOUNT_COLUMNS`), either on the likes table or in an accounts table keyed by
``account_id``. The label (``is_fake`` by default) is used for training and evaluation only.

Validation happens once, right after reading; everything downstream may rely on
:func:`validate_likes`'s output: ids are strings, timestamps are UTC ``datetime64``, counts are
non-negative ``float64`` (NaN where a value is missing), booleans are ``float64`` 0/1.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
from pandas._libs.parsers import STR_NA_VALUES

from detector.errors import SchemaError

REQUIRED_COLUMNS: tuple[str, ...] = ("creator_id", "post_id", "liker_id")
ID_COLUMNS: tuple[str, ...] = ("creator_id", "post_id", "liker_id")
TIMESTAMP_COLUMNS: tuple[str, ...] = ("liked_at", "post_published_at", "account_created_at")
COUNT_COLUMNS: tuple[str, ...] = (
    "creator_followers",
    "followers",
    "following",
    "posts",
    "bio_length",
)
BOOLEAN_COLUMNS: tuple[str, ...] = ("has_avatar", "is_private", "is_verified")
ACCOUNT_COLUMNS: tuple[str, ...] = (
    "account_created_at",
    "followers",
    "following",
    "posts",
    "has_avatar",
    "is_private",
    "is_verified",
    "bio_length",
    "username",
)
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "liked_at",
    "post_published_at",
    "creator_followers",
    *ACCOUNT_COLUMNS,
)
CONTRACT_COLUMNS: tuple[str, ...] = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
"""Columns the engines read: everything else in the input never reaches the model."""
DEFAULT_LABEL = "is_fake"
ACCOUNT_KEY = "account_id"
ACCOUNTS_MATCHED = "accounts_matched_likes"
"""Where a joined table keeps (in ``attrs``) how many of its likes' likers the accounts had."""
VERBATIM_COLUMNS: tuple[str, ...] = (*ID_COLUMNS, ACCOUNT_KEY, "username")
"""Read as text exactly as written: no 'NA'/'null' as missing and no number parsing."""

MISSING_WORDS: frozenset[str] = frozenset(STR_NA_VALUES)
"""Cells that mean "no value" in the typed columns (timestamps, counts, booleans) in every format:
pandas' missing-value words (``NA``, ``null``, ``nan``, the empty string, ...). Ids and usernames
are verbatim: only an empty cell is missing there."""

_TRUE = {"1", "true", "t", "yes", "y", "1.0"}
_FALSE = {"0", "false", "f", "no", "n", "0.0"}


def _where(source: str, column: str, position: int, value: object) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    shown = f"{value:g}" if isinstance(value, float) else repr(value)
    return f"{source}: column '{column}' row {position + 1}: {shown}"


EPOCH_UNITS: tuple[tuple[float, str], ...] = ((1e11, "s"), (1e14, "ms"), (1e17, "us"))
"""Epoch numbers are told apart by magnitude: ``|x| < 1e11`` seconds, ``< 1e14`` milliseconds,
``< 1e17`` microseconds, else nanoseconds. Each boundary is the ``1e11`` instant of the next finer
unit (early 1973), so a number in an ambiguous band read in the coarser unit lands after 2262,
outside the supported range: a misread is refused, never silent."""

_NS = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
_LOW, _HIGH = pd.Timestamp.min.tz_localize("UTC"), pd.Timestamp.max.tz_localize("UTC")
_RANGE = f"supported range {_LOW:%Y-%m-%d} to {_HIGH:%Y-%m-%d} (UTC)"


def _epoch(numbers: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Epoch numbers (any unit, by magnitude) as UTC timestamps, and which were out of range."""
    values = numbers.to_numpy(dtype="float64", na_value=np.nan)
    size = np.abs(values)
    scale = np.select(
        [size < 1e11, size < 1e14, size < 1e17], [10**9, 10**6, 10**3], default=1
    ).astype("float64")
    if pd.api.types.is_integer_dtype(numbers) and not numbers.isna().any():  # exact for ns
        nanos_exact = numbers.to_numpy(dtype="int64")
        with np.errstate(over="ignore"):
            nanos = nanos_exact.astype("float64") * scale
        exact = scale == 1
    else:
        nanos, exact, nanos_exact = values * scale, None, None
    out = ~np.isnan(nanos) & ((nanos < _LOW.value) | (nanos > _HIGH.value))
    safe = np.where(out | np.isnan(nanos), np.nan, nanos)
    parsed = pd.to_datetime(safe, unit="ns", utc=True)
    if exact is not None and exact.any():
        parsed = parsed.where(~exact, pd.to_datetime(np.where(exact, nanos_exact, 0), utc=True))
    return pd.Series(parsed, index=numbers.index).astype("datetime64[ns, UTC]"), out


def _out_of_range(source: str, column: str, position: int, value: object) -> SchemaError:
    if isinstance(value, datetime.date):  # a date or datetime Arrow inferred: shown as written
        value = value.isoformat()
    return SchemaError(f"{_where(source, column, position, value)} is out of range ({_RANGE})")


def without_missing_words(values: pd.Series) -> pd.Series:
    """Text cells that are :data:`MISSING_WORDS` (surrounding spaces aside) made missing, so
    that a Parquet or JSON text column means what the same CSV column means; other dtypes as
    they are."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return values
    if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
        return values
    text = values.astype("string").str.strip()
    missing = text.isin(MISSING_WORDS).fillna(False).to_numpy(dtype=bool)
    return values.where(~missing) if missing.any() else values


def parse_timestamps(values: pd.Series, source: str, column: str) -> pd.Series:
    """Parse ISO 8601 (any offset; no offset means UTC) or Unix epoch numbers into UTC timestamps.

    Epoch numbers may be seconds, milliseconds, microseconds or nanoseconds, told apart by
    magnitude (:data:`EPOCH_UNITS`). Instants outside what ``datetime64[ns]`` holds (about
    1677-09-21 to 2262-04-11) are refused with the row, rather than failing deep in pandas.
    """
    values = without_missing_words(values)
    present = values.notna().to_numpy()
    if pd.api.types.is_datetime64_any_dtype(values):  # Parquet/JSON instants, any unit
        stamped = (
            values if isinstance(values.dtype, pd.DatetimeTZDtype) else values.dt.tz_localize("UTC")
        )
        outside = present & ((stamped < _LOW) | (stamped > _HIGH)).fillna(False).to_numpy()
        if outside.any():
            first = int(np.flatnonzero(outside)[0])
            raise _out_of_range(source, column, first, str(values.iloc[first]))
        return stamped.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    out = np.zeros(len(values), dtype=bool)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        parsed, out = _epoch(values)
    else:
        text = values.astype("string").str.strip()
        numeric = pd.to_numeric(text, errors="coerce")
        is_epoch = numeric.notna().to_numpy()
        iso = pd.to_datetime(text.where(~is_epoch), utc=True, errors="coerce", format="ISO8601")
        iso_outside = ((iso < _LOW) | (iso > _HIGH)).fillna(False).to_numpy()
        out |= iso_outside
        parsed = iso.where(~iso_outside).astype("datetime64[ns, UTC]")
        if is_epoch.any():
            epoch, epoch_out = _epoch(numeric[is_epoch].astype("float64"))
            parsed[is_epoch] = epoch
            out[is_epoch] |= epoch_out
    if out.any():
        first = int(np.flatnonzero(out)[0])
        raise _out_of_range(source, column, first, values.iloc[first])
    bad = np.flatnonzero(present & parsed.isna().to_numpy())
    if bad.size:
        raise SchemaError(
            f"{_where(source, column, int(bad[0]), values.iloc[bad[0]])} is not a timestamp "
            f"(expected ISO 8601 or a Unix epoch number in s, ms, us or ns; {bad.size} bad value(s) in all)"
        )
    return parsed.astype("datetime64[ns, UTC]")


COUNT_LIMITS: dict[str, float] = {
    "creator_followers": 1e10,
    "followers": 1e10,
    "following": 1e10,
    "posts": 1e10,
    "bio_length": 1e6,
}
"""Largest count accepted per column. No account has 10^10 followers, follows or posts (more than
there are people), and no profile's bio is a million characters long: a larger value is a unit,
column or export mistake, and scoring it would turn the feature into noise without a word."""


def parse_counts(values: pd.Series, source: str, column: str) -> pd.Series:
    """Parse counts: whole numbers from 0 to the column's :data:`COUNT_LIMITS`; missing stays
    NaN. ``3.0`` is a count; ``3.5``, ``inf`` and ``1e30`` are refused with their row."""
    values = without_missing_words(values)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numeric = values.astype("float64")  # already numbers: only their value can be wrong
        bad = np.zeros(0, dtype=np.intp)
    else:
        numeric = pd.to_numeric(values, errors="coerce").astype("float64")
        present = values.notna().to_numpy()
        bad = np.flatnonzero(present & numeric.isna().to_numpy())
    expected = f"expected a whole number from 0 to {COUNT_LIMITS.get(column, np.inf):,.0f}"
    if bad.size:
        raise SchemaError(
            f"{_where(source, column, int(bad[0]), values.iloc[bad[0]])} is not a number "
            f"({expected})"
        )
    number = numeric.to_numpy()
    with np.errstate(invalid="ignore"):
        problems = (
            ("is negative", number < 0),
            ("is too large", number > COUNT_LIMITS.get(column, np.inf)),
            ("is not a whole number", np.isfinite(number) & (number % 1 != 0)),
        )
    for what, wrong in problems:
        rows = np.flatnonzero(wrong)
        if rows.size:
            raise SchemaError(
                f"{_where(source, column, int(rows[0]), values.iloc[rows[0]])} {what} "
                f"({expected}; {rows.size} such value(s) in all)"
            )
    return numeric


def parse_booleans(values: pd.Series, source: str, column: str) -> pd.Series:
    """Parse booleans given as true/false, yes/no or 1/0; missing stays NaN."""
    values = without_missing_words(values)
    if pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    text = values.astype("string").str.strip().str.lower()
    parsed = pd.Series(np.nan, index=values.index, dtype="float64")
    parsed[text.isin(_TRUE).fillna(False).to_numpy()] = 1.0
    parsed[text.isin(_FALSE).fillna(False).to_numpy()] = 0.0
    present = values.notna().to_numpy()
    bad = np.flatnonzero(present & parsed.isna().to_numpy())
    if bad.size:
        raise SchemaError(
            f"{_where(source, column, int(bad[0]), values.iloc[bad[0]])} is not a boolean "
            f"(expected true/false, yes/no or 1/0)"
        )
    return parsed


def parse_labels(
    values: pd.Series, source: str, column: str, allow_missing: bool = False
) -> pd.Series:
    """Parse a 0/1 or true/false label column; every row must be labelled unless
    ``allow_missing`` (then missing labels stay NaN: unknown)."""
    values = without_missing_words(values)
    if allow_missing:
        return parse_booleans(values, source, column)
    missing = np.flatnonzero(values.isna().to_numpy())
    if missing.size:
        raise SchemaError(f"{source}: column '{column}' row {missing[0] + 1}: label is missing")
    return parse_booleans(values, source, column).astype("int8")


def check_required(frame: pd.DataFrame, required: tuple[str, ...], source: str) -> None:
    """Raise one error listing every required column that is absent."""
    missing = [name for name in required if name not in frame.columns]
    if missing:
        listed = ", ".join(f"'{name}'" for name in missing)
        raise SchemaError(
            f"{source}: missing required column(s) {listed} (found: {', '.join(map(str, frame.columns))})"
        )


def _ids(values: pd.Series, source: str, column: str) -> pd.Series:
    """Ids as text, verbatim: ``007`` and ``7`` are two ids and ``NA`` is an id. Only an empty
    cell or a null is missing; integer-typed ids (Parquet, JSON numbers) become decimal text."""
    if pd.api.types.is_float_dtype(values):
        whole = values.dropna()
        if (whole % 1 == 0).all():
            values = values.astype("Int64")
    text = values.astype("string")
    missing = np.flatnonzero((text.isna() | (text == "")).to_numpy())
    if missing.size:
        raise SchemaError(f"{source}: column '{column}' row {missing[0] + 1}: id is missing")
    return text.astype(str)


def validate_likes(
    frame: pd.DataFrame, source: str = "likes", label_column: str | None = None
) -> pd.DataFrame:
    """Check a likes table against the contract and return it with normalised types.

    Unknown extra columns are kept (they never reach the model). Raises :class:`SchemaError`
    naming the file, column, row and value of the first problem found.
    """
    if len(frame) == 0:
        raise SchemaError(f"{source}: no rows (expected one row per like)")
    check_required(frame, REQUIRED_COLUMNS, source)
    out = frame.reset_index(drop=True).copy(deep=False)  # columns are replaced, not changed
    for column in ID_COLUMNS:
        out[column] = _ids(out[column], source, column)
    for column in TIMESTAMP_COLUMNS:
        if column in out.columns:
            out[column] = parse_timestamps(out[column], source, column)
    missing_time = (
        np.flatnonzero(out["liked_at"].isna().to_numpy()) if "liked_at" in out.columns else []
    )
    if len(missing_time):
        raise SchemaError(
            f"{source}: column 'liked_at' row {missing_time[0] + 1}: value is missing "
            f"(give every like its time, or leave the column out)"
        )
    for column in COUNT_COLUMNS:
        if column in out.columns:
            out[column] = parse_counts(out[column], source, column)
    for column in BOOLEAN_COLUMNS:
        if column in out.columns:
            out[column] = parse_booleans(out[column], source, column)
    if "username" in out.columns:
        username = out["username"].astype("string")
        out["username"] = username.where(username != "")  # verbatim: only empty is missing
    if label_column is not None:
        if label_column not in out.columns:
            raise SchemaError(f"{source}: label column '{label_column}' not found")
        out[label_column] = parse_labels(out[label_column], source, label_column)
    return out


def unique_keys(frame: pd.DataFrame, key: str, source: str, what: str) -> pd.Series:
    """The ids of a table keyed by ``key``, one row per ``what``: refused with the file, row
    and value when the table is empty, lacks the key, or has a key missing or repeated."""
    if len(frame) == 0:
        raise SchemaError(f"{source}: no rows (expected one row per {what})")
    check_required(frame, (key,), source)
    keys = _ids(frame[key].reset_index(drop=True), source, key)
    repeated = np.flatnonzero(keys.duplicated().to_numpy())
    if repeated.size:
        raise SchemaError(
            f"{source}: column '{key}' row {repeated[0] + 1}: "
            f"{keys.iloc[repeated[0]]!r} appears more than once (expected one row per {what})"
        )
    return keys


def join_accounts(
    likes: pd.DataFrame, accounts: pd.DataFrame, source: str = "accounts"
) -> pd.DataFrame:
    """Join a liker accounts table (keyed by ``account_id``) onto validated likes."""
    accounts = accounts.reset_index(drop=True)
    keys = unique_keys(accounts, ACCOUNT_KEY, source, "liker account")
    both = [c for c in accounts.columns if c != ACCOUNT_KEY and c in likes.columns]
    if both:
        raise SchemaError(
            f"{source}: column(s) {', '.join(map(repr, both))} are also in the likes table; "
            f"give each attribute in one table only"
        )
    table = validate_account_columns(accounts.drop(columns=[ACCOUNT_KEY]), source)
    table.index = pd.Index(keys, name=ACCOUNT_KEY)
    joined = likes.join(table, on="liker_id")
    joined.attrs[ACCOUNTS_MATCHED] = int(likes["liker_id"].isin(table.index).sum())
    return joined


def check_accounts_matched(matched: int, likes: int, source: str, likes_source: str) -> None:
    """Refuse an accounts table that has none of the likers: it belongs to other data or keys
    accounts differently, and every account feature would be imputed without a word."""
    if likes and not matched:
        raise SchemaError(
            f"{source}: no '{ACCOUNT_KEY}' matches a 'liker_id' of {likes_source} "
            f"(expected the likers' ids, written the same way)"
        )


def validate_account_columns(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Normalise account attribute columns (and a label column if present) in place of a copy."""
    out = frame.copy()
    for column in out.columns:
        if column in TIMESTAMP_COLUMNS:
            out[column] = parse_timestamps(out[column], source, column)
        elif column in COUNT_COLUMNS:
            out[column] = parse_counts(out[column], source, column)
        elif column in BOOLEAN_COLUMNS:
            out[column] = parse_booleans(out[column], source, column)
    return out


LIKE_KEY: tuple[str, ...] = ("creator_id", "post_id", "liker_id", "liked_at")
"""What makes a like one like: rows repeating all four (the three ids, without ``liked_at``)
are one like counted once."""


def like_key(likes: pd.DataFrame) -> list[str]:
    """The columns of :data:`LIKE_KEY` that ``likes`` has."""
    return [c for c in LIKE_KEY if c in likes.columns]


def repeated_likes(likes: pd.DataFrame) -> np.ndarray:
    """Rows of validated likes that repeat an earlier row's like (:data:`LIKE_KEY`): an export
    read twice or pages fetched twice. Counting them would inflate a creator's likes and make
    the copies look like a burst of same-second likes."""
    out = np.zeros(len(likes), dtype=bool)
    if len(likes) < 2:
        return out
    # a repeat shares its liker and instant with an earlier row: find the rows whose (liker,
    # instant) pair repeats with integers, then compare the ids of those few alone (on busy
    # tables nearly every instant is shared, and comparing all the id text dominated reading)
    liker = pd.factorize(likes["liker_id"])[0].astype(np.uint64)
    if "liked_at" in likes.columns:
        instant = likes["liked_at"].to_numpy("datetime64[ns]").view(np.uint64)
        pair = pd.Series(instant * np.uint64(0x9E3779B97F4A7C15) + liker)  # wraps: a hash
    else:
        pair = pd.Series(liker)
    tied = pair.duplicated(keep=False).to_numpy()
    if tied.any():
        key = like_key(likes)
        candidates = likes.loc[tied, key] if not tied.all() else likes[key]
        out[tied] = candidates.duplicated(keep="first").to_numpy()
    return out


def like_instants(likes: pd.DataFrame) -> np.ndarray:
    """The instant that stands for each like: ``liked_at``; without it, ``post_published_at``
    (a like comes after its post: an account's age then is a lower bound of its age at the
    like); NaT where neither is known."""
    for column in ("liked_at", "post_published_at"):
        if column in likes.columns:
            return likes[column].to_numpy("datetime64[ns]")
    return np.full(len(likes), np.datetime64("NaT", "ns"))


def _before_like(likes: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """``column``'s instants, and where they fall after the like (which cannot be true; never
    known without ``liked_at`` for a post's publication)."""
    when = likes[column].to_numpy("datetime64[ns]")
    if column == "post_published_at" and "liked_at" not in likes.columns:
        return when, np.zeros(len(when), dtype=bool)
    liked = like_instants(likes)
    return when, ~np.isnat(when) & (when > liked + _span_of(liked))


WHOLE_UNITS_NS = (60 * 10**9, 3_600 * 10**9, 86_400 * 10**9)
"""A minute, an hour and a day in nanoseconds: the units a coarse time may be whole in."""


def _span_of(instants: np.ndarray) -> np.ndarray:
    """How long each instant may stand for: a time on a whole minute, hour or day may be a
    coarse one (a date-only export's like counts for its whole day), so only a time after that
    span is after the like."""
    ticks = instants.view(np.int64)
    span = np.zeros(len(ticks), dtype=np.int64)
    rows = np.flatnonzero(ticks % WHOLE_UNITS_NS[0] == 0)  # few, unless times are coarse
    for unit in WHOLE_UNITS_NS:
        rows = rows[ticks[rows] % unit == 0]
        span[rows] = unit - 1
    return span.view("timedelta64[ns]")


def creation_times(likes: pd.DataFrame) -> np.ndarray:
    """Each liker account's creation time, unknown (NaT) where it falls after the like: an
    account cannot like before it exists, so the date is wrong (or belongs to another account),
    and reading it as an age of zero would make every such liker look newborn."""
    created, after = _before_like(likes, "account_created_at")
    return np.where(after, np.datetime64("NaT", "ns"), created)


def publication_times(likes: pd.DataFrame) -> np.ndarray:
    """Each like's post publication time, unknown (NaT) where it falls after the like: a like
    cannot precede its post, and a delay of zero would read as an instant, bot-like reaction."""
    published, after = _before_like(likes, "post_published_at")
    return np.where(after, np.datetime64("NaT", "ns"), published)


def impossible_times(likes: pd.DataFrame) -> dict[str, int]:
    """How many likes :func:`creation_times` and :func:`publication_times` take as unknown."""
    counts = {"account_created_after_like": 0, "liked_before_publication": 0}
    if "account_created_at" in likes.columns:
        counts["account_created_after_like"] = int(
            _before_like(likes, "account_created_at")[1].sum()
        )
    if "post_published_at" in likes.columns:
        counts["liked_before_publication"] = int(_before_like(likes, "post_published_at")[1].sum())
    return counts


def present_optional_columns(frame: pd.DataFrame) -> list[str]:
    """Optional contract columns that are present with at least one value."""
    return [c for c in OPTIONAL_COLUMNS if c in frame.columns and frame[c].notna().any()]

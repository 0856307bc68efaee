"""Partitions of a likes table as the chunked and Dask engines read them.

A batch read from a file is validated with row numbers counted from the file's start
(:func:`validate_batch`); every row keeps its position in the input as an order key
(:data:`ROW_KEY`) while partitioned, so that the report lists creators, posts and likes in the
order the in-memory engine gives; :func:`split_rows` takes it off again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from detector.errors import SchemaError
from detector.schema import (
    BOOLEAN_COLUMNS,
    CONTRACT_COLUMNS,
    COUNT_COLUMNS,
    REQUIRED_COLUMNS,
    TIMESTAMP_COLUMNS,
    validate_likes,
)

ROW_KEY = "_detector_row"
"""Column holding each like's position in the input (its order key) while partitioned."""


def contract_columns(names: Iterable[str]) -> list[str]:
    """The input columns the engines keep (required and optional contract columns), in order."""
    wanted = set(CONTRACT_COLUMNS)
    return [n for n in names if n in wanted]


def validated_sample(columns: Sequence[str]) -> pd.DataFrame:
    """One made-up row with the dtypes :func:`validate_likes` gives ``columns``, plus the order
    key: the schema every partition of validated likes has (``.iloc[:0]`` for an empty one)."""
    sample: dict[str, list[object]] = {}
    for column in columns:
        if column in TIMESTAMP_COLUMNS:
            sample[column] = ["2000-01-01T00:00:00Z"]
        elif column in COUNT_COLUMNS:
            sample[column] = [0]
        elif column in BOOLEAN_COLUMNS:
            sample[column] = ["true"]
        else:  # ids, username and anything else: text
            sample[column] = ["x"]
    frame = pd.DataFrame(sample)
    if all(c in frame.columns for c in REQUIRED_COLUMNS):
        frame = validate_likes(frame, "sample")
    frame[ROW_KEY] = np.zeros(len(frame), dtype=np.int64)
    return frame


_ROW = re.compile(r"^(?P<head>.*?: column '[^']*' row )(?P<row>\d+)")


def validate_batch(frame: pd.DataFrame, source: str, offset: int) -> pd.DataFrame:
    """Validate one batch of a file; row numbers in errors count from the start of the file
    (``offset`` is the row of the file the batch starts at)."""
    try:
        return validate_likes(frame, source)
    except SchemaError as error:
        message = str(error)
        match = _ROW.match(message)
        if match and message.startswith(source) and offset:
            row = int(match["row"]) + offset
            message = f"{match['head']}{row}{message[match.end() :]}"
        raise SchemaError(message) from None


def split_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Sort a partition by its order key (unless it already is, as input read where it lies);
    return it without the key (fresh index) and the keys, ascending."""
    rows = frame[ROW_KEY].to_numpy(dtype=np.int64)
    if len(rows) > 1 and not bool(np.all(rows[1:] > rows[:-1])):
        frame = frame.sort_values(ROW_KEY, kind="stable")
        rows = frame[ROW_KEY].to_numpy(dtype=np.int64)
    likes = frame.drop(columns=ROW_KEY).reset_index(drop=True)
    likes.attrs["detector_validated"] = True
    return likes, rows

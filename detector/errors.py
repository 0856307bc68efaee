"""Exceptions raised by the detector.

Every error a user can cause derives from :class:`DetectorError` and from a builtin
(``ValueError``, ``OSError`` or ``RuntimeError``), so callers may catch either. Messages name
the file, the column, the row and what was expected, on one line.
"""

from __future__ import annotations


class DetectorError(Exception):
    """Base class of every error the detector raises on purpose."""


class SchemaError(DetectorError, ValueError):
    """Input data does not follow the data contract (columns, types, values)."""


class InputFormatError(DetectorError, ValueError):
    """An input file cannot be read: unknown format, empty or unreadable."""


class ModelError(DetectorError, ValueError):
    """A model artifact is missing, damaged, or was made by incompatible versions."""


class NotEnoughDataError(DetectorError, ValueError):
    """The data is too small or lacks what an operation needs (e.g. labels of both classes)."""


class ResourceError(DetectorError, RuntimeError):
    """The machine ran short of something the work needs, e.g. a worker process was killed."""


class MissingDependencyError(DetectorError, ImportError):
    """An optional dependency (Dask) is needed for what was asked and is not installed."""


class InputNote(UserWarning):
    """Something reading did to the input that the user should hear of (header names stripped
    of whitespace): issued where there is no table to leave a note on, as in the engines."""


class SelectionError(DetectorError, ValueError):
    """A selection (a category, a follower tier) names nothing the data holds."""

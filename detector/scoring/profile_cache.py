"""Compiled scorers for column profiles an artifact lacks, kept in the user's cache folder.

An artifact carries compiled scorers for the column profiles its model was fitted for. Data
with another profile needs its feature set fitted from the training sample the artifact holds,
through scikit-learn, a few seconds. Fitting is seeded, so the result is compiled once and kept
here, keyed by the artifact's checksum and the feature set; later runs load the arrays (numpy
only) and score with the same kernels as the shipped sets.

``$DETECTOR_CACHE`` names the folder (``off`` turns the cache off); by default it is
``$XDG_CACHE_HOME/engagement-detector`` or ``~/.cache/engagement-detector``. Files are written
to a temporary name and renamed, so two processes filling the same entry at once each leave a
whole file; an unwritable folder (a read-only home) only means nothing is kept. A damaged entry
is ignored and written again.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from detector.compiled.artifact import CompiledFeatureSet, CompiledModel

ENV = "DETECTOR_CACHE"
OFF = ("off", "0", "false", "no", "")


def cache_folder() -> Path | None:
    """The cache folder (None: turned off)."""
    value = os.environ.get(ENV)
    if value is not None:
        return None if value.strip().lower() in OFF else Path(value)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "engagement-detector"


class ProfileCache:
    """The compiled feature sets of one model artifact (``model_sha256``) in ``folder``."""

    def __init__(self, folder: Path, model_sha256: str) -> None:
        self.folder = Path(folder) / model_sha256[:32]

    def path(self, names: Sequence[str]) -> Path:
        """Where the feature set ``names`` is kept."""
        key = hashlib.sha256("\n".join(names).encode()).hexdigest()[:32]
        return self.folder / f"features-{key}.npz"

    def load(self, names: tuple[str, ...]) -> CompiledFeatureSet | None:
        """The compiled feature set ``names``, or None (not kept yet, or damaged)."""
        path = self.path(names)
        if not path.is_file():
            return None
        try:
            return CompiledModel(path).sets[names]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return None  # damaged or foreign: fitted and written again

    def store(self, names: tuple[str, ...], arrays: dict[str, np.ndarray]) -> None:
        """Keep ``arrays`` (:func:`detector.compiled.artifact.profile_arrays`), atomically;
        an unwritable folder keeps nothing."""
        target = self.path(names)
        tmp = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=".features-", suffix=".tmp", dir=self.folder)
            tmp = Path(name)
            with os.fdopen(fd, "wb") as handle:
                np.savez(handle, **arrays)
            os.replace(tmp, target)
        except OSError:
            if tmp is not None:
                tmp.unlink(missing_ok=True)

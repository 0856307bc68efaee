"""Saving and loading model artifacts with their metadata, versions and checksum.

An artifact is two files: ``NAME.joblib`` (the pickled :class:`~detector.model.AuthenticityModel`)
and ``NAME.json``, a readable sidecar with the format version, package versions, creation time,
parameters, feature names, training-data fingerprint, metrics and the SHA-256 of the joblib file.
``detector info`` reads only the sidecar. Loading checks the checksum, the format version and the
scikit-learn version before unpickling.

Beside them, ``NAME.npz`` holds the compiled arrays that scoring needs (see
:mod:`detector.compiled`), also checksummed; :func:`load_scorer` uses it and starts without
scikit-learn. Unpickling a file runs code from it: load only artifacts you made or got from a source you trust.
The checksum protects against damage, not against a malicious sidecar written alongside.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from detector._version import __version__
from detector.errors import ModelError
from detector.io import atomic_write, write_text

FORMAT_VERSION = 1
MODEL_ENV = "DETECTOR_MODEL"
PACKAGE_ROOT = Path(__file__).resolve().parent


def default_model_path() -> Path:
    """``$DETECTOR_MODEL`` if set, else ``models/default.joblib`` of the project."""
    if os.environ.get(MODEL_ENV):
        return Path(os.environ[MODEL_ENV])
    return PACKAGE_ROOT.parent / "models" / "default.joblib"


def compiled_path(path: str | Path) -> Path:
    """The compiled arrays (.npz) beside an artifact."""
    return Path(path).with_suffix(".npz")


def sidecar_path(path: str | Path) -> Path:
    """The JSON sidecar beside an artifact."""
    return Path(path).with_suffix(".json")


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_fingerprint(likes: pd.DataFrame) -> str:
    """SHA-256 over the key columns of a likes table (order-sensitive), for provenance."""
    keys = [c for c in ("creator_id", "post_id", "liker_id", "liked_at") if c in likes.columns]
    hashed = pd.util.hash_pandas_object(likes[keys], index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


def package_versions() -> dict[str, str]:
    """Versions that must match for an artifact to load."""
    import joblib
    import sklearn

    return {
        "detector": __version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "joblib": joblib.__version__,
        "python": platform.python_version(),
    }


def save_model(
    model: Any,
    path: str | Path,
    *,
    metrics: dict[str, Any] | None = None,
    training: dict[str, Any] | None = None,
    overwrite: bool = True,
) -> Path:
    """Write ``model`` and its sidecar atomically; return the artifact path."""
    import joblib

    from detector.compiled import compile_model

    path = Path(path)
    if path.suffix != ".joblib":
        raise ModelError(f"{path}: a model file name must end in .joblib")
    atomic_write(path, lambda tmp: joblib.dump(model, tmp, compress=3), overwrite=overwrite)
    compiled = compiled_path(path)
    atomic_write(compiled, lambda tmp: compile_model(model, tmp), overwrite=True)
    sidecar = {
        "format_version": FORMAT_VERSION,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": package_versions(),
        "model_class": type(model).__name__,
        "parameters": {k: _plain(v) for k, v in model.get_params().items()},
        "feature_names": [str(n) for n in getattr(model, "feature_names_in_", [])],
        "supervised": bool(getattr(model, "supervised_", False)),
        "training": training or {},
        "metrics": metrics or {},
        "sha256": sha256_file(path),
        "compiled_sha256": sha256_file(compiled),
    }
    write_text(sidecar_path(path), json.dumps(sidecar, indent=2, default=_plain) + "\n")
    return path


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return repr(value)


def read_sidecar(path: str | Path) -> dict[str, Any]:
    """The sidecar's metadata, without unpickling anything."""
    path = Path(path)
    side = sidecar_path(path)
    if not path.exists():
        raise ModelError(f"{path}: model file not found (train one with 'detector train')")
    if not side.exists():
        raise ModelError(f"{side}: sidecar not found; the model cannot be verified (retrain it)")
    try:
        meta = json.loads(side.read_text(encoding="utf-8"))
    except (ValueError, OSError) as error:
        raise ModelError(f"{side}: damaged sidecar ({error}); retrain the model") from error
    if not isinstance(meta, dict) or "sha256" not in meta:
        raise ModelError(f"{side}: not a detector model sidecar (no 'sha256'); retrain the model")
    return meta


def load_scorer(path: str | Path | None = None) -> Any:
    """A model for scoring that starts fast: the verified compiled arrays (numpy only), with the
    full model loaded (and verified) only if the data needs a feature set not compiled."""
    from detector.compiled import CompiledModel, Scorer

    path = Path(path) if path is not None else default_model_path()
    meta = read_sidecar(path)
    _check_format(path, meta)
    compiled = compiled_path(path)
    expected = meta.get("compiled_sha256")
    if not expected or not compiled.exists():
        return load_model(path)
    if sha256_file(compiled) != expected:
        raise ModelError(
            f"{compiled}: checksum mismatch (file is damaged or was changed after saving); "
            f"restore it or retrain with 'detector train'"
        )
    try:
        arrays = CompiledModel(compiled)
    except (ValueError, OSError, KeyError) as error:
        raise ModelError(f"{compiled}: cannot be loaded ({error})") from error
    return Scorer(arrays, functools.partial(load_model, path))  # picklable, for worker processes


def _check_format(path: Path, meta: dict[str, Any]) -> None:
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelError(
            f"{path}: format version {meta.get('format_version')} is not supported "
            f"(this detector reads {FORMAT_VERSION}); retrain with 'detector train'"
        )


def load_model(path: str | Path | None = None) -> Any:
    """Verify and load an artifact (default: :func:`default_model_path`)."""
    import sklearn

    path = Path(path) if path is not None else default_model_path()
    meta = read_sidecar(path)
    _check_format(path, meta)
    actual = sha256_file(path)
    if actual != meta["sha256"]:
        raise ModelError(
            f"{path}: checksum mismatch (file is damaged or was changed after saving); "
            f"restore it or retrain with 'detector train'"
        )
    saved = meta.get("versions", {}).get("scikit-learn", "?")
    if saved.split(".")[:2] != sklearn.__version__.split(".")[:2]:
        raise ModelError(
            f"{path}: saved with scikit-learn {saved}, running {sklearn.__version__}; install "
            f"scikit-learn=={saved} or retrain with 'detector train'"
        )
    import joblib

    try:
        model = joblib.load(path)
    except Exception as error:  # unpickling errors have no common base class
        raise ModelError(f"{path}: cannot be loaded ({type(error).__name__}: {error})") from error
    return model

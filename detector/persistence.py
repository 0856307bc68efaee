"""Saving and loading model artifacts with their metadata, versions and checksums.

An artifact is three files: ``NAME.npz``, the compiled arrays (see :mod:`detector.compiled`):
everything scoring needs, the training sample included, read with numpy alone;
``NAME.joblib``, the pickled :class:`~detector.estimator.AuthenticityModel`, which only
retraining and adapting need; and ``NAME.json``, a readable sidecar with the format version,
package versions, creation time, parameters, feature names, training-data fingerprint, metrics
and the SHA-256 of both files.

Scoring (:func:`load_scorer`) checks the sidecar's format version and the ``.npz`` checksum and
never unpickles: it works with the ``.joblib`` deleted, and does not import scikit-learn unless
the data needs a feature set that must be fitted. :func:`load_model` (retraining, adapting)
also checks the scikit-learn version the pickle was saved with against the installed one (same
major.minor: a pickle from another minor release may not load) and the ``.joblib`` checksum.
A damaged file is refused up front with one line saying what to do. ``detector info`` runs the
checks and unpickles nothing.

The shipped model is the package data ``detector.models`` (the top-level ``models/`` folder,
installed as that package), found with :mod:`importlib.resources`; ``$DETECTOR_MODEL`` overrides it.
Unpickling a file runs code from it: load only artifacts you made or got from a source you trust.
The checksum protects against damage, not against a malicious sidecar written alongside.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.resources
import json
import os
import platform
import warnings
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from detector._version import __version__
from detector.compiled.artifact import CompiledModel, compile_model
from detector.errors import ModelError
from detector.io import atomic_write, write_text
from detector.output import staged
from detector.schema import like_key
from detector.scoring.profile_cache import ProfileCache, cache_folder
from detector.scoring.scorer import Scorer

FORMAT_VERSION = 2
MODEL_ENV = "DETECTOR_MODEL"
PACKAGE_ROOT = Path(__file__).resolve().parent
MODEL_PACKAGE = "detector.models"
DEFAULT_MODEL = "default.joblib"


def default_model_path() -> Path:
    """``$DETECTOR_MODEL`` if set, else the shipped ``default.joblib``: the package data
    ``detector.models`` of an installed detector (wheel or editable), or ``models/`` beside the
    package in a checkout that is not installed."""
    if os.environ.get(MODEL_ENV):
        return Path(os.environ[MODEL_ENV])
    try:
        shipped = importlib.resources.files(MODEL_PACKAGE) / DEFAULT_MODEL
    except ModuleNotFoundError:
        shipped = None
    if isinstance(shipped, os.PathLike) and Path(shipped).exists():
        return Path(shipped)
    return PACKAGE_ROOT.parent / "models" / DEFAULT_MODEL


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
    keys = like_key(likes)
    hashed = pd.util.hash_pandas_object(likes[keys], index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


def package_versions() -> dict[str, str]:
    """Versions that must match for an artifact to load."""
    # cold start: scikit-learn and joblib only when a model is saved, never to score
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
    """Write ``model``, its compiled arrays and its sidecar, all three or none (each to a
    temporary file, renamed together at the end); return the artifact path."""
    import joblib  # cold start: only when a model is saved, never to score

    path = Path(path)
    if path.suffix != ".joblib":
        raise ModelError(f"{path}: a model file name must end in .joblib")
    compiled = compiled_path(path)
    digests: dict[str, str] = {}

    def written(key: str, write: Any) -> Any:
        def run(tmp: Path) -> None:
            write(tmp)
            digests[key] = sha256_file(tmp)

        return run

    with staged():
        atomic_write(
            path, written("sha256", lambda tmp: joblib.dump(model, tmp, compress=3)), overwrite
        )
        atomic_write(compiled, written("compiled", lambda tmp: compile_model(model, tmp)), True)
        write_text(sidecar_path(path), _sidecar_text(model, metrics, training, digests))
    return path


def _sidecar_text(
    model: Any,
    metrics: dict[str, Any] | None,
    training: dict[str, Any] | None,
    digests: dict[str, str],
) -> str:
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
        "sha256": digests["sha256"],
        "compiled_sha256": digests["compiled"],
    }
    return json.dumps(sidecar, indent=2, default=_plain) + "\n"


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
    if not path.exists() and not compiled_path(path).exists():  # the pickle alone may be gone
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


def installed_sklearn() -> str | None:
    """The installed scikit-learn's version, from its metadata (without importing it)."""
    try:
        return importlib.metadata.version("scikit-learn")
    except importlib.metadata.PackageNotFoundError:
        return None


def _minor(version: str) -> list[str]:
    return version.split(".")[:2]


def _check_format(path: Path, meta: dict[str, Any]) -> None:
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelError(
            f"{path}: format version {meta.get('format_version')} is not supported "
            f"(this detector reads {FORMAT_VERSION}); retrain with 'detector train'"
        )


def _check_sklearn(path: Path, meta: dict[str, Any]) -> None:
    versions = meta.get("versions")
    saved = versions.get("scikit-learn") if isinstance(versions, dict) else None
    saved = str(saved) if saved else "an unknown version"
    running = installed_sklearn()
    if running is None or _minor(saved) != _minor(running):
        installed = (
            f"scikit-learn {running} is installed" if running else "scikit-learn is not installed"
        )
        fix = f"install scikit-learn=={saved}" if saved[0].isdigit() else "install scikit-learn"
        raise ModelError(
            f"{path}: saved with scikit-learn {saved}, but {installed}; {fix} or retrain "
            f"with 'detector train'"
        )


def _check_sha256(file: Path, expected: Any) -> None:
    try:
        actual = sha256_file(file)
    except OSError as error:
        raise ModelError(f"{file}: cannot be read ({error.strerror or error})") from error
    if actual != expected:
        raise ModelError(
            f"{file}: checksum mismatch (file is damaged or was changed after saving); "
            f"restore it or retrain with 'detector train'"
        )


def verify_artifact(path: str | Path | None = None, scoring: bool = False) -> dict[str, Any]:
    """Check an artifact without unpickling it and return its sidecar: format version and the
    ``.npz`` checksum; unless ``scoring``, also the scikit-learn version and the ``.joblib``
    checksum (the pickle must then exist). Raises :class:`ModelError` (one line) otherwise."""
    path = Path(path) if path is not None else default_model_path()
    meta = read_sidecar(path)
    _check_format(path, meta)
    compiled = compiled_path(path)
    if not compiled.exists():
        raise ModelError(
            f"{compiled}: missing (the compiled arrays that scoring reads); restore it or "
            f"retrain with 'detector train'"
        )
    _check_sha256(compiled, meta.get("compiled_sha256"))
    if not scoring:
        _check_sklearn(path, meta)
        _check_sha256(path, meta["sha256"])
    return meta


def open_compiled(path: str | Path) -> CompiledModel:
    """The compiled arrays of an artifact; a damaged ``.npz`` is one :class:`ModelError`."""
    compiled = compiled_path(path)
    try:
        return CompiledModel(compiled)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError, TypeError) as error:
        detail = str(error).splitlines()[0] if str(error) else ""
        raise ModelError(
            f"{compiled}: cannot be loaded ({type(error).__name__}: {detail}); restore it or "
            f"retrain with 'detector train'"
        ) from error


def load_scorer(path: str | Path | None = None) -> Scorer:
    """The scorer of an artifact (default: :func:`default_model_path`): its compiled arrays,
    verified (:func:`verify_artifact`), with the profile cache of the user's cache folder
    (:mod:`detector.scoring.profile_cache`). Nothing is unpickled."""
    path = Path(path) if path is not None else default_model_path()
    meta = verify_artifact(path, scoring=True)
    folder = cache_folder()
    cache = None if folder is None else ProfileCache(folder, meta["compiled_sha256"])
    return Scorer(_compiled_arrays(str(path.resolve()), meta["compiled_sha256"]), cache)


@functools.lru_cache(maxsize=4)
def _compiled_arrays(path: str, sha256: str) -> CompiledModel:
    """An artifact's compiled arrays (``sha256`` tells a replaced file apart), loaded once per
    process: the feature sets fitted for column profiles it lacks are kept on it, so a process
    that scores many tables (a service, a notebook, the test suite) fits each profile once."""
    return open_compiled(path)


def load_model(path: str | Path | None = None) -> Any:
    """Verify (:func:`verify_artifact`) and load an artifact (default: :func:`default_model_path`)."""
    path = Path(path) if path is not None else default_model_path()
    verify_artifact(path)
    # unpickling needs them: imported only to retrain or adapt, never to score
    import joblib
    from sklearn.exceptions import InconsistentVersionWarning

    try:
        with warnings.catch_warnings():
            # another patch release of the same minor one: checked above, loads
            warnings.simplefilter("ignore", InconsistentVersionWarning)
            model = joblib.load(path)
    except Exception as error:  # unpickling errors have no common base class
        raise ModelError(f"{path}: cannot be loaded ({type(error).__name__}: {error})") from error
    return model

"""Model artifacts: round trips, metadata, and refusing damaged or foreign files."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from detector.errors import ModelError
from detector.persistence import load_model, read_sidecar, save_model


def test_round_trip_gives_identical_scores_and_a_readable_sidecar(tmp_path, trained, test_world):
    model, metrics = trained
    path = save_model(model, tmp_path / "m.joblib", metrics=metrics, training={"likes": 1})
    loaded = load_model(path)
    np.testing.assert_array_equal(
        loaded.score_samples(test_world[0]), model.score_samples(test_world[0])
    )
    meta = read_sidecar(path)
    assert meta["format_version"] == 2
    assert meta["feature_names"] == list(model.feature_names_in_)
    assert meta["metrics"]["holdout"]["like_level"]["roc_auc"] > 0.5
    assert meta["parameters"]["n_estimators"] == 60
    assert {"scikit-learn", "numpy", "pandas", "joblib", "detector"} <= set(meta["versions"])


def test_damaged_artifact_is_refused_with_a_reason(tmp_path, model):
    path = save_model(model, tmp_path / "m.joblib")
    with open(path, "r+b") as handle:
        handle.seek(100)
        handle.write(b"\x00\x01\x02")
    with pytest.raises(ModelError, match="checksum mismatch"):
        load_model(path)


def test_foreign_scikit_learn_version_is_refused_with_the_fix(tmp_path, model):
    path = save_model(model, tmp_path / "m.joblib")
    sidecar = path.with_suffix(".json")
    meta = json.loads(sidecar.read_text())
    meta["versions"]["scikit-learn"] = "0.24.2"
    sidecar.write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=r"saved with scikit-learn 0.24.2.*retrain"):
        load_model(path)


def test_missing_file_or_sidecar_is_refused(tmp_path, model):
    with pytest.raises(ModelError, match="model file not found"):
        load_model(tmp_path / "none.joblib")
    path = save_model(model, tmp_path / "m.joblib")
    path.with_suffix(".json").unlink()
    with pytest.raises(ModelError, match="sidecar not found"):
        load_model(path)


def test_garbage_with_a_matching_checksum_is_refused(tmp_path, model):
    path = save_model(model, tmp_path / "m.joblib")
    path.write_bytes(b"not a pickle")
    sidecar = path.with_suffix(".json")
    meta = json.loads(sidecar.read_text())
    import hashlib

    meta["sha256"] = hashlib.sha256(b"not a pickle").hexdigest()
    sidecar.write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="cannot be loaded"):
        load_model(path)


def test_shipped_model_loads_and_scores_with_the_pinned_versions(shipped_model, test_world):
    meta = read_sidecar("models/default.joblib")
    import sklearn

    assert meta["versions"]["scikit-learn"] == sklearn.__version__
    report = shipped_model.report(test_world[0])
    assert len(report.creators) == test_world[1].shape[0]


def test_shipped_model_is_the_default_model_trained_by_the_command_line():
    from detector.estimator import AuthenticityModel

    shipped = read_sidecar("models/default.joblib")["parameters"]
    defaults = AuthenticityModel().get_params()
    for name, value in defaults.items():  # a new parameter means: rebuild the shipped model
        assert name in shipped and shipped[name] == value, name


def test_shipped_model_scores_likes_that_lack_optional_columns(shipped_model, test_world):
    slim = test_world[0].drop(columns=["has_avatar", "is_private", "username"])
    report = shipped_model.report(slim)  # scorers refitted on the features present
    assert "has_avatar" not in report.meta["features_used"]
    assert report.creators["inauthentic_share"].between(0, 1).all()


def test_compiled_arrays_score_exactly_like_the_full_model(tmp_path, model, test_world):
    from detector.persistence import load_scorer

    path = save_model(model, tmp_path / "m.joblib")
    path.unlink()  # the pickle serves retraining only: scoring reads the arrays
    scorer = load_scorer(path)
    likes = test_world[0]
    for scope in ("batch", "creator"):
        fast = scorer.report(likes, include_likes=True, scope=scope)
        full = model.report(likes, include_likes=True, scope=scope)
        np.testing.assert_allclose(fast.likes["score"], full.likes["score"], rtol=0, atol=1e-9)
        np.testing.assert_allclose(fast.likes["probability"], full.likes["probability"], atol=1e-9)
        assert fast.creators.drop(columns="evidence").equals(full.creators.drop(columns="evidence"))


def test_a_feature_set_that_was_not_compiled_is_fitted_from_the_arrays(tmp_path, model, test_world):
    from detector.persistence import load_scorer

    path = save_model(model, tmp_path / "m.joblib")
    path.unlink()
    scorer = load_scorer(path)
    slim = test_world[0].drop(columns=["username"])
    fast = scorer.report(slim, include_likes=True)
    assert "username_digit_share" not in fast.meta["features_used"]
    names = tuple(fast.meta["features_used"])
    assert names not in model.feature_sets_  # not fitted in fit(): fitted from the arrays
    full = model.report(slim, include_likes=True)
    np.testing.assert_allclose(fast.likes["score"], full.likes["score"], rtol=0, atol=1e-9)
    assert fast.creators.drop(columns="evidence").equals(full.creators.drop(columns="evidence"))


def test_scoring_the_sample_imports_no_scikit_learn_and_needs_no_pickle(tmp_path):
    import subprocess
    import sys

    path = _shipped_copy(tmp_path)
    path.unlink()
    code = (
        "import sys\n"
        "from detector.io import load_likes\n"
        "from detector.persistence import load_scorer\n"
        f"scorer = load_scorer({str(path)!r})\n"
        "likes = load_likes('datasets/sample/likes.csv')\n"
        "for drop in ([], ['account_created_at'], ['post_published_at', 'creator_followers']):\n"
        "    scorer.report(likes.drop(columns=drop))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'joblib')))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"  # shipped profiles: scored from the arrays alone


def test_damaged_compiled_arrays_are_refused(tmp_path, model):
    from detector.persistence import load_scorer

    path = save_model(model, tmp_path / "m.joblib")
    with open(path.with_suffix(".npz"), "r+b") as handle:
        handle.seek(200)
        handle.write(b"\x00\x01")
    with pytest.raises(ModelError, match="m.npz: checksum mismatch"):
        load_scorer(path)


# Every loaded file is verified first (issue 16, point 7), on copies of the shipped model.

SHIPPED = ("default.joblib", "default.json", "default.npz")


def _shipped_copy(tmp_path):
    import shutil
    from pathlib import Path

    for name in SHIPPED:
        shutil.copy2(Path("models") / name, tmp_path / name)
    return tmp_path / "default.joblib"


def _zero_joblib(path):
    path.write_bytes(b"\x00" * path.stat().st_size)


def _flip_a_bit_of_joblib(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x04
    path.write_bytes(bytes(data))


def _claim_another_sklearn(path):
    sidecar = path.with_suffix(".json")
    meta = json.loads(sidecar.read_text())
    meta["versions"]["scikit-learn"] = "1.8.0"
    sidecar.write_text(json.dumps(meta))


def _truncate_npz_and_rewrite_its_checksum(path):
    import hashlib

    compiled = path.with_suffix(".npz")
    compiled.write_bytes(compiled.read_bytes()[: compiled.stat().st_size // 2])
    sidecar = path.with_suffix(".json")
    meta = json.loads(sidecar.read_text())
    meta["compiled_sha256"] = hashlib.sha256(compiled.read_bytes()).hexdigest()
    sidecar.write_text(json.dumps(meta))


DAMAGE = {
    "zeroed joblib": (_zero_joblib, r"default\.joblib: checksum mismatch.*retrain"),
    "bit-flipped joblib": (_flip_a_bit_of_joblib, r"default\.joblib: checksum mismatch.*retrain"),
    "sidecar of another scikit-learn": (
        _claim_another_sklearn,
        r"default\.joblib: saved with scikit-learn 1\.8\.0, but scikit-learn \S+ is installed; "
        r"install scikit-learn==1\.8\.0 or retrain",
    ),
    "truncated npz, matching sidecar": (
        _truncate_npz_and_rewrite_its_checksum,
        r"default\.npz: cannot be loaded \(BadZipFile: .*\); restore it or retrain",
    ),
}


PICKLE_ONLY = {"zeroed joblib", "bit-flipped joblib", "sidecar of another scikit-learn"}
"""Damage to what only retraining reads: scoring goes on, loading the full model refuses."""


@pytest.mark.parametrize("damage", DAMAGE)
def test_load_scorer_verifies_every_file_up_front(tmp_path, damage):
    from detector.persistence import load_scorer

    damage_it, message = DAMAGE[damage]
    path = _shipped_copy(tmp_path)
    load_scorer(path)  # the intact copy loads
    damage_it(path)
    load = load_model if damage in PICKLE_ONLY else load_scorer
    if damage in PICKLE_ONLY:
        load_scorer(path)  # scoring never reads the pickle
    with pytest.raises(ModelError, match=message) as caught:
        load(path)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize("command", ["info", "score"])
def test_the_command_line_refuses_a_damaged_artifact_in_one_error_line(tmp_path, damage, command):
    import subprocess
    import sys
    from pathlib import Path

    damage_it, message = DAMAGE[damage]
    path = _shipped_copy(tmp_path)
    damage_it(path)
    sample = str(Path("datasets/sample/likes.csv").resolve())
    args = ["info", str(path)] if command == "info" else ["score", sample, "--model", str(path)]
    run = subprocess.run(
        [sys.executable, "-m", "detector", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if command == "score" and damage in PICKLE_ONLY:
        assert run.returncode == 0, run.stderr  # scoring never reads the pickle
        assert "creator" in run.stdout
        return
    assert run.returncode == 1, run.stderr
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), run.stderr
    assert re.search(message, lines[0]), lines[0]


def test_info_verifies_and_prints_the_sidecar_of_an_intact_artifact(tmp_path):
    import subprocess
    import sys

    path = _shipped_copy(tmp_path)
    run = subprocess.run(
        [sys.executable, "-m", "detector", "info", str(path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == json.loads(path.with_suffix(".json").read_text())


def test_another_patch_release_of_the_same_scikit_learn_loads(tmp_path, model):
    import warnings

    from detector.persistence import load_scorer

    path = save_model(model, tmp_path / "m.joblib")
    sidecar = path.with_suffix(".json")
    meta = json.loads(sidecar.read_text())
    major, minor, *_ = meta["versions"]["scikit-learn"].split(".")
    meta["versions"]["scikit-learn"] = f"{major}.{minor}.99"
    sidecar.write_text(json.dumps(meta))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_model(path) is not None
        assert load_scorer(path) is not None


def test_the_default_model_is_the_package_data_of_detector_models(monkeypatch):
    import importlib.resources
    from pathlib import Path

    from detector.persistence import MODEL_ENV, default_model_path

    monkeypatch.delenv(MODEL_ENV, raising=False)
    shipped = Path(importlib.resources.files("detector.models") / "default.joblib")
    assert default_model_path() == shipped
    assert shipped.read_bytes() == Path("models/default.joblib").read_bytes()
    monkeypatch.setenv(MODEL_ENV, "/elsewhere/mine.joblib")
    assert default_model_path() == Path("/elsewhere/mine.joblib")


def test_a_failed_save_leaves_the_previous_artifact_whole(tmp_path, model, monkeypatch):
    """The .joblib, .npz and .json are renamed together: when writing one fails, the three
    files of the model saved before stay as they were, and no temporary file is left."""
    from detector import persistence
    from detector.errors import InputFormatError

    path = save_model(model, tmp_path / "m.joblib")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert sorted(before) == ["m.joblib", "m.json", "m.npz"]

    def full_disk(model, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(persistence, "compile_model", full_disk)
    with pytest.raises(InputFormatError, match="No space left on device"):
        save_model(model, path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    load_model(path)


def test_the_shipped_arrays_carry_every_column_profile_and_the_training_sample():
    """Real sources' column profiles score from the shipped arrays as they are (no fit)."""
    from detector.compiled.artifact import CompiledModel
    from detector.features.catalogue import COLUMN_PROFILES, available_features
    from detector.persistence import compiled_path, default_model_path
    from detector.schema import REQUIRED_COLUMNS

    arrays = CompiledModel(compiled_path(default_model_path()))
    names = tuple(arrays.feature_names_in_)
    for profile, columns in COLUMN_PROFILES.items():
        for scope in ("creator", "batch"):
            available = set(available_features([*REQUIRED_COLUMNS, *columns], scope))
            wanted = tuple(n for n in names if n in available)
            assert arrays.supports(wanted), (profile, scope)
    sample = arrays.training_sample()
    assert list(sample.reference.columns) == list(names)
    assert sample.fake is not None and len(sample.fake) and len(sample.reference) >= 1000

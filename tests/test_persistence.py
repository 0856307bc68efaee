"""Model artifacts: round trips, metadata, and refusing damaged or foreign files."""

from __future__ import annotations

import json

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
    assert meta["format_version"] == 1
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
    from detector.model import AuthenticityModel

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
    scorer = load_scorer(path)
    likes = test_world[0]
    for scope in ("batch", "creator"):
        fast = scorer.report(likes, include_likes=True, scope=scope)
        full = model.report(likes, include_likes=True, scope=scope)
        np.testing.assert_allclose(fast.likes["score"], full.likes["score"], rtol=0, atol=1e-9)
        np.testing.assert_allclose(fast.likes["probability"], full.likes["probability"], atol=1e-9)
        assert fast.creators.drop(columns="evidence").equals(full.creators.drop(columns="evidence"))
    assert scorer._full is None  # the scikit-learn model was never needed


def test_a_feature_set_that_was_not_compiled_falls_back_to_the_full_model(
    tmp_path, model, test_world
):
    from detector.persistence import load_scorer

    scorer = load_scorer(save_model(model, tmp_path / "m.joblib"))
    slim = test_world[0].drop(columns=["username"])
    fast = scorer.report(slim)
    assert scorer._full is not None
    assert "username_digit_share" not in fast.meta["features_used"]


def test_damaged_compiled_arrays_are_refused(tmp_path, model):
    from detector.persistence import load_scorer

    path = save_model(model, tmp_path / "m.joblib")
    with open(path.with_suffix(".npz"), "r+b") as handle:
        handle.seek(200)
        handle.write(b"\x00\x01")
    with pytest.raises(ModelError, match="m.npz: checksum mismatch"):
        load_scorer(path)

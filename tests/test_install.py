"""A plain install works: the wheel, installed non-editable in a fresh virtual environment, scores
the sample from a folder outside the project with the model it ships as package data."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "datasets" / "sample" / "likes.csv"
SOURCES = ("pyproject.toml", "README.md", "detector", "models")

pytestmark = pytest.mark.install


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None):
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=240, check=False
    )


def _setuptools_can_build() -> bool:
    if importlib.util.find_spec("setuptools") is None:
        return False
    return int(version("setuptools").split(".")[0]) >= 77  # build-system.requires


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built without build isolation (no download) from a copy of the sources, so
    the checkout gets no build/ or egg-info churn."""
    if importlib.util.find_spec("pip") is None:
        pytest.skip("pip is not installed")
    if not _setuptools_can_build():
        pytest.skip("setuptools>=77 is not installed (pip install -e '.[test]' brings it)")
    source = tmp_path_factory.mktemp("source")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.tmp")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    build = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(source)],
        cwd=out,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    (built,) = out.glob("engagement_detector-*.whl")
    return built


def test_the_wheel_holds_every_module_and_the_shipped_model(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "detector").rglob("*.py")}
    assert modules <= names, sorted(modules - names)
    for suffix in ("joblib", "json", "npz"):
        packaged = zipfile.ZipFile(wheel).read(f"detector/models/default.{suffix}")
        assert packaged == (ROOT / "models" / f"default.{suffix}").read_bytes()
    assert not any(n.startswith("models/") for n in names)


def test_wheel_installed_in_a_fresh_venv_scores_the_sample_from_another_folder(wheel, tmp_path):
    if importlib.util.find_spec("venv") is None:
        pytest.skip("venv is not available")
    venv = tmp_path / "venv"
    made = _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
                 str(venv)], cwd=tmp_path)  # fmt: skip
    if made.returncode != 0:
        pytest.skip(f"cannot create a virtual environment: {made.stderr.strip()[:200]}")
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    # the system site's pip installs into the venv; the editable install outside it stays
    install = _run(
        [str(python), "-m", "pip", "install", "--no-deps", "--force-reinstall", "-q", str(wheel)],
        cwd=tmp_path,
    )
    assert install.returncode == 0, install.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("DETECTOR_MODEL", "PYTHONPATH")}
    where = _run(
        [str(python), "-c", "import detector, detector.persistence as p; "
         "print(detector.__file__); print(p.default_model_path())"],
        cwd=elsewhere, env=env,
    )  # fmt: skip
    assert where.returncode == 0, where.stderr
    package_file, model_file = (Path(line) for line in where.stdout.split())
    assert package_file.resolve().is_relative_to(venv.resolve()), package_file  # not editable
    assert model_file.resolve().is_relative_to(venv.resolve()), model_file
    assert model_file.parent.name == "models" and model_file.parent.parent.name == "detector"

    score = _run([str(bindir / "detector"), "score", str(SAMPLE)], cwd=elsewhere, env=env)
    assert score.returncode == 0, score.stderr
    assert "Creator authenticity" in score.stdout
    assert "Traceback" not in score.stderr
    report = elsewhere / "report.json"
    json_run = _run(
        [str(bindir / "detector"), "score", str(SAMPLE), "--format", "json", "--output",
         str(report)],
        cwd=elsewhere, env=env,
    )  # fmt: skip
    assert json_run.returncode == 0, json_run.stderr
    creators = json.loads(report.read_text())["creators"]
    with open(SAMPLE, newline="", encoding="utf-8") as handle:
        sample_creators = {row["creator_id"] for row in csv.DictReader(handle)}
    assert {c["creator_id"] for c in creators} == sample_creators
    assert all(0 <= c["authenticity"] <= 100 for c in creators)

    page = elsewhere / "report.html"  # the page's styles and script are package data
    html_run = _run(
        [str(bindir / "detector"), "score", str(SAMPLE), "--output", str(page), "--detail", "1"],
        cwd=elsewhere, env=env,
    )  # fmt: skip
    assert html_run.returncode == 0, html_run.stderr
    assert "#overview" in page.read_text(encoding="utf-8")  # page.css was inlined

    info = _run([str(bindir / "detector"), "info"], cwd=elsewhere, env=env)
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["format_version"] == 2

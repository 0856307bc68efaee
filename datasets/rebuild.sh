#!/usr/bin/env bash
# Rebuild the shipped sample (datasets/sample/) and the default model (models/).
# The model is trained on a larger simulated world mixing four account populations
# (detector.synth.POPULATIONS, 120 creators each, seed 2026), generated into a temporary folder
# and not shipped. Everything is seeded: the same versions give the same files, bar timestamps
# in the sidecar.
set -euo pipefail
cd "$(dirname "$0")/.."
detector generate datasets/sample --creators 30 --seed 2026 --force
training="$(mktemp -d)"
trap 'rm -rf "$training"' EXIT
detector generate "$training" --creators 120 --seed 2026 \
    --populations default,active,microblog,social
detector train "$training/likes.csv" --label-column is_fake --output models/default.joblib --force

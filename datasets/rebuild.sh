#!/usr/bin/env bash
# Rebuild the shipped sample (datasets/sample/) and the default model trained from it (models/).
# Everything is seeded: the same versions give the same files, bar timestamps in the sidecar.
set -euo pipefail
cd "$(dirname "$0")/.."
detector generate datasets/sample --creators 30 --seed 2026 --force
detector train datasets/sample/likes.csv --label-column is_fake --output models/default.joblib --force

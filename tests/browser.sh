#!/usr/bin/env bash
# Installs Debian's Chromium for the HTML report's browser test (tests/test_html_report.py),
# unless a Chromium is already there. Needs root or sudo, and Debian's package archive.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -n "${DETECTOR_CHROMIUM:-}" ]; then
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium

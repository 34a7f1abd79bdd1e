#!/usr/bin/env bash
# Create ./.venv and install Suara into it. `--dev` adds the test tools and Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "setup: Python 3.11 or newer is needed (found: $("$python" --version 2>&1))" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip

extras=""
if [ "${1:-}" = "--dev" ]; then
  extras="[dev]"
fi
# torch first, pinned, so that nothing later pulls a CUDA build (several GB) in its place.
# Elsewhere, point PIP_INDEX_URL / PIP_EXTRA_INDEX_URL at a CPU wheel index for this step.
if ! .venv/bin/python -c 'import torch' 2>/dev/null; then
  echo "setup: installing torch 2.13.0 (CPU build)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
fi
echo "setup: installing suara${extras} into .venv"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras}"

if [ "${1:-}" = "--dev" ] && ! command -v chromium >/dev/null 2>&1; then
  echo "setup: installing Debian's chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
echo "setup: done"

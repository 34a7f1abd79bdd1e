#!/usr/bin/env bash
# Build a Rasa 3.6.21 virtual environment (Python 3.10) for the optional Rasa backend and its test.
#
#   scripts/build-rasa-env.sh LOCKFILE [VENV]
#
# LOCKFILE pins a known-good set of packages (on our machines: ../shared/rasa/rasa310-lock.txt);
# VENV defaults to ./var/rasa-venv. Rasa 3.6 needs Python 3.10: set PYTHON310, or have pyenv's
# 3.10 installed. Takes about 3 minutes. Afterwards:
#   VENV/bin/rasa train nlu --nlu nlu/data/nlu.yml --config CONFIG --out var/rasa-models
#   VENV/bin/rasa run --enable-api -m var/rasa-models --port 5005
set -euo pipefail
cd "$(dirname "$0")/.."

lock=${1:-}
venv=${2:-var/rasa-venv}
if [ -z "$lock" ] || [ ! -f "$lock" ]; then
  echo "build-rasa-env: give the lock file, e.g. ../shared/rasa/rasa310-lock.txt" >&2
  exit 2
fi

python=${PYTHON310:-}
if [ -z "$python" ] && command -v pyenv >/dev/null 2>&1; then
  version=$(pyenv versions --bare | grep -E '^3\.10\.[0-9]+$' | sort -V | tail -n1 || true)
  if [ -n "$version" ]; then
    python="$(pyenv root)/versions/$version/bin/python3.10"
  fi
fi
python=${python:-python3.10}
if ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
  echo "build-rasa-env: Rasa 3.6 needs Python 3.10 (set PYTHON310 to one)" >&2
  exit 1
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "build-rasa-env: creating $venv with $("$python" --version)"
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "pip<25" "setuptools<70" wheel
echo "build-rasa-env: installing the pinned packages (a few minutes)"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$lock"
"$venv/bin/python" -m pip check >/dev/null || echo "build-rasa-env: pip check reports conflicts (the lock is installed as pinned)" >&2
"$venv/bin/rasa" --version
echo "build-rasa-env: done: $venv"

#!/usr/bin/env bash
# Install Suara into ./.venv and start the server with the web chat on SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/suara staff demo-admin  # prints a one-time demo admin login when no admin exists
exec .venv/bin/suara serve "$@"

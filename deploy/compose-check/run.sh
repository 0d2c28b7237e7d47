#!/usr/bin/env bash
# docker-compose.yml checked without Docker (see check.py): schema, flags,
# and the same topology run as local processes against the throwaway
# PostgreSQL of scripts/with-postgres.
#
#   scripts/with-postgres deploy/compose-check/run.sh [path/to/probity]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
probity=${1:-$root/target/debug/probity}
venv=${PROBITY_COMPOSE_VENV:-$root/target/compose-check-venv}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
"$venv/bin/python" "$here/check.py" "$probity" "$root/docker-compose.yml"

#!/usr/bin/env bash
# The Python client check: a virtual environment with the pinned packages,
# the client generated from proto/ and installed as a package (`pip
# install`), a real `probity up` on a free loopback
# port with a throwaway data folder, and test_members.py against it.
#
#   clients/python/run.sh [path/to/probity]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
probity=${1:-$root/target/debug/probity}
venv=${PROBITY_PY_VENV:-$root/target/python-client-venv}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
PYTHON="$venv/bin/python" "$here/generate.sh"
"$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps "$here"

data=$(mktemp -d /tmp/probity-pyclient.XXXXXX)
port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$probity" up --listen "127.0.0.1:$port" --data-dir "$data" >"$data/up.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do
    "$probity" health --addr "http://127.0.0.1:$port" >/dev/null 2>&1 && break
    sleep 0.2
done
PROBITY_ADDR="127.0.0.1:$port" PROBITY_TOKEN=$(cat "$data/dev-token") \
    "$venv/bin/python" "$here/test_members.py"

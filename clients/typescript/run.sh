#!/usr/bin/env bash
# The TypeScript client check: npm packages pinned by package-lock.json,
# the code generated from proto/ with buf and protoc-gen-es (npm packages
# only: no protoc), compiled with tsc, and the contract tests run with
# node's test runner against a real `probity up` on a free loopback port
# with a throwaway data folder.
#
#   clients/typescript/run.sh [path/to/probity]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
probity=${1:-$root/target/debug/probity}
# Absolute, as the rest runs from this folder.
probity=$(cd "$(dirname "$probity")" && pwd)/$(basename "$probity")
cd "$here"
npm ci --no-audit --no-fund --loglevel=error
rm -rf src/gen dist
npm run --silent generate
npm run --silent build

data=$(mktemp -d /tmp/probity-tsclient.XXXXXX)
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
"$probity" up --listen "127.0.0.1:$port" --data-dir "$data" >"$data/up.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for i in $(seq 1 100); do
    "$probity" health --addr "http://127.0.0.1:$port" >/dev/null 2>&1 && break
    if [ "$i" = 100 ] || ! kill -0 $pid 2>/dev/null; then
        echo "probity up did not start:" >&2
        cat "$data/up.log" >&2
        exit 1
    fi
    sleep 0.2
done
PROBITY_BASE_URL="http://127.0.0.1:$port" PROBITY_TOKEN=$(cat "$data/dev-token") \
    node --test dist/test/

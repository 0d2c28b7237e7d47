#!/usr/bin/env bash
# The period report in a real browser: `probity up` on a free loopback
# port with a throwaway data folder, `probity demo seed-scenario` (which
# issues the province's report and writes report.vi.html and
# report.en.html), then Debian's headless Chromium, driven by
# playwright-core (pinned by package-lock.json; it downloads no browser),
# renders both pages, screenshots them and checks the figures in the
# rendered text; then `probity report render --format pdf` prints the
# Vietnamese page to PDF with the same Chromium. Installs Debian's chromium
# package when it is missing.
#
#   tests/browser/run.sh [path/to/probity]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
probity=${1:-$root/target/debug/probity}
probity=$(cd "$(dirname "$probity")" && pwd)/$(basename "$probity")
if ! command -v "${CHROMIUM:-chromium}" >/dev/null 2>&1; then
    echo "browser check: installing Chromium (Debian package chromium)" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
cd "$here"
npm ci --no-audit --no-fund --loglevel=error

data=$(mktemp -d /tmp/probity-browser.XXXXXX)
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
"$probity" demo seed-scenario --addr "http://127.0.0.1:$port" --data-dir "$data" --timeout-seconds 60
node check.mjs "$data"

# PDF: the same page printed by headless Chromium through the CLI.
report=$("$probity" report list --addr "http://127.0.0.1:$port" --data-dir "$data" | head -1 | cut -f1)
"$probity" report render "$report" --format pdf --lang vi --out "$data/report.vi.pdf" \
    --addr "http://127.0.0.1:$port" --data-dir "$data"
head -c 5 "$data/report.vi.pdf" | grep -q '%PDF-' || { echo "report.vi.pdf is not a PDF" >&2; exit 1; }
echo "report.vi.pdf: $(wc -c < "$data/report.vi.pdf") bytes"

#!/usr/bin/env bash
# One-file edit → new snapshot, as the server logs it: starts `BIN --catalog CATALOG serve` on
# PORT (watching), edits the description of one system file 8 times 2 s apart, and prints the
# server's "search index built in" and "reloaded 1 file in N ms" lines (docs/benchmarks.md, "Profile of a
# reload"). Edits CATALOG in place: give it a copy.
#
#   bench/reload-time.sh target/release/cairn /tmp/copy-of-10k 7994
set -euo pipefail
bin=$1; cat=$2; port=${3:-7994}
log=$(mktemp)
"$bin" --catalog "$cat" serve --addr "127.0.0.1:$port" > /dev/null 2> "$log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
until curl -sf -o /dev/null "http://127.0.0.1:$port/api/v1/systems"; do
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.3
done
# The watcher prepares incremental updates and checks every file once in the background; it
# says "watching for changes" (or "changed while starting") when done.
until grep -qE "watching for changes|changed while starting" "$log"; do
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.3
done
f=$(find "$cat/systems" -name '*.yaml' | sort | sed -n 500p)
[ -n "$f" ] || { echo "no system files under $cat/systems" >&2; exit 1; }
for i in $(seq 1 8); do
  sed -i "s/^description: .*/description: Timing edit $i $RANDOM./" "$f"
  sleep 2
done
grep -E "search index built in|watching|changed while|reloaded" "$log" | sed 's/^cairn: //'

#!/usr/bin/env bash
# Cold start and peak memory of `cairn serve`: starts `BIN --catalog CATALOG serve --no-watch` on PORT,
# asks `/readyz` every 20 ms until it answers 200 (the catalog is served: every page and answer but
# search), then `/api/v1/search?q=billing` until it answers 200 (the search index, built after, is
# ready), and prints both times, the server's VmHWM (peak RSS) and VmRSS, and its "loaded ... in"
# and "search index built in" lines (docs/benchmarks.md).
#
#   bench/ready-rss.sh target/release/cairn /dev/shm/c10k 7996
set -euo pipefail
bin=$1; cat=$2; port=${3:-7996}
log=$(mktemp)
start=$(date +%s.%N)
"$bin" --catalog "$cat" serve --addr "127.0.0.1:$port" --no-watch > /dev/null 2> "$log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
wait_for() {
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$1")" = 200 ]; do
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.02
  done
  date +%s.%N
}
served=$(wait_for /readyz)
searchable=$(wait_for "/api/v1/search?q=billing")
printf 'ready in %.2f s; search in %.2f s; %s; %s\n' "$(echo "$served - $start" | bc)" \
  "$(echo "$searchable - $start" | bc)" \
  "$(grep VmHWM /proc/$pid/status | tr -s ' \t' ' ')" "$(grep VmRSS /proc/$pid/status | tr -s ' \t' ' ')"
grep -oE "\) in [0-9.]+m?s;|search index built in [0-9.]+m?s" "$log" || true

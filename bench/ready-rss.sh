#!/usr/bin/env bash
# Cold start and peak memory of `cairn serve`: starts `BIN --catalog CATALOG serve --no-watch` on PORT,
# asks `/api/v1/search?q=billing` every 20 ms until it answers, then prints the time to that answer and
# the server's VmHWM (peak RSS) and VmRSS, and its "indexed in" line (docs/benchmarks.md).
#
#   bench/ready-rss.sh target/release/cairn /dev/shm/c10k 7996
set -euo pipefail
bin=$1; cat=$2; port=${3:-7996}
log=$(mktemp)
start=$(date +%s.%N)
"$bin" --catalog "$cat" serve --addr "127.0.0.1:$port" --no-watch > /dev/null 2> "$log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
until curl -sf -o /dev/null "http://127.0.0.1:$port/api/v1/search?q=billing"; do
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.02
done
end=$(date +%s.%N)
printf 'ready in %.2f s; %s; %s\n' "$(echo "$end - $start" | bc)" \
  "$(grep VmHWM /proc/$pid/status | tr -s ' \t' ' ')" "$(grep VmRSS /proc/$pid/status | tr -s ' \t' ' ')"
grep -o "indexed in [0-9.]*s" "$log" || true

#!/usr/bin/env bash
# Load test: `cairn serve` on a generated catalog, driven by wrk on loopback at several
# concurrencies while a second process rewrites catalog files every 100 ms (valid and broken
# edits). See docs/reliability.md for what it proves and the figures of the last run.
#
#   bench/load.sh                                  # 10,000 systems, 60 s at each of 4, 16, 64 connections
#   bench/load.sh --systems 1000 --duration 10 --conc "8"
#
# Pass: no failed request (connect, read, write, timeout), every response a 200, no response
# that mixes two snapshots (mix.lua's probe check), reloads and refused broken edits seen in the
# server's log, and memory flat after warm-up (the peak RSS of the run's last third within 15% of
# the peak of the third after 30 s of warm-up; needs a run of 2 minutes or more). Exits 1 when any of that fails. Raw outputs go to --out (default
# $TARGET/load-run/<date>). Needs wrk (apt-get install wrk), curl and python3.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"
systems=10000
duration=60
concs="4 16 64"
port=7980
every=0.1
out=""
die() { echo "bench/load.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --systems) systems="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --conc) concs="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --every) every="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
for tool in cargo curl wrk python3; do
  command -v "$tool" >/dev/null 2>&1 || die "needs \`$tool\` on PATH (wrk: apt-get install wrk)"
done
if curl -s -o /dev/null "http://127.0.0.1:$port/"; then die "port $port is already in use (--port)"; fi

out="${out:-$target/load-run/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out"
echo "== build (release)" >&2
(cd "$repo" && cargo build --release --bin cairn --bin gen-catalog) >&2
cairn="$target/release/cairn"
data="$repo/target/bench-data/$systems"
stamp="$(sha256sum "$repo/src/gen.rs" | cut -c1-16) seed 1"
if [ "$(cat "$data/.gen-stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "== generate $systems systems → $data" >&2
  "$target/release/gen-catalog" --systems "$systems" --seed 1 --out "$data" >&2
  echo "$stamp" > "$data/.gen-stamp"
fi
# The run edits its own copy.
work="$out/catalog"
rm -rf "$work"
cp -r "$data" "$work"
python3 "$repo/bench/load/rewrite.py" "$work" --init  # the probe at revision 0

server_pid=""; rewriter_pid=""; sampler_pid=""
cleanup() {
  for p in "$rewriter_pid" "$sampler_pid" "$server_pid"; do
    if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; fi
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== cairn serve ($systems systems, watching $work)" >&2
"$cairn" --catalog "$work" serve --addr "127.0.0.1:$port" > /dev/null 2> "$out/server.log" &
server_pid=$!
# Served, and searchable (the search index is built after the server serves).
until curl -sf -o /dev/null "http://127.0.0.1:$port/api/v1/systems/load-probe-a" \
  && curl -sf -o /dev/null "http://127.0.0.1:$port/api/v1/search?q=probe"; do
  kill -0 "$server_pid" 2>/dev/null || die "cairn serve exited; see $out/server.log"
  sleep 0.1
done
# Memory: the server's resident set every second.
( t0=$(date +%s); while kill -0 "$server_pid" 2>/dev/null; do
    echo "$(( $(date +%s) - t0 )) $(awk '/VmRSS/ { print $2 }' "/proc/$server_pid/status" 2>/dev/null)"; sleep 1; done ) > "$out/rss.txt" &
sampler_pid=$!

# A few real systems of the catalog: old ones (many dependents) and newer ones.
all="$(find "$work/systems" -name '*.yaml' | sort)"
mapfile -t names < <({ head -3 <<< "$all"; tail -3 <<< "$all"; } | xargs -n1 basename | sed 's/\.yaml$//')
[ "${#names[@]}" -ge 6 ] || die "cannot find systems under $work/systems"
LOAD_PATHS="$(printf '%s\n' \
  "/api/v1/search?q=billing" \
  "/api/v1/search?q=paymnt%20ledgr" \
  "/api/v1/search?q=owner:team-3" \
  "/search?q=ledger+sync" \
  "/api/v1/search?q=tag:loadprobe" \
  "/systems/load-probe-a" \
  "/api/v1/systems/load-probe-a" \
  "/api/v1/impact?target=load-probe-a" \
  "/systems/${names[0]}" \
  "/systems/${names[3]}" \
  "/api/v1/systems/${names[1]}" \
  "/impact?target=${names[4]}" \
  "/api/v1/impact?target=${names[2]}" \
  "/api/v1/deps/${names[5]}" \
  "/api/v1/teams/team-3" \
  "/teams/team-3" \
  "/")"
export LOAD_PATHS
printf '%s\n' "$LOAD_PATHS" > "$out/paths.txt"
for p in $LOAD_PATHS; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$p")
  [ "$code" = 200 ] || die "GET $p answered $code before the run"
done

fail=0
summary="$out/summary.md"
echo "| connections | requests | req/s | p50 | p99 | max | failed | non-200 | probe responses checked / mixed / revisions seen | edits (probe, broken, real files) |" > "$summary"
echo "|---|---|---|---|---|---|---|---|---|---|" >> "$summary"
for c in $concs; do
  echo "== wrk -t2 -c$c -d${duration}s with edits every ${every}s" >&2
  python3 "$repo/bench/load/rewrite.py" "$work" "$duration" --every "$every" > "$out/rewrite-c$c.txt" &
  rewriter_pid=$!
  wrk -t2 -c"$c" -d"${duration}s" --timeout 10s --latency -s "$repo/bench/load/mix.lua" "http://127.0.0.1:$port" > "$out/wrk-c$c.txt"
  wait "$rewriter_pid"; rewriter_pid=""
  f="$out/wrk-c$c.txt"
  get() { sed -nE "s/.*[ ]$1=([^ ]+).*/\1/p" "$f" | head -1; }
  reqs=$(get requests); rps=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$f")
  failed=$(( $(get errors_connect) + $(get errors_read) + $(get errors_write) + $(get errors_timeout) ))
  non200=$(sed -nE 's/^LOAD status //p' "$f" | tr ' ' '\n' | grep -v '^200=' | grep -c . || true)
  checked=$(get probe_checked); mixed=$(get probe_mixed); revs=$(get probe_revisions_seen)
  edits=$(sed -nE 's/.*probe_edits=([0-9]+) broken_edits=([0-9]+) real_file_edits=([0-9]+).*/\1, \2, \3/p' "$out/rewrite-c$c.txt")
  echo "| $c | $reqs | $rps | $(get latency_p50_ms) ms | $(get p99_ms) ms | $(get max_ms) ms | $failed | $non200 | $checked / $mixed / $revs | $edits |" >> "$summary"
  if [ "$failed" != 0 ] || [ "$non200" != 0 ] || [ "$mixed" != 0 ] || [ "${checked:-0}" = 0 ] || [ "${revs:-0}" -lt 2 ]; then
    echo "   FAIL at -c$c: see $f" >&2; fail=1
  fi
done
reloads=$(grep -c 'reloaded' "$out/server.log" || true)
refused=$(grep -c 'still serving the last good' "$out/server.log" || true)
kill "$sampler_pid" 2>/dev/null || true; wait "$sampler_pid" 2>/dev/null || true; sampler_pid=""
# Memory flat after warm-up: the resident set swings with every reload (a new snapshot is built
# beside the served one), so compare peaks, not samples: the peak of the last third of the run
# against the peak of the third after the first 30 s. A leak raises the later peak.
end=$(tail -1 "$out/rss.txt" | cut -d' ' -f1)
third=$(( (end - 30) / 3 ))
warm=$(awk -v a=30 -v b=$(( 30 + third )) '$1 >= a && $1 < b && $2 > m { m = $2 } END { print m + 0 }' "$out/rss.txt")
last=$(awk -v a=$(( end - third )) '$1 >= a && $2 > m { m = $2 } END { print m + 0 }' "$out/rss.txt")
peak=$(sort -k2 -n "$out/rss.txt" | tail -1 | cut -d' ' -f2)
{
  echo
  echo "Server log: $reloads reloads swapped in, $refused broken edits refused (last good kept)."
  echo "RSS: peak $(( warm / 1024 )) MB in the third of the run after 30 s of warm-up, $(( last / 1024 )) MB in the last third; $(( peak / 1024 )) MB overall (every second in rss.txt)."
} >> "$summary"
if [ "$reloads" = 0 ] || [ "$refused" = 0 ]; then echo "   FAIL: no reloads or no refused edits in the server log" >&2; fail=1; fi
if [ "$warm" = 0 ] || [ "$last" -gt $(( warm * 23 / 20 )) ]; then echo "   FAIL: peak memory grew from $warm kB to $last kB (more than 15%)" >&2; fail=1; fi
cat "$summary"
echo "(raw outputs in $out)"
exit "$fail"

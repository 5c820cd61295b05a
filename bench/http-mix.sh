#!/usr/bin/env bash
# Requests per second per core of `cairn serve` (docs/deploy.md, "Capacity"). Starts
# `BIN --catalog CATALOG serve --no-watch` pinned to one core (taskset -c $SERVER_CPU), waits until
# it is ready (/readyz answers 200; on a build without /readyz, /api/v1/systems), then runs wrk
# pinned to another core (taskset -c $WRK_CPU) against each kind of request and against a mix of
# them, ROUNDS times in turn, and prints for each run the requests per second, the p50 and p99
# latency, the non-2xx answers and the server's CPU time per request (utime + stime from
# /proc/PID/stat over the run, divided by the requests wrk counted).
#
#   bench/http-mix.sh target/release/cairn /dev/shm/c10k 7990
#
# Kinds (each cycles through the same 2,000 systems picked with a fixed seed, or all of a smaller
# catalog, so no answer is asked twice in a row):
#   system  GET /api/v1/systems/NAME
#   search  GET /api/v1/search?q=Q&offset=K   (the query list of benches/search.rs, the offset
#                                              cycling 0..149: no two requests alike in 3,000)
#   impact  GET /api/v1/impact?target=NAME
#   page    GET /systems/NAME                 (the HTML page)
#   mix     the four, 3 system : 3 search : 2 impact : 2 page
#
# Environment: DURATION (seconds per run, default 20), CONC (wrk connections, default 16), ROUNDS
# (default 2), SERVER_CPU (default 1), WRK_CPU (default 0), KINDS (default "system search impact
# page mix"), EXTRA (more `serve` arguments, e.g. "--index-dir /dev/shm/idx").
set -euo pipefail
bin=$1; cat=$2; port=${3:-7990}
duration=${DURATION:-20}; conc=${CONC:-16}; rounds=${ROUNDS:-2}
server_cpu=${SERVER_CPU:-1}; wrk_cpu=${WRK_CPU:-0}
kinds=${KINDS:-system search impact page mix}
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work=$(mktemp -d)
log="$work/server.log"

# shellcheck disable=SC2086
taskset -c "$server_cpu" "$bin" --catalog "$cat" serve --no-watch --addr "127.0.0.1:$port" ${EXTRA:-} \
  > /dev/null 2> "$log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
started=$(date +%s.%N)
ready_path=/readyz
while :; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$ready_path" || true)
  [ "$code" = 200 ] && break
  [ "$code" = 404 ] && ready_path=/api/v1/systems
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.05
done
# The search index is built after the server is ready: the mix asks searches too.
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/v1/search?q=billing" || true)" = 200 ]; do
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.05
done
printf 'ready in %.2f s (%s; search included); %s\n' "$(echo "$(date +%s.%N) - $started" | bc)" "$ready_path" \
  "$(grep VmHWM /proc/$pid/status | tr -s ' \t' ' ')"

# 2,000 system names (all of them in a smaller catalog), in a fixed pseudo-random order.
find "$cat" -name '*.yaml' -not -path '*/.*' -print0 | sort -z | xargs -0 awk '
  /^kind: *system *$/ { sys = 1; next }
  /^kind:/ { sys = 0 }
  sys && /^name: / { print $2; sys = 0 }' \
  | shuf -n 2000 --random-source=<(yes) > "$work/names"
[ -s "$work/names" ] || { echo "no systems found under $cat" >&2; exit 1; }
# The query list of benches/search.rs, percent-encoded.
sed -n '/^const QUERIES: &\[&str\] = &\[/,/^\];/p' "$repo/benches/search.rs" | sed -n 's/^ *"\(.*\)",$/\1/p' \
  | sed 's/\\"/"/g; s/%/%25/g; s/ /%20/g; s/"/%22/g; s/:/%3A/g; s/\//%2F/g' > "$work/queries"

lua_list() { # NAME < lines
  printf 'local %s = {' "$1"; sed 's/.*/"&",/' | tr -d '\n'; printf '}\n'
}
{
  lua_list names < "$work/names"
  lua_list queries < "$work/queries"
  cat <<'EOF'
local kinds = { system = {"system"}, search = {"search"}, impact = {"impact"}, page = {"page"},
  mix = {"system", "search", "impact", "page", "system", "search", "impact", "page", "system", "search"} }
local order = kinds[KIND]
local i = 0
function setup(thread) thread:set("first", math.random(0, 2999)) end
function init(args) i = first end
function request()
  i = i + 1
  local kind = order[i % #order + 1]
  local name = names[i % #names + 1]
  local path
  if kind == "system" then path = "/api/v1/systems/" .. name
  elseif kind == "impact" then path = "/api/v1/impact?target=" .. name
  elseif kind == "page" then path = "/systems/" .. name
  else
    local n = i % (#queries * 150)
    path = "/api/v1/search?q=" .. queries[n % #queries + 1] .. "&offset=" .. math.floor(n / #queries)
  end
  return wrk.format("GET", path)
end
EOF
} > "$work/requests.lua"

ticks=$(getconf CLK_TCK)
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
printf '%-7s %-5s %10s %9s %9s %8s %14s\n' kind round req/s p50 p99 non-2xx "CPU ms/req"
for round in $(seq 1 "$rounds"); do
  for kind in $kinds; do
    sed "1i KIND = \"$kind\"" "$work/requests.lua" > "$work/$kind.lua"
    before=$(cpu)
    taskset -c "$wrk_cpu" wrk -t1 -c"$conc" -d"${duration}s" --latency -s "$work/$kind.lua" \
      "http://127.0.0.1:$port" > "$work/out"
    after=$(cpu)
    requests=$(awk '/requests in/ { print $1 }' "$work/out")
    printf '%-7s %-5s %10s %9s %9s %8s %14.3f\n' "$kind" "$round" \
      "$(awk '/^Requests\/sec/ { print $2 }' "$work/out")" \
      "$(awk '$1 == "50%" { print $2 }' "$work/out")" \
      "$(awk '$1 == "99%" { print $2 }' "$work/out")" \
      "$(awk '/Non-2xx/ { print $NF }' "$work/out" | grep . || echo 0)" \
      "$(echo "($after - $before) * 1000 / $ticks / $requests" | bc -l)"
  done
done
printf 'server after the runs: %s; %s\n' "$(grep VmHWM /proc/$pid/status | tr -s ' \t' ' ')" \
  "$(grep VmRSS /proc/$pid/status | tr -s ' \t' ' ')"

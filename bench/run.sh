#!/usr/bin/env bash
# Whole-process benchmark: Cairn beside Backstage's own pieces on the same generated catalog.
#
#   bench/run.sh                      # 1k and 10k systems
#   bench/run.sh --sizes "1000 10000 100000" --peer-timeout 3600
#
# Per size it generates the catalog pair if missing (gen-catalog, seed 1: native and the
# Backstage-format twin), then measures, on each format:
#   Cairn  `cairn check` (wall time and peak RSS), cold start (process start → `/api/v1/search`
#          answers 200), peak RSS (VmHWM of the
#          server: load, index and the wrk runs), `/api/v1/search` throughput and latency with
#          wrk on loopback (2 threads, each concurrency in --conc, the fixed query list of
#          benches/search.rs: `distinct` requests that no answer cache can serve, and `repeat`,
#          the 20 queries in rotation), and — unless --no-in-process — the in-process search
#          percentiles of `cargo bench --bench search` (native only); figures of the twin are
#          the rows marked (backstage);
#   peer   bench/peers/backstage.js on the twin (js-yaml + @backstage/catalog-model +
#          LunrSearchEngine), under a time limit;
# and prints a side-by-side table with ratios (peer / Cairn). Raw outputs go to the work directory
# (--out, default $TARGET/bench-run/<date>).
#
# Options: --sizes "N..."  --duration SECONDS (wrk, default 10)  --conc "C..." (default "2 16 64")
#          --peer-timeout SECONDS (default 1800)  --peer-rounds N (query list repetitions, default 10)
#          --no-peer  --no-in-process  --port P  --out DIR
# The peer's V8 heap is capped at PEER_HEAP_MB (default 20000) MB. Catalogs are generated into
# BENCH_DATA (default target/bench-data, where benches/*.rs look for them).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"
sizes="1000 10000"
duration=10
concs="2 16 64"
peer_timeout=1800
peer_rounds=10
peer=1
in_process=1
port=7979
out=""

die() { echo "bench/run.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --conc) concs="$2"; shift 2 ;;
    --peer-timeout) peer_timeout="$2"; shift 2 ;;
    --peer-rounds) peer_rounds="$2"; shift 2 ;;
    --no-peer) peer=0; shift ;;
    --no-in-process) in_process=0; shift ;;
    --port) port="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

for tool in cargo curl wrk node npm timeout /usr/bin/time; do
  command -v "$tool" >/dev/null 2>&1 || die "needs \`$tool\` on PATH (wrk, /usr/bin/time: apt-get install wrk time; node ≥ 18 with npm)"
done
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' || die "needs node ≥ 18"
if curl -s -o /dev/null "http://127.0.0.1:$port/"; then die "port $port is already in use (--port)"; fi

out="${out:-$target/bench-run/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out"
# Where benches/*.rs look for their catalogs too (target/bench-data/N of the source tree).
data="${BENCH_DATA:-$repo/target/bench-data}"
mkdir -p "$data"

server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== build (release)" >&2
(cd "$repo" && cargo build --release --bin cairn --bin gen-catalog) >&2
cairn="$target/release/cairn"
gen="$target/release/gen-catalog"
commit="$(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD -- src || echo '+dirty')"

# The query list of benches/search.rs → two wrk scripts. `repeat`: the 20 queries in rotation (a
# server that caches answers serves them from its cache). `distinct`: the same queries with the
# page offset cycling 0..149, so no two requests in a row of 3,000 ask the same thing (an answer
# cache of fewer entries never hits; the work per request is a first-pages query), each wrk
# thread starting at its own place in the cycle.
node -e '
  const fs = require("fs");
  const src = fs.readFileSync(process.argv[1], "utf8");
  const m = src.match(/const QUERIES: &\[&str\] = &\[([\s\S]*?)\];/);
  if (!m) { console.error("no QUERIES in " + process.argv[1]); process.exit(1); }
  const qs = m[1].match(/"(?:[^"\\]|\\.)*"/g).map((l) => JSON.parse(l));
  const paths = qs.map((q) => "/api/v1/search?q=" + encodeURIComponent(q));
  const list = "local paths = {" + paths.map((p) => JSON.stringify(p)).join(", ") + "}\n";
  fs.writeFileSync(process.argv[2], list + "local i = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format(\"GET\", paths[i])\nend\n");
  fs.writeFileSync(process.argv[3], list +
    "local threads = 0\n" +
    "function setup(thread)\n  threads = threads + 1\n  thread:set(\"start\", (threads - 1) * 1500)\nend\n" +
    "function init(args)\n  i = start\nend\n" +
    "request = function()\n  i = (i + 1) % (#paths * 150)\n" +
    "  return wrk.format(\"GET\", paths[i % #paths + 1] .. \"&offset=\" .. math.floor(i / #paths))\nend\n");
' "$repo/benches/search.rs" "$out/repeat.lua" "$out/distinct.lua"

# Generated data is reused while the generator (src/gen.rs) and seed are unchanged.
gen_stamp="$(sha256sum "$repo/src/gen.rs" | cut -c1-16) seed 1"
ensure_catalog() { # N FORMAT DIR
  if [ "$(cat "$3/.gen-stamp" 2>/dev/null)" != "$gen_stamp" ]; then
    echo "== generate $1 systems ($2) → $3" >&2
    "$gen" --systems "$1" --seed 1 --format "$2" --out "$3" >&2
    echo "$gen_stamp" > "$3/.gen-stamp"
  fi
}

now_ms() { date +%s%3N; }
vmhwm_mb() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

summary="$out/summary.tsv"
printf 'size\tfigure\tcairn\tpeer\n' > "$summary"
row() { printf '%s\t%s\t%s\t%s\n' "$@" >> "$summary"; }

for n in $sizes; do
  native="$data/$n"
  twin="$data/$n-backstage"
  ensure_catalog "$n" native "$native"
  ensure_catalog "$n" backstage "$twin"
  echo "== $n systems: $(uptime)" | tee "$out/uptime-$n.txt" >&2
  row "$n" "load_avg" "$(cut -d' ' -f1 /proc/loadavg)" ""

  for fmt in native backstage; do
    if [ "$fmt" = native ]; then dir="$native"; p=""; tag="$n"; else dir="$twin"; p="bs_"; tag="$n-backstage"; fi

    # `cairn check`: load + validate, the whole process.
    /usr/bin/time -f '%e %M' -o "$out/check-time-$tag.txt" "$cairn" --catalog "$dir" check \
      > /dev/null 2> "$out/check-$tag.txt" || die "cairn check $tag failed, see $out/check-$tag.txt"
    read -r check_s check_kb < "$out/check-time-$tag.txt"
    echo "== cairn check ($tag): ${check_s} s, peak RSS $(( check_kb / 1024 )) MB" >&2
    row "$n" "${p}check_s" "${check_s}s" ""
    row "$n" "${p}check_rss_mb" "$(( check_kb / 1024 ))" ""

    # Cold start: process start until `/readyz` answers 200 (every page and answer but search),
    # then until a search answers (the search index is built after the server serves).
    echo "== cairn serve ($tag)" >&2
    t0=$(now_ms)
    "$cairn" --catalog "$dir" serve --addr "127.0.0.1:$port" --no-watch > "$out/cairn-serve-$tag.log" 2>&1 &
    server_pid=$!
    until curl -sf -o /dev/null "http://127.0.0.1:$port/readyz"; do
      kill -0 "$server_pid" 2>/dev/null || die "cairn serve exited; see $out/cairn-serve-$tag.log"
      sleep 0.02
    done
    ready_ms=$(( $(now_ms) - t0 ))
    until curl -sf -o /dev/null "http://127.0.0.1:$port/api/v1/search?q=billing"; do
      kill -0 "$server_pid" 2>/dev/null || die "cairn serve exited; see $out/cairn-serve-$tag.log"
      sleep 0.02
    done
    search_ms=$(( $(now_ms) - t0 ))
    rss_ready=$(vmhwm_mb "$server_pid")
    echo "   ready in $ready_ms ms, search in $search_ms ms, peak RSS so far $rss_ready MB" >&2
    row "$n" "${p}ready_ms" "$ready_ms" ""
    row "$n" "${p}search_ready_ms" "$search_ms" ""
    row "$n" "${p}rss_ready_mb" "$rss_ready" ""

    for mode in distinct repeat; do
      for c in $concs; do
        f="$out/wrk-$tag-$mode-c$c.txt"
        echo "   wrk -t2 -c$c -d${duration}s ($mode queries)" >&2
        wrk -t2 -c"$c" -d"${duration}s" --latency -s "$out/$mode.lua" "http://127.0.0.1:$port" > "$f"
        if grep -q 'Non-2xx' "$f"; then die "non-2xx responses, see $f"; fi
        rps=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$f")
        p50=$(awk '$1 == "50%" { print $2 }' "$f")
        p99=$(awk '$1 == "99%" { print $2 }' "$f")
        echo "   c=$c: $rps req/s, p50 $p50, p99 $p99" >&2
        row "$n" "${p}http_${mode}_c${c}_rps" "$rps" ""
        row "$n" "${p}http_${mode}_c${c}_p50" "$p50" ""
        row "$n" "${p}http_${mode}_c${c}_p99" "$p99" ""
      done
    done
    rss_peak=$(vmhwm_mb "$server_pid")
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
    row "$n" "${p}rss_peak_mb" "$rss_peak" ""
  done

  if [ "$in_process" = 1 ]; then
    echo "== cargo bench --bench search ($n, in-process, same catalog)" >&2
    (cd "$repo" && CAIRN_BENCH_SYSTEMS="$n" cargo bench --bench search) > "$out/search-bench-$n.txt" 2> "$out/search-bench-$n.err" \
      || die "cargo bench failed, see $out/search-bench-$n.err"
    line=$(grep '^search over' "$out/search-bench-$n.txt")
    row "$n" "inproc_p50" "$(sed -E 's/.*p50 ([^,]*),.*/\1/' <<< "$line")" ""
    row "$n" "inproc_p99" "$(sed -E 's/.*p99 ([^,]*),.*/\1/' <<< "$line")" ""
    row "$n" "load_validate" "$(sed -nE 's/^load\+validate [0-9]+ systems: (.*)$/\1/p' "$out/search-bench-$n.txt")" ""
    row "$n" "index_build" "$(sed -nE 's/^index build.*: (.*)$/\1/p' "$out/search-bench-$n.txt")" ""
  fi

  if [ "$peer" = 1 ]; then
    echo "== Backstage pieces ($n, limit ${peer_timeout}s): $(uptime)" | tee -a "$out/uptime-$n.txt" >&2
    row "$n" "load_avg" "" "$(cut -d' ' -f1 /proc/loadavg)"
    set +e
    NODE_OPTIONS="--max-old-space-size=${PEER_HEAP_MB:-20000}" /usr/bin/time -v -o "$out/peer-time-$n.txt" \
      timeout "$peer_timeout" node "$repo/bench/peers/backstage.js" "$twin" --rounds "$peer_rounds" --json "$out/peer-$n.json" \
      > "$out/peer-$n.txt" 2> "$out/peer-$n.err"
    status=$?
    set -e
    peer_rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$out/peer-time-$n.txt")
    peer_wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$out/peer-time-$n.txt")
    if [ "$status" = 0 ]; then
      sed 's/^/   /' "$out/peer-$n.txt" >&2
      j() { node -e 'const r = require(process.argv[1]); console.log(eval("r." + process.argv[2]))' "$out/peer-$n.json" "$1"; }
      row "$n" "ready_ms" "" "$(j ready_ms)"
      row "$n" "load_validate" "" "$(j 'load_ms + r.validate_ms')ms"
      row "$n" "index_build" "" "$(j index_ms)ms"
      row "$n" "rss_peak_mb" "" "$peer_rss"
      row "$n" "inproc_p50" "" "$(j 'search.p50_ms.toFixed(2)')ms"
      row "$n" "inproc_p95" "" "$(j 'search.p95_ms.toFixed(2)')ms"
      row "$n" "inproc_p99" "" "$(j 'search.p99_ms.toFixed(2)')ms"
    else
      what="exit $status"; [ "$status" = 124 ] && what="killed after ${peer_timeout}s"
      echo "   peer did not finish ($what; wall $peer_wall, peak RSS $peer_rss MB); see $out/peer-$n.err" >&2
      row "$n" "ready_ms" "" "did not finish: $what"
      row "$n" "rss_peak_mb" "" "${peer_rss} (at stop)"
    fi
  fi
done

# Side by side, with ratios peer / Cairn where both sides have a number.
node -e '
  const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").slice(1).map((l) => l.split("\t"));
  const toMs = (v) => { const m = /^([\d.]+)\s*(µs|us|ms|s)?$/.exec(v || ""); if (!m) return null;
    const x = Number(m[1]); return { "µs": x / 1000, us: x / 1000, ms: x, s: x * 1000 }[m[2] || "ms"]; };
  const by = new Map();
  for (const [n, fig, c, p] of rows) {
    const k = n + "\t" + fig; const r = by.get(k) || { n, fig, c: "", p: "" };
    if (c) r.c = c; if (p) r.p = p; by.set(k, r);
  }
  const order = ["load_avg", "check_s", "check_rss_mb", "ready_ms", "load_validate", "index_build",
    "rss_ready_mb", "rss_peak_mb", "inproc_p50", "inproc_p95", "inproc_p99"];
  const names = { load_avg: "machine load (1-min average) when the side started",
    check_s: "`cairn check`", check_rss_mb: "`cairn check` peak RSS (MB)", ready_ms: "ready to serve (ms)",
    load_validate: "load + validate (in-process)", index_build: "search index build (in-process)",
    rss_ready_mb: "RSS when ready (MB)", rss_peak_mb: "peak RSS (MB)", inproc_p50: "search in-process p50",
    inproc_p95: "search in-process p95", inproc_p99: "search in-process p99" };
  // Figures of the Backstage-format twin (prefix bs_) follow the native ones, marked.
  const base = (f) => f.replace(/^bs_/, "");
  const rank = (f) => (f.startsWith("bs_") ? order.length + 1 : 0) + (order.includes(base(f)) ? order.indexOf(base(f)) : order.length);
  const label = (f) => (names[base(f)] || base(f).replace(/^http_(\w+?)_c(\d+)_(\w+)$/, "HTTP /api/v1/search, $1 queries, wrk -c$2: $3")) +
    (f.startsWith("bs_") ? " (backstage)" : "");
  console.log("| size | figure | Cairn | Backstage pieces | peer / Cairn |");
  console.log("|---|---|---|---|---|");
  const all = [...by.values()].map((r, i) => ({ ...r, i }));
  all.sort((x, y) => Number(x.n) - Number(y.n) || rank(x.fig) - rank(y.fig) || x.i - y.i);
  for (const r of all) {
    const a = toMs(r.c), b = toMs(r.p);
    const ratio = r.fig !== "load_avg" && a && b ? (b / a >= 10 ? (b / a).toFixed(0) : (b / a).toFixed(1)) + "×" : "";
    console.log(`| ${r.n} | ${label(r.fig)} | ${r.c || "—"} | ${r.p || "—"} | ${ratio} |`);
  }
' "$summary" | tee "$out/table.md"
echo "(Cairn at $commit; raw outputs in $out)"

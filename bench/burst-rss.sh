#!/usr/bin/env bash
# Memory under a burst of big answers, and whether it is given back (issue #21 point 6;
# docs/benchmarks.md, "Memory returned after a burst").
#
#   bench/burst-rss.sh BIN CATALOG PORT PATH [CONC] [HOLD]
#
# Starts `BIN --catalog CATALOG serve --no-watch` on PORT, waits for /readyz, asks PATH once,
# then opens CONC (default 200) connections that each send `GET PATH` and read nothing for HOLD
# seconds (default 10) before closing: clients that never read their answer. Their receive
# buffer is 4 KB, so the kernel cannot take the answer off the server's hands (on loopback it
# otherwise buffers several MB per connection, outside the server's RSS). Prints VmRSS when
# ready, then every 10 s until 60 s after the clients closed, with the peak (sampled every
# 0.2 s) and the server's connections. HOLD `wrk` instead runs `wrk -t2 -cCONC -d10s` (clients
# that read everything) and prints RSS at its end, 5 s and 30 s later. The environment is
# passed on, so `MIMALLOC_PURGE_DELAY=0 bench/burst-rss.sh ...` tries an allocator setting.
#
#   bench/burst-rss.sh target/release/cairn /work/bench-data/10000 7997 '/impact?target=account-tracker-0' 100 25
#   bench/burst-rss.sh target/release/cairn /work/bench-data/10000 7997 '/api/v1/graph?limit=5000' 200 wrk
set -euo pipefail
bin=$1; cat=$2; port=$3; path=$4; conc=${5:-200}; hold=${6:-10}
"$bin" --catalog "$cat" serve --no-watch --addr "127.0.0.1:$port" > /dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ]; do
  kill -0 "$pid" 2>/dev/null || { echo "the server stopped" >&2; exit 1; }
  sleep 0.2
done
rss() { awk '/^VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$pid/status"; }
bytes=$(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:$port$path")
sleep 2
echo "answer $bytes bytes; RSS when ready (after one request) $(rss) MB"
peak=0
if [ "$hold" = wrk ]; then
  wrk -t2 -c"$conc" -d10s "http://127.0.0.1:$port$path" > "/tmp/burst-rss-wrk.$$" 2>&1 &
  w=$!
  while kill -0 "$w" 2>/dev/null; do now=$(rss); [ "$now" -gt "$peak" ] && peak=$now; sleep 0.1; done
  grep -E "requests in|Requests/sec" "/tmp/burst-rss-wrk.$$" | tr -s ' \n' ' '; echo
  rm -f "/tmp/burst-rss-wrk.$$"
  echo "peak during wrk $peak MB; at its end $(rss) MB"
  sleep 5; echo "5 s after: $(rss) MB"
  sleep 25; echo "30 s after: $(rss) MB"
  exit 0
fi
python3 - "$port" "$path" "$conc" "$hold" <<'PY' &
import socket, sys, time
port, path, conc, hold = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
socks = []
for _ in range(conc):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    socks.append(s)
time.sleep(hold)
for s in socks:
    s.close()
PY
start=$(date +%s)
for t in $(seq 10 10 $((hold + 60))); do
  while [ $(( $(date +%s) - start )) -lt "$t" ]; do
    now=$(rss); [ "$now" -gt "$peak" ] && peak=$now
    sleep 0.2
  done
  conns=$(ss -tn state all "( sport = :$port )" | tail -n +2 | awk '$1 != "LISTEN" { print $1 }' | sort | uniq -c | tr -s ' \n' ' ')
  echo "t=${t}s RSS $(rss) MB, peak $peak MB; connections:${conns:- none}"
done

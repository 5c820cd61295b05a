-- wrk script for bench/load.sh: a rotating mix of search, system pages, impact and the JSON
-- API, and a consistency check on every response that shows the load probe.
--
-- The rewriter (rewrite.py) writes one file holding two systems: `load-probe-a`, described as
-- "loadrev-N", and `load-probe-b-N`, which depends on it. Any response built from one snapshot
-- shows a single N: the description (catalog), the dependents (graph) and the search hits
-- (index) all come from the same catalog. A response that shows two different Ns was built
-- from a mixture of two snapshots.
--
-- Paths come from the environment: LOAD_PATHS, separated by newlines.

local paths = {}
for p in string.gmatch(os.getenv("LOAD_PATHS") or "/", "[^\n]+") do
  paths[#paths + 1] = p
end

local threads = {}
function setup(thread)
  thread:set("id", #threads)
  threads[#threads + 1] = thread
end

local i = 0
checked = 0
mixed = 0
first_mixed = ""
revs = {}
nrevs = 0
status = {}

function init(args)
  i = id * 7
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end

function response(code, headers, body)
  status[code] = (status[code] or 0) + 1
  if not body or not string.find(body, "load-probe", 1, true) then
    return
  end
  local seen = nil
  local ok = true
  for n in string.gmatch(body, "loadrev%-(%d+)") do
    if seen == nil then seen = n elseif n ~= seen then ok = false end
  end
  for n in string.gmatch(body, "load%-probe%-b%-(%d+)") do
    if seen == nil then seen = n elseif n ~= seen then ok = false end
  end
  if seen == nil then
    return
  end
  checked = checked + 1
  if not revs[seen] then
    revs[seen] = true
    nrevs = nrevs + 1
  end
  if not ok then
    mixed = mixed + 1
    if first_mixed == "" then first_mixed = string.sub(body, 1, 600) end
  end
end

function done(summary, latency, requests)
  local checked_all, mixed_all, revs_all = 0, 0, 0
  local codes = {}
  local example = ""
  for _, t in ipairs(threads) do
    checked_all = checked_all + t:get("checked")
    mixed_all = mixed_all + t:get("mixed")
    revs_all = math.max(revs_all, t:get("nrevs"))
    local fm = t:get("first_mixed")
    if fm ~= "" and example == "" then example = fm end
    for code, n in pairs(t:get("status")) do
      codes[code] = (codes[code] or 0) + n
    end
  end
  local parts = {}
  for code, n in pairs(codes) do parts[#parts + 1] = code .. "=" .. n end
  table.sort(parts)
  io.write(string.format("LOAD requests=%d errors_connect=%d errors_read=%d errors_write=%d errors_status=%d errors_timeout=%d\n",
    summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout))
  io.write("LOAD status " .. table.concat(parts, " ") .. "\n")
  io.write(string.format("LOAD probe_checked=%d probe_mixed=%d probe_revisions_seen=%d\n", checked_all, mixed_all, revs_all))
  io.write(string.format("LOAD latency_p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  if example ~= "" then io.write("LOAD first mixed response: " .. example .. "\n") end
end

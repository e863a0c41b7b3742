-- wrk script for bench/serve.sh: POSTs one body (a ticket, or a batch of
-- JSON Lines) and checks every answer in every response: its status, that
-- its policy digest is one of the known good ones (a broken edit must never
-- answer), and that it is named in the response's Verdict-Policy header
-- (every answer of a response comes from the one set the header names).
-- Environment: VERDICT_BODY (file), VERDICT_CTYPE, VERDICT_GOOD (digests, space-separated).
local f = assert(io.open(os.getenv("VERDICT_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = os.getenv("VERDICT_CTYPE") or "application/json"

local good = {}
for d in (os.getenv("VERDICT_GOOD") or ""):gmatch("%S+") do good[d] = true end

local threads = {}
function setup(thread) table.insert(threads, thread) end

-- Per thread (globals, read back with thread:get in done).
answers, failed, unknown, mixed = 0, 0, 0, 0

function response(status, headers, body)
  if status ~= 200 then failed = failed + 1 end
  local named = headers["Verdict-Policy"] or headers["verdict-policy"] or ""
  for d in body:gmatch('"digest":"(sha256:%x+)"') do
    answers = answers + 1
    if not good[d] then unknown = unknown + 1 end
    if not named:find(d, 1, true) then mixed = mixed + 1 end
  end
end

function done(summary, latency, requests)
  local a, f, u, m = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("answers"); f = f + t:get("failed"); u = u + t:get("unknown"); m = m + t:get("mixed")
  end
  local e = summary.errors
  io.write(string.format("requests=%d seconds=%.2f rps=%.0f\n", summary.requests, summary.duration / 1e6,
    summary.requests / (summary.duration / 1e6)))
  io.write(string.format("p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f\n", latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("answers=%d non200=%d unknown_digest=%d not_in_header=%d socket_errors=%d\n", a, f, u, m,
    e.connect + e.read + e.write + e.timeout))
end

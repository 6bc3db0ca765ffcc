-- wrk script for bench/run, configured from the environment:
--   BENCH_TOKEN   bearer token sent with every request
--   BENCH_MODE    "get" (GET the URL's path as given, or BENCH_PATH_PREFIX .. a random id from
--                 BENCH_IDS_FILE) or "post" (POST a new intention, a unique Idempotency-Key each)
--   BENCH_RUN     a tag that keeps Idempotency-Keys unique across runs
-- On exit it prints one line, `RESULT {json}`, that bench/run reads.
local token = os.getenv("BENCH_TOKEN")
local mode = os.getenv("BENCH_MODE") or "get"
local prefix = os.getenv("BENCH_PATH_PREFIX")
local ids_file = os.getenv("BENCH_IDS_FILE")
local run = os.getenv("BENCH_RUN") or tostring(os.time())

local threads = {}
local counter = 0
local ids = {}
local thread_id = 0

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  thread_id = tonumber(wrk.thread:get("thread_id")) or 0
  math.randomseed(os.time() + thread_id * 7919)
  if ids_file and #ids_file > 0 then
    for line in io.lines(ids_file) do
      if #line > 0 then table.insert(ids, line) end
    end
  end
  wrk.headers["Authorization"] = "Bearer " .. token
  if mode == "post" then
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
  end
end

local years = { "2024/25", "2025/26", "2026/27", "2027/28", "2028/29" }

function request()
  counter = counter + 1
  if mode == "post" then
    local body = string.format(
      '{"title":"Bench create %s-%d-%d","category":"carers","financial_year":"%s",' ..
      '"priority":"should","tranche":2,"estimated_annual_value_pence":%d}',
      run, thread_id, counter, years[(counter % #years) + 1], 100000 + counter)
    local headers = {}
    for k, v in pairs(wrk.headers) do headers[k] = v end
    headers["Idempotency-Key"] = string.format("bench-%s-%d-%d", run, thread_id, counter)
    return wrk.format("POST", nil, headers, body)
  end
  if prefix and #ids > 0 then
    return wrk.format("GET", prefix .. ids[math.random(#ids)])
  end
  return wrk.format("GET")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"non_2xx":%d,"socket_errors":%d,"timeouts":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.status, e.connect + e.read + e.write, e.timeout))
end

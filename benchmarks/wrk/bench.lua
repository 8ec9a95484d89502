-- wrk script for the benchmarks (see benchmarks/README.md). Configured by environment:
--   BENCH_MODE     bare | confirm | register
--   BENCH_TOKEN    bearer token sent with every request
--   BENCH_THREADS  the -t given to wrk (ids are dealt round-robin to threads)
--   BENCH_MAX      at most this many requests per thread (count bound; -d is the time bound)
--   confirm:  BENCH_IDS_FILE (one trip id a line), BENCH_STEP (checkpoint name)
--   register: BENCH_ARRIVAL (ISO time), BENCH_PROVINCE (first plate province, 11..90)
-- Prints one line "BENCH_JSON {...}" with the totals and latency percentiles (microseconds).

local threads = {}
local next_tid = 0

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

function init(args)
  mode = os.getenv("BENCH_MODE")
  nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
  max = tonumber(os.getenv("BENCH_MAX") or "1000000000")
  sent = 0
  overflow = 0
  headers = {["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"), ["Content-Type"] = "application/json"}
  if mode == "confirm" then
    step = os.getenv("BENCH_STEP")
    ids = {}
    local i = 0
    for line in io.lines(os.getenv("BENCH_IDS_FILE")) do
      if i % nthreads == tid then ids[#ids + 1] = line end
      i = i + 1
    end
    if #ids < max then max = #ids end
  elseif mode == "register" then
    arrival = os.getenv("BENCH_ARRIVAL")
    province = tonumber(os.getenv("BENCH_PROVINCE") or "11") + tid
  end
end

local function registration_body(n)
  -- Distinct plate per request: province (one per thread) + series C + 5 digits.
  local plate = string.format("%02dC-%03d.%02d", province, math.floor(n / 100), n % 100)
  local items = '{"hs_code":"85176249","description":"Thiết bị mạng","quantity":"120","unit":"cái",'
    .. '"gross_weight_kg":"850.5","value":"45000","currency":"USD"}'
  if n % 2 == 0 then
    items = items .. ',{"hs_code":"84713020","description":"Máy tính xách tay","quantity":"40","unit":"cái",'
      .. '"gross_weight_kg":"120","value":"16000","currency":"USD"}'
  end
  return string.format('{"gate":"huu-nghi","direction":"import","planned_arrival":"%s","yard":"huu-nghi-kiem-hoa",'
    .. '"consignments":[{"declaration_number":"1%02d%09d","declaration_type":"A11","description":"Hàng điện tử",'
    .. '"items":[%s]}],"vehicles":[{"plate":"%s","load_class":"ge18","seal_number":"VN-%d",'
    .. '"driver":{"name":"Nguyễn Văn An","identity_document":"0010%02d%06d","phone":"0912 345 678"}}]}',
    arrival, province, n, items, plate, n, province, n)
end

function request()
  if sent >= max then
    -- Count bound reached: stop this thread; the request returned here is harmless and not a write.
    overflow = overflow + 1
    wrk.thread:stop()
    return wrk.format("GET", "/healthz")
  end
  sent = sent + 1
  if mode == "confirm" then
    return wrk.format("POST", "/api/v1/trips/" .. ids[sent] .. "/checkpoints/" .. step, headers, "")
  elseif mode == "register" then
    return wrk.format("POST", "/api/v1/registrations", headers, registration_body(sent))
  end
  return wrk.format("GET", "/bench/bare", headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  local overflow_total, sent_total = 0, 0
  for _, thread in ipairs(threads) do
    overflow_total = overflow_total + (thread:get("overflow") or 0)
    sent_total = sent_total + (thread:get("sent") or 0)
  end
  io.write(string.format('BENCH_JSON {"requests":%d,"duration_us":%d,"errors_connect":%d,"errors_read":%d,'
    .. '"errors_write":%d,"errors_status":%d,"errors_timeout":%d,"p50_us":%d,"p90_us":%d,"p95_us":%d,'
    .. '"p99_us":%d,"max_us":%d,"mean_us":%.1f,"sent":%d,"overflow":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean, sent_total, overflow_total))
end

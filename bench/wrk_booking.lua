-- Bookings through the gateway for wrk: a different patient (email) each time, on a random slot of the set.
-- Read from the environment: BENCH_SLOTS_FILE (one slot id per line), BENCH_PATIENT (the patient's JSON
-- fields other than email, without braces), BENCH_EMAIL_PREFIX, BENCH_EXPECTED_STATUS.
local slots = {}
for line in io.lines(os.getenv("BENCH_SLOTS_FILE")) do
  slots[#slots + 1] = line
end
local patient = os.getenv("BENCH_PATIENT")
local prefix = os.getenv("BENCH_EMAIL_PREFIX")
local expected = tonumber(os.getenv("BENCH_EXPECTED_STATUS"))
local sent = 0
-- Per thread: "status=count" pairs of unexpected answers, read by done() through thread:get.
unexpected = {}
local threads = {}

function setup(thread)
  thread:set("thread_number", #threads)
  threads[#threads + 1] = thread
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function request()
  sent = sent + 1
  local body = string.format('{"slot_id": "%s", %s, "email": "%s%d.%d@example.org"}',
    slots[math.random(#slots)], patient, prefix, thread_number, sent)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status ~= expected then
    unexpected[status] = (unexpected[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local statuses = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("unexpected")) do
      statuses[#statuses + 1] = string.format('"http %d": %d', status, count)
    end
  end
  local errors = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "socket_errors": %d, "timeouts": %d, "statuses": {%s}, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, errors.connect + errors.read + errors.write, errors.timeout,
    table.concat(statuses, ", "), latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max))
end

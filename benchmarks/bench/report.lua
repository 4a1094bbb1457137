-- wrk's summary as one JSON line: requests, errors and latency percentiles (microseconds).
-- With WRK_PATHS set (comma-separated), each request goes to one of those paths, drawn at
-- random: a strict alternation could fall into step with the garbage collector's cycles
-- and hand all of its work to the same path.
local paths = {}
for path in string.gmatch(os.getenv("WRK_PATHS") or "", "[^,]+") do
  table.insert(paths, path)
end
if #paths > 0 then
  math.randomseed(os.time())
  request = function()
    return wrk.format(nil, paths[math.random(#paths)])
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end

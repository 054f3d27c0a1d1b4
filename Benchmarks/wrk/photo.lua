-- wrk -t2 -c4 -d60s --latency -s Benchmarks/wrk/photo.lua http://127.0.0.1:8080/v1/embed [-- PHOTO]
-- (the same script for /v1/identify, /v1/detect: the route is the URL given to wrk)
-- POSTs one photo (default: the sample portrait, run from the repository root) as image/jpeg
-- and prints the count of each status code across threads after wrk's own summary.
local path = "../shared/images/joe_biden/official_vp_portrait.jpg"
local threads = {}
statuses = {}

function setup(thread) table.insert(threads, thread) end

function init(args)
  if args[1] then path = args[1] end
  local f = assert(io.open(path, "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "image/jpeg"
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do total[status] = (total[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(total) do table.insert(parts, status .. ": " .. n) end
  table.sort(parts)
  io.write("statuses: " .. table.concat(parts, ", ") .. "\n")
  io.write(string.format("p50 %.1f ms  p99 %.1f ms  socket errors: connect %d read %d write %d timeout %d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end

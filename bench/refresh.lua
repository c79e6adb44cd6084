-- Refresh-token grant with rotation on: every answer's new refresh token is queued and used
-- by a later request of the same thread. BENCH_REFRESH holds the seed tokens (comma-
-- separated, independent grants); run BENCH_RUN takes its own BENCH_PER_RUN of them (a
-- spent token is refused, and its reuse revokes its grant), shared out between the threads.
local all = {}
local run = tonumber(os.getenv("BENCH_RUN") or "1")
local per = tonumber(os.getenv("BENCH_PER_RUN") or "1000000")
local i = 0
for t in string.gmatch(os.getenv("BENCH_REFRESH"), "[^,]+") do
  i = i + 1
  if i > (run - 1) * per and i <= run * per then all[#all + 1] = t end
end
local n = 0
function setup(thread)
  n = n + 1
  thread:set("idx", n)
end
local queue = {}
function init(args)
  local threads = tonumber(os.getenv("BENCH_THREADS") or "2")
  for k = idx, #all, threads do queue[#queue + 1] = all[k] end
end
function request()
  local t = table.remove(queue, 1) or "exhausted"
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = "Basic " .. os.getenv("BENCH_BASIC"),
  }, "grant_type=refresh_token&refresh_token=" .. t)
end
function response(status, headers, body)
  local t = string.match(body, '"refresh_token":"([^"]+)"')
  if t then queue[#queue + 1] = t end
end

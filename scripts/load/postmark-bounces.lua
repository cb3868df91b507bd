-- wrk script: Postmark hard-bounce webhooks, each a new event for a new address.
-- scripts/load/webhooks.sh runs it against a server started with --demo.
local counter = 0
local run = os.time()
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  thread_id = tid
end

request = function()
  counter = counter + 1
  -- Unique across runs too (a second run against the same server must not post duplicates).
  local id = string.format("%d%05d%09d", thread_id + 1, run % 100000, counter)
  local body = string.format([[{"RecordType":"Bounce","ID":%s,"Type":"HardBounce","TypeCode":1,"Name":"Hard bounce","MessageID":"load-%s","Description":"The server was unable to deliver your message (ex: unknown user, mailbox not found).","Details":"smtp;550 5.1.1 The email account that you tried to reach does not exist.","Email":"load-%s@example.com","BouncedAt":"2026-11-23T09:00:00Z","Inactive":true,"CanActivate":true}]], id, id, id)
  return wrk.format("POST", "/webhooks/postmark", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Basic YWNtZS13ZWJob29rczphY21lLWRlbW8td2ViaG9vay1zZWNyZXQ=",
  }, body)
end

done = function(summary, latency, requests)
  io.write(string.format("events/s: %.0f, p50 %.1f ms, p99 %.1f ms, errors: %d non-2xx, %d socket\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end

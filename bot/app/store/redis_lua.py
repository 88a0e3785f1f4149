"""Lua scripts that make each Redis job-store operation atomic across processes and machines."""

from __future__ import annotations

# Shared helpers, prepended to every script. ARGV[1] is always the key prefix.
_PRELUDE = """
local p = ARGV[1]
local function jobkey(id) return p .. ':job:' .. id end
local function lockkey(repo, number) return p .. ':lock:' .. repo .. '#' .. number end
local function deactivate(id, repo, number)
  redis.call('SREM', p .. ':active', id)
  redis.call('SREM', p .. ':pr:' .. repo .. '#' .. number, id)
end
local function unlock(repo, number, owner)
  if repo and redis.call('GET', lockkey(repo, number)) == owner then
    redis.call('DEL', lockkey(repo, number))
  end
end
local function supersede(id, detail, now)
  local v = redis.call('HMGET', jobkey(id), 'repo', 'number')
  redis.call('HSET', jobkey(id), 'state', 'superseded', 'detail', detail, 'touched', now)
  deactivate(id, v[1], v[2])
  redis.call('HINCRBY', p .. ':finished', 'superseded', 1)
end
"""

# Remember a delivery id and, when given, the delivery's replay key (bot.app.events): a
# delivery is new only when neither was seen. ARGV[2], ARGV[3], ARGV[4]: id, now, ttl.
_FIRST_SEEN = """
local function first_seen(id, now, ttl, replay)
  if replay ~= '' and redis.call('EXISTS', p .. ':delivery:' .. replay) == 1 then
    return false
  end
  if not redis.call('SET', p .. ':delivery:' .. id, now, 'NX', 'EX', ttl) then return false end
  if replay ~= '' then redis.call('SET', p .. ':delivery:' .. replay, now, 'EX', ttl) end
  return true
end
"""

# ARGV: prefix, id, now, ttl, repo, number, head, trigger, installation, requested_by,
#       detail for the jobs of older heads this one supersedes, replay key, comment_id
ACCEPT = (
    _PRELUDE
    + _FIRST_SEEN
    + """
local id, now, ttl = ARGV[2], ARGV[3], tonumber(ARGV[4])
local repo, number, head, trigger = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local pr = repo .. '#' .. number
if not first_seen(id, now, ttl, ARGV[12]) then return {'replayed'} end
local headkey = p .. ':autohead:' .. pr .. ':' .. head
if trigger == 'auto' and head ~= '' then
  local prev = redis.call('GET', headkey)
  if prev then
    local v = redis.call('HMGET', jobkey(prev), 'state', 'status')
    if v[1] == 'queued' or v[1] == 'running' or (v[1] == 'done' and v[2] == 'posted') then
      return {'duplicate_head'}
    end
  end
end
local out = {'queued'}
if head ~= '' then
  for _, other in ipairs(redis.call('SMEMBERS', p .. ':pr:' .. pr)) do
    local oh = redis.call('HGET', jobkey(other), 'head_sha')
    if oh and oh ~= '' and oh ~= head then
      supersede(other, ARGV[11], now)
      table.insert(out, other)
    end
  end
end
redis.call('HSET', jobkey(id), 'installation_id', ARGV[9], 'repo', repo, 'number', number,
  'head_sha', head, 'trigger', trigger, 'requested_by', ARGV[10], 'state', 'queued',
  'attempts', 0, 'owner', '', 'touched', now, 'status', '', 'detail', '',
  'comment_id', ARGV[13] or '')
redis.call('EXPIRE', jobkey(id), ttl)
redis.call('SADD', p .. ':pr:' .. pr, id)
redis.call('SADD', p .. ':active', id)
if trigger == 'auto' and head ~= '' then redis.call('SET', headkey, id, 'EX', ttl) end
return out
"""
)

# ARGV: prefix, delivery id, now, ttl, repo, number, detail, replay key
CANCEL = (
    _PRELUDE
    + _FIRST_SEEN
    + """
if not first_seen(ARGV[2], ARGV[3], ARGV[4], ARGV[8]) then return {'replayed'} end
local out = {'ok'}
for _, id in ipairs(redis.call('SMEMBERS', p .. ':pr:' .. ARGV[5] .. '#' .. ARGV[6])) do
  supersede(id, ARGV[7], ARGV[3])
  table.insert(out, id)
end
return out
"""
)

# ARGV: prefix, id, owner, now, lock ttl ms
CLAIM = (
    _PRELUDE
    + """
local v = redis.call('HMGET', jobkey(ARGV[2]), 'state', 'repo', 'number')
if v[1] ~= 'queued' then return 'gone' end
if not redis.call('SET', lockkey(v[2], v[3]), ARGV[3], 'NX', 'PX', ARGV[5]) then
  return 'busy'
end
redis.call('HSET', jobkey(ARGV[2]), 'state', 'running', 'owner', ARGV[3], 'touched', ARGV[4],
  'reserved', 0)
redis.call('HINCRBY', jobkey(ARGV[2]), 'attempts', 1)
return 'claimed'
"""
)

# ARGV: prefix, id, owner, now, lock ttl ms
HEARTBEAT = (
    _PRELUDE
    + """
local v = redis.call('HMGET', jobkey(ARGV[2]), 'state', 'owner', 'repo', 'number')
if v[1] ~= 'running' or v[2] ~= ARGV[3] then return 0 end
redis.call('HSET', jobkey(ARGV[2]), 'touched', ARGV[4])
local holder = redis.call('GET', lockkey(v[3], v[4]))
if holder == ARGV[3] or not holder then
  redis.call('SET', lockkey(v[3], v[4]), ARGV[3], 'PX', ARGV[5])
end
return 1
"""
)

# ARGV: prefix, id, owner, now
RELEASE = (
    _PRELUDE
    + """
local v = redis.call('HMGET', jobkey(ARGV[2]), 'state', 'owner', 'repo', 'number')
unlock(v[3], v[4], ARGV[3])
if v[1] ~= 'running' or v[2] ~= ARGV[3] then return 0 end
redis.call('HSET', jobkey(ARGV[2]), 'state', 'queued', 'owner', '', 'touched', ARGV[4])
return 1
"""
)

# ARGV: prefix, id, owner, state, status, detail, cost, day, now
# Returns 1 when the job was still running as `owner` and now has `state`, else 0.
FINISH = (
    _PRELUDE
    + """
local id, owner, moved = ARGV[2], ARGV[3], 0
local v = redis.call('HMGET', jobkey(id), 'state', 'owner', 'repo', 'number', 'installation_id')
if not v[3] then return 0 end
if tonumber(ARGV[7]) > 0 then
  local inst = v[5] ~= '' and v[5] or 'none'
  local spend = p .. ':spend:' .. inst .. ':' .. ARGV[8]
  redis.call('INCRBYFLOAT', spend, ARGV[7])
  redis.call('EXPIRE', spend, 3 * 86400)
end
if v[1] == 'running' and v[2] == owner then
  redis.call('HSET', jobkey(id), 'state', ARGV[4], 'status', ARGV[5], 'detail', ARGV[6],
    'owner', '', 'touched', ARGV[9])
  deactivate(id, v[3], v[4])
  redis.call('HINCRBY', p .. ':finished', ARGV[4], 1)
  moved = 1
elseif v[1] == 'superseded' and v[2] == owner then
  redis.call('HSET', jobkey(id), 'status', ARGV[5])
end
unlock(v[3], v[4], owner)
return moved
"""
)

# ARGV: prefix, id, owner, amount, cap, day. Returns the amount granted, as a string (a Lua
# number would come back as an integer). The installation's other running jobs are found in
# the `active` set, whose size is bounded by the jobs queued and running.
RESERVE = (
    _PRELUDE
    + """
local id, owner = ARGV[2], ARGV[3]
local v = redis.call('HMGET', jobkey(id), 'state', 'owner', 'installation_id')
if v[1] ~= 'running' or v[2] ~= owner then return '0' end
local inst = v[3] ~= '' and v[3] or 'none'
local spent = tonumber(redis.call('GET', p .. ':spend:' .. inst .. ':' .. ARGV[6]) or '0')
local others = 0
for _, other in ipairs(redis.call('SMEMBERS', p .. ':active')) do
  if other ~= id then
    local o = redis.call('HMGET', jobkey(other), 'state', 'installation_id', 'reserved')
    if o[1] == 'running' and o[2] == v[3] then others = others + (tonumber(o[3]) or 0) end
  end
end
local granted = math.max(0, math.min(tonumber(ARGV[4]), tonumber(ARGV[5]) - spent - others))
local shown = string.format('%.17g', granted)
redis.call('HSET', jobkey(id), 'reserved', shown)
return shown
"""
)

# ARGV: prefix, now, cutoff, max attempts
REVIVE = (
    _PRELUDE
    + """
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', p .. ':active')) do
  local v = redis.call('HMGET', jobkey(id), 'state', 'touched', 'attempts', 'repo', 'number')
  if not v[1] then
    redis.call('SREM', p .. ':active', id)
  elseif v[1] == 'running' and tonumber(v[2]) < tonumber(ARGV[3]) then
    if tonumber(v[3]) >= tonumber(ARGV[4]) then
      redis.call('HSET', jobkey(id), 'state', 'failed', 'status', 'failed', 'owner', '',
        'detail', 'worker lost ' .. v[3] .. ' times', 'touched', ARGV[2])
      deactivate(id, v[4], v[5])
      redis.call('HINCRBY', p .. ':finished', 'failed', 1)
    else
      redis.call('HSET', jobkey(id), 'state', 'queued', 'owner', '', 'touched', ARGV[2])
      table.insert(out, id)
    end
  end
end
return out
"""
)

# ARGV: prefix, now, cutoff, ids...
TOUCH = (
    _PRELUDE
    + """
local out = {}
for i = 4, #ARGV do
  local v = redis.call('HMGET', jobkey(ARGV[i]), 'state', 'touched')
  if v[1] == 'queued' and tonumber(v[2]) < tonumber(ARGV[3]) then
    redis.call('HSET', jobkey(ARGV[i]), 'touched', ARGV[2])
    table.insert(out, ARGV[i])
  end
end
return out
"""
)

SCRIPTS = (
    "ACCEPT",
    "CANCEL",
    "CLAIM",
    "HEARTBEAT",
    "RELEASE",
    "FINISH",
    "RESERVE",
    "REVIVE",
    "TOUCH",
)

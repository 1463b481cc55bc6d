-- Argo CD health check for the aml-operator.io kinds (Workspace, OnlineEndpoint, OnlineDeployment).
--
-- It reads status the way kstatus (Flux, kpt, `kubectl wait`) does, so Argo CD and Flux agree:
--   * metadata.deletionTimestamp set                      -> Progressing (finalizer at work)
--   * no status yet                                       -> Progressing
--   * status.observedGeneration ~= metadata.generation    -> Progressing (spec change not seen yet)
--   * Reconciling=True                                    -> Progressing
--   * Stalled=True                                        -> Degraded (the only Degraded verdict)
--   * Ready=True for the current generation               -> Healthy
--   * anything else (Ready False/Unknown/absent)          -> Progressing
-- Reconciling and Stalled are looked at in list order, as kstatus does; the controller never
-- sets both. Argo CD runs this with only the base, table and os libraries open by default, so
-- the script uses no `string` or `math` functions.

local hs = {}
local kind = obj.kind or "Resource"
local meta = obj.metadata or {}

local function describe(condition)
  if condition.reason ~= nil and condition.message ~= nil and condition.message ~= "" then
    return condition.reason .. ": " .. condition.message
  end
  if condition.message ~= nil and condition.message ~= "" then
    return condition.message
  end
  if condition.reason ~= nil then
    return condition.reason
  end
  return condition.type .. " is " .. tostring(condition.status)
end

if meta.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "Pending deletion"
  return hs
end

local status = obj.status
if status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the controller to report status"
  return hs
end

local generation = meta.generation
local observed = status.observedGeneration
if generation ~= nil and observed ~= generation then
  hs.status = "Progressing"
  if observed == nil then
    hs.message = "Waiting for the controller to observe generation " .. generation
  else
    hs.message = kind .. " generation is " .. generation .. ", but latest observed generation is " .. observed
  end
  return hs
end

local ready = nil
if type(status.conditions) == "table" then
  for _, condition in ipairs(status.conditions) do
    if condition.type == "Reconciling" and condition.status == "True" then
      hs.status = "Progressing"
      hs.message = describe(condition)
      return hs
    end
    if condition.type == "Stalled" and condition.status == "True" then
      hs.status = "Degraded"
      hs.message = describe(condition)
      return hs
    end
    if condition.type == "Ready" and ready == nil then
      ready = condition
    end
  end
end

if ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Ready condition"
  return hs
end

if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message or "Ready"
  return hs
end

hs.status = "Progressing"
hs.message = describe(ready)
return hs

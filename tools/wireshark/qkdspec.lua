-- Wireshark / tshark dissector for qkdspec's reference control channel (protocol version 1,
-- docs/protocol.md) and its quantum-layer interface.
--
--   wireshark -X lua_script:tools/wireshark/qkdspec.lua capture.pcap
--   tshark -X lua_script:tools/wireshark/qkdspec.lua -r capture.pcap -Y qkdw
--
-- Frames are found on any TCP port by their magic ("QKDW"); TCP reassembly joins frames that
-- span segments and splits segments that carry several frames.

local qkdw = Proto("qkdw", "qkdspec control channel")

local types = {
  [0x01] = "HELLO", [0x02] = "PARAMETERS", [0x03] = "PARAMETERS_ACK",
  [0x10] = "SIFTING_BASES", [0x11] = "SIFTING_RESULT",
  [0x20] = "ESTIMATION_SAMPLE", [0x21] = "ESTIMATION_RESULT",
  [0x30] = "CASCADE_REQUEST", [0x31] = "CASCADE_REPLY",
  [0x40] = "VERIFICATION", [0x41] = "VERIFICATION_RESULT",
  [0x50] = "PRIVACY_AMPLIFICATION", [0x51] = "KEY_CONFIRMATION", [0x52] = "CONFIRMATION_RESULT",
  [0x60] = "ABORT", [0x61] = "ERROR", [0x70] = "KEEPALIVE", [0x71] = "CLOSE",
}
local roles = { [0] = "alice", [1] = "bob" }
local variants = { [0] = "original", [1] = "yanetal", [2] = "extended" }
local abort_reasons = {
  [1] = "qber-above-threshold", [2] = "authentication-failure", [3] = "verification-mismatch",
  [4] = "no-secret-key", [5] = "protocol-violation", [6] = "peer-requested", [7] = "resource-exhausted",
  [8] = "no-single-photon-key",
}
local error_codes = {
  [1] = "malformed-frame", [2] = "bad-magic", [3] = "unsupported-version", [4] = "unknown-message-type",
  [5] = "frame-too-long", [6] = "authentication-failed", [7] = "replayed-or-out-of-order",
  [8] = "unexpected-message", [9] = "parameters-rejected", [10] = "internal-error",
}

local f = qkdw.fields
f.magic = ProtoField.uint32("qkdw.magic", "Magic", base.HEX)
f.version = ProtoField.uint8("qkdw.version", "Version")
f.type = ProtoField.uint8("qkdw.type", "Message type", base.HEX, types)
f.flags = ProtoField.uint16("qkdw.flags", "Flags", base.HEX)
f.session = ProtoField.uint64("qkdw.session", "Session ID", base.HEX)
f.sequence = ProtoField.uint64("qkdw.sequence", "Sequence number")
f.length = ProtoField.uint32("qkdw.length", "Payload length")
f.tag = ProtoField.uint64("qkdw.tag", "Wegman-Carter tag", base.HEX)
f.frame = ProtoField.uint64("qkdw.frame", "Post-processing frame")
f.block = ProtoField.uint64("qkdw.block", "Quantum-layer block")
f.role = ProtoField.uint8("qkdw.hello.role", "Role", base.DEC, roles)
f.node = ProtoField.string("qkdw.hello.node", "Node name")
f.protocol = ProtoField.uint16("qkdw.parameters.protocol", "Protocol")
f.frame_bits = ProtoField.uint32("qkdw.parameters.frame_bits", "Frame bits")
f.threshold = ProtoField.double("qkdw.parameters.qber_threshold", "QBER threshold")
f.eps_sec = ProtoField.double("qkdw.parameters.epsilon_sec", "epsilon_sec")
f.eps_cor = ProtoField.double("qkdw.parameters.epsilon_cor", "epsilon_cor")
f.variant = ProtoField.uint8("qkdw.parameters.cascade", "Cascade variant", base.DEC, variants)
f.sample_fraction = ProtoField.double("qkdw.parameters.sample_fraction", "Sample fraction")
f.accepted = ProtoField.bool("qkdw.accepted", "Accepted")
f.detections = ProtoField.uint32("qkdw.sifting.detections", "Detections announced")
f.bits = ProtoField.uint32("qkdw.bits", "Bit count")
f.sample_size = ProtoField.uint32("qkdw.estimation.sample_size", "Sample size")
f.sample_errors = ProtoField.uint32("qkdw.estimation.errors", "Sample errors")
f.proceed = ProtoField.bool("qkdw.estimation.proceed", "Proceed")
f.entries = ProtoField.uint32("qkdw.cascade.entries", "Frames in this batch")
f.round = ProtoField.uint32("qkdw.cascade.round", "Round")
f.queries = ProtoField.uint32("qkdw.cascade.queries", "Parity queries")
f.parities = ProtoField.uint32("qkdw.cascade.parities", "Parity bits")
f.hashes = ProtoField.uint32("qkdw.verification.hashes", "Hashes")
f.match = ProtoField.bool("qkdw.verification.match", "Match")
f.final_bits = ProtoField.uint32("qkdw.pa.final_bits", "Final key bits")
f.key_id = ProtoField.guid("qkdw.key_id", "Key ID")
f.fingerprint = ProtoField.uint64("qkdw.fingerprint", "Key fingerprint", base.HEX)
f.reason = ProtoField.uint16("qkdw.abort.reason", "Abort reason", base.DEC, abort_reasons)
f.code = ProtoField.uint16("qkdw.error.code", "Error code", base.DEC, error_codes)
f.message = ProtoField.string("qkdw.message", "Message")
f.nonce = ProtoField.uint64("qkdw.keepalive.nonce", "Nonce", base.HEX)

local function text(tvb, tree, field, offset)
  local n = tvb(offset, 2):uint()
  tree:add(field, tvb(offset + 2, n))
  return offset + 2 + n
end

local function payload(t, tvb, tree, o)
  if t == 0x01 then
    tree:add(f.role, tvb(o, 1)); text(tvb, tree, f.node, o + 1)
  elseif t == 0x02 then
    tree:add(f.protocol, tvb(o, 2)); tree:add(f.frame_bits, tvb(o + 2, 4)); tree:add(f.threshold, tvb(o + 6, 8))
    tree:add(f.eps_sec, tvb(o + 14, 8)); tree:add(f.eps_cor, tvb(o + 22, 8)); tree:add(f.variant, tvb(o + 30, 1))
    tree:add(f.sample_fraction, tvb(o + 31, 8))
  elseif t == 0x03 then
    tree:add(f.accepted, tvb(o, 1)); text(tvb, tree, f.message, o + 1)
  elseif t == 0x10 then
    tree:add(f.block, tvb(o, 8)); tree:add(f.detections, tvb(o + 8, 4))
  elseif t == 0x11 then
    tree:add(f.block, tvb(o, 8)); tree:add(f.bits, tvb(o + 8, 4))
  elseif t == 0x20 then
    tree:add(f.frame, tvb(o, 8)); tree:add(f.bits, tvb(o + 8, 4)); tree:add(f.sample_size, tvb(o + 12, 4))
  elseif t == 0x21 then
    tree:add(f.frame, tvb(o, 8)); tree:add(f.sample_errors, tvb(o + 8, 4)); tree:add(f.proceed, tvb(o + 12, 1))
  elseif t == 0x30 then
    local n = tvb(o, 4):uint()
    tree:add(f.entries, tvb(o, 4))
    local p = o + 4
    for _ = 1, n do
      local q = tvb(p + 12, 4):uint()
      local sub = tree:add(qkdw, tvb(p, 16 + 10 * q), "Frame " .. tvb(p, 8):uint64():tonumber() .. ": " .. q .. " queries")
      sub:add(f.frame, tvb(p, 8)); sub:add(f.round, tvb(p + 8, 4)); sub:add(f.queries, tvb(p + 12, 4))
      p = p + 16 + 10 * q
    end
  elseif t == 0x31 then
    local n = tvb(o, 4):uint()
    tree:add(f.entries, tvb(o, 4))
    local p = o + 4
    for _ = 1, n do
      local bits = tvb(p + 12, 4):uint()
      local sub = tree:add(qkdw, tvb(p, 16 + math.floor((bits + 7) / 8)), "Frame " .. tvb(p, 8):uint64():tonumber() .. ": " .. bits .. " parities")
      sub:add(f.frame, tvb(p, 8)); sub:add(f.round, tvb(p + 8, 4)); sub:add(f.parities, tvb(p + 12, 4))
      p = p + 16 + math.floor((bits + 7) / 8)
    end
  elseif t == 0x40 then
    tree:add(f.frame, tvb(o, 8)); tree:add(f.hashes, tvb(o + 8, 4))
  elseif t == 0x41 then
    tree:add(f.frame, tvb(o, 8)); tree:add(f.match, tvb(o + 8, 1))
  elseif t == 0x50 then
    tree:add(f.frame, tvb(o, 8)); tree:add(f.final_bits, tvb(o + 8, 4)); tree:add(f.key_id, tvb(o + 20, 16))
  elseif t == 0x51 then
    tree:add(f.frame, tvb(o, 8)); tree:add(f.key_id, tvb(o + 8, 16)); tree:add(f.fingerprint, tvb(o + 24, 8))
  elseif t == 0x52 then
    tree:add(f.frame, tvb(o, 8)); tree:add(f.key_id, tvb(o + 8, 16)); tree:add(f.match, tvb(o + 24, 1))
  elseif t == 0x60 then
    tree:add(f.frame, tvb(o, 8)); tree:add(f.reason, tvb(o + 8, 2)); text(tvb, tree, f.message, o + 10)
  elseif t == 0x61 then
    tree:add(f.code, tvb(o, 2)); tree:add(f.sequence, tvb(o + 2, 8)); text(tvb, tree, f.message, o + 10)
  elseif t == 0x70 then
    tree:add(f.nonce, tvb(o, 8))
  elseif t == 0x71 then
    text(tvb, tree, f.message, o)
  end
end

local function frame_length(tvb, pinfo, offset)
  return 28 + tvb(offset + 24, 4):uint() + 8
end

local function dissect_frame(tvb, pinfo, root)
  local t = tvb(5, 1):uint()
  local len = tvb(24, 4):uint()
  pinfo.cols.protocol = "QKDW"
  local name = types[t] or string.format("0x%02x", t)
  local info = tostring(pinfo.cols.info)
  if info:sub(1, 4) ~= "QKDW" then pinfo.cols.info = "QKDW " .. name else pinfo.cols.info:append(", " .. name) end
  local tree = root:add(qkdw, tvb(0, 28 + len + 8), "qkdspec control channel, " .. name)
  tree:add(f.magic, tvb(0, 4)); tree:add(f.version, tvb(4, 1)); tree:add(f.type, tvb(5, 1))
  tree:add(f.flags, tvb(6, 2)); tree:add(f.session, tvb(8, 8)); tree:add(f.sequence, tvb(16, 8))
  tree:add(f.length, tvb(24, 4))
  if len > 0 then
    local ok, err = pcall(payload, t, tvb, tree, 28)
    if not ok then tree:add_expert_info(PI_MALFORMED, PI_ERROR, "malformed payload: " .. tostring(err)) end
  end
  tree:add(f.tag, tvb(28 + len, 8))
  return 28 + len + 8
end

function qkdw.dissector(tvb, pinfo, tree)
  dissect_tcp_pdus(tvb, tree, 28, frame_length, dissect_frame, true)
  return tvb:len()
end

local function heuristic(tvb, pinfo, tree)
  if tvb:len() < 4 or tvb(0, 4):uint() ~= 0x514B4457 then return false end
  pinfo.conversation = qkdw
  qkdw.dissector(tvb, pinfo, tree)
  return true
end

qkdw:register_heuristic("tcp", heuristic)

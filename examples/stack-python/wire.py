"""qkdspec-wire/1 frames, payloads and quantum-layer blocks (docs/protocol.md), strict both ways.

Every decoding error is a WireError carrying the protocol's ERROR code (1 malformed frame,
2 bad magic, 3 unsupported version, 4 unknown message type, 5 frame too long).
"""
import struct

MAGIC = b"QKDW"
QLI_MAGIC = b"QKDQ"
HEADER = 28
TAG = 8
MAX_PAYLOAD = 16 << 20
IGNORABLE = 1

HELLO, PARAMETERS, PARAMETERS_ACK = 0x01, 0x02, 0x03
SIFTING_BASES, SIFTING_RESULT = 0x10, 0x11
ESTIMATION_SAMPLE, ESTIMATION_RESULT = 0x20, 0x21
CASCADE_REQUEST, CASCADE_REPLY = 0x30, 0x31
VERIFICATION, VERIFICATION_RESULT = 0x40, 0x41
PRIVACY_AMPLIFICATION, KEY_CONFIRMATION, CONFIRMATION_RESULT = 0x50, 0x51, 0x52
ABORT, ERROR, KEEPALIVE, CLOSE = 0x60, 0x61, 0x70, 0x71

NAMES = {HELLO: "HELLO", PARAMETERS: "PARAMETERS", PARAMETERS_ACK: "PARAMETERS_ACK", SIFTING_BASES: "SIFTING_BASES",
         SIFTING_RESULT: "SIFTING_RESULT", ESTIMATION_SAMPLE: "ESTIMATION_SAMPLE", ESTIMATION_RESULT: "ESTIMATION_RESULT",
         CASCADE_REQUEST: "CASCADE_REQUEST", CASCADE_REPLY: "CASCADE_REPLY", VERIFICATION: "VERIFICATION",
         VERIFICATION_RESULT: "VERIFICATION_RESULT", PRIVACY_AMPLIFICATION: "PRIVACY_AMPLIFICATION",
         KEY_CONFIRMATION: "KEY_CONFIRMATION", CONFIRMATION_RESULT: "CONFIRMATION_RESULT", ABORT: "ABORT",
         ERROR: "ERROR", KEEPALIVE: "KEEPALIVE", CLOSE: "CLOSE"}

# ERROR codes and ABORT reasons.
E_MALFORMED, E_BAD_MAGIC, E_VERSION, E_UNKNOWN_TYPE, E_TOO_LONG = 1, 2, 3, 4, 5
E_AUTH, E_SEQUENCE, E_UNEXPECTED, E_PARAMETERS, E_INTERNAL = 6, 7, 8, 9, 10
ERROR_CODES = range(1, 11)
A_QBER, A_AUTH, A_VERIFICATION, A_NO_KEY, A_PROTOCOL, A_PEER, A_EXHAUSTED, A_DECOY = 1, 2, 3, 4, 5, 6, 7, 8

MAX_OFFSETS = 1 << 22
MAX_ENTRIES = 1 << 16
MAX_QUERIES = 1 << 20
MAX_HASHES = 16
MAX_TEXT = 1024


class WireError(Exception):
    def __init__(self, code, offset, reason):
        super().__init__("%s at byte %d" % (reason, offset))
        self.code = code
        self.offset = offset


# ---------------------------------------------------------------- frames

def encode_frame(mtype, session, sequence, payload, tagger, flags=0):
    """The frame's bytes; tagger(authenticated bytes) -> u64 tag."""
    head = MAGIC + struct.pack(">BBHQQI", 1, mtype, flags, session, sequence, len(payload)) + payload
    return head + struct.pack(">Q", tagger(head))


class RawFrame:
    __slots__ = ("mtype", "flags", "session", "sequence", "payload", "authenticated", "tag")


class FrameDecoder:
    """Frames from a byte stream; the header is checked as soon as its bytes are in."""

    def __init__(self):
        self.buf = bytearray()

    def append(self, data):
        self.buf += data

    @property
    def pending(self):
        return len(self.buf)

    def next(self):
        b = self.buf
        if len(b) >= 4 and b[:4] != MAGIC:
            raise WireError(E_BAD_MAGIC, 0, "bad magic")
        if len(b) < HEADER:
            return None
        version, mtype, flags, session, sequence, length = struct.unpack_from(">BBHQQI", b, 4)
        if version != 1:
            raise WireError(E_VERSION, 4, "unsupported version %d" % version)
        if flags & ~IGNORABLE:
            raise WireError(E_MALFORMED, 6, "reserved flag bits set")
        if length > MAX_PAYLOAD:
            raise WireError(E_TOO_LONG, 24, "payload length %d exceeds 16 MiB" % length)
        total = HEADER + length + TAG
        if len(b) < total:
            return None
        f = RawFrame()
        f.mtype, f.flags, f.session, f.sequence = mtype, flags, session, sequence
        f.authenticated = bytes(b[:HEADER + length])
        f.payload = f.authenticated[HEADER:]
        f.tag = struct.unpack_from(">Q", b, HEADER + length)[0]
        del b[:total]
        return f


# ---------------------------------------------------------------- payloads

class Reader:
    def __init__(self, data, base=HEADER):
        self.d = data
        self.p = 0
        self.base = base

    def need(self, n):
        if self.p + n > len(self.d):
            raise WireError(E_MALFORMED, self.base + self.p, "truncated: %d more byte(s) needed" % (self.p + n - len(self.d)))

    def u8(self):
        self.need(1)
        v = self.d[self.p]
        self.p += 1
        return v

    def u16(self):
        self.need(2)
        v = struct.unpack_from(">H", self.d, self.p)[0]
        self.p += 2
        return v

    def u32(self):
        self.need(4)
        v = struct.unpack_from(">I", self.d, self.p)[0]
        self.p += 4
        return v

    def u64(self):
        self.need(8)
        v = struct.unpack_from(">Q", self.d, self.p)[0]
        self.p += 8
        return v

    def f64(self):
        self.need(8)
        v = struct.unpack_from(">d", self.d, self.p)[0]
        self.p += 8
        return v

    def raw(self, n):
        self.need(n)
        v = self.d[self.p:self.p + n]
        self.p += n
        return v

    def boolean(self, field):
        at = self.p
        v = self.u8()
        if v > 1:
            raise WireError(E_MALFORMED, self.base + at, "%s must be 0 or 1" % field)
        return v == 1

    def text(self, field):
        at = self.p
        n = self.u16()
        if n > MAX_TEXT:
            raise WireError(E_MALFORMED, self.base + at, "%s of %d bytes exceeds 1024" % (field, n))
        try:
            return self.raw(n).decode("utf-8")
        except UnicodeDecodeError:
            raise WireError(E_MALFORMED, self.base + at, "%s is not UTF-8" % field)

    def count(self, limit, element_bytes, field):
        at = self.p
        n = self.u32()
        if n > limit or n * element_bytes > len(self.d) - self.p:
            raise WireError(E_MALFORMED, self.base + at, "%s %d exceeds its limit or the bytes left" % (field, n))
        return n

    def bitstring(self, field):
        """(bit count, packed bytes)."""
        at = self.p
        n = self.u32()
        if n > 8 * MAX_PAYLOAD:
            raise WireError(E_MALFORMED, self.base + at, "%s: %d bits exceed the frame limit" % (field, n))
        data = self.raw((n + 7) // 8)
        if n % 8 and data[-1] >> (n % 8):
            raise WireError(E_MALFORMED, self.base + self.p - 1, "%s: bits set past the count" % field)
        return n, data

    def finish(self):
        if self.p != len(self.d):
            raise WireError(E_MALFORMED, self.base + self.p, "%d byte(s) after the payload" % (len(self.d) - self.p))


def text(s):
    b = s.encode("utf-8")[:MAX_TEXT]
    while True:
        try:
            b.decode("utf-8")
            break
        except UnicodeDecodeError:
            b = b[:-1]
    return struct.pack(">H", len(b)) + b


def bitstring(count, packed):
    return struct.pack(">I", count) + bytes(packed)


def decode_payload(mtype, data):
    """A dict for the message; raises WireError."""
    r = Reader(data)
    m = {"type": mtype}
    if mtype == HELLO:
        at = r.p
        m["role"] = r.u8()
        if m["role"] > 1:
            raise WireError(E_MALFORMED, HEADER + at, "role must be 0 or 1")
        m["name"] = r.text("node name")
        m["capabilities"] = r.u32()
    elif mtype == PARAMETERS:
        m["protocol"] = r.u16()
        m["frame_bits"] = r.u32()
        m["qber_threshold"] = r.f64()
        m["eps_sec"] = r.f64()
        m["eps_cor"] = r.f64()
        m["variant"] = r.u8()
        m["sample_fraction"] = r.f64()
        m["permutation_seed"] = r.u64()
    elif mtype == PARAMETERS_ACK:
        m["accepted"] = r.boolean("accepted")
        m["reason"] = r.text("reason")
    elif mtype == SIFTING_BASES:
        m["block"] = r.u64()
        n = r.count(MAX_OFFSETS, 4, "offset count")
        m["offsets"] = r.raw(4 * n)
        at = r.p
        m["bases"] = r.bitstring("bases")
        if m["bases"][0] != n:
            raise WireError(E_MALFORMED, HEADER + at, "bases for a different count of offsets")
    elif mtype == SIFTING_RESULT:
        m["block"] = r.u64()
        m["matches"] = r.bitstring("matches")
        at = r.p
        m["classes"] = r.bitstring("classes")
        matched = int.from_bytes(m["matches"][1], "little").bit_count()
        if m["classes"][0] != 2 * matched:
            raise WireError(E_MALFORMED, HEADER + at, "classes: 2 bits per match needed")
    elif mtype == ESTIMATION_SAMPLE:
        m["frame"] = r.u64()
        m["sifted"] = r.u32()
        m["k"] = r.u32()
        m["seed"] = r.u64()
        at = r.p
        m["bits"] = r.bitstring("sample bits")
        if m["bits"][0] != m["k"] or m["k"] >= m["sifted"]:
            raise WireError(E_MALFORMED, HEADER + at, "sample bits do not match the sample size")
    elif mtype == ESTIMATION_RESULT:
        m["frame"] = r.u64()
        m["errors"] = r.u32()
        m["proceed"] = r.boolean("proceed")
    elif mtype == CASCADE_REQUEST:
        n = r.count(MAX_ENTRIES, 16, "entry count")
        entries = []
        for _ in range(n):
            frame, rnd = r.u64(), r.u32()
            q = r.count(MAX_QUERIES, 10, "query count")
            raw = r.raw(10 * q)
            queries = list(struct.iter_unpack(">HII", raw))
            for i, (_, s, e) in enumerate(queries):
                if s >= e:
                    raise WireError(E_MALFORMED, HEADER + r.p - 10 * q + 10 * i + 2, "query start must be below end")
            entries.append((frame, rnd, queries))
        m["entries"] = entries
    elif mtype == CASCADE_REPLY:
        n = r.count(MAX_ENTRIES, 16, "entry count")
        m["entries"] = [(r.u64(), r.u32(), r.bitstring("parities")) for _ in range(n)]
    elif mtype == VERIFICATION:
        m["frame"] = r.u64()
        at = r.p
        n = r.count(MAX_HASHES, 16, "hash count")
        if n < 1:
            raise WireError(E_MALFORMED, HEADER + at, "at least one hash")
        m["hashes"] = [(r.u64(), r.u64()) for _ in range(n)]
    elif mtype == VERIFICATION_RESULT:
        m["frame"] = r.u64()
        m["match"] = r.boolean("match")
    elif mtype == PRIVACY_AMPLIFICATION:
        m["frame"] = r.u64()
        m["bits"] = r.u32()
        m["seed"] = r.u64()
        m["key_id"] = r.raw(16)
    elif mtype == KEY_CONFIRMATION:
        m["frame"] = r.u64()
        m["key_id"] = r.raw(16)
        m["fingerprint"] = r.u64()
    elif mtype == CONFIRMATION_RESULT:
        m["frame"] = r.u64()
        m["key_id"] = r.raw(16)
        m["match"] = r.boolean("match")
    elif mtype == ABORT:
        m["frame"] = r.u64()
        at = r.p
        m["reason"] = r.u16()
        if m["reason"] not in ABORT_REASONS_KNOWN:
            raise WireError(E_MALFORMED, HEADER + at, "unknown abort reason")
        m["text"] = r.text("message")
    elif mtype == ERROR:
        at = r.p
        m["code"] = r.u16()
        if m["code"] not in ERROR_CODES:
            raise WireError(E_MALFORMED, HEADER + at, "unknown error code")
        m["sequence"] = r.u64()
        m["text"] = r.text("message")
    elif mtype == KEEPALIVE:
        m["nonce"] = r.u64()
    elif mtype == CLOSE:
        m["reason"] = r.text("reason")
    else:
        raise WireError(E_UNKNOWN_TYPE, 5, "unknown message type 0x%02x" % mtype)
    r.finish()
    return m


# The message types and abort reasons of wire/1 (with the key-confirmation handshake).
KNOWN_TYPES = {HELLO, PARAMETERS, PARAMETERS_ACK, SIFTING_BASES, SIFTING_RESULT, ESTIMATION_SAMPLE, ESTIMATION_RESULT,
               CASCADE_REQUEST, CASCADE_REPLY, VERIFICATION, VERIFICATION_RESULT, PRIVACY_AMPLIFICATION,
               KEY_CONFIRMATION, CONFIRMATION_RESULT, ABORT, ERROR, KEEPALIVE, CLOSE}
ABORT_REASONS_KNOWN = set(range(1, 9))


# ---------------------------------------------------------------- quantum-layer interface

QLI_ALICE, QLI_BOB, QLI_END = 1, 2, 3
QLI_HEADER = 36


def qli_payload_bytes(kind, d):
    if kind == QLI_END:
        return 0
    if kind == QLI_ALICE:
        return 4 * d + 2 * ((d + 7) // 8) + (2 * d + 7) // 8
    return 4 * d + 3 * ((d + 7) // 8)


class QLIBlock:
    __slots__ = ("kind", "block", "first_pulse", "slots", "d", "offsets", "bits", "bases", "extra")


class QLIDecoder:
    def __init__(self):
        self.buf = bytearray()

    def append(self, data):
        self.buf += data

    @property
    def pending(self):
        return len(self.buf)

    def next(self):
        b = self.buf
        if len(b) >= 4 and b[:4] != QLI_MAGIC:
            raise WireError(E_BAD_MAGIC, 0, "bad QLI magic")
        if len(b) < QLI_HEADER:
            return None
        version, kind, flags, block, first, slots, d, payload = struct.unpack_from(">BBHQQIII", b, 4)
        if version != 1:
            raise WireError(E_VERSION, 4, "unsupported QLI version")
        if kind not in (QLI_ALICE, QLI_BOB, QLI_END):
            raise WireError(E_UNKNOWN_TYPE, 5, "unknown QLI block kind")
        if flags:
            raise WireError(E_MALFORMED, 6, "QLI flags set")
        if slots > 1 << 24:
            raise WireError(E_MALFORMED, 24, "too many pulse slots")
        if d > 1 << 22 or d > slots:
            raise WireError(E_MALFORMED, 28, "too many detections")
        if kind == QLI_END and (slots or d):
            raise WireError(E_MALFORMED, 24, "end of stream with slots")
        if payload != qli_payload_bytes(kind, d):
            raise WireError(E_MALFORMED, 32, "QLI payload length does not fit the layout")
        total = QLI_HEADER + payload
        if len(b) < total:
            return None
        body = bytes(b[QLI_HEADER:total])
        del b[:total]
        blk = QLIBlock()
        blk.kind, blk.block, blk.first_pulse, blk.slots, blk.d = kind, block, first, slots, d
        blk.offsets = body[:4 * d]
        offs = struct.unpack(">%dI" % d, blk.offsets) if d else ()
        prev = -1
        for o in offs:
            if o <= prev or o >= slots:
                raise WireError(E_MALFORMED, QLI_HEADER, "QLI offsets not ascending or out of range")
            prev = o
        p = 4 * d

        def column(nbits):
            nonlocal p
            nb = (nbits + 7) // 8
            data = body[p:p + nb]
            p += nb
            if nbits % 8 and data[-1] >> (nbits % 8):
                raise WireError(E_MALFORMED, QLI_HEADER + p - 1, "QLI bits set past the count")
            return data

        if kind == QLI_END:
            blk.bits = blk.bases = blk.extra = b""
        else:
            blk.bits = column(d)
            blk.bases = column(d)
            blk.extra = column(2 * d) if kind == QLI_ALICE else column(d)
        return blk

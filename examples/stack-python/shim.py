#!/usr/bin/env python3
"""The vector shim of the Python stack (docs/targets.md, "Shim"): the known-answer vectors
computed with this stack's own primitives. CASCADE-TRANSCRIPT is answered `unimplemented`: it
replays the reference Bob's exact query schedule, which this stack's Bob does not follow (any
schedule that reconciles interoperates; docs/postprocessing.md)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import primitives as P  # noqa: E402


def bits(text, n, what):
    data = bytes.fromhex(text)
    if len(data) != (n + 7) // 8:
        raise ValueError("%s: %d bits need %d bytes" % (what, n, (n + 7) // 8))
    if n % 8 and data and data[-1] >> (n % 8):
        raise ValueError("%s: bits set past the count" % what)
    return P.unpack_bits(data, n)


def u64(text):
    v = int(text, 16)
    if not 0 <= v < 1 << 64:
        raise ValueError("not a u64")
    return v


def sifting(r):
    d, nclasses = r["detections"], r["classes"]
    if d < 0 or not 1 <= nclasses <= 4:
        raise ValueError("detections or classes out of range")
    if r.get("bobBasesBits", d) != d:
        raise ValueError("Bob's bases have %d bits for %d detections" % (r["bobBasesBits"], d))
    ab, aB = bits(r["aliceBits"], d, "aliceBits"), bits(r["aliceBases"], d, "aliceBases")
    bb, bB = bits(r["bobBits"], d, "bobBits"), bits(r["bobBases"], d, "bobBases")
    classes = r["intensityClasses"]
    if len(classes) != d:
        raise ValueError("one intensity class per detection")
    groups = {}
    for i in range(d):
        if aB[i] != bB[i]:
            continue
        if not 0 <= classes[i] < nclasses:
            raise ValueError("detection %d in undeclared class %d" % (i, classes[i]))
        g = groups.setdefault((classes[i], aB[i]), ([], bytearray(), bytearray()))
        g[0].append(i)
        g[1].append(ab[i])
        g[2].append(bb[i])
    out = []
    for (c, basis) in sorted(groups):
        det, a, b = groups[(c, basis)]
        out.append({"class": c, "basis": basis, "detections": det, "bits": len(det),
                    "alice": P.pack_bits(a).hex(), "bob": P.pack_bits(b).hex()})
    return {"sifted": out}


def estimation(r):
    n, k = r["bits"], r["sampleSize"]
    if not 1 <= k < n:
        raise ValueError("the sample must hold 1 ... n - 1 bits")
    # A threshold is a QBER in [0, 1/2]; α a probability strictly between 0 and 1.
    if not 0 <= r["threshold"] <= 0.5:
        raise ValueError("the QBER threshold must lie in [0, 1/2]")
    if "alpha" in r and not 0 < r["alpha"] < 1:
        raise ValueError("alpha must lie in (0, 1)")
    a, b = bits(r["alice"], n, "alice"), bits(r["bob"], n, "bob")
    positions = P.sample_positions(n, k, r["seed"])
    errors = sum(1 for p in positions if a[p] != b[p])
    return {"samplePositions": positions, "sampleErrors": errors, "abort": errors / k > r["threshold"]}


def verification(r):
    return {"tag": "%016x" % P.PolyHash(u64(r["hashKey"])).bits(bits(r["key"], r["bits"], "key"))}


def wegman_carter(r):
    return {"tag": "%016x" % (P.PolyHash(u64(r["hashKey"])).bytes(bytes.fromhex(r["message"])) ^ u64(r["pad"]))}


def toeplitz(r):
    n, l = r["inputBits"], r["outputBits"]
    if not 1 <= l <= n or r["seedBits"] != n + l - 1:
        raise ValueError("need 1 <= outputBits <= inputBits and an (n + l - 1)-bit seed")
    y = P.toeplitz(bits(r["input"], n, "input"), bits(r["seed"], r["seedBits"], "seed"), l)
    return {"output": P.pack_bits(y).hex()}


def finite_key(r):
    n, k, q = r["keyBits"], r["sampleBits"], r["qber"]
    es, ec, leak = r["epsilonSecrecy"], r["epsilonCorrectness"], r["leakedBits"]
    if n < 1 or k < 1 or not 0 <= q <= 0.5 or not (0 < es < 1 and 0 < ec < 1) or leak < 0:
        raise ValueError("parameters outside their domain")
    return {"length": P.finite_key_length(n, k, q, float(leak), es, ec)}


ALGORITHMS = {
    "BB84-SIFTING": sifting,
    "BB84-PARAMETER-ESTIMATION": estimation,
    "GF2_64-POLYHASH-VERIFICATION": verification,
    "WEGMAN-CARTER-GF2_64": wegman_carter,
    "TOEPLITZ-PRIVACY-AMPLIFICATION": toeplitz,
    "BB84-FINITE-KEY-TLGR2012": finite_key,
}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            rid = request.get("id", -1)
        except ValueError:
            answer = {"id": -1, "error": "bad request: not JSON"}
        else:
            compute = ALGORITHMS.get(request.get("algorithm"))
            if compute is None:
                answer = {"id": rid, "unimplemented": True}
            else:
                try:
                    answer = {"id": rid, "output": compute(request.get("input", {}))}
                except (KeyError, ValueError, TypeError) as e:
                    answer = {"id": rid, "error": "refused: %s" % e}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

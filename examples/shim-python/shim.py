#!/usr/bin/env python3
"""A qkdspec shim in plain Python (standard library only).

qkdspec starts this program, writes one JSON request per line on its standard input and reads
one JSON answer per line from its standard output (docs/targets.md, "Shim"). It implements two
algorithms from their published definitions and answers "unimplemented" for the rest, which
qkdspec reports as a verdict of its own, not as a failure.

  TOEPLITZ-PRIVACY-AMPLIFICATION  y_i = XOR_j T(i, j) x_j with T(i, j) = seed(i - j + n - 1)
  BB84-FINITE-KEY-TLGR2012        l = n(1 - h(Q + mu)) - leak - log2(2 / (eps_sec^2 eps_cor)),
                                  mu = sqrt((n + k)/(n k) (k + 1)/k ln(2/eps_sec))
                                  (Tomamichel, Lim, Gisin, Renner, Nat. Commun. 3, 634 (2012))

Bit strings travel as hex bytes, bit i being bit (i mod 8) of byte i div 8.
"""
import json
import math
import sys


def bits_from_hex(text, count):
    data = bytes.fromhex(text)
    if len(data) != (count + 7) // 8:
        raise ValueError("%d bits need %d hex bytes" % (count, (count + 7) // 8))
    return [(data[i // 8] >> (i % 8)) & 1 for i in range(count)]


def bits_to_hex(bits):
    data = bytearray((len(bits) + 7) // 8)
    for i, b in enumerate(bits):
        data[i // 8] |= b << (i % 8)
    return data.hex()


def toeplitz(req):
    n, l = req["inputBits"], req["outputBits"]
    if n < 1 or l < 1 or l > n:
        raise ValueError("need 1 <= outputBits <= inputBits")
    if req["seedBits"] != n + l - 1:
        raise ValueError("a Toeplitz seed has inputBits + outputBits - 1 bits")
    x = bits_from_hex(req["input"], n)
    seed = bits_from_hex(req["seed"], req["seedBits"])
    y = []
    for i in range(l):
        acc = 0
        for j in range(n):
            acc ^= seed[i - j + n - 1] & x[j]
        y.append(acc)
    return {"output": bits_to_hex(y)}


def h2(p):
    return 0.0 if p <= 0 or p >= 1 else -p * math.log2(p) - (1 - p) * math.log2(1 - p)


def finite_key(req):
    n, k, q = req["keyBits"], req["sampleBits"], req["qber"]
    leak, es, ec = req["leakedBits"], req["epsilonSecrecy"], req["epsilonCorrectness"]
    if n < 1 or k < 1:
        raise ValueError("no key bits or no sample")
    if not 0 <= q <= 0.5:
        raise ValueError("tolerated QBER outside [0, 1/2]")
    if not (0 < es < 1 and 0 < ec < 1):
        raise ValueError("epsilon outside (0, 1)")
    mu = math.sqrt((n + k) / (n * k) * (k + 1) / k * math.log(2 / es))
    l = n * (1 - h2(min(0.5, q + mu))) - leak - math.log2(2 / (es ** 2 * ec))
    return {"length": max(0, math.floor(l))}


ALGORITHMS = {
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

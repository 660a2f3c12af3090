#!/usr/bin/env python3
"""Independent reference for qkdspec's random-number layout (docs/prng.md).

Written from the published Philox4x32-10 algorithm (Salmon et al., SC 2011) and the counter
layout in docs/prng.md, in plain Python 3 with no third-party modules, so that a vendor can
regenerate any simulator draw in another language and so that CI can cross-check the Swift code
against an implementation that shares none of its code.

Usage:
  prng_reference.py kat                 Random123 known-answer vectors (self-check)
  prng_reference.py alice SEED FIRST N  Alice's records for pulses FIRST..FIRST+N-1 (JSON lines)
  prng_reference.py words SEED INDEX DRAW STREAM
                                        the four output words of one block (hex)
Alice's records use the default intensities (0.7, 0.2, 0.1) and p_Z = 0.5 unless
--probabilities P1,P2,... and --p-z P are given.
"""
import json
import sys

M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85
MASK = 0xFFFFFFFF
PULSE_STREAM = 0x50554C53  # ASCII "PULS"
GAPS_STREAM = 0x47415053   # ASCII "GAPS"


def philox4x32_10(counter, key):
    x0, x1, x2, x3 = counter
    k0, k1 = key
    for r in range(10):
        if r > 0:
            k0 = (k0 + W0) & MASK
            k1 = (k1 + W1) & MASK
        p0 = M0 * x0
        p1 = M1 * x2
        x0, x1, x2, x3 = ((p1 >> 32) ^ x1 ^ k0) & MASK, p1 & MASK, ((p0 >> 32) ^ x3 ^ k1) & MASK, p0 & MASK
    return (x0, x1, x2, x3)


def block(seed, index, draw, stream):
    key = (seed & MASK, (seed >> 32) & MASK)
    counter = (index & MASK, (index >> 32) & MASK, draw & MASK, stream & MASK)
    return philox4x32_10(counter, key)


def threshold(p):
    # round(2^32 * p), with p clamped to [0, 1]; Python's round() is half-to-even, so use floor(x + 0.5)
    p = min(max(p, 0.0), 1.0)
    return int(p * 4294967296.0 + 0.5)


def alice_record(seed, pulse, probabilities, p_z):
    w = block(seed, pulse, 0, PULSE_STREAM)
    cumulative, k = 0.0, 0
    thresholds = []
    for p in probabilities:
        cumulative += p
        thresholds.append(threshold(cumulative))
    thresholds[-1] = 1 << 32
    while k < len(thresholds) - 1 and w[0] >= thresholds[k]:
        k += 1
    basis = 0 if w[1] < threshold(p_z) else 1
    return {"pulse": pulse, "bit": w[2] & 1, "basis": "Z" if basis == 0 else "X", "class": k}


KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((MASK, MASK, MASK, MASK), (MASK, MASK), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


def main(argv):
    args = list(argv)
    probabilities, p_z = [0.7, 0.2, 0.1], 0.5
    if "--probabilities" in args:
        i = args.index("--probabilities")
        probabilities = [float(x) for x in args[i + 1].split(",")]
        del args[i:i + 2]
    if "--p-z" in args:
        i = args.index("--p-z")
        p_z = float(args[i + 1])
        del args[i:i + 2]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    if args[0] == "kat":
        for counter, key, expected in KAT:
            got = philox4x32_10(counter, key)
            status = "ok" if got == expected else "MISMATCH"
            print(status, " ".join("%08x" % w for w in got))
            if got != expected:
                return 1
        return 0
    if args[0] == "alice" and len(args) == 4:
        seed, first, n = int(args[1]), int(args[2]), int(args[3])
        for pulse in range(first, first + n):
            print(json.dumps(alice_record(seed, pulse, probabilities, p_z), sort_keys=True))
        return 0
    if args[0] == "words" and len(args) == 5:
        seed, index, draw, stream = (int(a, 0) for a in args[1:5])
        print(" ".join("%08x" % w for w in block(seed, index, draw, stream)))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Writes the performance capture (docs/performance.md): about N packets of reference-protocol
traffic, many interleaved sessions, with reordered and retransmitted segments. Generated at
bench time, not committed.

Usage: python3 captures/tools/make_bench_capture.py OUTPUT.pcap [PACKETS]   (default 1000000)
"""
import random
import struct
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
import make_captures as m  # noqa: E402

def main():
    out = sys.argv[1]
    target = int(float(sys.argv[2])) if len(sys.argv) > 2 else 1_000_000
    rng = random.Random(2026)
    sessions = 400
    per_session = target // sessions
    conns = []
    for s in range(sessions):
        # Roughly per_session packets: each data packet carries about 150 bytes of frames.
        keepalives = max(4, per_session * 150 // (2 * 44))  # a KEEPALIVE frame is 44 bytes
        a, b, _, _ = m.session_streams(0xB000_0000 + s, keepalives=keepalives)
        pk = [p for p, _ in m.connection(a, b, sport=20000 + s, chunk=150, isn=(rng.getrandbits(32), rng.getrandbits(32)))]
        # 1 % of data segments swapped with the next one, 1 % sent twice.
        for i in range(3, len(pk) - 4):
            r = rng.random()
            if r < 0.01:
                pk[i], pk[i + 2] = pk[i + 2], pk[i]
            elif r < 0.02:
                pk.insert(i + 3, pk[i])
        conns.append(pk)
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        eth = bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0])
        queues = [list(reversed(c)) for c in conns]
        live = list(range(sessions))
        n = 0
        while live:
            k = rng.randrange(len(live))
            q = queues[live[k]]
            p = eth + q.pop()
            f.write(struct.pack("<IIII", 1767225600 + n // 1000000, n % 1000000, len(p), len(p)) + p)
            n += 1
            if not q:
                live[k] = live[-1]
                live.pop()
    print(f"{out}: {n} packets, {sessions} sessions")

if __name__ == "__main__":
    main()

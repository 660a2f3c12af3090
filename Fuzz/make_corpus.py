#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora: well-formed frames and QLI blocks built from the byte
layouts of docs/protocol.md (independently of the Swift encoder)."""
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))


def frame(mtype, payload, session=0x1122334455667788, seq=0, flags=0, tag=0):
    return b"QKDW" + struct.pack(">BBHQQI", 1, mtype, flags, session, seq, len(payload)) + payload + struct.pack(">Q", tag)


def text(s):
    b = s.encode()
    return struct.pack(">H", len(b)) + b


def bits(values):
    out = bytearray((len(values) + 7) // 8)
    for i, v in enumerate(values):
        if v:
            out[i // 8] |= 1 << (i % 8)
    return struct.pack(">I", len(values)) + bytes(out)


frames = {
    "hello": frame(0x01, bytes([0]) + text("alice") + struct.pack(">I", 0)),
    "parameters": frame(0x02, struct.pack(">HIdddBdQ", 1, 100000, 0.1, 1e-10, 1e-12, 2, 0.1, 42)),
    "parameters_ack": frame(0x03, bytes([1]) + text("")),
    "sifting_bases": frame(0x10, struct.pack(">QI", 7, 3) + struct.pack(">III", 5, 90, 4000) + bits([0, 1, 1])),
    "sifting_result": frame(0x11, struct.pack(">Q", 7) + bits([1, 0, 1]) + bits([0, 0, 1, 0])),
    "estimation_sample": frame(0x20, struct.pack(">QIIQ", 3, 1000, 5, 99) + bits([1, 0, 0, 1, 1])),
    "estimation_result": frame(0x21, struct.pack(">QIB", 3, 1, 1)),
    "cascade_request": frame(0x30, struct.pack(">I", 2) + struct.pack(">QII", 3, 0, 2) + struct.pack(">HIIHII", 0, 0, 40, 0, 40, 80)
                             + struct.pack(">QII", 4, 5, 1) + struct.pack(">HII", 3, 100, 150)),
    "cascade_reply": frame(0x31, struct.pack(">I", 1) + struct.pack(">QI", 3, 0) + bits([1, 0])),
    "verification": frame(0x40, struct.pack(">QIQQ", 3, 1, 0xDEADBEEF, 0x1234)),
    "verification_result": frame(0x41, struct.pack(">QB", 3, 1)),
    "privacy_amplification": frame(0x50, struct.pack(">QIQ", 3, 5000, 77) + bytes(range(16))),
    "key_confirmation": frame(0x51, struct.pack(">Q", 3) + bytes(range(16)) + struct.pack(">Q", 0xABCDEF)),
    "confirmation_result": frame(0x52, struct.pack(">Q", 3) + bytes(range(16)) + bytes([1]), seq=9, tag=0x3333333333333333),
    "abort": frame(0x60, struct.pack(">QH", 3, 1) + text("QBER 0.14 above 0.10")),
    "error": frame(0x61, struct.pack(">HQ", 7, 12) + text("sequence 12 replayed")),
    "keepalive": frame(0x70, struct.pack(">Q", 0x0102030405060708), seq=5, tag=0xAABBCCDDEEFF0011),
    "close": frame(0x71, text("done")),
    "ignorable_unknown": frame(0x7E, b"\x00\x01", flags=1),
}
frames["two_frames"] = frames["keepalive"] + frames["close"]


def qli(kind, block, first, slots, offsets, columns):
    payload = b"".join(struct.pack(">I", o) for o in offsets) + b"".join(columns)
    return b"QKDQ" + struct.pack(">BBHQQIII", 1, kind, 0, block, first, slots, len(offsets), len(payload)) + payload


def col(values):
    out = bytearray((len(values) + 7) // 8)
    for i, v in enumerate(values):
        if v:
            out[i // 8] |= 1 << (i % 8)
    return bytes(out)


blocks = {
    "alice": qli(1, 0, 0, 1 << 20, [3, 17, 1000], [col([1, 0, 1]), col([0, 0, 1]), col([0, 0, 1, 0, 0, 0])]),
    "bob": qli(2, 0, 0, 1 << 20, [3, 17, 1000], [col([1, 1, 1]), col([0, 1, 1]), col([0, 0, 1])]),
    "end": qli(3, 1, 0, 0, [], []),
}

for target in ("FrameDecoderFuzzer", "FrameRoundTripFuzzer"):
    os.makedirs(os.path.join(here, "corpus", target), exist_ok=True)
    for name, data in frames.items():
        with open(os.path.join(here, "corpus", target, name), "wb") as f:
            f.write(data)
for name, data in blocks.items():
    with open(os.path.join(here, "corpus", "QuantumLayerFuzzer", name), "wb") as f:
        f.write(data)
print("wrote %d frames and %d QLI blocks" % (len(frames), len(blocks)))

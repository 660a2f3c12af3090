#!/usr/bin/env python3
"""Writes the seed corpora of the capture, reassembler, ETSI 014, target-file and key-output
fuzz targets, from captures/, examples/targets/ and the formats' documented layouts
(docs/protocol.md, docs/targets.md, ETSI GS QKD 014 clause 6). Run from anywhere:
    python3 Fuzz/make_input_corpus.py
"""
import json
import os
import shutil
import struct
import uuid

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
MAX_LEN = 65536  # run.sh's -max_len for these targets: a longer seed would be cut


def out_dir(target):
    d = os.path.join(here, "corpus", target)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    return d


def write(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- CapturePcapFuzzer: every capture of captures/; the long recordings cut to their first
# records that fit in MAX_LEN (classic pcap: a 24-byte file header, then 16-byte record headers).
def pcap_prefix(data, limit):
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        return None
    out = bytearray(data[:24])
    i = 24
    while i + 16 <= len(data):
        caplen = struct.unpack(endian + "I", data[i + 8:i + 12])[0]
        if len(out) + 16 + caplen > limit:
            break
        out += data[i:i + 16 + caplen]
        i += 16 + caplen
    return bytes(out)


d = out_dir("CapturePcapFuzzer")
count = 0
for name in sorted(os.listdir(os.path.join(root, "captures"))):
    if not (name.endswith(".pcap") or name.endswith(".pcapng")):
        continue
    with open(os.path.join(root, "captures", name), "rb") as f:
        data = f.read()
    if len(data) > MAX_LEN:
        data = pcap_prefix(data, MAX_LEN)
        if data is None:
            continue
        name = name.replace(".pcap", "-head.pcap")
    write(d, name, data)
    count += 1
print("CapturePcapFuzzer: %d captures" % count)


# --- StreamReassemblerFuzzer: segment sequences, each `seq (u32 BE) | flags (u8) | length (u8) | payload`.
SYN, FIN, RST, ACK = 0x02, 0x01, 0x04, 0x10


def segments(items):
    out = bytearray()
    for seq, flags, payload in items:
        out += struct.pack(">IBB", seq & 0xFFFFFFFF, flags, len(payload)) + payload
    return bytes(out)


frame = b"QKDW" + struct.pack(">BBHQQI", 1, 0x70, 0, 1, 0, 8) + struct.pack(">Q", 42) + struct.pack(">Q", 0)
data = bytes(range(200))
streams = {
    "in-order": [(1000, SYN, b""), (1001, ACK, data[:50]), (1051, ACK, data[50:120]), (1121, ACK | FIN, data[120:])],
    "reordered": [(1000, SYN, b""), (1051, ACK, data[50:120]), (1001, ACK, data[:50]), (1121, ACK, data[120:])],
    "retransmitted": [(5, SYN, b""), (6, ACK, data[:40]), (6, ACK, data[:40]), (46, ACK, data[40:80]), (26, ACK, data[20:60])],
    "overlap-conflict": [(0, SYN, b""), (1, ACK, data[:30]), (21, ACK, b"\xff" * 20), (11, ACK, b"\xee" * 30)],
    "gap-then-rst": [(100, SYN, b""), (101, ACK, data[:10]), (151, ACK, data[50:60]), (161, RST, b"")],
    "seq-wrap": [(0xFFFFFFF0, SYN, b""), (0xFFFFFFF1, ACK, data[:40]), (0x19, ACK, data[40:90])],
    "mid-stream": [(777, ACK, data[:60]), (837, ACK, data[60:100]), (900, ACK, data[100:150])],
    "syn-data": [(50, SYN, data[:20]), (71, ACK, data[20:40])],
    "frames": [(0, SYN, b""), (1, ACK, frame[:20]), (21, ACK, frame[20:]), (1 + len(frame), ACK, frame)],
    "many-held": [(0, SYN, b"")] + [(1 + 10 * k, ACK, data[10 * k:10 * k + 10]) for k in range(12, 0, -1)] + [(1, ACK, data[:10])],
}
d = out_dir("StreamReassemblerFuzzer")
for name, items in streams.items():
    write(d, name, segments(items))
print("StreamReassemblerFuzzer: %d segment sequences" % len(streams))


# --- ETSI014ModelsFuzzer: the first byte picks the format (0 Status, 1 Key request, 2 Key
# container, 3 Key IDs, 4 Error, 5 a GET's query), the rest is the body (clause 6's field names).
def body(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


key_id = "bc490419-7d60-487f-adc1-4ddcc177c139"
bodies = {
    "status": (0, body({"source_KME_ID": "KME_A", "target_KME_ID": "KME_B", "master_SAE_ID": "SAE_1", "slave_SAE_ID": "SAE_2",
                        "key_size": 256, "stored_key_count": 25000, "max_key_count": 100000, "max_key_per_request": 128,
                        "max_key_size": 1024, "min_key_size": 64, "max_SAE_ID_count": 0})),
    "status-extension": (0, body({"source_KME_ID": "A", "target_KME_ID": "B", "master_SAE_ID": "1", "slave_SAE_ID": "2",
                                  "key_size": 8, "stored_key_count": 0, "max_key_count": 1, "max_key_per_request": 1,
                                  "max_key_size": 8, "min_key_size": 8, "max_SAE_ID_count": 2, "status_extension": {"x": [1, None, True]}})),
    "key-request": (1, body({"number": 3, "size": 1024})),
    "key-request-full": (1, body({"number": 1, "size": 256, "additional_slave_SAE_IDs": ["SAE_3", "SAE_4"],
                                  "extension_mandatory": [{"abc_route_type": "direct"}], "extension_optional": [{"abc_max_age": 30000}]})),
    "key-request-empty": (1, b"{}"),
    "key-container": (2, body({"keys": [{"key_ID": key_id, "key": "wHHVxRwDJs3/bXd38GHP3oe4svTuRpZS0yCC7x4Ly+s="},
                                        {"key_ID": str(uuid.UUID(int=1)), "key": "", "key_ID_extension": {}, "key_extension": {"q": 1}}],
                              "key_container_extension": {"note": "x"}})),
    "key-ids": (3, body({"key_IDs": [{"key_ID": key_id}, {"key_ID": "not-a-uuid", "key_ID_extension": {"a": 1}}],
                         "key_IDs_extension": {}})),
    "error": (4, body({"message": "keys are being generated", "details": [{"message_detail": "retry"}]})),
    "query": (5, b"number=2&size=512"),
    "query-percent": (5, b"number=%31&size=+8&other=x"),
}
d = out_dir("ETSI014ModelsFuzzer")
for name, (selector, b) in bodies.items():
    write(d, name, bytes([selector]) + b)
print("ETSI014ModelsFuzzer: %d bodies" % len(bodies))


# --- TargetFileFuzzer: the example target files, compact and as written.
d = out_dir("TargetFileFuzzer")
examples = os.path.join(root, "examples", "targets")
n = 0
for name in sorted(os.listdir(examples)):
    if name.endswith(".json"):
        with open(os.path.join(examples, name), "rb") as f:
            text = f.read()
        write(d, name, text)
        write(d, name.replace(".json", "-compact.json"), body(json.loads(text)))
        n += 2
print("TargetFileFuzzer: %d target files" % n)


# --- KeyOutputFuzzer: key output lines as docs/targets.md gives them.
def line(i, nbits, fill):
    nbytes = (nbits + 7) // 8
    raw = bytes((fill + k) & 0xFF for k in range(nbytes))
    if nbits % 8:
        raw = raw[:-1] + bytes([raw[-1] & ((1 << (nbits % 8)) - 1)])
    return body({"key_id": str(uuid.UUID(int=i + 1)), "hex": raw.hex(), "bits": nbits}) + b"\n"


outputs = {
    "one-key": line(0, 256, 7),
    "three-keys": line(0, 256, 1) + line(1, 128, 2) + line(2, 13, 3),
    "no-bits": body({"key_id": str(uuid.UUID(int=9)), "hex": "00ff"}) + b"\n",
    "zero-bits": body({"key_id": str(uuid.UUID(int=5)), "hex": "", "bits": 0}) + b"\n",
    "blank-lines": b"\n" + line(3, 64, 4) + b"\n\n",
}
d = out_dir("KeyOutputFuzzer")
for name, data in outputs.items():
    write(d, name, data)
print("KeyOutputFuzzer: %d key outputs" % len(outputs))

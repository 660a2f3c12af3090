#!/usr/bin/env python3
"""Writes the hand-made captures of captures/ (edge cases and malformed files) and their entries
in captures/manifest.json. Independent of qkdspec's Swift code: frames, TCP/IP headers and the
pcap/pcapng containers are laid out here byte by byte from the specifications (docs/protocol.md,
RFC 791/793/8200, the pcap and pcapng formats), so what `capture inspect` must report is known
from how each file was built.

Usage: python3 captures/tools/make_captures.py [OUTPUT_DIR]   (default: the captures/ folder)
"""
import json
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(HERE)

# --- reference protocol frames (docs/protocol.md) ---------------------------------------------

def text(s):
    b = s.encode()
    return struct.pack(">H", len(b)) + b

def frame(mtype, session, seq, payload, flags=0, tag=None):
    header = b"QKDW" + bytes([1, mtype]) + struct.pack(">HQQI", flags, session, seq, len(payload))
    if tag is None:
        tag = (session * 0x9E3779B97F4A7C15 + seq * 2654435761 + mtype) & 0xFFFFFFFFFFFFFFFF
    return header + payload + struct.pack(">Q", tag)

def hello(role, name):
    return 0x01, bytes([role]) + text(name) + struct.pack(">I", 0)

def parameters():
    return 0x02, struct.pack(">HIdddBdQ", 1, 4096, 0.08, 1e-10, 1e-12, 0, 0.1, 7)

def parameters_ack():
    return 0x03, bytes([1]) + text("")

def keepalive(nonce):
    return 0x70, struct.pack(">Q", nonce)

def close(reason):
    return 0x71, text(reason)

def session_streams(session, keepalives=6):
    """Alice's and Bob's byte streams and their message counts for a small, well-ordered session."""
    alice = [hello(0, "alice"), parameters()] + [keepalive(i) for i in range(keepalives)] + [close("session complete")]
    bob = [hello(1, "bob"), parameters_ack()] + [keepalive(100 + i) for i in range(keepalives)] + [close("end of records")]
    a = b"".join(frame(t, session, i, p) for i, (t, p) in enumerate(alice))
    b = b"".join(frame(t, session, i, p) for i, (t, p) in enumerate(bob))
    return a, b, len(alice), len(bob)

# --- IP and TCP (RFC 791, 793, 8200) ----------------------------------------------------------

def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(">%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def tcp_header(sport, dport, seq, ack, flags, payload, pseudo):
    h = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
    c = checksum(pseudo + h + payload)
    return h[:16] + struct.pack(">H", c) + h[18:]

def ipv4_packet(src, dst, tcp_bytes, proto=6, frag=0x4000):
    h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp_bytes), 0, frag, 64, proto, 0, bytes(src), bytes(dst))
    c = checksum(h)
    return h[:10] + struct.pack(">H", c) + h[12:] + tcp_bytes

def segment_v4(src, dst, sport, dport, seq, ack, flags, payload):
    pseudo = bytes(src) + bytes(dst) + struct.pack(">BBH", 0, 6, 20 + len(payload))
    return ipv4_packet(src, dst, tcp_header(sport, dport, seq, ack, flags, payload, pseudo) + payload)

def segment_v6(src, dst, sport, dport, seq, ack, flags, payload, extension=True):
    tcp = tcp_header(sport, dport, seq, ack, flags, payload,
                     bytes(src) + bytes(dst) + struct.pack(">IxxxB", 20 + len(payload), 6)) + payload
    if extension:  # a hop-by-hop options header (8 bytes, PadN) in front of TCP
        body = bytes([6, 0, 1, 4, 0, 0, 0, 0]) + tcp
        nh = 0
    else:
        body, nh = tcp, 6
    return struct.pack(">IHBB16s16s", 6 << 28, len(body), nh, 64, bytes(src), bytes(dst)) + body

def ethernet(ip, ethertype=0x0800, vlans=()):
    h = bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1])
    for tpid, vid in vlans:
        h += struct.pack(">HH", tpid, vid)
    return h + struct.pack(">H", ethertype) + ip

# --- a connection as a list of packets --------------------------------------------------------

A4, B4 = [10, 0, 0, 1], [10, 0, 0, 2]

def connection(a_stream, b_stream, sport=40000, dport=9000, isn=(1000, 5000), chunk=80, v6=False,
               src=A4, dst=B4, handshake=True, fin=True, start_at=(0, 0), lead=131):
    """Packets (IP layer, label) of one connection: the client sends a_stream, the server b_stream,
    in alternating segments of at most `chunk` bytes. The server starts sending only once the
    client's first `lead` bytes are out (HELLO and PARAMETERS: Bob answers what he received)."""
    seg = segment_v6 if v6 else segment_v4
    ca, cb = isn[0] + 1 + start_at[0], isn[1] + 1 + start_at[1]
    packets = []
    if handshake:
        packets.append((seg(src, dst, sport, dport, isn[0], 0, 0x02, b""), "syn"))
        packets.append((seg(dst, src, dport, sport, isn[1], isn[0] + 1, 0x12, b""), "synack"))
        packets.append((seg(src, dst, sport, dport, isn[0] + 1, isn[1] + 1, 0x10, b""), "ack"))
    ia, ib = start_at
    while ia < len(a_stream) or ib < len(b_stream):
        if ia < len(a_stream):
            p = a_stream[ia:ia + chunk]
            packets.append((seg(src, dst, sport, dport, ca, cb, 0x18, p), "a"))
            ca += len(p); ia += len(p)
        if ib < len(b_stream) and ia >= min(lead, len(a_stream)):
            p = b_stream[ib:ib + chunk]
            packets.append((seg(dst, src, dport, sport, cb, ca, 0x18, p), "b"))
            cb += len(p); ib += len(p)
    if fin:
        packets.append((seg(src, dst, sport, dport, ca, cb, 0x11, b""), "fin"))
        packets.append((seg(dst, src, dport, sport, cb, ca + 1, 0x11, b""), "fin"))
        packets.append((seg(src, dst, sport, dport, ca + 1, cb + 1, 0x10, b""), "ack"))
    return packets

# --- containers -------------------------------------------------------------------------------

def write_pcap(name, frames, linktype=1, snaplen=65535, t0=1767225600):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))
        for i, data in enumerate(frames):
            f.write(struct.pack("<IIII", t0 + i // 1000, (i % 1000) * 1000, len(data), len(data)) + data)

def pcapng_block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

def write_pcapng(name, packets, linktypes):
    """packets: (interface, bytes)."""
    out = pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    for lt in linktypes:
        out += pcapng_block(1, struct.pack("<HHI", lt, 0, 65535))
    for i, (iface, data) in enumerate(packets):
        ts = (1767225600 * 1000000) + i * 1000
        out += pcapng_block(6, struct.pack("<IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(data), len(data)) + data)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(out)

# --- the files --------------------------------------------------------------------------------

manifest = []

def entry(name, made_by, expect, check=None, target=None):
    e = {"file": name, "made_by": made_by, "inspect": expect}
    if check is not None:
        e["check"] = check
    if target is not None:
        e["target"] = target  # read with `capture inspect --target` (its declared framing)
    manifest.append(e)

def clean_expect(packets, messages, sessions=1, flows=1, **extra):
    e = {"exit": 0, "packets": packets, "flows": flows, "sessions": sessions, "messages": messages,
         "gaps": 0, "overlaps": 0, "decode_errors": 0}
    e.update(extra)
    return e

GEN = "captures/tools/make_captures.py"
S1 = 0x1122334455667788

def main():
    os.makedirs(OUT, exist_ok=True)
    a, b, na, nb = session_streams(S1)
    base = connection(a, b)
    n = na + nb
    check_pass = {"exit": 0}

    # Ethernet, in order: the baseline.
    write_pcap("edge-in-order.pcap", [ethernet(p) for p, _ in base])
    entry("edge-in-order.pcap", GEN, clean_expect(len(base), n), check_pass)

    # Out of order and retransmitted: swap data segments pairwise, re-send two of them.
    pk = [p for p, _ in base]
    data = [i for i, (_, l) in enumerate(base) if l in ("a", "b")]
    reordered = list(pk)
    for i in range(0, len(data) - 3, 4):
        x, y = data[i], data[i + 2]  # two segments of the same direction swap places
        reordered[x], reordered[y] = reordered[y], reordered[x]
    reordered.insert(data[5] + 1, pk[data[3]])
    reordered.insert(data[8] + 2, pk[data[8]])
    write_pcap("edge-reorder-retransmit.pcap", [ethernet(p) for p in reordered])
    entry("edge-reorder-retransmit.pcap", GEN, clean_expect(len(reordered), n, retransmissions_at_least=2, out_of_order_at_least=1), check_pass)

    # A conflicting overlap: a retransmission of one segment with one byte changed.
    victim = pk[data[2]]
    forged = bytearray(victim)
    forged[-5] ^= 0xFF
    overlapped = list(pk)
    overlapped.insert(data[4], bytes(forged))
    write_pcap("edge-overlap-conflict.pcap", [ethernet(p) for p in overlapped])
    entry("edge-overlap-conflict.pcap", GEN, clean_expect(len(overlapped), n, overlaps=1))

    # A gap: one data segment of Alice's direction never captured. The frames it held (and the
    # one straddling into it) are lost; decoding resumes at the next frame boundary.
    gapped = [p for i, p in enumerate(pk) if i != data[4]]
    write_pcap("edge-gap.pcap", [ethernet(p) for p in gapped])
    entry("edge-gap.pcap", GEN, {"exit": 0, "packets": len(gapped), "flows": 1, "sessions": 1, "gaps": 1, "overlaps": 0,
                                 "decode_errors": 0, "messages_less_than": n},
          {"exit": 1, "failing": ["sequence-numbers"]})  # the frames lost in the gap show as a drop

    # IPv6 with a hop-by-hop extension header.
    v6 = connection(a, b, v6=True, src=[0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [1], dst=[0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [2])
    write_pcap("edge-ipv6.pcap", [ethernet(p, 0x86DD) for p, _ in v6])
    entry("edge-ipv6.pcap", GEN, clean_expect(len(v6), n), check_pass)

    # 802.1Q inside 802.1ad (QinQ).
    write_pcap("edge-vlan-qinq.pcap", [ethernet(p, 0x0800, vlans=[(0x88A8, 100), (0x8100, 200)]) for p, _ in base])
    entry("edge-vlan-qinq.pcap", GEN, clean_expect(len(base), n), check_pass)

    # Linux cooked capture v1 and v2.
    sll = [struct.pack(">HHH8sH", 0, 1, 6, bytes(8), 0x0800) + p for p, _ in base]
    write_pcap("edge-sll.pcap", sll, linktype=113)
    entry("edge-sll.pcap", GEN, clean_expect(len(base), n))
    sll2 = [struct.pack(">HHIHBB8s", 0x0800, 0, 2, 1, 0, 6, bytes(8)) + p for p, _ in base]
    write_pcap("edge-sll2.pcap", sll2, linktype=276)
    entry("edge-sll2.pcap", GEN, clean_expect(len(base), n), check_pass)

    # BSD loopback (NULL, host-order family 2) and raw IP.
    write_pcap("edge-loopback-null.pcap", [struct.pack("<I", 2) + p for p, _ in base], linktype=0)
    entry("edge-loopback-null.pcap", GEN, clean_expect(len(base), n))
    write_pcap("edge-raw-ip.pcap", [p for p, _ in base], linktype=101)
    entry("edge-raw-ip.pcap", GEN, clean_expect(len(base), n))

    # pcapng, two Ethernet interfaces: each direction captured on its own interface.
    write_pcapng("edge-two-interfaces.pcapng", [(0 if l in ("a", "syn", "ack") else 1, ethernet(p)) for p, l in base], [1, 1])
    entry("edge-two-interfaces.pcapng", GEN, clean_expect(len(base), n), check_pass)

    # Sequence numbers wrapping around 2^32 in both directions.
    wrap = connection(a, b, isn=(0xFFFFFF00, 0xFFFFFFF0))
    write_pcap("edge-seq-wrap.pcap", [ethernet(p) for p, _ in wrap])
    entry("edge-seq-wrap.pcap", GEN, clean_expect(len(wrap), n), check_pass)

    # The tap started mid-session: no handshake, both directions start inside a frame.
    first_a = len(frame(*hello(0, "alice")[:1], S1, 0, hello(0, "alice")[1])) + 10
    first_b = len(frame(*hello(1, "bob")[:1], S1, 0, hello(1, "bob")[1])) + 10
    mid = connection(a, b, handshake=False, start_at=(first_a, first_b))
    write_pcap("edge-mid-session.pcap", [ethernet(p) for p, _ in mid])
    entry("edge-mid-session.pcap", GEN, clean_expect(len(mid), n - 4))  # HELLO and PARAMETERS(_ACK) each way are lost

    # Many interleaved sessions, one connection each, packets round-robin.
    conns = []
    total_msgs = 0
    for s in range(24):
        sa, sb, xa, xb = session_streams(0xA000 + s, keepalives=3 + s % 4)
        conns.append(connection(sa, sb, sport=41000 + s, chunk=97 + 13 * s))
        total_msgs += xa + xb
    merged = []
    rng = random.Random(7)
    queues = [list(c) for c in conns]
    while any(queues):
        q = rng.choice([q for q in queues if q])
        merged.append(q.pop(0)[0])
    write_pcap("edge-interleaved.pcap", [ethernet(p) for p in merged])
    entry("edge-interleaved.pcap", GEN, clean_expect(len(merged), total_msgs, sessions=24, flows=24), check_pass)

    # Packets that are not TCP: a UDP datagram, an ARP frame, an IPv4 fragment.
    udp = ipv4_packet(A4, B4, struct.pack(">HHHH", 5353, 5353, 12, 0) + b"dns!", proto=17)
    frag = ipv4_packet(A4, B4, b"\0" * 24, frag=0x2000)
    arp = bytes(28)
    mixed = [ethernet(p) for p, _ in base[:4]] + [ethernet(udp), ethernet(arp, 0x0806), ethernet(frag)] + [ethernet(p) for p, _ in base[4:]]
    write_pcap("edge-not-tcp.pcap", mixed)
    entry("edge-not-tcp.pcap", GEN, clean_expect(len(mixed), n, non_tcp_packets=1, non_ip_packets=1, fragments=1))

    # Damage inside a valid file: one frame's version byte changed (a decode error, not a file error).
    bad = bytearray(a)
    second = len(frame(hello(0, "alice")[0], S1, 0, hello(0, "alice")[1]))
    bad[second + 4] = 9
    dmg = connection(bytes(bad), b)
    write_pcap("damaged-frame.pcap", [ethernet(p) for p, _ in dmg])
    entry("damaged-frame.pcap", GEN, {"exit": 0, "packets": len(dmg), "flows": 1, "sessions": 1, "gaps": 0, "overlaps": 0,
                                      "decode_errors": 1, "messages": n - 1})

    # Sessions that break one audit rule each (capture check must fail that check, at that frame).
    def audit_file(name, alice_msgs, bob_msgs, order, failing, bob_seq=None):
        """order: the sequence of 'a'/'b' sends; bob_seq: sequence numbers for Bob's frames."""
        fa = [frame(t, S1, i, p) for i, (t, p) in enumerate(alice_msgs)]
        fb = [frame(t, S1, (bob_seq[i] if bob_seq else i), p) for i, (t, p) in enumerate(bob_msgs)]
        # One frame per segment, in the given order, so the packet of each frame is known.
        ia = ib = 0
        a_stream = b_stream = b""
        packets = []
        ca, cb = 1001, 5001
        packets.append(segment_v4(A4, B4, 40000, 9000, 1000, 0, 0x02, b""))
        packets.append(segment_v4(B4, A4, 9000, 40000, 5000, 1001, 0x12, b""))
        packets.append(segment_v4(A4, B4, 40000, 9000, 1001, 5001, 0x10, b""))
        for who in order:
            if who == "a":
                packets.append(segment_v4(A4, B4, 40000, 9000, ca, cb, 0x18, fa[ia])); ca += len(fa[ia]); ia += 1
            else:
                packets.append(segment_v4(B4, A4, 9000, 40000, cb, ca, 0x18, fb[ib])); cb += len(fb[ib]); ib += 1
        packets.append(segment_v4(A4, B4, 40000, 9000, ca, cb, 0x11, b""))
        packets.append(segment_v4(B4, A4, 9000, 40000, cb, ca + 1, 0x11, b""))
        write_pcap(name, [ethernet(p) for p in packets])
        entry(name, GEN, clean_expect(len(packets), len(order)), {"exit": 1, "failing": failing})

    def estimation_sample(frame_no, n, k):
        return 0x20, struct.pack(">QIIQI", frame_no, n, k, 1, k) + bytes((k + 7) // 8)

    def estimation_result(frame_no, errors, proceed):
        return 0x21, struct.pack(">QIB", frame_no, errors, 1 if proceed else 0)

    def verification(frame_no):
        return 0x40, struct.pack(">QIQQ", frame_no, 1, 5, 6)

    def verification_result(frame_no, match):
        return 0x41, struct.pack(">QB", frame_no, 1 if match else 0)

    def privacy_amplification(frame_no, bits):
        return 0x50, struct.pack(">QIQ", frame_no, bits, 9) + bytes([0xCD] * 16)

    start_a = [hello(0, "alice"), parameters()]
    start_b = [hello(1, "bob"), parameters_ack()]
    # Bob's third frame repeats sequence number 1 (a replay): sequence-numbers fails at packet 4 + 5.
    audit_file("audit-replayed-sequence.pcap", start_a + [keepalive(1)], start_b + [keepalive(2)],
               "aabbab", ["sequence-numbers"], bob_seq=[0, 1, 1])
    # ESTIMATION_RESULT for a frame Alice never sampled: message-order fails.
    audit_file("audit-message-order.pcap", start_a, start_b + [estimation_result(3, 0, True)], "aabbb", ["message-order"])
    # Verification mismatch, then privacy amplification to 5000 bits: verification fails.
    audit_file("audit-verification-mismatch.pcap",
               start_a + [estimation_sample(0, 32768, 3277), verification(0), privacy_amplification(0, 5000)],
               start_b + [estimation_result(0, 60, True), verification_result(0, False)],
               "aabbabab" + "a", ["verification"])

    # A vendor protocol qkdspec does not know, read with its target file's declared framing:
    # magic A5 5A, type, flags, a little-endian u32 at byte 4 counting the bytes after it
    # (payload and a 16-byte tag). Flow 1 follows it throughout; flow 2 breaks it with a length
    # over max_message_bytes after three messages; flow 3 is a qkdspec-wire/1 session.
    def vendor(mtype, payload):
        return b"\xa5\x5a" + bytes([mtype, 0]) + struct.pack("<I", len(payload) + 16) + payload + bytes([mtype]) * 16
    vrng = random.Random(11)
    def vendor_stream(count, first_type):
        return b"".join(vendor(first_type + i % 5, bytes(vrng.randrange(256) for _ in range(vrng.choice([0, 3, 40, 150, 300]))))
                        for i in range(count))
    v1a, v1b = vendor_stream(9, 1), vendor_stream(7, 0x41)
    v2a = vendor_stream(3, 1) + b"\xa5\x5a\x09\x00" + struct.pack("<I", 0x7FFFFFFF) + bytes(40)
    v2b = vendor_stream(2, 0x41)
    opaque = (connection(v1a, v1b, sport=43000, dport=7000, lead=0) + connection(v2a, v2b, sport=43001, dport=7000, lead=0)
              + connection(a, b, sport=43002))
    write_pcap("edge-opaque-framed.pcap", [ethernet(p) for p, _ in opaque])
    entry("edge-opaque-framed.pcap", GEN, {"exit": 0, "packets": len(opaque), "flows": 3, "sessions": 1, "messages": 9 + 7 + 3 + 2 + n,
                                           "gaps": 0, "overlaps": 0, "decode_errors": 1}, target="edge-opaque-framed.target.json")

    # Malformed containers: exit 2 with the file named.
    open(os.path.join(OUT, "malformed-empty.pcap"), "wb").close()
    entry("malformed-empty.pcap", GEN, {"exit": 2, "error_contains": "empty"})
    with open(os.path.join(OUT, "malformed-bad-magic.pcap"), "wb") as f:
        f.write(b"NOTAPCAP" + bytes(16))
    entry("malformed-bad-magic.pcap", GEN, {"exit": 2, "error_contains": "malformed-bad-magic.pcap"})
    with open(os.path.join(OUT, "malformed-truncated-header.pcap"), "wb") as f:
        f.write(struct.pack("<IHHi", 0xA1B2C3D4, 2, 4, 0))
    entry("malformed-truncated-header.pcap", GEN, {"exit": 2, "error_contains": "malformed-truncated-header.pcap"})
    write_pcap("malformed-truncated-packet.pcap", [ethernet(p) for p, _ in base])
    path = os.path.join(OUT, "malformed-truncated-packet.pcap")
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.truncate(size - 7)
    entry("malformed-truncated-packet.pcap", GEN, {"exit": 2, "error_contains": "damaged at byte"})
    with open(os.path.join(OUT, "malformed-caplen-too-big.pcap"), "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        f.write(struct.pack("<IIII", 0, 0, 300000, 300000) + bytes(64))
    entry("malformed-caplen-too-big.pcap", GEN, {"exit": 2, "error_contains": "damaged at byte 24"})
    write_pcapng("malformed-pcapng-block-length.pcapng", [(0, ethernet(p)) for p, _ in base[:3]], [1])
    path = os.path.join(OUT, "malformed-pcapng-block-length.pcapng")
    raw = bytearray(open(path, "rb").read())
    # The third block (the first packet) claims to be far longer than the file.
    shb = struct.unpack_from("<I", raw, 4)[0]
    idb = struct.unpack_from("<I", raw, shb + 4)[0]
    struct.pack_into("<I", raw, shb + idb + 4, 0x00100000)
    open(path, "wb").write(bytes(raw))
    entry("malformed-pcapng-block-length.pcapng", GEN, {"exit": 2, "error_contains": "malformed-pcapng-block-length.pcapng"})

    # manifest.json: these entries, after the ones other tools made (recordings), which are kept.
    path = os.path.join(OUT, "manifest.json")
    kept = []
    if os.path.exists(path):
        kept = [e for e in json.load(open(path))["files"] if e["made_by"] != GEN]
    with open(path, "w") as f:
        json.dump({"files": kept + manifest}, f, indent=2)
        f.write("\n")

if __name__ == "__main__":
    main()

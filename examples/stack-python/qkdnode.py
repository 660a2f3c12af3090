#!/usr/bin/env python3
"""A qkdspec-wire/1 node in plain Python (standard library only), written from docs/protocol.md,
docs/postprocessing.md, docs/prng.md and docs/targets.md.

  qkdnode.py --role alice --control-listen 127.0.0.1:7000 --qli-listen 127.0.0.1:7100 \\
             --auth-key psk.bin --key-output alice.jsonl
  qkdnode.py --role bob --control-connect 127.0.0.1:7000 --qli-listen 127.0.0.1:7101 \\
             --auth-key psk.bin --key-output bob.jsonl

One session, then exit: 0 the session completed; 1 the session failed (the peer aborted, a tag
did not verify, a replayed or malformed frame, a protocol violation); 2 usage or configuration
error; 3 network failure or timeout. The delivered keys are written however the session ends.
"""
import argparse
import json
import os
import selectors
import signal
import socket
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import primitives as P  # noqa: E402
import wire as W  # noqa: E402
from engine import AuthKey, Engine, SessionEnd  # noqa: E402

VARIANTS = {"original": 0, "yanetal": 1, "extended": 2}
FRAME_DEADLINE = 10.0  # seconds from a control frame's first byte to its last


def host_port(text):
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError("expected HOST:PORT, got %r" % text)
    return host, int(port)


def parse(argv):
    ap = argparse.ArgumentParser(description="A qkdspec-wire/1 node in plain Python (one session, then exit).")
    ap.add_argument("--role", choices=["alice", "bob"], required=True)
    ap.add_argument("--control-listen", type=host_port, help="Alice: listen for Bob's control connection")
    ap.add_argument("--control-connect", type=host_port, help="Bob: connect to Alice (through the harness's proxy)")
    ap.add_argument("--qli-listen", type=host_port, required=True, help="listen for the quantum-layer interface")
    ap.add_argument("--auth-key", required=True, help="pre-shared key file (hex text or raw bytes, >= 64 bytes)")
    ap.add_argument("--key-output", help="write delivered keys here (JSON lines, mode 0600)")
    ap.add_argument("--frame-bits", type=int, default=1 << 17)
    ap.add_argument("--qber-threshold", type=float, default=0.05)
    ap.add_argument("--cascade", choices=sorted(VARIANTS), default="extended")
    ap.add_argument("--sample-fraction", type=float, default=0.1)
    ap.add_argument("--idle-timeout", type=float, default=30)
    ap.add_argument("--name", default=None)
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)
    if (a.control_listen is None) == (a.control_connect is None):
        ap.error("give exactly one of --control-listen (Alice) and --control-connect (Bob)")
    if a.role == "alice" and a.control_listen is None or a.role == "bob" and a.control_connect is None:
        ap.error("Alice listens (--control-listen), Bob connects (--control-connect)")
    if not 1024 <= a.frame_bits <= 1 << 24:
        ap.error("--frame-bits must lie in 1024 ... 2^24")
    if not 0 < a.qber_threshold <= 0.11:
        ap.error("--qber-threshold must lie in (0, 0.11]")
    if not 0 < a.sample_fraction < 0.5:
        ap.error("--sample-fraction must lie in (0, 0.5)")
    if not 1 <= a.idle_timeout <= 86400:
        ap.error("--idle-timeout must lie in 1 ... 86400 s")
    return a


def write_keys(path, keys):
    """JSON lines {"key_id", "bits", "hex"}, mode 0600, renamed into place."""
    partial = path + ".partial"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        for key_id, bits in keys:
            f.write(json.dumps({"key_id": str(uuid.UUID(bytes=key_id)), "bits": len(bits),
                                "hex": P.pack_bits(bits).hex()}, separators=(",", ":")) + "\n")
    os.rename(partial, path)


def listen(address):
    s = socket.socket(socket.AF_INET6 if ":" in address[0] else socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(address)
    s.listen(4)
    s.setblocking(False)
    return s


def run(a, engine):
    """Runs one session on `engine` (its keys survive however the session ends)."""
    sel = selectors.DefaultSelector()
    try:
        qli_server = listen(a.qli_listen)
    except OSError as e:
        raise SessionEnd(3, "cannot listen for the quantum-layer interface on %s:%d: %s" % (a.qli_listen + (e,)))
    sel.register(qli_server, selectors.EVENT_READ, "qli-accept")
    control = None
    control_server = None
    started = time.monotonic()
    if a.role == "alice":
        try:
            control_server = listen(a.control_listen)
        except OSError as e:
            raise SessionEnd(3, "cannot listen for the control channel on %s:%d: %s" % (a.control_listen + (e,)))
        sel.register(control_server, selectors.EVENT_READ, "control-accept")
    else:
        deadline = started + a.idle_timeout
        last = None
        while control is None:
            try:
                control = socket.create_connection(a.control_connect, timeout=5)
            except OSError as e:
                last = e
                if time.monotonic() > deadline:
                    raise SessionEnd(3, "cannot reach the peer at %s:%d: %s" % (a.control_connect + (last,)))
                time.sleep(0.1)

    def attach(sock):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(True)
        sock.settimeout(a.idle_timeout)

        def send(data):
            try:
                sock.sendall(data)
            except OSError as e:
                raise SessionEnd(3, "sending failed: %s" % e)
        engine.connected(send)
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ, "control")

    if control is not None:
        attach(control)
    qli_decoders = {}
    last_activity = time.monotonic()
    frame_started = None  # when the first byte of a control frame still incomplete arrived
    try:
        while not engine.finished:
            now = time.monotonic()
            timeout = a.idle_timeout - (now - last_activity)
            if timeout <= 0:
                if control is None:
                    raise SessionEnd(3, "no peer connected to the control channel within %g s" % a.idle_timeout)
                raise SessionEnd(3, "the peer sent nothing for %g s" % a.idle_timeout)
            if frame_started is not None:
                left = FRAME_DEADLINE - (now - frame_started)
                if left <= 0:
                    # A frame begun must end: a peer trickling bytes cannot hold the session open.
                    engine.refuse_error(W.E_MALFORMED, engine.recv_seq,
                                        "frame not complete %g s after its first byte" % FRAME_DEADLINE)
                    raise SessionEnd(1, "a control frame was not complete %g s after its first byte" % FRAME_DEADLINE)
                timeout = min(timeout, left)
            for k, _ in sel.select(timeout):
                what = k.data
                if what == "qli-accept":
                    try:
                        c, _ = qli_server.accept()
                    except BlockingIOError:
                        continue
                    c.setblocking(False)
                    qli_decoders[c] = W.QLIDecoder()
                    sel.register(c, selectors.EVENT_READ, "qli")
                elif what == "control-accept":
                    try:
                        c, _ = control_server.accept()
                    except BlockingIOError:
                        continue
                    if control is not None:
                        c.close()  # one session per node: a second peer is turned away
                        continue
                    control = c
                    last_activity = time.monotonic()
                    attach(c)
                elif what == "qli":
                    c = k.fileobj
                    try:
                        data = c.recv(1 << 20)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    dec = qli_decoders[c]
                    if not data:
                        sel.unregister(c)
                        c.close()
                        if dec.pending:
                            raise SessionEnd(3, "the quantum-layer feed closed in the middle of a block")
                        continue
                    dec.append(data)
                    try:
                        while True:
                            blk = dec.next()
                            if blk is None:
                                break
                            engine.receive_block(blk)
                            if blk.kind == W.QLI_END:
                                break
                    except W.WireError as e:
                        raise SessionEnd(1, "malformed quantum-layer block: %s" % e)
                elif what == "control":
                    try:
                        data = control.recv(1 << 20)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    if not data:
                        engine.control_closed()
                        break
                    last_activity = time.monotonic()
                    before = engine.recv_seq
                    engine.receive_control(data)
                    if not engine.decoder.pending:
                        frame_started = None
                    elif frame_started is None or engine.recv_seq != before:
                        frame_started = last_activity
                if engine.finished:
                    break
    finally:
        for c in list(qli_decoders):
            try:
                c.close()
            except OSError:
                pass
        if control is not None:
            try:
                control.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            control.close()
        qli_server.close()
        if control_server is not None:
            control_server.close()


def main(argv):
    a = parse(argv)

    def log(text):
        if a.verbose:
            sys.stderr.write("%s: %s\n" % (a.role, text))

    try:
        key = AuthKey.load(a.auth_key)
    except (OSError, ValueError) as e:
        sys.stderr.write("error: configuration: %s\n" % e)
        return 2
    engine = Engine(a.role, key, a.name or ("python-" + a.role), a.frame_bits, a.qber_threshold,
                    VARIANTS[a.cascade], a.sample_fraction, log=log)
    def stop(signum, _frame):
        raise KeyboardInterrupt("signal %d" % signum)

    signal.signal(signal.SIGTERM, stop)
    status = 0
    try:
        run(a, engine)
    except SessionEnd as e:
        status = e.status
        sys.stderr.write("error: %s\n" % e.reason)
    except KeyboardInterrupt:
        status = 1
        sys.stderr.write("stopped: the keys delivered so far are written\n")
    keys = engine.keys
    if a.key_output:
        try:
            write_keys(a.key_output, keys)
        except OSError as e:
            sys.stderr.write("error: cannot write the key output %s: %s\n" % (a.key_output, e))
            return 2
    sys.stdout.write(json.dumps({"event": "summary", "role": a.role, "keys": len(keys),
                                 "final_key_bits": sum(len(k) for _, k in keys)}) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

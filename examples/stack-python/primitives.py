"""The post-processing primitives of qkdspec-wire/1, in plain Python, from docs/prng.md,
docs/postprocessing.md and docs/protocol.md.

Bit strings are held *unpacked*: a bytes/bytearray object with one byte (0 or 1) per bit, bit i
at index i. That keeps every bulk operation (parity of a range, gathering a permutation,
removing the sample) inside C loops of the interpreter instead of Python loops.
"""
import hashlib
import math
from array import array
import sys

MASK32 = 0xFFFFFFFF
MASK64 = 0xFFFFFFFFFFFFFFFF

# ---------------------------------------------------------------- bit strings

_EXPAND = [bytes((b >> i) & 1 for i in range(8)) for b in range(256)]
_TO_ASCII = bytes.maketrans(b"\x00\x01", b"01")
_FROM_ASCII = bytes.maketrans(b"01", b"\x00\x01")
_LOW_BIT = bytes(b & 1 for b in range(256))


def unpack_bits(data, count):
    """Packed bytes (bit i in bit i mod 8 of byte i // 8) to one 0/1 byte per bit."""
    return b"".join(map(_EXPAND.__getitem__, data))[:count]


def pack_bits(bits):
    """One 0/1 byte per bit to packed bytes (bit i in bit i mod 8 of byte i // 8)."""
    n = len(bits)
    if n == 0:
        return b""
    value = int(bytes(bits).translate(_TO_ASCII)[::-1], 2)
    return value.to_bytes((n + 7) // 8, "little")


def bits_to_int(bits):
    """Unpacked bits to an integer whose bit i is bits[i]."""
    return int(bytes(bits).translate(_TO_ASCII)[::-1], 2) if bits else 0


def parity(bits, start=0, end=None):
    """XOR of bits[start:end]."""
    return bits.count(1, start, len(bits) if end is None else end) & 1


def _words_le(data):
    """Bytes as little-endian 64-bit words, the last zero-padded."""
    if len(data) % 8:
        data = bytes(data) + bytes(8 - len(data) % 8)
    a = array("Q")
    a.frombytes(bytes(data))
    if sys.byteorder == "big":
        a.byteswap()
    return a

# ---------------------------------------------------------------- Philox4x32-10 (docs/prng.md)

_M0, _M1 = 0xD2511F53, 0xCD9E8D57


def philox_words(seed, index, stream, draws, first=0):
    """The 4·draws words of draws first .. first+draws-1 of (seed, index, stream), in order
    (w0..w3 of a draw, then the next draw's). Every lane is computed at once: the lanes sit in 64-bit slots of
    one big integer, and multiplying it by a 32-bit constant multiplies every slot."""
    if draws <= 0:
        return []
    rep = int.from_bytes(b"\x01\x00\x00\x00\x00\x00\x00\x00" * draws, "little")
    lo = MASK32 * rep
    x0 = (index & MASK32) * rep
    x1 = ((index >> 32) & MASK32) * rep
    counter = array("Q", range(first, first + draws))
    if sys.byteorder == "big":
        counter.byteswap()
    x2 = int.from_bytes(counter.tobytes(), "little")
    x3 = (stream & MASK32) * rep
    k0, k1 = seed & MASK32, (seed >> 32) & MASK32
    for r in range(10):
        if r:
            k0 = (k0 + 0x9E3779B9) & MASK32
            k1 = (k1 + 0xBB67AE85) & MASK32
        p0 = x0 * _M0
        p1 = x2 * _M1
        x0, x1, x2, x3 = ((p1 >> 32) & lo) ^ x1 ^ (k0 * rep), p1 & lo, ((p0 >> 32) & lo) ^ x3 ^ (k1 * rep), p0 & lo
    out = [0] * (4 * draws)
    for j, x in enumerate((x0, x1, x2, x3)):
        a = array("Q")
        a.frombytes(x.to_bytes(8 * draws, "little"))
        if sys.byteorder == "big":
            a.byteswap()
        out[j::4] = a
    return out


class PhiloxStream:
    """Sequential 32-bit words of (seed, index, stream): draw 0's four words, then draw 1's, ..."""

    def __init__(self, seed, index, stream, chunk=256):
        self.seed, self.index, self.stream = seed, index, stream
        self.chunk = chunk
        self.draw = 0
        self.buf = []
        self.pos = 0

    def word(self):
        if self.pos == len(self.buf):
            self.buf = philox_words(self.seed, self.index, self.stream, self.chunk, self.draw)
            self.draw += self.chunk
            self.pos = 0
            self.chunk = min(4 * self.chunk, 1 << 16)
        w = self.buf[self.pos]
        self.pos += 1
        return w

    def below(self, bound):
        """The bounded-integer draw (docs/postprocessing.md): words until w − (w mod b) + b ≤ 2³²."""
        while True:
            w = self.word()
            r = w % bound
            if w - r + bound <= 1 << 32:
                return r


STREAM_SAMPLE = 0x53414D50   # "SAMP"
STREAM_CASCADE = 0x43415343  # "CASC" (+ pass)
STREAM_TOEPLITZ = 0x544F4550  # "TOEP"


def sample_positions(n, k, seed):
    """ESTIMATION_SAMPLE positions: partial Fisher–Yates over stream SAMP (index n), sorted."""
    stream = PhiloxStream(seed, n, STREAM_SAMPLE)
    swapped = {}
    out = []
    for i in range(k):
        j = i + stream.below(n - i)
        vi, vj = swapped.get(i, i), swapped.get(j, j)
        swapped[i], swapped[j] = vj, vi
        out.append(vj)
    out.sort()
    return out


def cascade_order(n, p, seed):
    """Pass p's shuffle (position -> frame index): Fisher–Yates from the top over stream
    CASC + p (index n): for i = n − 1 down to 1, swap i with the bounded draw below i + 1."""
    stream = (STREAM_CASCADE + p) & MASK32
    words = philox_words(seed, n, stream, (n + 63) // 4)
    draws = []  # the bounded draws, i = n − 1 down to 1
    bounds = range(n, 1, -1)
    pos = 0
    top = 1 << 32
    while len(draws) < n - 1:
        need = bounds[len(draws):]
        if pos + len(need) > len(words):
            words += philox_words(seed, n, stream, (pos + len(need) - len(words) + 67) // 4, len(words) // 4)
        chunk = words[pos:pos + len(need)]
        rs = list(map(int.__mod__, chunk, need))
        # A word is rejected when w − (w mod b) + b > 2^32, which needs w >= 2^32 − b (rare).
        low = top - n
        cut = len(rs)
        for t in [t for t, w in enumerate(chunk) if w > low]:
            if chunk[t] - rs[t] + need[t] > top:
                cut = t
                break
        draws += rs[:cut]
        pos += cut + (1 if cut < len(rs) else 0)
    o = list(range(n))
    for i, r in zip(range(n - 1, 0, -1), draws):
        o[i], o[r] = o[r], o[i]
    return o


def toeplitz_seed(bits, seed):
    """The Toeplitz seed (unpacked bits): 64-bit words, each (first word << 32) | second word
    of stream TOEP (index = seed bits), bit i of the seed = bit i mod 64 of word i // 64."""
    nwords = (bits + 63) // 64
    w = philox_words(seed, bits, STREAM_TOEPLITZ, (2 * nwords + 3) // 4)
    packed = array("Q", ((w[2 * i] << 32) | w[2 * i + 1] for i in range(nwords)))
    if sys.byteorder == "big":
        packed.byteswap()
    return unpack_bits(packed.tobytes(), bits)

# ---------------------------------------------------------------- GF(2^64) polynomial hash


def gf64_mul(a, b):
    """a·b in GF(2)[x]/(x^64 + x^4 + x^3 + x + 1)."""
    r = 0
    while b:
        if b & 1:
            r ^= a
        b >>= 1
        a <<= 1
        if a >> 64:
            a = (a ^ 0x1B) & MASK64
    return r


class PolyHash:
    """H_k over 64-bit words by Horner's rule, with byte tables for multiplying by k."""

    LANES = 1024  # blocks hashed side by side in a long message (see _lanes)

    def __init__(self, k):
        self.k = k
        tables = []
        v = k  # k · x^(8j + i) as i, j run
        for _ in range(8):
            t = [0] * 256
            basis = []
            for i in range(8):
                basis.append(v)
                v = ((v << 1) ^ (0x1B if v >> 63 else 0)) & MASK64
            for b in range(1, 256):
                low = b & -b
                t[b] = t[b ^ low] ^ basis[low.bit_length() - 1]
            tables.append(t)
        self.t = tables
        self.lane_tables = None

    def mul(self, a):
        t0, t1, t2, t3, t4, t5, t6, t7 = self.t
        return (t0[a & 255] ^ t1[(a >> 8) & 255] ^ t2[(a >> 16) & 255] ^ t3[(a >> 24) & 255]
                ^ t4[(a >> 32) & 255] ^ t5[(a >> 40) & 255] ^ t6[(a >> 48) & 255] ^ t7[a >> 56])

    def words(self, words, bit_length):
        t0, t1, t2, t3, t4, t5, t6, t7 = self.t
        h = 0
        for m in words:
            a = h ^ m
            h = (t0[a & 255] ^ t1[(a >> 8) & 255] ^ t2[(a >> 16) & 255] ^ t3[(a >> 24) & 255]
                 ^ t4[(a >> 32) & 255] ^ t5[(a >> 40) & 255] ^ t6[(a >> 48) & 255] ^ t7[a >> 56])
        return self.mul(h ^ bit_length)

    def bytes(self, data):
        """H_k over bytes: little-endian 64-bit blocks, the last zero-padded, then 8·len."""
        if len(data) > 1 << 16:
            return self.mul(self._lanes(data) ^ (8 * len(data)))
        return self.words(_words_le(data), 8 * len(data))

    def _lanes(self, data):
        """Horner's h after the last block, for a long message, B blocks at a time.

        With the message front-padded by zero blocks to S·B blocks (which leaves h unchanged),
        lane r (blocks r, r + B, r + 2B, ...) is a Horner chain of its own with multiplier
        K = k^B (without the last multiplication), and h = Σ_r h_r·k^(B−r) is one more Horner
        chain over the lanes with k.
        All lanes step at once: multiplying every lane by K is GF(2)-linear byte by byte, so
        output byte j of every lane is the XOR over input bytes i of a 256-entry byte table
        T_ij applied (bytes.translate) to input byte i of every lane.
        """
        nblocks = (len(data) + 7) // 8
        b = self.LANES
        steps = (nblocks + b - 1) // b
        padded = bytes(8 * (steps * b - nblocks)) + bytes(data) + bytes(-len(data) % 8)
        if self.lane_tables is None:
            kb = self.k
            for _ in range(b - 1):
                kb = self.mul(kb)  # k^B
            big = PolyHash(kb).t
            self.lane_tables = [[bytes((big[i][v] >> (8 * j)) & 255 for v in range(256)) for j in range(8)]
                                for i in range(8)]
        tr = self.lane_tables
        width = 8 * b
        state = 0
        for s in range(steps):
            chunk = int.from_bytes(padded[s * width:(s + 1) * width], "little") ^ state
            if s == steps - 1:
                state = chunk
                break
            raw = chunk.to_bytes(width, "little")
            cols = [raw[i::8] for i in range(8)]
            out = bytearray(width)
            for j in range(8):
                acc = 0
                for i in range(8):
                    acc ^= int.from_bytes(cols[i].translate(tr[i][j]), "little")
                out[j::8] = acc.to_bytes(b, "little")
            state = int.from_bytes(out, "little")
        lanes = array("Q")
        lanes.frombytes(state.to_bytes(width, "little"))
        if sys.byteorder == "big":
            lanes.byteswap()
        # h = Σ_r lane_r·k^(B−r): Horner over the lanes.
        t0, t1, t2, t3, t4, t5, t6, t7 = self.t
        h = 0
        for lane in lanes:
            a = h ^ lane
            h = (t0[a & 255] ^ t1[(a >> 8) & 255] ^ t2[(a >> 16) & 255] ^ t3[(a >> 24) & 255]
                 ^ t4[(a >> 32) & 255] ^ t5[(a >> 40) & 255] ^ t6[(a >> 48) & 255] ^ t7[a >> 56])
        return h

    def bits(self, bits):
        """H_k over a key (unpacked bits): its packed bytes as words, then its bit count."""
        return self.words(_words_le(pack_bits(bits)), len(bits))


def verification_instances(n, eps_cor):
    """t: the smallest count of 64-bit hashes with ((L + 1)/2^64)^t <= eps_cor, L = ceil(n/64)."""
    per_hash = math.log2(((n + 63) // 64 + 1) * 2.0 ** -64)
    return max(1, math.ceil(math.log2(eps_cor) / per_hash))

# ---------------------------------------------------------------- privacy amplification


def toeplitz(x, seed, l):
    """y_i = XOR_j seed[i − j + n − 1]·x_j for i < l: the coefficients n − 1 … n + l − 2 of the
    product seed(z)·x(z) over GF(2). Computed as an integer product with every bit in a slot wide
    enough that no count carries into the next slot; a slot's low bit is then the GF(2) sum."""
    n = len(x)
    if not (1 <= l <= n) or len(seed) != n + l - 1:
        raise ValueError("Toeplitz: need 1 <= l <= n and an (n + l - 1)-bit seed")
    width = 2 if n < 1 << 16 else 4
    xs = bytearray(width * n)
    xs[0::width] = x
    ss = bytearray(width * len(seed))
    ss[0::width] = seed
    product = int.from_bytes(xs, "little") * int.from_bytes(ss, "little")
    raw = product.to_bytes(width * (2 * n + l), "little")
    return raw[width * (n - 1):width * (n - 1 + l):width].translate(_LOW_BIT)

# ---------------------------------------------------------------- finite key, entropy


def h2(p):
    if p <= 0 or p >= 1:
        return 0.0
    return -p * math.log2(p) - (1 - p) * math.log2(1 - p)


def finite_key_length(n, k, tolerated_qber, leak, eps_sec, eps_cor):
    """ℓ of docs/postprocessing.md, evaluated in exactly this order in binary64, floored, >= 0."""
    nn, kk = float(n), float(k)
    eps = eps_sec / 2
    mu = math.sqrt((nn + kk) / (nn * kk) * (kk + 1) / kk * math.log(1 / eps))
    phase = min(0.5, tolerated_qber + mu)
    correction = math.log2(2 / (eps_sec * eps_sec * eps_cor))
    exact = nn * (1 - h2(phase)) - leak - correction
    return math.floor(exact) if exact > 0 else 0

# ---------------------------------------------------------------- fingerprints


def fingerprint64(bits):
    """KEY_CONFIRMATION's fingerprint: the first 8 bytes (as a big-endian u64) of
    SHA-256("qkdspec key fingerprint v1" || bit count as u64 big-endian || packed key bytes)."""
    d = hashlib.sha256(b"qkdspec key fingerprint v1" + len(bits).to_bytes(8, "big") + pack_bits(bits)).digest()
    return int.from_bytes(d[:8], "big")

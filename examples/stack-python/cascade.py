"""Cascade over qkdspec-wire/1 (docs/postprocessing.md, "Cascade"): Bob initiates, Alice answers.

Both sides see pass p's view of the frame through the session's shuffle order[p] (position ->
frame index). A query (pass, start, end) asks the parity of Alice's bits at frame indices
order[p][start:end].
"""
import math
from operator import itemgetter

import primitives as P

VARIANT_NAMES = {0: "original", 1: "yanetal", 2: "extended"}
PASSES = {0: 4, 1: 10, 2: 16}


def estimated_qber(errors, k):
    """The error rate both parties give Cascade: min(0.49, max(errors/k, 0.5/k, 10^-3))."""
    kk = float(max(1, k))
    return min(0.49, max(errors / kk, 0.5 / kk, 1e-3))


def block_size(variant, p, qber, n):
    """Pass p's top-level block size, in [1, n]."""
    q = max(qber, 1e-5)
    if variant == 0:
        size = int(math.ceil(0.73 / q)) << p
    else:
        k1 = int(math.ceil(0.80 / q))
        size = k1 if p == 0 else 5 * k1 if p == 1 else n // 2
    return min(max(1, size), max(1, n))


class ProtocolError(Exception):
    """A Cascade message that breaks the protocol (the session ends with ERROR 8)."""


class Permutations:
    """The session's shuffles for frames of n bits, drawn lazily per pass, with their inverses."""

    def __init__(self, n, seed):
        self.n, self.seed = n, seed
        self.order = {}
        self.inverse = {}

    def get(self, p):
        o = self.order.get(p)
        if o is None:
            o = self.order[p] = P.cascade_order(self.n, p, self.seed)
        return o

    def position(self, p):
        inv = self.inverse.get(p)
        if inv is None:
            o = self.get(p)
            inv = [0] * self.n
            for i, j in enumerate(o):
                inv[j] = i
            self.inverse[p] = inv
        return inv


class Responder:
    """Alice: answers parity queries about her key and counts every parity bit she discloses."""

    def __init__(self, key, variant, perms):
        self.key = bytes(key)
        self.n = len(self.key)
        self.passes = PASSES[variant]
        self.perms = perms
        self.copies = {}
        self.expected_round = 0
        self.disclosed = 0

    def answer(self, rnd, queries):
        if rnd != self.expected_round:
            raise ProtocolError("Cascade round %d arrived, round %d expected" % (rnd, self.expected_round))
        n = len(self.key)
        for p, s, e in queries:
            if p >= self.passes or not s < e <= n:
                raise ProtocolError("parity query for pass %d, bits %d..<%d is outside the %d-bit frame" % (p, s, e, n))
        out = bytearray(len(queries))
        copies = self.copies
        for i, (p, s, e) in enumerate(queries):
            c = copies.get(p)
            if c is None:
                c = copies[p] = bytes(itemgetter(*self.perms.get(p))(self.key)) if self.n > 1 else self.key
            out[i] = c.count(1, s, e) & 1
        self.disclosed += len(queries)
        self.expected_round += 1
        return out


class Initiator:
    """Bob: asks for parities, runs the binary searches, flips the bits they find and follows
    every flip into the blocks of the earlier passes it unbalances. Every flip stands on a range
    whose Alice parity is known and differs from Bob's, re-checked before each step, so running
    all searches at once never flips a correct bit."""

    def __init__(self, key, variant, qber, perms):
        self.key = bytearray(key)
        n = self.n = len(key)
        self.variant = variant
        self.passes = PASSES[variant]
        self.perms = perms
        self.sizes = [block_size(variant, p, qber, n) for p in range(self.passes)]
        self.blocks = [(n + k - 1) // k for k in self.sizes]
        self.alice_top = [None] * self.passes
        self.bob_top = [None] * self.passes
        self.view = [None] * self.passes   # Bob's key in pass p's order, once p is active
        self.active = 0                    # passes 0 .. active-1 are being searched
        self.known = {}                    # (pass, start, end) -> Alice's parity
        self.searches = []                 # [pass, block, start, end, alice parity]
        self.searching = set()             # (pass, block) with a search under way
        self.dirty = set()                 # (pass, block) whose Bob parity changed since the last look
        self.pending = []                  # queries of the request in flight, with their search
        self.round = 0
        self.disclosed = 0
        self.finished = False
        self.budget = 64 * n * self.passes + 100000

    def start(self):
        """Round 0: the top-level parities of every pass (the last block of passes 1.. is
        inferred from the key's parity, known once pass 0's blocks are in)."""
        queries = []
        for p in range(self.passes):
            k, nb = self.sizes[p], self.blocks[p]
            for b in range(nb if p == 0 else nb - 1):
                queries.append((p, b * k, min((b + 1) * k, self.n)))
        self.pending = [("top", q) for q in queries]
        return queries

    def receive(self, rnd, parities):
        """Alice's parities for the request in flight; returns the next queries, or None when
        the frame is reconciled."""
        if self.finished:
            raise ProtocolError("a Cascade reply after reconciliation finished")
        if rnd != self.round:
            raise ProtocolError("Cascade reply for round %d, round %d expected" % (rnd, self.round))
        if len(parities) != len(self.pending):
            raise ProtocolError("%d parities for %d queries" % (len(parities), len(self.pending)))
        self.disclosed += len(parities)
        self.round += 1
        if self.round == 1:
            self._take_top(parities)
        else:
            for (search, q), a in zip(self.pending, parities):
                self.known[q] = a
                self.searches.append(search)
        self.pending = []
        return self._advance()

    # ------------------------------------------------------------ internals

    def _take_top(self, parities):
        it = iter(parities)
        key_parity = 0
        for p in range(self.passes):
            nb = self.blocks[p]
            top = bytearray(nb)
            asked = nb if p == 0 else nb - 1
            for b in range(asked):
                top[b] = next(it)
            if p == 0:
                key_parity = top.count(1) & 1
            else:
                top[nb - 1] = (key_parity ^ top[:nb - 1].count(1)) & 1
            self.alice_top[p] = top

    def _activate(self, p):
        order = self.perms.get(p)
        view = bytearray(itemgetter(*order)(self.key)) if self.n > 1 else bytearray(self.key)
        self.view[p] = view
        k, n = self.sizes[p], self.n
        self.bob_top[p] = bytearray(view.count(1, b * k, min((b + 1) * k, n)) & 1 for b in range(self.blocks[p]))
        self.perms.position(p)
        self.active = p + 1
        a, b = self.alice_top[p], self.bob_top[p]
        if a != b:
            self.dirty.update((p, blk) for blk in range(self.blocks[p]) if a[blk] != b[blk])

    def _open_mismatched(self):
        """Starts a search on every block whose parities now differ (only blocks touched since
        the last look can have changed)."""
        dirty, self.dirty = self.dirty, set()
        for p, blk in dirty:
            if self.alice_top[p][blk] != self.bob_top[p][blk] and (p, blk) not in self.searching:
                k = self.sizes[p]
                self.searching.add((p, blk))
                self.searches.append([p, blk, blk * k, min((blk + 1) * k, self.n), self.alice_top[p][blk]])

    def _flip(self, j):
        self.key[j] ^= 1
        for q in range(self.active):
            i = self.perms.inverse[q][j]
            self.view[q][i] ^= 1
            blk = i // self.sizes[q]
            self.bob_top[q][blk] ^= 1
            self.dirty.add((q, blk))

    def _advance(self):
        """Runs every search as far as known parities allow; returns the next queries."""
        queries = []
        while True:
            work = self.searches
            self.searches = []
            for s in work:
                self._step(s, queries)
            self._open_mismatched()
            if self.searches:
                continue
            if queries:
                self.pending = queries
                return [q for _, q in queries]
            if self.active < self.passes:
                self._activate(self.active)
                self._open_mismatched()
                continue
            self.finished = True
            return None

    def _step(self, s, queries):
        p, blk, start, end, a = s
        view = self.view[p]
        while True:
            self.budget -= 1
            if self.budget < 0:
                raise ProtocolError("Cascade made no progress: the parities contradict each other")
            if view.count(1, start, end) & 1 == a:
                # Repaired by another flip meanwhile: nothing to correct here.
                self.searching.discard((p, blk))
                self.dirty.add((p, blk))
                return
            if end - start == 1:
                self.searching.discard((p, blk))
                self._flip(self.perms.order[p][start])
                return
            mid = start + (end - start) // 2
            left = self.known.get((p, start, mid))
            if left is None:
                s[2], s[3], s[4] = start, end, a
                queries.append((s, (p, start, mid)))
                return
            if view.count(1, start, mid) & 1 != left:
                end, a = mid, left
            else:
                start, a = mid, a ^ left

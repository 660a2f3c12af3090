// Carry-less (GF(2)[x]) multiplication kernels for Toeplitz hashing.
//
// The hot path is the middle product computed by transposed Karatsuba: for a square Toeplitz
// matrix T split into m×m blocks [[B, A], [C, B]], y0 = B·x0 + A·x1 and y1 = C·x0 + B·x1
// become, with P = B·(x0 + x1), y0 = P + (A + B)·x1 and y1 = P + (B + C)·x0: three
// half-size products instead of four, and sums of Toeplitz matrices are Toeplitz matrices of
// summed diagonals. Below a base size the product is schoolbook over 64×64-bit carry-less
// multiplies: PCLMULQDQ where the CPU has it, a portable 4-bit-window routine otherwise.

#include "carryless.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define QKD_X86 1
#else
#define QKD_X86 0
#endif

// Sizes at or below this many words go to the schoolbook base case. Tuned on the reference
// machine (docs/performance.md): small enough that Karatsuba's saving starts, large enough that
// the recursion's XOR passes do not dominate.
#define QKD_MP_BASE 16

// With 512-bit VPCLMULQDQ the base case is about four times cheaper per product, so the
// recursion stops earlier: at or below this many words (a multiple of 8). Tuned like QKD_MP_BASE.
#ifndef QKD_MP_BASE_VP
#define QKD_MP_BASE_VP 32
#endif

static int force_portable = 0;

void qkd_clmul_force_portable(int force) { force_portable = force; }

static int hardware_available(void) {
#if QKD_X86
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
    }
    return cached;
#else
    return 0;
#endif
}

int qkd_clmul_hardware(void) { return !force_portable && hardware_available(); }

// 512-bit carry-less multiply (VPCLMULQDQ with AVX-512F): 1 if the CPU has it.
static int wide_available(void) {
#if QKD_X86
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = hardware_available() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("vpclmulqdq");
    }
    return cached;
#else
    return 0;
#endif
}

static int force_narrow = 0;

void qkd_clmul_force_narrow(int force) { force_narrow = force; }

int qkd_clmul_level(void) {
    if (!qkd_clmul_hardware()) return 0;
    return (!force_narrow && wide_available()) ? 2 : 1;
}

// Portable 64×64 → 128 carry-less multiply: a 16-entry table of a·w (w < 16, up to 67 bits,
// kept as two words) and a 4-bit window over b.
static inline void clmul_portable(uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi) {
    uint64_t tlo[16], thi[16];
    tlo[0] = 0;
    thi[0] = 0;
    for (int w = 1; w < 16; w++) {
        uint64_t l = 0, h = 0;
        for (int bit = 0; bit < 4; bit++) {
            if ((w >> bit) & 1) {
                l ^= a << bit;
                h ^= bit ? a >> (64 - bit) : 0;
            }
        }
        tlo[w] = l;
        thi[w] = h;
    }
    uint64_t l = 0, h = 0;
    for (int i = 60; i >= 0; i -= 4) {
        h = (h << 4) | (l >> 60);
        l <<= 4;
        unsigned w = (unsigned)((b >> i) & 15);
        l ^= tlo[w];
        h ^= thi[w];
    }
    *lo = l;
    *hi = h;
}

// Schoolbook product, portable.
static void mul_basecase_portable(uint64_t *c, const uint64_t *a, size_t na, const uint64_t *b, size_t nb) {
    memset(c, 0, (na + nb) * sizeof(uint64_t));
    for (size_t i = 0; i < na; i++) {
        for (size_t j = 0; j < nb; j++) {
            uint64_t lo, hi;
            clmul_portable(a[i], b[j], &lo, &hi);
            c[i + j] ^= lo;
            c[i + j + 1] ^= hi;
        }
    }
}

#if QKD_X86
__attribute__((target("pclmul,sse4.1")))
static void mul_basecase_hw(uint64_t *c, const uint64_t *a, size_t na, const uint64_t *b, size_t nb) {
    memset(c, 0, (na + nb) * sizeof(uint64_t));
    for (size_t i = 0; i < na; i++) {
        __m128i ai = _mm_cvtsi64_si128((long long)a[i]);
        for (size_t j = 0; j < nb; j++) {
            __m128i p = _mm_clmulepi64_si128(ai, _mm_cvtsi64_si128((long long)b[j]), 0x00);
            c[i + j] ^= (uint64_t)_mm_cvtsi128_si64(p);
            c[i + j + 1] ^= (uint64_t)_mm_extract_epi64(p, 1);
        }
    }
}
#endif

void qkd_gf2x_mul_basecase(uint64_t *c, const uint64_t *a, size_t na, const uint64_t *b, size_t nb) {
#if QKD_X86
    if (qkd_clmul_hardware()) { mul_basecase_hw(c, a, na, b, nb); return; }
#endif
    mul_basecase_portable(c, a, na, b, nb);
}

// Middle product base case: words n .. 2n−1 of s (2n words) · x (n words).
// Word k of the product collects the low halves of s[a]·x[j] with a + j = k and the high halves
// with a + j = k − 1, so only pairs with a + j in [n − 1, 2n − 1] matter.
static void mp_basecase_portable(uint64_t *y, const uint64_t *s, const uint64_t *x, size_t n) {
    memset(y, 0, n * sizeof(uint64_t));
    for (size_t j = 0; j < n; j++) {
        size_t a_lo = n - 1 - j, a_hi = 2 * n - 1 - j;  // a + j in [n − 1, 2n − 1]
        for (size_t a = a_lo; a <= a_hi && a < 2 * n; a++) {
            uint64_t lo, hi;
            clmul_portable(s[a], x[j], &lo, &hi);
            size_t k = a + j;
            if (k >= n && k < 2 * n) y[k - n] ^= lo;
            if (k + 1 >= n && k + 1 < 2 * n) y[k + 1 - n] ^= hi;
        }
    }
}

#if QKD_X86
// acc(t) = Σ_j s[n − 1 − j + t]·x[j] for t in [0, n]: the 128-bit products landing at word
// n − 1 + t. Pairs of words are loaded as 128-bit vectors and the multiply's immediate picks the
// halves (0x01: high of s × low of x; 0x10: low of s × high of x), so no general-purpose to
// vector moves compete with the multiplier for its execution port.
__attribute__((target("pclmul,sse4.1")))
static void mp_basecase_hw(uint64_t *y, const uint64_t *s, const uint64_t *x, size_t n) {
    __m128i acc[QKD_MP_BASE + 1];
    for (size_t t = 0; t <= n; t++) {
        __m128i a0 = _mm_setzero_si128(), a1 = _mm_setzero_si128();
        size_t j = 0;
        for (; j + 1 < n; j += 2) {
            __m128i sp = _mm_loadu_si128((const __m128i *)(s + (n - 2 - j + t)));
            __m128i xp = _mm_loadu_si128((const __m128i *)(x + j));
            a0 = _mm_xor_si128(a0, _mm_clmulepi64_si128(sp, xp, 0x01));
            a1 = _mm_xor_si128(a1, _mm_clmulepi64_si128(sp, xp, 0x10));
        }
        if (j < n) {
            __m128i sv = _mm_loadl_epi64((const __m128i *)(s + (n - 1 - j + t)));
            __m128i xv = _mm_loadl_epi64((const __m128i *)(x + j));
            a0 = _mm_xor_si128(a0, _mm_clmulepi64_si128(sv, xv, 0x00));
        }
        acc[t] = _mm_xor_si128(a0, a1);
    }
    // Word n + i of the product = low half of acc(i + 1) ⊕ high half of acc(i).
    for (size_t i = 0; i < n; i++) {
        y[i] = (uint64_t)_mm_cvtsi128_si64(acc[i + 1]) ^ (uint64_t)_mm_extract_epi64(acc[i], 1);
    }
}
#endif

// The same middle product with 512-bit VPCLMULQDQ (AVX-512F + VPCLMULQDQ), for n a multiple of 8:
// for each word x[j] (broadcast), eight consecutive seed words s[k .. k+8) are one load, and the
// two immediates 0x00 / 0x11 multiply the even / odd lanes' words, giving acc(t) for eight
// consecutive t in two instructions (four products each). acc(n), the one t left over, comes
// from the 128-bit loop. The sums are the same as mp_basecase_hw's: only the order of the
// XORs differs, which does not change a sum over GF(2).
#if QKD_X86
__attribute__((target("pclmul,sse4.1,avx512f,vpclmulqdq")))
static void mp_basecase_vp(uint64_t *y, const uint64_t *s, const uint64_t *x, size_t n) {
    __m512i ev[QKD_MP_BASE_VP / 8], od[QKD_MP_BASE_VP / 8];
    size_t blocks = n / 8;
    for (size_t b = 0; b < blocks; b++) { ev[b] = _mm512_setzero_si512(); od[b] = _mm512_setzero_si512(); }
    for (size_t j = 0; j < n; j++) {
        __m512i xb = _mm512_set1_epi64((long long)x[j]);
        const uint64_t *base = s + (n - 1 - j);
        for (size_t b = 0; b < blocks; b++) {
            __m512i sv = _mm512_loadu_si512((const void *)(base + 8 * b));
            ev[b] = _mm512_xor_si512(ev[b], _mm512_clmulepi64_epi128(sv, xb, 0x00));
            od[b] = _mm512_xor_si512(od[b], _mm512_clmulepi64_epi128(sv, xb, 0x01));
        }
    }
    // acc(n) = Σ_j s[2n − 1 − j]·x[j], two words at a time as in mp_basecase_hw.
    __m128i a0 = _mm_setzero_si128(), a1 = _mm_setzero_si128();
    for (size_t j = 0; j < n; j += 2) {
        __m128i sp = _mm_loadu_si128((const __m128i *)(s + (2 * n - 2 - j)));
        __m128i xp = _mm_loadu_si128((const __m128i *)(x + j));
        a0 = _mm_xor_si128(a0, _mm_clmulepi64_si128(sp, xp, 0x01));
        a1 = _mm_xor_si128(a1, _mm_clmulepi64_si128(sp, xp, 0x10));
    }
    uint64_t acc[2 * QKD_MP_BASE_VP + 2];  // acc(t) as (low, high) word pairs
    for (size_t b = 0; b < blocks; b++) {
        uint64_t e[8], o[8];
        _mm512_storeu_si512((void *)e, ev[b]);
        _mm512_storeu_si512((void *)o, od[b]);
        for (size_t l = 0; l < 4; l++) {
            acc[2 * (8 * b + 2 * l)] = e[2 * l];
            acc[2 * (8 * b + 2 * l) + 1] = e[2 * l + 1];
            acc[2 * (8 * b + 2 * l + 1)] = o[2 * l];
            acc[2 * (8 * b + 2 * l + 1) + 1] = o[2 * l + 1];
        }
    }
    __m128i an = _mm_xor_si128(a0, a1);
    acc[2 * n] = (uint64_t)_mm_cvtsi128_si64(an);
    acc[2 * n + 1] = (uint64_t)_mm_extract_epi64(an, 1);
    for (size_t i = 0; i < n; i++) y[i] = acc[2 * (i + 1)] ^ acc[2 * i + 1];
}
#endif

size_t qkd_gf2x_mp_size(size_t n) {
    if (n <= QKD_MP_BASE) return n == 0 ? 1 : n;
    // n = b · 2^L with b ≤ QKD_MP_BASE: the smallest such size ≥ n.
    size_t levels = 0, b = n;
    while (b > QKD_MP_BASE) { b = (b + 1) / 2; levels++; }
    return b << levels;
}

size_t qkd_gf2x_middle_product_scratch(size_t n) { return 4 * n + 64; }

static inline void xor_words(uint64_t *dst, const uint64_t *a, const uint64_t *b, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = a[i] ^ b[i];
}

static inline void xor_into(uint64_t *dst, const uint64_t *a, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] ^= a[i];
}

static void mp_recursive(uint64_t *y, const uint64_t *s, const uint64_t *x, size_t n, uint64_t *scratch, int level) {
#if QKD_X86
    if (level == 2 && n <= QKD_MP_BASE_VP && n % 8 == 0) { mp_basecase_vp(y, s, x, n); return; }
#endif
    if (n <= QKD_MP_BASE || (n & 1)) {
        // Sizes from qkd_gf2x_mp_size are only odd at or below the base size; any other odd size
        // still gets a correct (quadratic) answer.
#if QKD_X86
        if (level >= 1 && n <= QKD_MP_BASE) { mp_basecase_hw(y, s, x, n); return; }
#endif
        mp_basecase_portable(y, s, x, n);
        return;
    }
    size_t m = n / 2;
    uint64_t *xsum = scratch;          // m words
    uint64_t *p = scratch + m;         // m words
    uint64_t *ssum = scratch + 2 * m;  // 2m words
    uint64_t *rest = scratch + 4 * m;  // the recursion's own scratch
    // P = B·(x0 + x1), B = Toeplitz(s[m .. 3m)).
    xor_words(xsum, x, x + m, m);
    mp_recursive(p, s + m, xsum, m, rest, level);
    // y0 = P + (A + B)·x1, A = Toeplitz(s[0 .. 2m)).
    xor_words(ssum, s, s + m, 2 * m);
    mp_recursive(y, ssum, x + m, m, rest, level);
    xor_into(y, p, m);
    // y1 = P + (B + C)·x0, C = Toeplitz(s[2m .. 4m)).
    xor_words(ssum, s + m, s + 2 * m, 2 * m);
    mp_recursive(y + m, ssum, x, m, rest, level);
    xor_into(y + m, p, m);
}

void qkd_gf2x_middle_product(uint64_t *y, const uint64_t *s, const uint64_t *x, size_t n, uint64_t *scratch) {
    mp_recursive(y, s, x, n, scratch, qkd_clmul_level());
}

void qkd_gf2x_middle_product_at(uint64_t *y, const uint64_t *s, const uint64_t *x, size_t n, uint64_t *scratch, int level) {
    int available = wide_available() ? 2 : (hardware_available() ? 1 : 0);
    mp_recursive(y, s, x, n, scratch, level < 0 ? 0 : (level > available ? available : level));
}

// GF(2^64) with the pentanomial x^64 + x^4 + x^3 + x + 1 (low part 0x1B): the 128-bit product
// hi·x^64 + lo reduces as lo ⊕ hi·0x1B, and the ≤ 4 bits that spill over once more as ⊕ spill·0x1B.
static uint64_t gf64_mul_portable(uint64_t a, uint64_t b) {
    uint64_t lo, hi;
    clmul_portable(a, b, &lo, &hi);
    uint64_t l2, h2;
    clmul_portable(hi, 0x1B, &l2, &h2);
    uint64_t l3, h3;
    clmul_portable(h2, 0x1B, &l3, &h3);
    return lo ^ l2 ^ l3;
}

#if QKD_X86
__attribute__((target("pclmul,sse4.1")))
static inline uint64_t gf64_reduce_hw(__m128i p, __m128i poly) {
    __m128i t = _mm_clmulepi64_si128(p, poly, 0x01);   // hi · 0x1B
    __m128i u = _mm_clmulepi64_si128(t, poly, 0x01);   // spill · 0x1B
    return (uint64_t)_mm_cvtsi128_si64(p) ^ (uint64_t)_mm_cvtsi128_si64(t) ^ (uint64_t)_mm_cvtsi128_si64(u);
}

__attribute__((target("pclmul,sse4.1")))
static inline uint64_t gf64_mul_hw(uint64_t a, uint64_t b, __m128i poly) {
    return gf64_reduce_hw(_mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)a), _mm_cvtsi64_si128((long long)b), 0x00), poly);
}

/* Horner's rule h <- (h ^ m_i) * key, four words per step: four steps of the rule are
 * h' = (h ^ m0) k^4 ^ m1 k^3 ^ m2 k^2 ^ m3 k, and reduction is linear, so the four carry-less
 * products are independent (they pipeline) and are summed unreduced, then reduced once. The
 * result is the serial rule's, bit for bit; only the dependency chain is four times shorter. */
__attribute__((target("pclmul,sse4.1")))
static uint64_t gf64_horner_hw(const uint64_t *m, size_t n, uint64_t key, uint64_t h) {
    const __m128i poly = _mm_set_epi64x(0, 0x1B);
    const __m128i k = _mm_cvtsi64_si128((long long)key);
    size_t i = 0;
    if (n >= 16) {
        const uint64_t key2 = gf64_mul_hw(key, key, poly), key3 = gf64_mul_hw(key2, key, poly);
        const uint64_t key4 = gf64_mul_hw(key3, key, poly);
        const __m128i k2 = _mm_cvtsi64_si128((long long)key2), k3 = _mm_cvtsi64_si128((long long)key3);
        const __m128i k4 = _mm_cvtsi64_si128((long long)key4);
        for (; i + 4 <= n; i += 4) {
            __m128i a = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)(h ^ m[i])), k4, 0x00);
            __m128i b = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)m[i + 1]), k3, 0x00);
            __m128i c = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)m[i + 2]), k2, 0x00);
            __m128i d = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)m[i + 3]), k, 0x00);
            h = gf64_reduce_hw(_mm_xor_si128(_mm_xor_si128(a, b), _mm_xor_si128(c, d)), poly);
        }
    }
    for (; i < n; i++) {
        __m128i p = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)(h ^ m[i])), k, 0x00);
        h = gf64_reduce_hw(p, poly);
    }
    return h;
}
#endif

uint64_t qkd_gf64_mul(uint64_t a, uint64_t b) {
#if QKD_X86
    if (qkd_clmul_hardware()) {
        uint64_t one = 0;
        return gf64_horner_hw(&one, 1, b, a);
    }
#endif
    return gf64_mul_portable(a, b);
}

uint64_t qkd_gf64_horner(const uint64_t *m, size_t n, uint64_t key, uint64_t h) {
#if QKD_X86
    if (qkd_clmul_hardware()) return gf64_horner_hw(m, n, key, h);
#endif
    for (size_t i = 0; i < n; i++) h = gf64_mul_portable(h ^ m[i], key);
    return h;
}

uint64_t qkd_gf64_horner_le_bytes(const uint8_t *bytes, size_t n, uint64_t key, uint64_t h) {
    /* Words are gathered into a small buffer (memcpy: any alignment, no allocation) and fed to
       the Horner loop a chunk at a time; the chunk boundary does not change the result. */
    uint64_t chunk[256];
    while (n > 0) {
        size_t m = n < 256 ? n : 256;
        memcpy(chunk, bytes, m * 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        for (size_t i = 0; i < m; i++) chunk[i] = __builtin_bswap64(chunk[i]);
#endif
        h = qkd_gf64_horner(chunk, m, key, h);
        bytes += m * 8;
        n -= m;
    }
    return h;
}

// Permuted copies of a bit string, for Cascade: bit i of the copy is bit order[i] of the key.
//
// Each output bit is gathered rather than each one bit scattered: with AVX2 or AVX-512 one
// gather fetches the 32-bit words holding 8 or 16 output bits, a variable shift brings each bit
// to the top of its lane, and the lanes' sign bits are the next 8 or 16 bits of the copy. No
// scratch row of byte flags is written and packed, and no bit is read-modify-written.

#include "bitpermutation.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define QKD_X86 1
#else
#define QKD_X86 0
#endif

static int forced_level = -1;

void qkd_permute_force_level(int level) { forced_level = level; }

static int detected_level(void) {
#if QKD_X86
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f")) {
            cached = 2;
        } else if (__builtin_cpu_supports("avx2")) {
            cached = 1;
        } else {
            cached = 0;
        }
    }
    return cached;
#else
    return 0;
#endif
}

int qkd_permute_level(void) {
    int level = detected_level();
    return (forced_level >= 0 && forced_level < level) ? forced_level : level;
}

// Bits [first, n) of the copy into word first / 64 (first a multiple of 64).
static void permute_tail(uint64_t *dst, const uint64_t *src, const int32_t *order, size_t first, size_t n) {
    for (size_t w = first; w < n; w += 64) {
        size_t end = n - w < 64 ? n - w : 64;
        uint64_t out = 0;
        for (size_t b = 0; b < end; b++) {
            uint32_t j = (uint32_t)order[w + b];
            out |= ((src[j >> 6] >> (j & 63)) & 1) << b;
        }
        dst[w >> 6] = out;
    }
}

// Bits [first, n) of the copy, 16-bit order.
static void permute_tail16(uint64_t *dst, const uint64_t *src, const uint16_t *order, size_t first, size_t n) {
    for (size_t w = first; w < n; w += 64) {
        size_t end = n - w < 64 ? n - w : 64;
        uint64_t out = 0;
        for (size_t b = 0; b < end; b++) {
            uint32_t j = order[w + b];
            out |= ((src[j >> 6] >> (j & 63)) & 1) << b;
        }
        dst[w >> 6] = out;
    }
}

#if QKD_X86
// The copy's bits for 8 order entries `j` (one per 32-bit lane): each lane gathers the 32-bit
// word holding bit j, a variable shift brings bit j & 31 to the top, and the lanes' sign bits
// are the 8 bits. Shared by the 32- and 16-bit order kernels, which differ only in how they
// load `j`.
__attribute__((target("avx2")))
static inline uint64_t gather8_avx2(const int *words, __m256i j) {
    const __m256i low5 = _mm256_set1_epi32(31);
    __m256i v = _mm256_i32gather_epi32(words, _mm256_srli_epi32(j, 5), 4);
    // Bit j & 31 to bit 31: shift left by 31 − (j & 31).
    __m256i top = _mm256_sllv_epi32(v, _mm256_andnot_si256(j, low5));
    return (uint64_t)(uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(top));
}

// The same for 16 order entries with AVX-512: bit j & 31 shifted to bit 0 and tested.
__attribute__((target("avx512f")))
static inline uint64_t gather16_avx512(const int *words, __m512i j) {
    __m512i v = _mm512_i32gather_epi32(_mm512_srli_epi32(j, 5), words, 4);
    return _mm512_test_epi32_mask(_mm512_srlv_epi32(v, _mm512_and_si512(j, _mm512_set1_epi32(31))), _mm512_set1_epi32(1));
}

// The string read as 32-bit words (little-endian): word j >> 5 holds bit j at j & 31.
__attribute__((target("avx2")))
static size_t permute_avx2(uint64_t *dst, const uint64_t *src, const int32_t *order, size_t n) {
    const int *words = (const int *)src;
    size_t w = 0;
    for (; w + 64 <= n; w += 64) {
        uint64_t out = 0;
        for (int k = 0; k < 8; k++) {
            out |= gather8_avx2(words, _mm256_loadu_si256((const __m256i *)(order + w + 8 * k))) << (8 * k);
        }
        dst[w >> 6] = out;
    }
    return w;
}

__attribute__((target("avx512f")))
static size_t permute_avx512(uint64_t *dst, const uint64_t *src, const int32_t *order, size_t n) {
    const int *words = (const int *)src;
    size_t w = 0;
    for (; w + 64 <= n; w += 64) {
        // Four independent gathers a word: their latencies overlap.
        uint64_t m0 = gather16_avx512(words, _mm512_loadu_si512((const void *)(order + w)));
        uint64_t m1 = gather16_avx512(words, _mm512_loadu_si512((const void *)(order + w + 16)));
        uint64_t m2 = gather16_avx512(words, _mm512_loadu_si512((const void *)(order + w + 32)));
        uint64_t m3 = gather16_avx512(words, _mm512_loadu_si512((const void *)(order + w + 48)));
        dst[w >> 6] = m0 | m1 << 16 | m2 << 32 | m3 << 48;
    }
    return w;
}

__attribute__((target("avx2")))
static size_t permute16_avx2(uint64_t *dst, const uint64_t *src, const uint16_t *order, size_t n) {
    const int *words = (const int *)src;
    size_t w = 0;
    for (; w + 64 <= n; w += 64) {
        uint64_t out = 0;
        for (int k = 0; k < 8; k++) {
            out |= gather8_avx2(words, _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(order + w + 8 * k)))) << (8 * k);
        }
        dst[w >> 6] = out;
    }
    return w;
}

__attribute__((target("avx512f")))
static size_t permute16_avx512(uint64_t *dst, const uint64_t *src, const uint16_t *order, size_t n) {
    const int *words = (const int *)src;
    size_t w = 0;
    for (; w + 64 <= n; w += 64) {
        uint64_t m0 = gather16_avx512(words, _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(order + w))));
        uint64_t m1 = gather16_avx512(words, _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(order + w + 16))));
        uint64_t m2 = gather16_avx512(words, _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(order + w + 32))));
        uint64_t m3 = gather16_avx512(words, _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(order + w + 48))));
        dst[w >> 6] = m0 | m1 << 16 | m2 << 32 | m3 << 48;
    }
    return w;
}
#endif

// `level`, but no higher than the CPU runs.
static int usable_level(int level) {
    int available = detected_level();
    return level > available ? available : level;
}

void qkd_permute_bits16_at(uint64_t *dst, const uint64_t *src, const uint16_t *order, size_t n, int level) {
    level = usable_level(level);
    size_t done = 0;
#if QKD_X86
    if (level >= 2) {
        done = permute16_avx512(dst, src, order, n);
    } else if (level == 1) {
        done = permute16_avx2(dst, src, order, n);
    }
#else
    (void)level;
#endif
    permute_tail16(dst, src, order, done, n);
}

void qkd_permute_bits16(uint64_t *dst, const uint64_t *src, const uint16_t *order, size_t n) {
    qkd_permute_bits16_at(dst, src, order, n, qkd_permute_level());
}

void qkd_permute_bits_at(uint64_t *dst, const uint64_t *src, const int32_t *order, size_t n, int level) {
    level = usable_level(level);
    size_t done = 0;
#if QKD_X86
    if (level >= 2) {
        done = permute_avx512(dst, src, order, n);
    } else if (level == 1) {
        done = permute_avx2(dst, src, order, n);
    }
#else
    (void)level;
#endif
    permute_tail(dst, src, order, done, n);
}

void qkd_permute_bits(uint64_t *dst, const uint64_t *src, const int32_t *order, size_t n) {
    qkd_permute_bits_at(dst, src, order, n, qkd_permute_level());
}

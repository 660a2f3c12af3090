#ifndef QKDSPEC_BITPERMUTATION_H
#define QKDSPEC_BITPERMUTATION_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Bit strings are arrays of 64-bit words, least significant bit first: bit i is bit (i mod 64)
/// of word i / 64.

/// The kernel in use: 0 portable, 1 AVX2 (8-lane gathers), 2 AVX-512 (16-lane gathers).
int qkd_permute_level(void);

/// Caps the kernel at `level` (tests and benchmarks compare the paths); -1 restores detection.
void qkd_permute_force_level(int level);

/// The permuted copy of an n-bit string: bit i of `dst` is bit order[i] of `src`, for i in
/// [0, n). Writes all (n + 63) / 64 words of `dst`, the bits past n zero. Every order[i] must
/// lie in [0, n); `src` holds (n + 63) / 64 words.
void qkd_permute_bits(uint64_t *dst, const uint64_t *src, const int32_t *order, size_t n);

/// qkd_permute_bits with a chosen kernel (0 portable, 1 AVX2, 2 AVX-512), lowered to what the
/// CPU has; the result is the same at every level.
void qkd_permute_bits_at(uint64_t *dst, const uint64_t *src, const int32_t *order, size_t n, int level);

/// qkd_permute_bits with the order as 16-bit entries (frames of at most 2^16 bits): half the
/// table to read.
void qkd_permute_bits16(uint64_t *dst, const uint64_t *src, const uint16_t *order, size_t n);

/// qkd_permute_bits16 with a chosen kernel, as qkd_permute_bits_at.
void qkd_permute_bits16_at(uint64_t *dst, const uint64_t *src, const uint16_t *order, size_t n, int level);

#ifdef __cplusplus
}
#endif

#endif

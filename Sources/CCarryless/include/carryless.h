#ifndef QKDSPEC_CARRYLESS_H
#define QKDSPEC_CARRYLESS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Polynomials over GF(2) are arrays of 64-bit words, least significant word first; bit b of
/// word w is the coefficient of x^(64·w + b).

/// 1 if the carry-less multiply instruction (PCLMULQDQ) is used, 0 for the portable code.
int qkd_clmul_hardware(void);

/// Forces the portable code (for tests that compare the two paths); pass 0 to restore detection.
void qkd_clmul_force_portable(int force);

/// The carry-less multiply in use: 0 portable, 1 PCLMULQDQ (128-bit), 2 VPCLMULQDQ (512-bit).
int qkd_clmul_level(void);

/// Forces the 128-bit instruction even where the 512-bit one exists (tests, benchmarks); 0 restores.
void qkd_clmul_force_narrow(int force);

/// c[0 .. na+nb) = a[0 .. na) · b[0 .. nb) over GF(2). Schoolbook; for tests and small sizes.
void qkd_gf2x_mul_basecase(uint64_t *c, const uint64_t *a, size_t na, const uint64_t *b, size_t nb);

/// Scratch words qkd_gf2x_middle_product needs for size n.
size_t qkd_gf2x_middle_product_scratch(size_t n);

/// Middle product over GF(2): for i in [0, 64·n),
///     y_i = XOR over j in [0, 64·n) of s_(i − j + 64·n) · x_j,
/// that is, words n .. 2n−1 of the product s·x, where s has 2n words and x has n words.
/// This is a square Toeplitz matrix-vector product with T_(i,j) = s_(i−j+64n).
/// Computed by transposed Karatsuba (Hanrot, Quercia, Zimmermann 2004) over a carry-less
/// multiply base case; n must be a multiple of 2^k times a base size (see qkd_gf2x_mp_size).
/// `scratch` must hold qkd_gf2x_middle_product_scratch(n) words.
void qkd_gf2x_middle_product(uint64_t *y, const uint64_t *s, const uint64_t *x, size_t n, uint64_t *scratch);

/// qkd_gf2x_middle_product with a chosen kernel (0 portable, 1 PCLMULQDQ, 2 VPCLMULQDQ), lowered
/// to what the CPU has; the result is the same for every level (tests compare them).
void qkd_gf2x_middle_product_at(uint64_t *y, const uint64_t *s, const uint64_t *x, size_t n, uint64_t *scratch, int level);

/// The smallest size ≥ n (in words) that qkd_gf2x_middle_product accepts.
size_t qkd_gf2x_mp_size(size_t n);

/// Multiplication in GF(2^64) = GF(2)[x] / (x^64 + x^4 + x^3 + x + 1).
uint64_t qkd_gf64_mul(uint64_t a, uint64_t b);

/// qkd_gf64_horner over n 64-bit words read little-endian from `bytes` (any alignment): the
/// message need not be copied into a word array first.
uint64_t qkd_gf64_horner_le_bytes(const uint8_t *bytes, size_t n, uint64_t key, uint64_t h);

/// Horner's rule over GF(2^64): h ← (h ⊕ m[i]) · key for i = 0 ..< n, starting from `h`.
uint64_t qkd_gf64_horner(const uint64_t *m, size_t n, uint64_t key, uint64_t h);

#ifdef __cplusplus
}
#endif

#endif

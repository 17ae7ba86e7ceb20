// Montgomery multiplication and squaring for 2048-, 3072- and 4096-bit
// moduli (FFDHE), with 64x64->128 products.
//
// Why C and not Swift: the products are mulx (BMI2), which Swift can only
// emit if the whole module is compiled for BMI2; here one attribute per
// function selects it. The multiply-accumulate step is four instructions
// of inline assembly (mulx, add, adc, adc): neither Swift nor clang's C
// produce that sequence from 128-bit arithmetic, they save and reload the
// carry (setb/movzx), which made the kernel a third slower. No adcx/adox
// (ADX): valgrind 3.19 cannot run them, so the constant-time checker could
// not check such a kernel.
//
// Both operations work in product-scanning order (Koc, Acar and Kaliski,
// "Analyzing and comparing Montgomery multiplication algorithms", 1996:
// "finely integrated product scanning"): column k of the result sums its
// products in a three-word accumulator, so each product costs one mulx and
// three additions with no carry saved in between, and the products of a
// column are spread over two accumulators whose carry chains overlap. The
// squaring computes each cross product once and adds it twice, then
// reduces: 1.5 n^2 products instead of 2 n^2.
//
// Constant time: loops run over the limb count only, no branch or address
// depends on the values, and the final subtraction of p is kept or
// dropped with a mask (keygate-ct-check runs this code under memcheck).
#include "ckg_montgomery_bmi2.h"

#if defined(__x86_64__)

#define CKG_BMI2 __attribute__((target("bmi2")))

typedef unsigned __int128 u128;

/// t (n limbs plus a top bit t_top) is below 2p: writes t mod p to r.
static inline __attribute__((always_inline)) void
subtract_if_not_below(uint64_t *r, const uint64_t *t, uint64_t t_top, const uint64_t *p, size_t n) {
    uint64_t difference[64];
    uint64_t borrow = 0;
    for (size_t j = 0; j < n; j++) {
        u128 d = (u128)t[j] - p[j] - borrow;
        difference[j] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    // Keep t when t - p borrowed and t_top cannot absorb the borrow.
    uint64_t keep = 0 - (borrow & (t_top ^ 1));
    // A barrier so the compiler cannot turn the mask back into a branch.
    __asm__("" : "+r"(keep));
    for (size_t j = 0; j < n; j++) {
        r[j] = (t[j] & keep) | (difference[j] & ~keep);
    }
}

/// A column sum of up to 2n 128-bit products: three words, c0 lowest.
typedef struct {
    uint64_t c0, c1, c2;
} accumulator;

/// acc += x * *y: mulx, then one add and two adds with carry. Written as
/// assembly because clang turns the same sum in C into setb/movzx pairs
/// that lengthen the carry chain and cost a third more instructions.
static inline __attribute__((always_inline)) CKG_BMI2 void
accumulate(accumulator *acc, uint64_t x, const uint64_t *y) {
    uint64_t low, high;
    __asm__("mulx %[y], %[low], %[high]\n\t"
            "add %[low], %[c0]\n\t"
            "adc %[high], %[c1]\n\t"
            "adc $0, %[c2]"
            : [low] "=&r"(low), [high] "=&r"(high), [c0] "+r"(acc->c0), [c1] "+r"(acc->c1), [c2] "+r"(acc->c2)
            : "d"(x), [y] "m"(*y)
            : "cc");
}

/// Drops the low word, which the caller has stored or which is zero.
static inline __attribute__((always_inline)) void shift_out(accumulator *acc) {
    acc->c0 = acc->c1;
    acc->c1 = acc->c2;
    acc->c2 = 0;
}

/// acc += x.
static inline __attribute__((always_inline)) void add_accumulated(accumulator *acc, accumulator x) {
    unsigned long long carry;
    acc->c0 = __builtin_addcll(acc->c0, x.c0, 0, &carry);
    acc->c1 = __builtin_addcll(acc->c1, x.c1, carry, &carry);
    acc->c2 = acc->c2 + x.c2 + carry;
}

/// Montgomery multiplication in product-scanning order ("finely integrated
/// product scanning", Koc, Acar and Kaliski 1996): column k of the result
/// collects every a[i] * b[k - i] and m[i] * p[k - i] in a three-word
/// accumulator, and the reduction factor m[k] is chosen to clear the
/// column's low word. The products m[i] * p[k - i] go to a second
/// accumulator, added in at the end of the column, so that two carry
/// chains run side by side (measured a fifth faster than one).
static inline __attribute__((always_inline)) CKG_BMI2 void
multiply(uint64_t *r, const uint64_t *a, const uint64_t *b, const uint64_t *p, uint64_t k0, size_t n) {
    uint64_t m[64], t[64];
    accumulator acc = {0, 0, 0};
    for (size_t k = 0; k < n; k++) {
        accumulator reduction = {0, 0, 0};
        for (size_t i = 0; i < k; i++) {
            accumulate(&acc, a[i], &b[k - i]);
            accumulate(&reduction, m[i], &p[k - i]);
        }
        add_accumulated(&acc, reduction);
        accumulate(&acc, a[k], &b[0]);
        m[k] = acc.c0 * k0;
        accumulate(&acc, m[k], &p[0]);
        shift_out(&acc);
    }
    for (size_t k = n; k < 2 * n - 1; k++) {
        accumulator reduction = {0, 0, 0};
        for (size_t i = k - n + 1; i < n; i++) {
            accumulate(&acc, a[i], &b[k - i]);
            accumulate(&reduction, m[i], &p[k - i]);
        }
        add_accumulated(&acc, reduction);
        t[k - n] = acc.c0;
        shift_out(&acc);
    }
    t[n - 1] = acc.c0;
    subtract_if_not_below(r, t, acc.c1, p, n);
}

/// acc += 2 * x.
static inline __attribute__((always_inline)) void add_doubled(accumulator *acc, accumulator x) {
    unsigned long long carry;
    acc->c0 = __builtin_addcll(acc->c0, x.c0 << 1, 0, &carry);
    acc->c1 = __builtin_addcll(acc->c1, x.c1 << 1 | x.c0 >> 63, carry, &carry);
    acc->c2 = acc->c2 + (x.c2 << 1 | x.c1 >> 63) + carry;
}

/// Adds the terms m[i] * p[k - i], low <= i < high, to acc, alternating
/// between acc and a second accumulator so that two carry chains overlap.
static inline __attribute__((always_inline)) CKG_BMI2 void
accumulate_pairs(accumulator *acc, const uint64_t *m, const uint64_t *p, size_t k, size_t low, size_t high) {
    accumulator other = {0, 0, 0};
    size_t i = low;
    for (; i + 1 < high; i += 2) {
        accumulate(acc, m[i], &p[k - i]);
        accumulate(&other, m[i + 1], &p[k - i - 1]);
    }
    if (i < high) {
        accumulate(acc, m[i], &p[k - i]);
    }
    add_accumulated(acc, other);
}

/// Montgomery squaring: the 2n-limb square first, in product-scanning
/// order with each cross product a[i] * a[k - i] (i < k - i) summed once
/// and added twice, and the square of a[k / 2] once when k is even; then
/// its Montgomery reduction, column by column as in `multiply`. About
/// 1.5 n^2 products instead of 2 n^2.
static inline __attribute__((always_inline)) CKG_BMI2 void
square(uint64_t *r, const uint64_t *a, const uint64_t *p, uint64_t k0, size_t n) {
    uint64_t s[128], m[64], t[64];
    accumulator acc = {0, 0, 0};
    for (size_t k = 0; k < 2 * n - 1; k++) {
        const size_t low = k < n ? 0 : k - n + 1;
        accumulator cross = {0, 0, 0};
        accumulate_pairs(&cross, a, a, k, low, (k + 1) / 2);
        add_doubled(&acc, cross);
        if ((k & 1) == 0) {
            accumulate(&acc, a[k / 2], &a[k / 2]);
        }
        s[k] = acc.c0;
        shift_out(&acc);
    }
    s[2 * n - 1] = acc.c0;

    acc = (accumulator){0, 0, 0};
    for (size_t k = 0; k < 2 * n - 1; k++) {
        unsigned long long carry;
        acc.c0 = __builtin_addcll(acc.c0, s[k], 0, &carry);
        acc.c1 = __builtin_addcll(acc.c1, 0, carry, &carry);
        acc.c2 += carry;
        if (k < n) {
            accumulate_pairs(&acc, m, p, k, 0, k);
            m[k] = acc.c0 * k0;
            accumulate(&acc, m[k], &p[0]);
        } else {
            accumulate_pairs(&acc, m, p, k, k - n + 1, n);
            t[k - n] = acc.c0;
        }
        shift_out(&acc);
    }
    unsigned long long carry;
    t[n - 1] = __builtin_addcll(acc.c0, s[2 * n - 1], 0, &carry);
    subtract_if_not_below(r, t, acc.c1 + carry, p, n);
}

CKG_BMI2 void ckg_montgomery_multiply_bmi2(uint64_t *r, const uint64_t *a, const uint64_t *b,
                                           const uint64_t *p, uint64_t k0, size_t n) {
    switch (n) {
    case 32: multiply(r, a, b, p, k0, 32); break;
    case 48: multiply(r, a, b, p, k0, 48); break;
    case 64: multiply(r, a, b, p, k0, 64); break;
    default: __builtin_trap();
    }
}

CKG_BMI2 void ckg_montgomery_square_bmi2(uint64_t *r, const uint64_t *a, const uint64_t *p, uint64_t k0, size_t n) {
    switch (n) {
    case 32: square(r, a, p, k0, 32); break;
    case 48: square(r, a, p, k0, 48); break;
    case 64: square(r, a, p, k0, 64); break;
    default: __builtin_trap();
    }
}

#else

void ckg_montgomery_multiply_bmi2(uint64_t *r, const uint64_t *a, const uint64_t *b,
                                  const uint64_t *p, uint64_t k0, size_t n) {
    (void)r; (void)a; (void)b; (void)p; (void)k0; (void)n;
    __builtin_trap();
}

void ckg_montgomery_square_bmi2(uint64_t *r, const uint64_t *a, const uint64_t *p, uint64_t k0, size_t n) {
    (void)r; (void)a; (void)p; (void)k0; (void)n;
    __builtin_trap();
}

#endif

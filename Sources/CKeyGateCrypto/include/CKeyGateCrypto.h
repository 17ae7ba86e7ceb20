// The parts of KeyGate's cryptography that Swift cannot express: kernels
// that need instructions chosen per function (AVX2, AVX-512, SHA-NI, BMI2's mulx)
// while the rest of the binary stays baseline x86-64 or aarch64.
//
// Swift has no per-function target attribute. A Swift module built with
// -target-cpu may use the wider instructions anywhere in its code, its
// initialisers and its generic specialisations included, and it has no
// intrinsics for sha256rnds2 or byte shuffles (vpshufb). In C each kernel
// carries __attribute__((target(...))) and nothing else in the process is
// compiled for more than the baseline, so one binary runs on every CPU.
//
// Every kernel is called only after ckg_cpu_features() has reported what it
// needs (KeyGateCrypto's CPUFeatures), never by compile-time assumption. On
// other architectures the kernels are compiled as traps that the feature
// check never reaches.
#ifndef CKEYGATE_CRYPTO_H
#define CKEYGATE_CRYPTO_H

#include "ckg_cpu_features.h"
#include "ckg_chacha20_avx2.h"
#include "ckg_chacha20_poly1305_avx2.h"
#include "ckg_chacha20_avx512vl.h"
#include "ckg_chacha20_avx512.h"
#include "ckg_chacha20_poly1305_avx512.h"
#include "ckg_poly1305_avx2.h"
#include "ckg_poly1305_avx512.h"
#include "ckg_poly1305_bmi2.h"
#include "ckg_sha256_shani.h"
#include "ckg_montgomery_bmi2.h"
#include "ckg_x25519_bmi2.h"

#endif

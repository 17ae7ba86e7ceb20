// The few libcrypto calls the differential fuzz targets compare KeyGate's
// primitives with, each wrapped into one function over plain byte buffers
// so that Swift never handles an OpenSSL object. Every function returns 1
// on success and 0 when OpenSSL refuses (an authentication failure, a
// degenerate X25519 result, an output length HKDF does not allow); a
// failure of OpenSSL itself (out of memory) aborts, since it would make a
// comparison meaningless.
#ifndef KEYGATE_FUZZ_COPENSSL_H
#define KEYGATE_FUZZ_COPENSSL_H

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// EVP calls want a valid pointer even for zero bytes.
static const uint8_t kg_ossl_empty[1] = {0};
#define KG_OSSL_NONNULL(pointer) ((pointer) != NULL ? (pointer) : kg_ossl_empty)

static inline void kg_ossl_require(int condition) {
    if (!condition) abort();
}

/// RFC 8439 ChaCha20-Poly1305: writes `length` bytes of ciphertext and the
/// 16-byte tag to `out` (length + 16 bytes).
static inline int kg_ossl_chacha20_poly1305_seal(
    const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_length,
    const uint8_t *plaintext, size_t length, uint8_t *out) {
    EVP_CIPHER_CTX *context = EVP_CIPHER_CTX_new();
    int written = 0;
    kg_ossl_require(context != NULL);
    kg_ossl_require(EVP_EncryptInit_ex(context, EVP_chacha20_poly1305(), NULL, NULL, NULL) == 1);
    kg_ossl_require(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) == 1);
    kg_ossl_require(EVP_EncryptInit_ex(context, NULL, NULL, key, nonce) == 1);
    kg_ossl_require(EVP_EncryptUpdate(context, NULL, &written, KG_OSSL_NONNULL(aad), (int)aad_length) == 1);
    kg_ossl_require(EVP_EncryptUpdate(context, out, &written, KG_OSSL_NONNULL(plaintext), (int)length) == 1);
    kg_ossl_require(EVP_EncryptFinal_ex(context, out + written, &written) == 1);
    kg_ossl_require(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, 16, out + length) == 1);
    EVP_CIPHER_CTX_free(context);
    return 1;
}

/// Checks the tag of `sealed` (`length` bytes of ciphertext, then 16 of
/// tag) and writes the plaintext to `out`: 0 when the tag is wrong.
static inline int kg_ossl_chacha20_poly1305_open(
    const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_length,
    const uint8_t *sealed, size_t length, uint8_t *out) {
    EVP_CIPHER_CTX *context = EVP_CIPHER_CTX_new();
    int written = 0;
    uint8_t tag[16];
    memcpy(tag, sealed + length, 16);
    kg_ossl_require(context != NULL);
    kg_ossl_require(EVP_DecryptInit_ex(context, EVP_chacha20_poly1305(), NULL, NULL, NULL) == 1);
    kg_ossl_require(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) == 1);
    kg_ossl_require(EVP_DecryptInit_ex(context, NULL, NULL, key, nonce) == 1);
    kg_ossl_require(EVP_DecryptUpdate(context, NULL, &written, KG_OSSL_NONNULL(aad), (int)aad_length) == 1);
    kg_ossl_require(EVP_DecryptUpdate(context, out, &written, KG_OSSL_NONNULL(sealed), (int)length) == 1);
    kg_ossl_require(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, 16, tag) == 1);
    int authentic = EVP_DecryptFinal_ex(context, out + written, &written) > 0;
    EVP_CIPHER_CTX_free(context);
    return authentic;
}

/// X25519(scalar, u) through EVP_PKEY_derive: 0 when OpenSSL refuses the
/// result (all zero: a low-order point).
static inline int kg_ossl_x25519(const uint8_t *scalar, const uint8_t *u, uint8_t *out) {
    EVP_PKEY *private_key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, scalar, 32);
    EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, u, 32);
    kg_ossl_require(private_key != NULL && peer != NULL);
    EVP_PKEY_CTX *context = EVP_PKEY_CTX_new(private_key, NULL);
    kg_ossl_require(context != NULL && EVP_PKEY_derive_init(context) == 1);
    kg_ossl_require(EVP_PKEY_derive_set_peer(context, peer) == 1);
    size_t length = 32;
    int derived = EVP_PKEY_derive(context, out, &length) == 1 && length == 32;
    EVP_PKEY_CTX_free(context);
    EVP_PKEY_free(peer);
    EVP_PKEY_free(private_key);
    return derived;
}

/// The X25519 public key of `scalar`.
static inline int kg_ossl_x25519_public_key(const uint8_t *scalar, uint8_t *out) {
    EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, scalar, 32);
    kg_ossl_require(key != NULL);
    size_t length = 32;
    kg_ossl_require(EVP_PKEY_get_raw_public_key(key, out, &length) == 1 && length == 32);
    EVP_PKEY_free(key);
    return 1;
}

/// SHA-256 of `length` bytes.
static inline int kg_ossl_sha256(const uint8_t *data, size_t length, uint8_t *out) {
    kg_ossl_require(SHA256(KG_OSSL_NONNULL(data), length, out) != NULL);
    return 1;
}

/// HMAC-SHA256.
static inline int kg_ossl_hmac_sha256(const uint8_t *key, size_t key_length, const uint8_t *data, size_t length, uint8_t *out) {
    unsigned int written = 0;
    kg_ossl_require(HMAC(EVP_sha256(), KG_OSSL_NONNULL(key), (int)key_length, KG_OSSL_NONNULL(data), length, out, &written) != NULL);
    kg_ossl_require(written == 32);
    return 1;
}

/// HKDF-SHA256 (RFC 5869, extract then expand) through EVP_KDF: 0 when
/// OpenSSL refuses the output length.
static inline int kg_ossl_hkdf_sha256(
    const uint8_t *key, size_t key_length, const uint8_t *salt, size_t salt_length,
    const uint8_t *info, size_t info_length, uint8_t *out, size_t out_length) {
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    kg_ossl_require(kdf != NULL);
    EVP_KDF_CTX *context = EVP_KDF_CTX_new(kdf);
    kg_ossl_require(context != NULL);
    OSSL_PARAM parameters[5];
    size_t count = 0;
    parameters[count++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    parameters[count++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)KG_OSSL_NONNULL(key), key_length);
    if (salt_length > 0) {
        parameters[count++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_length);
    }
    parameters[count++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)KG_OSSL_NONNULL(info), info_length);
    parameters[count] = OSSL_PARAM_construct_end();
    int derived = EVP_KDF_derive(context, out, out_length, parameters) == 1;
    EVP_KDF_CTX_free(context);
    EVP_KDF_free(kdf);
    return derived;
}

/// base^exponent mod modulus with BN_mod_exp, all big-endian; the result is
/// written to `out` as `modulus_length` bytes.
static inline int kg_ossl_mod_exp(
    const uint8_t *base, size_t base_length, const uint8_t *exponent, size_t exponent_length,
    const uint8_t *modulus, size_t modulus_length, uint8_t *out) {
    BN_CTX *context = BN_CTX_new();
    BIGNUM *b = BN_bin2bn(KG_OSSL_NONNULL(base), (int)base_length, NULL);
    BIGNUM *e = BN_bin2bn(KG_OSSL_NONNULL(exponent), (int)exponent_length, NULL);
    BIGNUM *m = BN_bin2bn(modulus, (int)modulus_length, NULL);
    BIGNUM *r = BN_new();
    kg_ossl_require(context != NULL && b != NULL && e != NULL && m != NULL && r != NULL);
    kg_ossl_require(BN_mod_exp(r, b, e, m, context) == 1);
    kg_ossl_require(BN_bn2binpad(r, out, (int)modulus_length) == (int)modulus_length);
    BN_free(r);
    BN_free(m);
    BN_free(e);
    BN_free(b);
    BN_CTX_free(context);
    return 1;
}

/// -1, 0 or 1 as a < b, a == b, a > b, for big-endian numbers of any length.
static inline int kg_ossl_compare(const uint8_t *a, size_t a_length, const uint8_t *b, size_t b_length) {
    BIGNUM *x = BN_bin2bn(KG_OSSL_NONNULL(a), (int)a_length, NULL);
    BIGNUM *y = BN_bin2bn(KG_OSSL_NONNULL(b), (int)b_length, NULL);
    kg_ossl_require(x != NULL && y != NULL);
    int order = BN_cmp(x, y);
    BN_free(y);
    BN_free(x);
    return order;
}

#endif

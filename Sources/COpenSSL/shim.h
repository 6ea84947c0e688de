#ifndef ZEROTRIP_COPENSSL_SHIM_H
#define ZEROTRIP_COPENSSL_SHIM_H

#include <openssl/opensslv.h>
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/objects.h>
#include <openssl/asn1.h>
#include <openssl/cms.h>
#include <openssl/hmac.h>

/* Macros and variadic helpers that Swift cannot call directly. */

static inline long zt_BIO_get_mem_data(BIO *bio, char **out) {
    return BIO_get_mem_data(bio, out);
}

static inline int zt_EVP_PKEY_CTX_set1_id(EVP_PKEY_CTX *ctx, const void *id, int len) {
    return EVP_PKEY_CTX_set1_id(ctx, id, len);
}

static inline int zt_EVP_PKEY_CTX_set_ec_paramgen_curve_nid(EVP_PKEY_CTX *ctx, int nid) {
    return EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, nid);
}

static inline const char *zt_OPENSSL_VERSION_TEXT(void) {
    return OPENSSL_VERSION_TEXT;
}

static inline void zt_X509_EXTENSION_free(X509_EXTENSION *ext) { X509_EXTENSION_free(ext); }

static inline int zt_OSSL_PARAM_size(void) { return (int)sizeof(OSSL_PARAM); }

#endif

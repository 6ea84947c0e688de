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

/* 1 when the certificate's extendedKeyUsage names `oid` (dotted form), 0 when it has none or not that one. */
static inline int zt_X509_has_extended_key_usage(X509 *x, const char *oid) {
    EXTENDED_KEY_USAGE *usage = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
    if (usage == NULL) return 0;
    ASN1_OBJECT *wanted = OBJ_txt2obj(oid, 1);
    int found = 0;
    for (int i = 0; wanted != NULL && i < sk_ASN1_OBJECT_num(usage); i++) {
        if (OBJ_cmp(sk_ASN1_OBJECT_value(usage, i), wanted) == 0) { found = 1; break; }
    }
    ASN1_OBJECT_free(wanted);
    EXTENDED_KEY_USAGE_free(usage);
    return found;
}

#endif

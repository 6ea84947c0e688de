#!/usr/bin/env python3
"""ZeroTrip QR result token (ZT1): independent reference verifier and test-vector generator.

Written from docs/qr-token.md alone (RFC 9285 Base45, RFC 1950 zlib, RFC 9052 COSE_Sign1,
RFC 8949 section 4.2.1 deterministic CBOR). It shares no code with the Swift implementation.
Requires the pip packages `cbor2` and `cryptography`.

Usage:
  zt_token.py verify --cert SEAL.pem [--cert MORE.pem|DIR ...] [--root ROOT.pem] [--now UNIX] TEXT
      TEXT is a bare token (`ZT1:...`) or the QR URL (`.../V/?ZT1:...`). Prints one JSON object
      {"result", "reason", "detail", "claims", "kid", "checks"} and exits 0 for "valid", 1 otherwise.
      The document register is not consulted: revocation is reported as not checked.
      Without --root the chain to the district root is not checked (reported in "checks").
      With --pdf FILE, also recomputes claim 7 (dig) from the PDF and compares (digest_mismatch).
  zt_token.py dig PDF
      Prints dig for a PDF: SHA-256 of the decoded first content stream of page 1 (needs pypdf).
  zt_token.py make-vectors OUTDIR
      Writes root.pem, seal.pem, seal-key.test-only.pem, the extra certificates some cases need,
      and vectors.json; then checks every vector with this verifier. The output is byte-for-byte
      reproducible (fixed test keys, fixed dates, RFC 6979 deterministic ECDSA).
  zt_token.py check-vectors DIR
      Runs every case of DIR/vectors.json through the verifier and prints one line per case.
"""

import argparse
import base64
import datetime
import hashlib
import json
import os
import re
import sys
import zlib
from collections.abc import Mapping

import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.x509.oid import NameOID

# --------------------------------------------------------------------------------------------
# Limits and constants (docs/qr-token.md, "Limits")

PREFIX = "ZT1:"
MAX_TOKEN_CHARS = 600          # token text including "ZT1:"
MAX_PAYLOAD_BYTES = 400        # Base45-decoded B
MAX_INFLATED_BYTES = 1024      # zlib output
MAX_QR_CHARS = 400             # QR content (issuer side)
MAX_QR_VERSION = 13            # at ECC level Q (issuer side)
ALG_ES256 = -7
KID_LEN = 8
SIG_LEN = 64
CLAIM_KEYS = (1, 2, 3, 4, 5, 6, 7, 8)
CLAIM_KEYS_V2 = (1, 2, 4, 5, 6, 7, 8)  # version 2: no dep (the seal certificate's OU names the department)
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

B45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
B45_VALUE = {c: i for i, c in enumerate(B45_ALPHABET)}
HEX_DIGITS = "0123456789abcdefABCDEF"

RESULT_OF_REASON = {
    "token_malformed": "invalid",
    "token_too_long": "invalid",
    "base45_invalid": "invalid",
    "zlib_invalid": "invalid",
    "decompressed_too_large": "invalid",
    "cose_malformed": "invalid",
    "claims_malformed": "invalid",
    "kid_unknown": "unknown",
    "certificate_unsuitable": "invalid",
    "signature_invalid": "invalid",
    "certificate_not_valid_at_issuance": "invalid",
    "department_mismatch": "invalid",
    "chain_invalid": "invalid",
    "not_registered": "invalid",
    "register_mismatch": "invalid",
    "revoked": "revoked",
    "superseded": "revoked",
    "expired": "expired",
}


class Reject(Exception):
    def __init__(self, reason, detail=""):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.result = RESULT_OF_REASON[reason]
        self.detail = detail


# --------------------------------------------------------------------------------------------
# Base45 (RFC 9285)

def b45encode(data: bytes) -> str:
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        c, n = n % 45, n // 45
        d, e = n % 45, n // 45
        out += [B45_ALPHABET[c], B45_ALPHABET[d], B45_ALPHABET[e]]
    if len(data) % 2:
        n = data[-1]
        out += [B45_ALPHABET[n % 45], B45_ALPHABET[n // 45]]
    return "".join(out)


def b45decoded_length(n_chars: int) -> int:
    """Length of the decoding of n_chars Base45 characters (n_chars % 3 != 1)."""
    return 2 * (n_chars // 3) + (1 if n_chars % 3 == 2 else 0)


def b45decode(text: str) -> bytes:
    if len(text) % 3 == 1:
        raise Reject("base45_invalid", "dangling single character")
    vals = []
    for pos, ch in enumerate(text):
        v = B45_VALUE.get(ch)
        if v is None:
            raise Reject("base45_invalid", f"character {ch!r} at {pos} is not in the alphabet")
        vals.append(v)
    out = bytearray()
    full = len(vals) - len(vals) % 3
    for i in range(0, full, 3):
        n = vals[i] + vals[i + 1] * 45 + vals[i + 2] * 45 * 45
        if n > 0xFFFF:
            raise Reject("base45_invalid", f"triplet at {i} has value {n} > 65535")
        out += bytes((n >> 8, n & 0xFF))
    if len(vals) % 3 == 2:
        n = vals[full] + vals[full + 1] * 45
        if n > 0xFF:
            raise Reject("base45_invalid", f"final pair has value {n} > 255")
        out.append(n)
    return bytes(out)


# --------------------------------------------------------------------------------------------
# QR content <-> token text

def pct_encode(token: str) -> str:
    # Only space and '%' are unsafe in a query; '/' and '.' stay (no dot-segments in a query).
    return token.replace("%", "%25").replace(" ", "%20")


def qr_content(base: str, token: str) -> str:
    return base + "/V/?" + pct_encode(token)


def old_path_form(base: str, token: str) -> str:
    """The superseded draft form BASE/V/<token> (token in the path); verifiers must refuse it."""
    return base + "/V/" + token.replace("%", "%25").replace(" ", "%20").replace("/", "%2F")


def pct_decode(segment: str) -> str:
    out = []
    i = 0
    while i < len(segment):
        ch = segment[i]
        if ch == "%":
            hx = segment[i + 1:i + 3]
            if len(hx) != 2 or hx[0] not in HEX_DIGITS or hx[1] not in HEX_DIGITS:
                raise Reject("token_malformed", f"malformed percent-escape at {i}")
            out.append(chr(int(hx, 16)))
            i += 3
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def token_from_text(text: str) -> str:
    if text.startswith(PREFIX):
        return text
    positions = [p for p in (text.find("/V/?"), text.find("/v/?")) if p >= 0]
    if not positions:
        raise Reject("token_malformed", "neither a ZT1: token nor a URL containing /V/?")
    seg = text[min(positions) + 4:]
    cut = seg.find("#")
    if cut >= 0:
        seg = seg[:cut]
    # Bound the work before decoding: a segment of more than 3 x 600 characters cannot decode
    # to a token of at most 600 characters.
    if len(seg) > 3 * MAX_TOKEN_CHARS:
        raise Reject("token_too_long", f"URL token segment has {len(seg)} characters")
    token = pct_decode(seg)
    if not token.startswith(PREFIX):
        raise Reject("token_malformed", "URL token segment does not start with ZT1:")
    return token


# --------------------------------------------------------------------------------------------
# zlib (RFC 1950) with an output limit

def inflate_limited(data: bytes) -> bytes:
    d = zlib.decompressobj()  # zlib format, header and Adler-32 checked by zlib itself
    try:
        out = d.decompress(data, MAX_INFLATED_BYTES + 1)
    except zlib.error as e:
        raise Reject("zlib_invalid", str(e))
    if len(out) > MAX_INFLATED_BYTES:
        raise Reject("decompressed_too_large", f"inflated output exceeds {MAX_INFLATED_BYTES} bytes")
    if not d.eof:
        raise Reject("zlib_invalid", "truncated zlib stream")
    if d.unused_data:
        raise Reject("zlib_invalid", f"{len(d.unused_data)} bytes after the zlib stream")
    return out


# --------------------------------------------------------------------------------------------
# Strict deterministic CBOR (RFC 8949 section 4.2.1) via decode + canonical re-encode

def strict_cbor(data: bytes, reason: str, what: str):
    """Decode data, requiring that it is exactly one well-formed item in deterministic encoding.

    cbor2 accepts non-shortest heads, indefinite lengths, duplicate map keys (last one wins),
    unsorted keys and trailing bytes; re-encoding canonically and comparing bytes rejects all of
    them. (cbor2's canonical key order is length-first, which equals RFC 8949 bytewise order for
    the keys used here: small unsigned integers.) Floats, simple values and tags are rejected by
    the type checks of the caller.
    """
    try:
        obj = cbor2.loads(data)
        again = cbor2.dumps(obj, canonical=True)
    except Exception as e:  # noqa: BLE001 - any decoder failure is "malformed"
        raise Reject(reason, f"{what}: not well-formed CBOR ({e})")
    if again != data:
        raise Reject(reason, f"{what}: not in deterministic encoding (or trailing bytes / duplicate keys)")
    return obj


def is_uint(x) -> bool:
    return type(x) is int and 0 <= x <= 0xFFFFFFFFFFFFFFFF


# --------------------------------------------------------------------------------------------
# COSE_Sign1 and claims

def sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload], canonical=True)


def parse_cose(msg: bytes):
    if not msg or msg[0] != 0xD2:
        raise Reject("cose_malformed", "does not start with 0xD2 (tag 18, COSE_Sign1)")
    top = strict_cbor(msg, "cose_malformed", "COSE_Sign1")
    if not isinstance(top, cbor2.CBORTag) or top.tag != 18:
        raise Reject("cose_malformed", "not tag 18")
    arr = top.value
    if not isinstance(arr, (list, tuple)) or len(arr) != 4:
        raise Reject("cose_malformed", "COSE_Sign1 is not an array of 4")
    protected, unprotected, payload, signature = arr
    if type(protected) is not bytes or type(payload) is not bytes or type(signature) is not bytes:
        raise Reject("cose_malformed", "protected, payload and signature must be byte strings")
    if not isinstance(unprotected, Mapping):
        raise Reject("cose_malformed", "unprotected header is not a map")
    if 4 in unprotected:
        raise Reject("cose_malformed", "kid in the unprotected header")
    if len(unprotected) != 0:
        raise Reject("cose_malformed", "unprotected header is not empty")
    hdr = strict_cbor(protected, "cose_malformed", "protected header")
    if not isinstance(hdr, Mapping):
        raise Reject("cose_malformed", "protected header is not a map")
    if 1 not in hdr:
        raise Reject("cose_malformed", "alg missing")
    if type(hdr[1]) is not int or hdr[1] != ALG_ES256:
        raise Reject("cose_malformed", f"alg {hdr[1]!r} is not ES256 (-7)")
    if 4 not in hdr:
        raise Reject("cose_malformed", "kid missing")
    kid = hdr[4]
    if type(kid) is not bytes or len(kid) != KID_LEN:
        raise Reject("cose_malformed", f"kid is not a byte string of {KID_LEN} bytes")
    if set(hdr) != {1, 4}:
        raise Reject("cose_malformed", "protected header has labels other than 1 and 4")
    if len(signature) != SIG_LEN:
        raise Reject("cose_malformed", f"signature is {len(signature)} bytes, not {SIG_LEN}")
    return protected, kid, payload, signature


DEP_RE = re.compile(r"[A-Z0-9]{2,16}")
MAT_RE = re.compile(r"[A-Z0-9_-]{1,32}")


def parse_claims(payload: bytes) -> dict:
    """Claims of version 1 (keys 1-8) or version 2 (keys 1, 2, 4-8: no dep, a 16-byte dig, at most three '*'
    in hn); docs/qr-token.md section 6."""
    m = strict_cbor(payload, "claims_malformed", "claims")
    if not isinstance(m, Mapping):
        raise Reject("claims_malformed", "claims are not a map")
    for k in m:
        if not is_uint(k):
            raise Reject("claims_malformed", f"claim key {k!r} is not an unsigned integer")
    v = m.get(1)
    if not is_uint(v) or v not in (1, 2):
        raise Reject("claims_malformed", f"v is {v!r}, not 1 or 2")
    keys = CLAIM_KEYS if v == 1 else CLAIM_KEYS_V2
    missing = [k for k in keys if k not in m]
    if missing:
        raise Reject("claims_malformed", f"missing claim keys {missing}")
    extra = sorted(k for k in m if k not in keys)
    if extra:
        raise Reject("claims_malformed", f"unknown claim keys {extra} for version {v}")
    did, mat, iat, exp, dig, hn = m[2], m[4], m[5], m[6], m[7], m[8]
    dep = m.get(3)
    if type(did) is not bytes or len(did) != 16:
        raise Reject("claims_malformed", "id is not a byte string of 16 bytes")
    if v == 1 and (type(dep) is not str or not DEP_RE.fullmatch(dep)):
        raise Reject("claims_malformed", "dep is not 2-16 characters of [A-Z0-9]")
    if type(mat) is not str or not MAT_RE.fullmatch(mat):
        raise Reject("claims_malformed", "mat is not 1-32 characters of [A-Z0-9_-]")
    if not is_uint(iat):
        raise Reject("claims_malformed", "iat is not an unsigned integer")
    if not is_uint(exp):
        raise Reject("claims_malformed", "exp is not an unsigned integer")
    if exp <= iat:
        raise Reject("claims_malformed", "exp is not after iat")
    dig_len = 32 if v == 1 else 16
    if type(dig) is not bytes or len(dig) != dig_len:
        raise Reject("claims_malformed", f"dig is not a byte string of {dig_len} bytes")
    if type(hn) is not str or not 1 <= len(hn.encode("utf-8")) <= 64:
        raise Reject("claims_malformed", "hn is not 1-64 bytes of UTF-8 text")
    first = hn[0]
    if first == "*" or ord(first) < 0x20 or 0x7F <= ord(first) <= 0x9F or hn[1:] != "*" * (len(hn) - 1):
        raise Reject("claims_malformed", "hn is not a masked name (one character, then only '*')")
    if v == 2 and len(hn) > 4:
        raise Reject("claims_malformed", "hn of version 2 has more than three '*'")
    return {"v": v, "id": did.hex(), "dep": dep, "mat": mat, "iat": iat, "exp": exp,
            "dig": dig.hex(), "hn": hn}


# --------------------------------------------------------------------------------------------
# Trust material

def kid_of(cert: x509.Certificate) -> bytes:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).digest()[:KID_LEN]


def load_certs(paths):
    certs = []
    for p in paths:
        files = sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith(".pem")) \
            if os.path.isdir(p) else [p]
        for f in files:
            with open(f, "rb") as fh:
                certs += x509.load_pem_x509_certificates(fh.read())
    return certs


def ts(dt: datetime.datetime) -> int:
    return int(dt.timestamp())


def check_chain(seal: x509.Certificate, root: x509.Certificate, at: int):
    if seal.issuer != root.subject:
        raise Reject("chain_invalid", "seal issuer is not the root subject")
    try:
        bc = root.extensions.get_extension_for_class(x509.BasicConstraints).value
        ku = root.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise Reject("chain_invalid", "root lacks basicConstraints or keyUsage")
    if not bc.ca or not ku.key_cert_sign:
        raise Reject("chain_invalid", "root is not a CA with keyCertSign")
    if not ts(root.not_valid_before_utc) <= at <= ts(root.not_valid_after_utc):
        raise Reject("chain_invalid", "root not valid at iat")
    rkey = root.public_key()
    if not isinstance(rkey, ec.EllipticCurvePublicKey):
        raise Reject("chain_invalid", "this reference verifier checks ECDSA roots only")
    try:
        rkey.verify(seal.signature, seal.tbs_certificate_bytes, ec.ECDSA(seal.signature_hash_algorithm))
    except (InvalidSignature, Exception) as e:  # noqa: BLE001
        raise Reject("chain_invalid", f"seal certificate signature does not verify with the root ({type(e).__name__})")


def check_seal_and_signature(cert, protected: bytes, payload: bytes, signature: bytes):
    # 8. the certificate is a seal certificate usable for ES256
    pub = cert.public_key()
    if not isinstance(pub, ec.EllipticCurvePublicKey) or not isinstance(pub.curve, ec.SECP256R1):
        raise Reject("certificate_unsuitable", "certificate key is not EC P-256")
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise Reject("certificate_unsuitable", "certificate has no keyUsage")
    if not ku.digital_signature:
        raise Reject("certificate_unsuitable", "keyUsage lacks digitalSignature")
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        bc = None
    if bc is not None and bc.ca:
        raise Reject("certificate_unsuitable", "certificate is a CA certificate")
    # 9. signature: r and s big-endian, 32 bytes each, over the Sig_structure of the received bytes
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    if not (1 <= r < P256_ORDER and 1 <= s < P256_ORDER):
        raise Reject("signature_invalid", "r or s out of range")
    try:
        pub.verify(encode_dss_signature(r, s), sig_structure(protected, payload), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise Reject("signature_invalid", "ECDSA P-256 signature does not verify")


# --------------------------------------------------------------------------------------------
# Verification (docs/qr-token.md, "Verification algorithm")

def verify(text: str, certs, root=None, now=None) -> dict:
    now = int(datetime.datetime.now(datetime.timezone.utc).timestamp()) if now is None else now
    out = {"result": None, "reason": None, "detail": "", "claims": None, "kid": None, "signature_verified": False,
           "checks": {"revocation": "not_checked", "chain": "checked" if root is not None else "not_checked"}}
    try:
        # 1. QR text -> token text
        token = token_from_text(text)
        # 2. length limit, then 3. Base45
        if len(token) > MAX_TOKEN_CHARS:
            raise Reject("token_too_long", f"token has {len(token)} characters > {MAX_TOKEN_CHARS}")
        body = token[len(PREFIX):]
        if len(body) % 3 != 1 and b45decoded_length(len(body)) > MAX_PAYLOAD_BYTES:
            raise Reject("token_too_long", f"decoded token would exceed {MAX_PAYLOAD_BYTES} bytes")
        b = b45decode(body)
        # 4. optional zlib
        if b[:1] == b"\x78":
            b = inflate_limited(b)
        elif b[:1] != b"\xD2":
            raise Reject("cose_malformed", "first byte is neither 0xD2 (COSE_Sign1) nor 0x78 (zlib)")
        # 5. COSE_Sign1
        protected, kid, payload, signature = parse_cose(b)
        out["kid"] = kid.hex()
        # 6. claims
        claims = parse_claims(payload)
        out["claims"] = claims
        # 7. kid -> certificate
        matches = [c for c in certs if kid_of(c) == kid]
        if not matches:
            raise Reject("kid_unknown", f"no certificate in the trust material has kid {kid.hex()}")
        # 8.-9. for each matching certificate (normally exactly one): suitability, then signature;
        # the first certificate that passes both is used, otherwise the first failure is reported.
        cert, first_failure = None, None
        for candidate in matches:
            try:
                check_seal_and_signature(candidate, protected, payload, signature)
                cert = candidate
                break
            except Reject as r:
                first_failure = first_failure or r
        if cert is None:
            raise first_failure
        out["signature_verified"] = True
        # 10. certificate valid at iat, OU = dep, chain
        iat = claims["iat"]
        if not ts(cert.not_valid_before_utc) <= iat <= ts(cert.not_valid_after_utc):
            raise Reject("certificate_not_valid_at_issuance", "iat outside the seal certificate's validity")
        ous = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]
        if claims["v"] == 2:
            # Version 2 carries no dep: the certificate's single OU names the department.
            if len(ous) != 1:
                raise Reject("department_mismatch", f"certificate has OUs {ous}, not exactly one")
            claims["dep"] = ous[0]
        if ous != [claims["dep"]]:
            raise Reject("department_mismatch", f"certificate OU {ous} != dep {claims['dep']!r}")
        if root is not None:
            check_chain(cert, root, iat)
        # 11. (online only: register) -- not done here
        # 12. expiry
        if now > claims["exp"]:
            raise Reject("expired", f"now {now} > exp {claims['exp']}")
        out["result"] = "valid"
    except Reject as r:
        out["result"], out["reason"], out["detail"] = r.result, r.reason, r.detail
    return out


# --------------------------------------------------------------------------------------------
# Issuing (used for the vectors)

def claims_map(doc_id, dep, mat, iat, exp, dig, hn) -> dict:
    return {1: 1, 2: doc_id, 3: dep, 4: mat, 5: iat, 6: exp, 7: dig, 8: hn}


def protected_header(kid: bytes) -> bytes:
    return cbor2.dumps({1: ALG_ES256, 4: kid}, canonical=True)


def sign_raw(key: ec.EllipticCurvePrivateKey, protected: bytes, payload: bytes) -> bytes:
    der = key.sign(sig_structure(protected, payload), ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def cose_bytes(protected: bytes, unprotected_raw: bytes, payload: bytes, signature: bytes) -> bytes:
    """Assemble a tagged COSE_Sign1 from raw parts (unprotected given as encoded CBOR)."""
    return b"\xD2\x84" + bstr(protected) + unprotected_raw + bstr(payload) + bstr(signature)


def head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | ai]) + n.to_bytes(size, "big")
    raise ValueError(n)


def bstr(b: bytes) -> bytes:
    return head(2, len(b)) + b


def tstr(s: str) -> bytes:
    e = s.encode("utf-8")
    return head(3, len(e)) + e


def sign1(key, kid: bytes, payload: bytes) -> bytes:
    p = protected_header(kid)
    return cose_bytes(p, b"\xA0", payload, sign_raw(key, p, payload))


def token_of(b: bytes) -> str:
    return PREFIX + b45encode(b)


# --------------------------------------------------------------------------------------------
# Test vectors

BASE_HTTPS = "HTTPS://ZT.CHANCHENG.GOV.CN"
BASE_LOCAL = "HTTP://127.0.0.1:8080"
BASE_PRODUCTION = "HTTPS://ZT.CHANCHENG.FOSHAN.CN"  # 30 characters, as a production address may be
UTC = datetime.timezone.utc


def test_key(label: str) -> ec.EllipticCurvePrivateKey:
    scalar = int.from_bytes(hashlib.sha256(b"ZeroTrip test-only key: " + label.encode()).digest(), "big")
    return ec.derive_private_key(scalar % (P256_ORDER - 1) + 1, ec.SECP256R1())


def test_serial(label: str) -> int:
    return int.from_bytes(hashlib.sha256(b"ZeroTrip test serial: " + label.encode()).digest()[:16], "big") >> 1 | 1


def make_cert(subject, issuer, pub, issuer_key, serial_label, nb, na, ca, ku_kwargs, aki_from=None):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(pub)
         .serial_number(test_serial(serial_label)).not_valid_before(nb).not_valid_after(na)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
         .add_extension(x509.KeyUsage(**ku_kwargs), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False))
    aki_key = aki_from if aki_from is not None else pub
    b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(aki_key), critical=False)
    return b.sign(issuer_key, hashes.SHA256(), ecdsa_deterministic=True)


KU_NONE = dict(digital_signature=False, content_commitment=False, key_encipherment=False,
               data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
               encipher_only=False, decipher_only=False)
KU_CA = {**KU_NONE, "key_cert_sign": True, "crl_sign": True}
KU_SEAL = {**KU_NONE, "digital_signature": True, "content_commitment": True}
KU_NONREP_ONLY = {**KU_NONE, "content_commitment": True}


def name(ou=None, cn="测试人社局", o="测试区"):
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, o)]
    if ou is not None:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def build_vectors():
    """Returns (files: {name: bytes}, cases: list, example: dict)."""
    d = lambda *a: datetime.datetime(*a, tzinfo=UTC)  # noqa: E731
    root_key, seal_key = test_key("root"), test_key("seal RSJ")
    root_name = name(cn="测试区 ZeroTrip 根证书")
    root = make_cert(root_name, root_name, root_key.public_key(), root_key, "root",
                     d(2026, 1, 1), d(2036, 1, 1), True, KU_CA)
    seal = make_cert(name(ou="RSJ"), root_name, seal_key.public_key(), root_key, "seal RSJ",
                     d(2026, 1, 1), d(2028, 1, 1), False, KU_SEAL, aki_from=root_key.public_key())
    # A seal certificate with the right subject and the right issuer *name*, but signed by an
    # impostor root key (chain_invalid).
    impostor_key, impostor_seal_key = test_key("impostor root"), test_key("impostor seal RSJ")
    impostor_seal = make_cert(name(ou="RSJ"), root_name, impostor_seal_key.public_key(), impostor_key,
                             "foreign seal RSJ", d(2026, 1, 1), d(2028, 1, 1), False, KU_SEAL,
                             aki_from=impostor_key.public_key())
    # A certificate under the right root whose keyUsage lacks digitalSignature.
    unsuitable_key = test_key("unsuitable seal RSJ")
    unsuitable = make_cert(name(ou="RSJ"), root_name, unsuitable_key.public_key(), root_key,
                           "unsuitable seal RSJ", d(2026, 1, 1), d(2028, 1, 1), False, KU_NONREP_ONLY,
                           aki_from=root_key.public_key())
    # A key whose certificate is not in the trust material (kid_unknown).
    other_key = test_key("other seal RSJ")
    other = make_cert(name(ou="RSJ"), root_name, other_key.public_key(), root_key, "other seal RSJ",
                      d(2026, 1, 1), d(2028, 1, 1), False, KU_SEAL, aki_from=root_key.public_key())

    kid = kid_of(seal)
    doc_id = hashlib.sha256(b"ZeroTrip test document 1").digest()[:16]
    pdf = b"%PDF-1.7\n% ZeroTrip test vector: stands for the signed PDF\n%%EOF\n"
    dig = hashlib.sha256(pdf).digest()
    iat = ts(d(2026, 3, 16, 2, 0, 0))
    exp = iat + 90 * 86400
    now_ok = iat + 86400
    std = dict(doc_id=doc_id, dep="RSJ", mat="SHEBAO-JIAOFEI", iat=iat, exp=exp, dig=dig, hn="张*")

    def claims_bytes(**over):
        return cbor2.dumps(claims_map(**{**std, **over}), canonical=True)

    payload = claims_bytes()
    cose = sign1(seal_key, kid, payload)
    token = token_of(cose)

    cases = []

    def add(name_, text, expected_result, expected_reason, now=now_ok, certs=("seal.pem",), note=""):
        cases.append({"name": name_, "text": text, "now": now, "expected_result": expected_result,
                      "expected_reason": expected_reason, "certs": list(certs), "root": "root.pem",
                      "note": note})

    def signed_payload(raw_payload: bytes, key=seal_key, k=kid) -> str:
        return token_of(sign1(key, k, raw_payload))

    # --- valid
    add("valid", token, "valid", None, note="the example of docs/qr-token.md")
    add("valid-url-https", qr_content(BASE_HTTPS, token), "valid", None)
    add("valid-url-local", qr_content(BASE_LOCAL, token), "valid", None)
    add("valid-url-lowercase-v-fragment",
        BASE_HTTPS.lower() + "/v/?" + pct_encode(token) + "#top", "valid", None,
        note="/v/? accepted; the query ends at #")
    add("valid-url-extra-escapes", BASE_HTTPS + "/V/?ZT1%3a" + pct_encode(token[4:]).replace("/", "%2f"), "valid", None,
        note="any %XX (either case) decodes, not only the two the issuer writes")
    add("old-path-form", old_path_form(BASE_HTTPS, token), "invalid", "token_malformed",
        note="the token must ride in the query (/V/?), not the path")
    z = zlib.compress(cose, 9)
    add("valid-zlib", token_of(z), "valid", None, note=f"zlib level 9: {len(cose)} -> {len(z)} bytes")
    add("valid-at-exp", token, "valid", None, now=exp, note="now == exp is still valid")
    # --- expired
    add("expired", token, "expired", "expired", now=exp + 1)
    # --- token text / URL
    add("no-prefix", token[4:], "invalid", "token_malformed")
    add("lowercase-prefix", "zt1:" + token[4:], "invalid", "token_malformed")
    url = qr_content(BASE_HTTPS, token)
    add("url-bad-percent-escape", url[:len(BASE_HTTPS) + 10] + "%G" + url[len(BASE_HTTPS) + 10:], "invalid",
        "token_malformed", note="'%G' is not %XX with two hex digits")
    add("url-without-token", BASE_HTTPS + "/V/", "invalid", "token_malformed")
    pad = "0" * (MAX_TOKEN_CHARS + 1 - len(token))
    assert (len(token) - 4 + len(pad)) % 3 != 1
    add("too-long-601", token + pad, "invalid", "token_too_long",
        note="601 characters: the valid token followed by '0's")
    # --- Base45
    add("base45-lowercase", "ZT1:" + token[4:].lower(), "invalid", "base45_invalid")
    add("base45-dangling-character", token + "0", "invalid", "base45_invalid")
    add("base45-triplet-out-of-range", "ZT1:GGW" + token[7:], "invalid", "base45_invalid",
        note="GGW = 16 + 16*45 + 32*2025 = 65536")
    add("base45-pair-out-of-range", token + "ZZ", "invalid", "base45_invalid", note="ZZ = 35 + 35*45 = 1610")
    # --- one character changed (in the signature)
    tampered = None
    for pos in range(len(token) - 2, 4, -1):
        for ch in B45_ALPHABET:
            if ch == token[pos]:
                continue
            t = token[:pos] + ch + token[pos + 1:]
            try:
                bb = b45decode(t[4:])
            except Reject:
                continue
            if bb[:-SIG_LEN] == cose[:-SIG_LEN]:
                tampered = t
                break
        if tampered:
            break
    add("one-character-changed", tampered, "invalid", "signature_invalid",
        note="one Base45 character of the signature changed")
    flipped = bytearray(cose)
    flipped[len(cose) - SIG_LEN - 20] ^= 0x01  # a bit inside dig
    add("payload-bit-flipped", token_of(bytes(flipped)), "invalid", "signature_invalid")
    # --- zlib
    bomb_plain = cose[:2] + b"\x00" * (256 * 1024)
    bomb = zlib.compress(bomb_plain, 9)
    add("zlib-bomb", token_of(bomb), "invalid", "decompressed_too_large",
        note=f"{len(bomb)} bytes inflating to {len(bomb_plain)}")
    just_over = zlib.compress(cose + b"\x00" * (MAX_INFLATED_BYTES + 1 - len(cose)), 9)
    add("zlib-inflates-to-1025", token_of(just_over), "invalid", "decompressed_too_large")
    bad_adler = bytearray(z)
    bad_adler[-1] ^= 0xFF
    add("zlib-bad-adler32", token_of(bytes(bad_adler)), "invalid", "zlib_invalid")
    add("zlib-truncated", token_of(z[:-4]), "invalid", "zlib_invalid")
    add("zlib-trailing-bytes", token_of(z + b"\x00"), "invalid", "zlib_invalid")
    add("zlib-nested", token_of(zlib.compress(z, 9)), "invalid", "cose_malformed",
        note="inflated output must start with 0xD2")
    # --- COSE
    add("cose-untagged", token_of(cose[1:]), "invalid", "cose_malformed")
    add("cose-trailing-byte", token_of(cose + b"\x00"), "invalid", "cose_malformed")
    indef = b"\xD2\x9F" + cose[2:] + b"\xFF"
    add("cose-indefinite-array", token_of(indef), "invalid", "cose_malformed")
    p = protected_header(kid)
    add("cose-alg-es384", token_of(cose_bytes(cbor2.dumps({1: -35, 4: kid}, canonical=True), b"\xA0", payload,
                                              sign_raw(seal_key, cbor2.dumps({1: -35, 4: kid}, canonical=True), payload))),
        "invalid", "cose_malformed")
    add("cose-kid-7-bytes", token_of(cose_bytes(cbor2.dumps({1: -7, 4: kid[:7]}, canonical=True), b"\xA0", payload,
                                                sign_raw(seal_key, cbor2.dumps({1: -7, 4: kid[:7]}, canonical=True), payload))),
        "invalid", "cose_malformed")
    p_alg_only = cbor2.dumps({1: -7}, canonical=True)
    add("cose-kid-in-unprotected", token_of(cose_bytes(p_alg_only, b"\xA1\x04" + bstr(kid), payload,
                                                       sign_raw(seal_key, p_alg_only, payload))),
        "invalid", "cose_malformed")
    add("cose-signature-63-bytes", token_of(cose_bytes(p, b"\xA0", payload, cose[-SIG_LEN:-1])),
        "invalid", "cose_malformed")
    add("cose-signature-der", token_of(cose_bytes(p, b"\xA0", payload, encode_dss_signature(
        int.from_bytes(cose[-64:-32], "big"), int.from_bytes(cose[-32:], "big")))), "invalid", "cose_malformed")
    nonshort = b"\xD2\x84" + bstr(p) + b"\xA0" + b"\x59" + len(payload).to_bytes(2, "big") + payload + bstr(cose[-64:])
    add("cose-non-shortest-length", token_of(nonshort), "invalid", "cose_malformed",
        note="payload length encoded in 2 bytes (0x59) although it fits in 1")
    # --- claims (all properly signed by the seal key)
    add("claims-unknown-key-9", signed_payload(cbor2.dumps({**claims_map(**std), 9: "x"}, canonical=True)),
        "invalid", "claims_malformed")
    body = claims_map(**std)
    items = [head(0, k) + cbor2.dumps(body[k], canonical=True) for k in CLAIM_KEYS]
    out_of_order = b"\xA8" + items[1] + items[0] + b"".join(items[2:])
    add("claims-keys-out-of-order", signed_payload(out_of_order), "invalid", "claims_malformed")
    dup = b"\xA9" + b"".join(items) + items[7]
    add("claims-duplicate-key", signed_payload(dup), "invalid", "claims_malformed")
    indef_map = b"\xBF" + b"".join(items) + b"\xFF"
    add("claims-indefinite-map", signed_payload(indef_map), "invalid", "claims_malformed")
    iat_long = b"\xA8" + b"".join(items[:4]) + b"\x05\x1B" + iat.to_bytes(8, "big") + b"".join(items[5:])
    add("claims-non-shortest-integer", signed_payload(iat_long), "invalid", "claims_malformed",
        note="iat encoded as an 8-byte integer")
    v_float = b"\xA8\x01\xF9\x3C\x00" + b"".join(items[1:])
    add("claims-float-version", signed_payload(v_float), "invalid", "claims_malformed", note="v = 1.0 (half float)")
    add("claims-version-2", signed_payload(cbor2.dumps({**body, 1: 2}, canonical=True)), "invalid", "claims_malformed")
    add("claims-missing-hn", signed_payload(cbor2.dumps({k: body[k] for k in CLAIM_KEYS[:7]}, canonical=True)),
        "invalid", "claims_malformed")
    add("claims-exp-not-after-iat", signed_payload(claims_bytes(exp=iat)), "invalid", "claims_malformed")
    add("claims-dep-lowercase", signed_payload(claims_bytes(dep="rsj")), "invalid", "claims_malformed")
    add("claims-id-15-bytes", signed_payload(claims_bytes(doc_id=doc_id[:15])), "invalid", "claims_malformed")
    add("claims-hn-not-masked", signed_payload(claims_bytes(hn="张三")), "invalid", "claims_malformed")
    # --- kid / signature / certificate
    add("unknown-kid", signed_payload(payload, key=other_key, k=kid_of(other)), "unknown", "kid_unknown",
        note="signed by a key of the same root whose certificate is not in the trust material")
    add("kid-of-seal-signed-by-other-key", signed_payload(payload, key=other_key, k=kid), "invalid",
        "signature_invalid")
    add("certificate-unsuitable", signed_payload(payload, key=unsuitable_key, k=kid_of(unsuitable)), "invalid",
        "certificate_unsuitable", certs=("seal.pem", "unsuitable-seal.pem"),
        note="the certificate's keyUsage lacks digitalSignature")
    add("certificate-not-valid-at-iat", signed_payload(claims_bytes(iat=ts(d(2025, 12, 1)), exp=exp)), "invalid",
        "certificate_not_valid_at_issuance", note="iat before the seal certificate's notBefore")
    add("department-mismatch", signed_payload(claims_bytes(dep="GAJ")), "invalid", "department_mismatch")
    add("chain-invalid", signed_payload(payload, key=impostor_seal_key, k=kid_of(impostor_seal)), "invalid",
        "chain_invalid", certs=("seal.pem", "impostor-seal.pem"),
        note="the seal certificate names the district root as issuer but is signed by another key")
    # --- version 2: no dep (the certificate's OU), dig = first 16 bytes, hn with at most three '*'
    v2 = {1: 2, 2: doc_id, 4: "GRCBZM0123456789", 5: iat, 6: exp, 7: dig[:16], 8: "欧***"}
    token_v2 = signed_payload(cbor2.dumps(v2, canonical=True))
    add("valid-v2", token_v2, "valid", None, note="version 2 with a 16-character matter code; the department is the OU")
    add("valid-v2-url-production", qr_content(BASE_PRODUCTION, token_v2), "valid", None,
        note="a 30-character HTTPS base URL: QR version 13 at ECC Q")
    add("claims-v2-dig-32-bytes", signed_payload(cbor2.dumps({**v2, 7: dig}, canonical=True)), "invalid", "claims_malformed")
    add("claims-v2-hn-four-stars", signed_payload(cbor2.dumps({**v2, 8: "欧****"}, canonical=True)), "invalid",
        "claims_malformed", note="version 2 masks with at most three '*'")
    add("claims-version-3", signed_payload(cbor2.dumps({**v2, 1: 3}, canonical=True)), "invalid", "claims_malformed")

    files = {
        "root.pem": pem(root),
        "seal.pem": pem(seal),
        "seal-key.test-only.pem": seal_key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()),
        "impostor-seal.pem": pem(impostor_seal),
        "unsuitable-seal.pem": pem(unsuitable),
    }
    example = {"token": token, "cose_hex": cose.hex(), "claims_hex": payload.hex(),
               "protected_hex": p.hex(), "sig_structure_hex": sig_structure(p, payload).hex(),
               "kid": kid.hex(), "iat": iat, "exp": exp, "doc_id": doc_id.hex(), "dig": dig.hex(),
               "pdf": pdf.decode(), "url_https": qr_content(BASE_HTTPS, token),
               "url_local": qr_content(BASE_LOCAL, token), "zlib_len": len(z),
               "token_v2": token_v2, "url_production_v2": qr_content(BASE_PRODUCTION, token_v2)}
    return files, cases, example


def rfc9285_selftest():
    """The examples of RFC 9285 section 4."""
    for plain, enc in ((b"AB", "BB8"), (b"Hello!!", "%69 VD92EX0"), (b"base-45", "UJCLQE7W581"),
                       (b"ietf!", "QED8WEX0")):
        assert b45encode(plain) == enc and b45decode(enc) == plain, plain
    for bad in ("GGW", "QED8WEX", "ZZ", "abc"):
        try:
            b45decode(bad)
        except Reject:
            continue
        raise AssertionError(bad)


def run_cases(outdir: str, cases) -> int:
    rfc9285_selftest()
    failures = 0
    root = load_certs([os.path.join(outdir, "root.pem")])[0]
    for c in cases:
        certs = load_certs([os.path.join(outdir, f) for f in c["certs"]])
        r = verify(c["text"], certs, root=root, now=c["now"])
        ok = r["result"] == c["expected_result"] and r["reason"] == c["expected_reason"]
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {c['name']:40s} {r['result']:8s} {str(r['reason']):34s} "
              f"len={len(c['text'])}" + ("" if ok else f"  expected {c['expected_result']}/{c['expected_reason']}"
                                         f" ({r['detail']})"))
    print(f"{len(cases) - failures} passed, {failures} failed")
    return failures


def cmd_make_vectors(args) -> int:
    files, cases, example = build_vectors()
    os.makedirs(args.outdir, exist_ok=True)
    for fname, data in files.items():
        with open(os.path.join(args.outdir, fname), "wb") as fh:
            fh.write(data)
    with open(os.path.join(args.outdir, "vectors.json"), "w", encoding="utf-8") as fh:
        json.dump(cases, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    if args.example:
        with open(args.example, "w", encoding="utf-8") as fh:
            json.dump(example, fh, ensure_ascii=False, indent=1)
    return 1 if run_cases(args.outdir, cases) else 0


def cmd_check_vectors(args) -> int:
    with open(os.path.join(args.dir, "vectors.json"), encoding="utf-8") as fh:
        cases = json.load(fh)
    return 1 if run_cases(args.dir, cases) else 0


def pdf_dig(path: str) -> bytes:
    """dig: SHA-256 over the decoded first content stream of every page, in page order (docs/qr-token.md,
    claim 7); for a one-page document, that page's first content stream."""
    from pypdf import PdfReader
    digest = hashlib.sha256()
    for page in PdfReader(path).pages:
        contents = page["/Contents"].get_object()
        first = contents[0].get_object() if isinstance(contents, list) else contents
        digest.update(first.get_data())
    return digest.digest()


def cmd_dig(args) -> int:
    print(pdf_dig(args.pdf).hex())
    return 0


def apply_status_list(r: dict, list_path: str, root, now: int) -> None:
    """docs/trust-list.md, the document status list: check its signature under the root and its freshness, then
    mark a listed document revoked. Written from the document, not from ZeroTrip's code."""
    with open(list_path, "rb") as fh:
        raw = fh.read()
    with open(list_path + ".sig", "rb") as fh:
        sig = fh.read()
    try:
        root.public_key().verify(sig, raw, ec.ECDSA(hashes.SHA256()))
        status = json.loads(raw)
        if status.get("format") != "zerotrip-status-list-v1":
            raise ValueError("format")
    except (InvalidSignature, ValueError):
        r["result"], r["reason"], r["detail"] = "unknown", "status_list_invalid", "status list signature or format"
        return
    next_update = int(datetime.datetime.fromisoformat(status["nextUpdate"].replace("Z", "+00:00")).timestamp())
    if now > next_update + int(status["graceSeconds"]):
        r["result"], r["reason"], r["detail"] = "unknown", "status_list_stale", "status list past nextUpdate + grace"
        return
    r["checks"]["revocation"] = "status_list " + status["issuedAt"]
    if r["result"] not in ("valid", "expired") or not r.get("claims"):
        return
    digest = hashlib.sha256(b"zerotrip-status-v1" + bytes.fromhex(r["claims"]["id"])).digest()[:16]
    wanted = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    for entry in status["entries"]:
        if entry["hash"] == wanted:
            r["result"] = "revoked"
            r["reason"] = "superseded" if entry["status"] == "superseded" else "revoked"
            r["detail"] = f"{entry['status']} at {entry['changedAt']} ({entry.get('reason')})"


def cmd_verify(args) -> int:
    certs = load_certs(args.cert)
    root = load_certs([args.root])[0] if args.root else None
    r = verify(args.text, certs, root=root, now=args.now)
    if args.status_list:
        if root is None:
            raise SystemExit("--status-list needs --root")
        now = args.now if args.now is not None else int(datetime.datetime.now(datetime.timezone.utc).timestamp())
        apply_status_list(r, args.status_list, root, now)
    if args.pdf and r.get("result") == "valid":
        claims = r.get("claims") or {}
        # Version 2 carries the first 16 bytes of the digest.
        expected = pdf_dig(args.pdf)[: 32 if claims.get("v") == 1 else 16].hex()
        claimed = claims.get("dig")
        r.setdefault("checks", {})["dig_from_pdf"] = expected
        if claimed != expected:
            r["result"], r["reason"] = "invalid", "digest_mismatch"
    print(json.dumps(r, ensure_ascii=False, indent=1))
    return 0 if r["result"] == "valid" else 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("verify", help="verify a token or QR URL")
    v.add_argument("--cert", action="append", required=True,
                   help="seal certificate PEM file (may hold several) or a directory of *.pem; repeatable")
    v.add_argument("--root", help="district root certificate PEM; without it the chain is not checked")
    v.add_argument("--now", type=int, help="current time, seconds since the epoch (default: the clock)")
    v.add_argument("--pdf", help="the PDF the token belongs to: recompute dig and compare")
    v.add_argument("--status-list", help="a signed document status list (FILE and FILE.sig, docs/trust-list.md); needs --root")
    v.add_argument("text")
    v.set_defaults(func=cmd_verify)
    d = sub.add_parser("dig", help="print dig (claim 7) recomputed from a PDF")
    d.add_argument("pdf")
    d.set_defaults(func=cmd_dig)
    m = sub.add_parser("make-vectors", help="write test vectors into OUTDIR and check them")
    m.add_argument("outdir")
    m.add_argument("--example", help="also write the worked example's values as JSON to this file")
    m.set_defaults(func=cmd_make_vectors)
    c = sub.add_parser("check-vectors", help="check DIR/vectors.json with this verifier")
    c.add_argument("dir")
    c.set_defaults(func=cmd_check_vectors)
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Validate the single embedded PDF signature of PDF with pyHanko.

Usage: pyhanko_validate.py PDF ROOT_PEM [INTERMEDIATE_PEM ...]

ROOT_PEM is the ONLY trust anchor; INTERMEDIATE_PEMs are untrusted helpers for
path building (e.g. a root-renewal link certificate).  Nothing is fetched from the network and
missing revocation information (CRL/OCSP) is tolerated ('soft-fail').

Prints one JSON object on stdout:
  signatures          number of embedded signatures (document timestamps included)
  intact, valid       CMS digest / cryptographic signature checks
  trusted             chain to ROOT_PEM ok (incl. key usage: nonRepudiation, pyHanko's default)
  coverage            pyHanko SignatureCoverageLevel name, e.g. "ENTIRE_FILE"
  modification_level  pyHanko ModificationLevel name, e.g. "NONE" (or null)
  docmdp_ok           DocMDP compliance (bool or null)
  bottom_line         pyHanko's overall verdict (PdfSignatureStatus.bottom_line)
  pades_level         "B-B" / "B-T" / "B-LT" / "B-LTA" or null (see _pades_level;
                      pyHanko has no level classifier, so this is derived from the
                      signature's structure after pyHanko validated it)
  pades_checks        the structural facts pades_level was derived from
  ades_indication     ETSI EN 319 102-1 basic validation result from
                      pyhanko.sign.validation.ades.ades_basic_validation,
                      e.g. "PASSED/OK" or "INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND"
  summary             PdfSignatureStatus.summary(), e.g. "INTACT:TRUSTED,UNTOUCHED"
  details             PdfSignatureStatus.pretty_print_details()
  signer              signer certificate subject (RFC 4514)
  signer_human        signer subject as asn1crypto's human_friendly string
  subfilter, field_name, signed_attributes, unsigned_attributes, digest_algorithm
  pyhanko_version

Exit status: 0 if exactly one signature is present and bottom_line, trusted and
intact are all true; 1 otherwise (including validation errors, reported in
"error"); 2 if the PDF cannot be read or contains no signature.
"""

import asyncio
import json
import sys
import traceback
from importlib import metadata


def _emit(obj, code):
    try:
        sys.stdout.reconfigure(encoding="utf-8")
    except Exception:
        pass
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))
    sys.exit(code)


def _enum_name(value):
    if value is None:
        return None
    return getattr(value, "name", str(value))


def _version(dist):
    try:
        return metadata.version(dist)
    except Exception:
        return None


def _load_root(path):
    from asn1crypto import pem, x509

    with open(path, "rb") as f:
        data = f.read()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return x509.Certificate.load(data)


def _pades_level(reader, emb_sig, signed_attrs, unsigned_attrs):
    """Derive the PAdES baseline level (ETSI EN 319 142-1) from the structure.

    B-B requires: SubFilter ETSI.CAdES.detached, content-type, message-digest
    and signing-certificate(-v2) signed attributes, no signing-time signed
    attribute (the time goes in /M), and no CMS content (detached).
    B-T additionally: a signature-time-stamp unsigned attribute or a document
    timestamp after the signature.  B-LT: a DSS.  B-LTA: a document timestamp
    after the DSS.  Returns (level_or_None, checks_dict).
    """
    from pyhanko.sign.validation.dss import DocumentSecurityStore
    from pyhanko.sign.validation.errors import NoDSSFoundError

    subfilter = emb_sig.sig_object.get("/SubFilter")
    encap = emb_sig.signed_data["encap_content_info"]
    checks = {
        "subfilter_etsi_cades_detached": str(subfilter) == "/ETSI.CAdES.detached",
        "detached": encap["content"].native is None,
        "content_type_attr": "content_type" in signed_attrs,
        "message_digest_attr": "message_digest" in signed_attrs,
        "signing_certificate_v2_attr": "signing_certificate_v2" in signed_attrs,
        "signing_certificate_attr": "signing_certificate" in signed_attrs,
        "no_signing_time_attr": "signing_time" not in signed_attrs,
        "has_M_entry": "/M" in emb_sig.sig_object,
    }
    bb = (
        checks["subfilter_etsi_cades_detached"]
        and checks["detached"]
        and checks["content_type_attr"]
        and checks["message_digest_attr"]
        and (checks["signing_certificate_v2_attr"] or checks["signing_certificate_attr"])
        and checks["no_signing_time_attr"]
    )
    sig_ts = "signature_time_stamp_token" in unsigned_attrs
    later_doc_ts = [
        ts
        for ts in reader.embedded_timestamp_signatures
        if ts.signed_revision > emb_sig.signed_revision
    ]
    try:
        DocumentSecurityStore.read_dss(reader)
        has_dss = True
    except NoDSSFoundError:
        has_dss = False
    checks["signature_time_stamp"] = sig_ts
    checks["document_timestamps_after_signature"] = len(later_doc_ts)
    checks["dss"] = has_dss
    if not bb:
        return None, checks
    level = "B-B"
    if sig_ts or later_doc_ts:
        level = "B-T"
        if has_dss:
            level = "B-LT"
            # B-LTA: a document timestamp covering the DSS revision
            dss_rev = None
            try:
                root = reader.root
                if "/DSS" in root:
                    dss_ref = root.raw_get("/DSS")
                    if hasattr(dss_ref, "idnum"):
                        dss_rev = reader.xrefs.get_introducing_revision(dss_ref.reference)
            except Exception:
                dss_rev = None
            if dss_rev is not None and any(
                ts.signed_revision >= dss_rev for ts in later_doc_ts
            ):
                level = "B-LTA"
    return level, checks


async def _ades_indication(emb_sig, root):
    """ETSI EN 319 102-1 §5.3 basic validation with the same trust settings."""
    from pyhanko.sign.validation import ades
    from pyhanko.sign.validation.policy_decl import (
        CertificateFetchingRule,
        RevinfoOnlineFetchingRule,
        RevocationInfoGatheringSpec,
        SignatureValidationSpec,
    )
    from pyhanko.sign.validation.status import PdfSignatureStatus
    from pyhanko_certvalidator.context import CertValidationPolicySpec
    from pyhanko_certvalidator.policy_decl import (
        CertRevTrustPolicy,
        RevocationCheckingPolicy,
    )
    from pyhanko_certvalidator.registry import SimpleTrustManager

    spec = SignatureValidationSpec(
        cert_validation_policy=CertValidationPolicySpec(
            trust_manager=SimpleTrustManager.build(trust_roots=[root]),
            revinfo_policy=CertRevTrustPolicy(
                RevocationCheckingPolicy.from_legacy("soft-fail")
            ),
        ),
        revinfo_gathering_policy=RevocationInfoGatheringSpec(
            online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY,
            certificate_fetching_rule=CertificateFetchingRule.NEVER_FETCH,
        ),
        key_usage_settings=PdfSignatureStatus.default_usage_constraints(),
    )
    result = await ades.ades_basic_validation(
        emb_sig.signed_data,
        validation_spec=spec,
        raw_digest=emb_sig.compute_digest(),
    )
    sub = result.ades_subindic
    return f"{sub.status.name}/{sub.standard_name}", result.failure_msg


def main(argv):
    # pyHanko logs path-building failures etc. as warnings with full tracebacks;
    # the JSON already carries the verdict, so keep stderr to real errors.
    import logging

    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.ERROR)

    if len(argv) < 3:
        _emit({"error": "usage: pyhanko_validate.py PDF ROOT_PEM [INTERMEDIATE_PEM ...]"}, 2)
    pdf_path, root_path = argv[1], argv[2]
    try:
        intermediates = [_load_root(path) for path in argv[3:]]
    except Exception as e:
        _emit({"error": f"cannot read an intermediate certificate: {type(e).__name__}: {e}"}, 2)

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    out = {
        "file": pdf_path,
        "pyhanko_version": _version("pyHanko"),
        "pyhanko_certvalidator_version": _version("pyhanko-certvalidator"),
    }

    try:
        root = _load_root(root_path)
    except Exception as e:
        out["error"] = f"cannot read trust root {root_path}: {type(e).__name__}: {e}"
        _emit(out, 2)

    try:
        f = open(pdf_path, "rb")
        reader = PdfFileReader(f)
        sigs = list(reader.embedded_signatures)
    except Exception as e:
        out["error"] = f"cannot read PDF: {type(e).__name__}: {e}"
        _emit(out, 2)

    out["signatures"] = len(sigs)
    out["regular_signatures"] = len(reader.embedded_regular_signatures)
    if not reader.embedded_regular_signatures:
        out["error"] = "no signature found in PDF"
        _emit(out, 2)

    emb_sig = reader.embedded_regular_signatures[0]
    out.update(
        {
            "intact": False,
            "valid": False,
            "trusted": False,
            "bottom_line": False,
            "field_name": emb_sig.field_name,
            "subfilter": str(emb_sig.sig_object.get("/SubFilter")),
        }
    )
    try:
        vc = ValidationContext(
            trust_roots=[root],
            other_certs=intermediates,
            allow_fetching=False,
            revocation_mode="soft-fail",
        )
        status = validate_pdf_signature(emb_sig, signer_validation_context=vc)

        signed_attrs = {
            a["type"].native for a in emb_sig.signer_info["signed_attrs"]
        }
        unsigned_attrs = {
            a["type"].native for a in (emb_sig.signer_info["unsigned_attrs"] or [])
        }
        pades_level, pades_checks = _pades_level(
            reader, emb_sig, signed_attrs, unsigned_attrs
        )
        cert = emb_sig.signer_cert
        try:
            from cryptography import x509 as cx509

            signer = cx509.load_der_x509_certificate(cert.dump()).subject.rfc4514_string()
        except Exception:
            signer = cert.subject.human_friendly
        out.update(
            {
                "intact": bool(status.intact),
                "valid": bool(status.valid),
                "trusted": bool(status.trusted),
                "revoked": bool(status.revoked),
                "coverage": _enum_name(status.coverage),
                "modification_level": _enum_name(status.modification_level),
                "docmdp_ok": status.docmdp_ok,
                "seed_value_ok": status.seed_value_ok,
                "bottom_line": bool(status.bottom_line),
                "pades_level": pades_level,
                "pades_checks": pades_checks,
                "summary": status.summary(),
                "details": status.pretty_print_details(),
                "signer": signer,
                "signer_human": cert.subject.human_friendly,
                "issuer": cert.issuer.human_friendly,
                "trust_problem": (
                    str(status.trust_problem_indic)
                    if status.trust_problem_indic is not None
                    else None
                ),
                "digest_algorithm": status.md_algorithm,
                "signature_mechanism": status.pkcs7_signature_mechanism,
                "signer_reported_time": status.signer_reported_dt,
                "signed_attributes": sorted(signed_attrs),
                "unsigned_attributes": sorted(unsigned_attrs),
            }
        )
    except Exception as e:
        out["error"] = f"validation failed: {type(e).__name__}: {e}"
        out["traceback"] = traceback.format_exc()
        _emit(out, 1)

    try:
        indication, failure = asyncio.run(_ades_indication(emb_sig, root))
        out["ades_indication"] = indication
        if failure:
            out["ades_failure"] = failure
    except Exception as e:
        out["ades_indication"] = None
        out["ades_error"] = f"{type(e).__name__}: {e}"

    ok = (
        out["signatures"] == 1
        and out["bottom_line"]
        and out["trusted"]
        and out["intact"]
    )
    if out["signatures"] != 1:
        out["note"] = f"expected exactly one signature, found {out['signatures']}"
    _emit(out, 0 if ok else 1)


if __name__ == "__main__":
    main(sys.argv)

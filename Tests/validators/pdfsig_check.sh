#!/bin/sh
# Validate a signed PDF with poppler's pdfsig against a single trust anchor.
#
# Usage: pdfsig_check.sh PDF ROOT_PEM
#
# Creates a throw-away NSS database holding only ROOT_PEM, trusted as a CA
# with trust flags "C,C,C".  The S/MIME (middle) flag is the one that matters:
# pdfsig verifies the signer with NSS usage certificateUsageEmailSigner, so
# with "C,," (SSL only) poppler 22.12 reports "Certificate issuer isn't Trusted."
# runs `pdfsig -nssdir sql:DB PDF`, prints pdfsig's output, and exits
#   0  if the output contains exactly one signature and it reports
#        "Signature Validation: Signature is Valid."
#        "Certificate Validation: Certificate is Trusted."
#        "Total document signed"      (not "Not total document signed")
#   1  otherwise (including pdfsig failing),
#   2  on usage errors / missing tools / unreadable input files.
# Requires certutil (Debian libnss3-tools) and pdfsig (poppler-utils, 22.12 tested).
set -u

if [ "$#" -ne 2 ]; then
    echo "usage: $0 PDF ROOT_PEM" >&2
    exit 2
fi
pdf=$1
root=$2
for tool in certutil pdfsig; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "pdfsig_check: $tool not found" >&2
        exit 2
    fi
done
for f in "$pdf" "$root"; do
    if [ ! -r "$f" ]; then
        echo "pdfsig_check: cannot read $f" >&2
        exit 2
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pdfsig-nss.XXXXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 2' HUP INT TERM

if ! certutil -N -d "sql:$tmp" --empty-password >"$tmp/certutil.log" 2>&1 ||
   ! certutil -A -d "sql:$tmp" -t "C,C,C" -n zerotrip-root -a -i "$root" >>"$tmp/certutil.log" 2>&1; then
    echo "pdfsig_check: certutil failed:" >&2
    cat "$tmp/certutil.log" >&2
    exit 2
fi

# pdfsig writes the signature report to stdout and parser diagnostics to
# stderr; only stdout is checked, the first 20 stderr lines go to our stderr.
out=$(pdfsig -nssdir "sql:$tmp" "$pdf" 2>"$tmp/pdfsig.err")
rc=$?
printf '%s\n' "$out"
if [ -s "$tmp/pdfsig.err" ]; then
    head -n 20 "$tmp/pdfsig.err" >&2
fi

if [ "$rc" -ne 0 ]; then
    echo "pdfsig_check: FAIL (pdfsig exited with $rc)" >&2
    exit 1
fi

nsigs=$(printf '%s\n' "$out" | grep -c '^Signature #[0-9]*:')
fail=""
[ "$nsigs" -eq 1 ] || fail="$fail expected 1 signature, found $nsigs;"
printf '%s\n' "$out" | grep -q '^  - Signature Validation: Signature is Valid\.$' ||
    fail="$fail signature not valid;"
printf '%s\n' "$out" | grep -q '^  - Certificate Validation: Certificate is Trusted\.$' ||
    fail="$fail certificate not trusted;"
printf '%s\n' "$out" | grep -q '^  - Total document signed$' ||
    fail="$fail signature does not cover the total document;"

if [ -n "$fail" ]; then
    echo "pdfsig_check: FAIL:$fail" >&2
    exit 1
fi
echo "pdfsig_check: OK" >&2
exit 0

#!/usr/bin/env bash
# The README's applicant walk-through against a running daemon (./scripts/demo.sh):
#   1. 张三丰 starts a tier-1 verification with ID number + name;
#   2. the SMS code is read from the outbox (the default SMS gateway);
#   3. the code opens a tier-1 applicant session;
#   4. he lists his results and downloads his own PDF;
#   5. he asks for another person's result: 403, and the refusal is in the audit log.
# Settings: ZEROTRIP_URL (default http://127.0.0.1:8080), ZEROTRIP_BIN (default: the debug build), run from the daemon's home.
set -euo pipefail
url="${ZEROTRIP_URL:-http://127.0.0.1:8080}"
bin="${ZEROTRIP_BIN:-$(cd "$(dirname "$0")/.." && swift build --show-bin-path)/zerotrip}"
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

echo "1. start: POST /v1/applicant/verifications (sms, 440104199001010010, 张三丰)"
start=$(curl -sf -X POST "$url/v1/applicant/verifications" -H 'Content-Type: application/json' \
  -d '{"method": "sms", "idNumber": "440104199001010010", "name": "张三丰"}')
id=$(echo "$start" | json '["verificationId"]'); secret=$(echo "$start" | json '["secret"]')
echo "   verification $id: $(echo "$start" | json '["message"]')"

echo "2. the SMS outbox (zerotrip identity outbox --last 1):"
message=$("$bin" identity outbox --last 1 | tail -n 1)
echo "   $message"
code=$(echo "$message" | grep -o '验证码为[0-9]\{6\}' | grep -o '[0-9]\{6\}')

echo "3. submit the code: POST /v1/applicant/verifications/$id/code"
session=$(curl -sf -X POST "$url/v1/applicant/verifications/$id/code" -H 'Content-Type: application/json' \
  -d "{\"secret\": \"$secret\", \"code\": \"$code\"}")
token=$(echo "$session" | json '["token"]')
echo "   session: tier $(echo "$session" | json '["tier"]'), method $(echo "$session" | json '["method"]'), expires $(echo "$session" | json '["expiresAt"]')"

echo "4. own results: GET /v1/applicant/documents"
documents=$(curl -sf "$url/v1/applicant/documents" -H "Authorization: Bearer $token")
own=$(echo "$documents" | json '["documents"][0]["id"]')
echo "   $(echo "$documents" | json '["documents"][0]["matterName"]') $own"
mkdir -p var
curl -sf "$url/v1/applicant/documents/$own/pdf" -H "Authorization: Bearer $token" -o "var/my-result-$own.pdf"
echo "   downloaded var/my-result-$own.pdf ($(wc -c < "var/my-result-$own.pdf") bytes, $(head -c 8 "var/my-result-$own.pdf"))"

echo "5. another person's result (a sample document of someone else):"
# A sample that is none of his (he may hold several results, e.g. after the README's issuance example).
mine=$(echo "$documents" | python3 -c 'import json,sys; print("\n".join(d["id"] for d in json.load(sys.stdin)["documents"]))')
other=$(ls var/demo-documents/*.pdf | xargs -n1 basename | sed 's/\.pdf$//' | grep -vxF "$mine" | sort | head -1)
status=$(curl -s -o /tmp/zerotrip-denied.json -w '%{http_code}' "$url/v1/applicant/documents/$other/pdf" -H "Authorization: Bearer $token")
echo "   GET /v1/applicant/documents/$other/pdf → $status $(cat /tmp/zerotrip-denied.json)"
[ "$status" = "403" ] || { echo "expected 403"; exit 1; }
echo "   audit: $("$bin" audit tail 2>/dev/null | grep 'auth.denied' | grep "document:$other" | tail -1)"

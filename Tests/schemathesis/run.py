"""Runs schemathesis against a running ZeroTrip daemon on a demo district and exits with its status.

Environment: ZT_URL (the daemon), ZT_HOME (the district directory, for the CLI), ZT_BIN (the zerotrip executable).
Makes a department credential with every scope (CLI) and an applicant session (SMS code from the CLI's outbox),
issues one document so the PDF strategy has a real one, then runs every check but positive_data_acceptance: that one
expects every schema-valid request to succeed, and the API refuses on purpose what JSON Schema cannot describe (ID
number check characters, departments and matters that exist, date ranges, the shape of CSV and YAML files).
"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.request

import jsonschema

url, home, binary = os.environ["ZT_URL"], os.environ["ZT_HOME"], os.environ["ZT_BIN"]
here = os.path.dirname(os.path.abspath(__file__))
scopes = "admin,documents:issue,documents:verify,credit:read,identity:read,identity:attest,applications:process,audit:read,documents:reuse,statistics:read,points:review"


def cli(*args):
    return subprocess.run([binary, *args], cwd=home, capture_output=True, text=True, check=True).stdout


def post(path, body, token=None):
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


credential = re.search(r"zt_[A-Za-z0-9_-]+", cli("credentials", "create", "--department", "RSJ", "--scopes", scopes, "--label", "schemathesis")).group(0)
started = post("/v1/applicant/verifications", {"method": "sms", "idNumber": "440104199001010010", "name": "张三丰"})
# The code is handed to the SMS outbox by the daemon's delivery service, a moment after the answer.
for _ in range(50):
    found = re.search(r"验证码为(\d{6})", cli("identity", "outbox", "--last", "1"))
    if found:
        break
    time.sleep(0.1)
code = found.group(1)
session = post(f"/v1/applicant/verifications/{started['verificationId']}/code", {"secret": started["secret"], "code": code})["token"]

issued = post(
    "/v1/documents",
    {"matterCode": "QZDJ", "matterName": "求职登记证明", "holderName": "张三丰", "holderIdNumber": "440104199001010010",
     "fields": [{"label": "求职意向", "value": "电子商务"}]},
    credential,
)
pdf_path = os.path.join(home, "schemathesis-sample.pdf")
request = urllib.request.Request(url + issued["pdf"], headers={"Authorization": "Bearer " + credential})
with urllib.request.urlopen(request, timeout=30) as response, open(pdf_path, "wb") as handle:
    handle.write(response.read())

# Answers schemathesis rarely provokes (a real issuance, verification, credit read, an applicant's own results) are
# checked against the response schemas of the description here, with the JSON Schema validator schemathesis uses.
def get(path, token):
    request = urllib.request.Request(url + path, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


with urllib.request.urlopen(url + "/openapi.json", timeout=30) as response:
    description = json.loads(response.read())


def check(method, pattern, status, answer):
    pointer = "/paths/" + pattern.replace("~", "~0").replace("/", "~1") + f"/{method}/responses/{status}/content/application~1json/schema"
    jsonschema.Draft202012Validator({**description, "$ref": "#" + pointer}).validate(answer)
    print(f"checked against its schema: {method.upper()} {pattern} {status}")


document_id = issued["document"]["id"]
check("post", "/v1/documents", 201, issued)
check("post", "/v1/verify", 200, post("/v1/verify", {"token": issued["token"]}, credential))
check("get", "/v1/documents/{id}", 200, get(f"/v1/documents/{document_id}", credential))
check("get", "/v1/documents", 200, get("/v1/documents?limit=5", credential))
check("get", "/v1/log/documents/{id}", 200, get(f"/v1/log/documents/{document_id}", credential))
check("get", "/v1/credit/{subject}", 200, get("/v1/credit/440104199001010010?matter=QZDJ", credential))
check("get", "/v1/applicant/me", 200, get("/v1/applicant/me", session))
check("get", "/v1/applicant/documents", 200, get("/v1/applicant/documents", session))
check("get", "/v1/trust-list", 200, get("/v1/trust-list", credential))
check("get", "/v1/status-list", 200, get("/v1/status-list", credential))
check("post", "/v1/documents/{id}/revoke", 200, post(f"/v1/documents/{document_id}/revoke", {"reason": "issued_in_error"}, credential))

environment = dict(os.environ, ZT_CREDENTIAL=credential, ZT_SESSION=session, ZT_PDF=pdf_path, SCHEMATHESIS_HOOKS="hooks",
                   PYTHONPATH=here + os.pathsep + os.environ.get("PYTHONPATH", ""))
command = [
    "schemathesis", "--config-file", os.path.join(here, "schemathesis.toml"), "run", url + "/openapi.json", "--url", url,
    "--checks", "all", "--exclude-checks", "positive_data_acceptance",
    "--max-examples", os.environ.get("ZT_EXAMPLES", "25"), "--workers", "2",
    "--request-timeout", "30", "--no-color",
]
# Logging out ends the session every applicant operation uses, and revoking a credential can hit the run's own (its
# id is in GET /v1/credentials): they run last, on their own. The main run fuzzes for a fixed time (fuzzing and the
# stateful phase repeat until it is spent), so the figure does not depend on how fast the machine is.
last_paths = "^/v1/applicant/logout$|^/v1/credentials/[^/]+/revoke$"
first = subprocess.run(
    command + ["--exclude-path-regex", last_paths, "--max-time", os.environ.get("ZT_MAX_TIME", "40")], env=environment, cwd=home)
# No stateful phase there: the links of the description join operations of the main run.
last = subprocess.run(
    command + ["--include-path-regex", last_paths, "--phases", "examples,coverage,fuzzing"], env=environment, cwd=home)
sys.exit(first.returncode or last.returncode)

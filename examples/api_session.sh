#!/usr/bin/env bash
# The README's API session, end to end, against `make run`: the hiring lead creates a
# candidate, assembles a loop and assigns Ivan; Ivan saves his notes and scores, submits
# his ratings and then his evidence; the lead reads the submitted scorecard.
#
#   LEAD_TOKEN=ik_... IVAN_TOKEN=ik_... bash examples/api_session.sh
#
# Make the tokens with `interviewkit token create EMAIL --name NAME --scope read-write`.
# Needs curl and python3 (to read the JSON answers). tests/test_docs.py runs this script
# against a served app, so the README's session cannot go stale.
set -euo pipefail

API=${IK_URL:-http://127.0.0.1:5000}/api/v1
: "${LEAD_TOKEN:?set LEAD_TOKEN to a hiring lead's read-write token}"
: "${IVAN_TOKEN:?set IVAN_TOKEN to ivan@example.com's read-write token}"

# call TOKEN METHOD PATH [BODY] [HEADER...]: print the answer; fail on an HTTP error
call() {
    local token=$1 method=$2 path=$3 body=${4:-}
    shift $(( $# < 4 ? $# : 4 ))
    local args=(-sS --fail-with-body -X "$method" -H "Authorization: Bearer $token")
    if [ -n "$body" ]; then args+=(-H "Content-Type: application/json" -d "$body"); fi
    for header in "$@"; do args+=(-H "$header"); done
    curl "${args[@]}" "$API$path"
}

# json EXPRESSION: evaluate a Python expression on the JSON read from standard input (as j)
json() { python3 -c "import json, sys; j = json.load(sys.stdin); print($1)"; }

echo "== the lead creates a candidate (a retry with the same key creates nothing new)"
KEY=$(python3 -c "import uuid; print(uuid.uuid4())")
CANDIDATE=$(call "$LEAD_TOKEN" POST /candidates \
    '{"name": "Noor Haddad", "email": "noor.haddad@example.com", "level": "mid", "allow_duplicate": true}' \
    "Idempotency-Key: $KEY")
echo "$CANDIDATE"
CANDIDATE_ID=$(echo "$CANDIDATE" | json 'j["id"]')

echo "== the lead assembles a loop from the mid-level template"
LOOP=$(call "$LEAD_TOKEN" POST "/candidates/$CANDIDATE_ID/loops" '{"template_id": "backend-mid"}')
echo "$LOOP" | json '"\n".join("session %d, %s: %s" % (s["id"], s["name"], "; ".join(q["title"] for q in s["questions"])) for s in j["sessions"])'
LOOP_ID=$(echo "$LOOP" | json 'j["id"]')
SESSION_ID=$(echo "$LOOP" | json 'j["sessions"][0]["id"]')

echo "== the lead assigns Ivan to the first session (If-Match: the loop's ETag)"
IVAN_ID=$(call "$LEAD_TOKEN" GET "/users?role=interviewer&limit=100" |
    json 'next(u["id"] for u in j["items"] if u["email"] == "ivan@example.com")')
ETAG=$(curl -sS -I -H "Authorization: Bearer $LEAD_TOKEN" "$API/loops/$LOOP_ID" |
    tr -d '\r' | awk -F': ' 'tolower($1) == "etag" {print $2}')
call "$LEAD_TOKEN" PATCH "/loops/$LOOP_ID/sessions/$SESSION_ID" "{\"interviewer_id\": $IVAN_ID}" \
    "If-Match: $ETAG" | json 'j["sessions"][0]["interviewer"]'

echo "== Ivan scores each question and writes his evidence (autosave, versioned items)"
KIT=$(call "$IVAN_TOKEN" GET "/me/sessions/$SESSION_ID")
SAVES=$(echo "$KIT" | json 'json.dumps({"items":
    [{"key": "score:%d" % q["id"], "value": 3, "base": 0, "save_id": "score-%08d" % q["id"]}
     for q in j["questions"]]
    + [{"key": "evidence:" + c, "base": 0, "save_id": "evidence-%08d" % i,
        "value": "Reasoned clearly about %s, with a worked example and its trade-offs." % c}
       for i, c in enumerate(j["competencies"])]})')
call "$IVAN_TOKEN" POST "/me/sessions/$SESSION_ID/scorecard/saves" "$SAVES" |
    json '", ".join(r["key"] + ": " + r["status"] for r in j["results"])'

echo "== Ivan submits his ratings, then his evidence"
RATINGS=$(echo "$KIT" | json 'json.dumps({"scores": {c: 3 for c in j["competencies"]}, "recommendation": "yes"})')
call "$IVAN_TOKEN" POST "/me/sessions/$SESSION_ID/scorecard/ratings" "$RATINGS" | json 'j["status"]'
call "$IVAN_TOKEN" POST "/me/sessions/$SESSION_ID/scorecard/submit" '{}' | json 'j["status"]'

echo "== the lead reads the submitted scorecard"
call "$LEAD_TOKEN" GET "/candidates/$CANDIDATE_ID/scorecards" | json 'json.dumps(j["items"][0], indent=1)'

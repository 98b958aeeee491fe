#!/usr/bin/env bash
# Scale-out on one machine: two gunicorn instances (A on 8401, B on 8402) with production
# settings, one PostgreSQL database (certguide_multi, created and dropped here), one Redis
# (database 5) as the shared cache, and one tasks worker. Two visitors, each a curl cookie
# jar of its own, take the quiz at the same time while the load balancer spreads each
# one's requests over both instances (visitor 1 answers odd steps on A, visitor 2 on B).
#
# Shows: each visitor's attempt, started on one instance, continues on the other to its
# own result (neither is refused by the CSRF check or handed the other's attempt); the
# sign-up rate limit (3/m) counts across both; the same address sent to both in different
# case is one lead; the worker mails it; an admin session opened on A is valid on B.
# Prints PASS/FAIL per check, exits non-zero on a FAIL, and stops and drops all it started.
#
#   bench/multi_instance.sh     (runs `make install` first; PostgreSQL and Redis on
#                                127.0.0.1, started if not running)
set -uo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

PSQL=(psql -h 127.0.0.1 -p 5432 -U postgres -X -q -A -t)
DB=certguide_multi
REDIS_DB=5
A=http://127.0.0.1:8401
B=http://127.0.0.1:8402
WORK=$(mktemp -d)
JAR="$WORK/cookies.txt" # the sign-up's and the admin's visitor
STARTED_REDIS=0
STARTED_POSTGRES=0

cleanup() {
    stop_started
    "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" postgres >/dev/null 2>&1
    redis-cli -h 127.0.0.1 -p 6379 -n $REDIS_DB flushdb >/dev/null 2>&1
    [[ $STARTED_REDIS == 1 ]] && redis-cli -h 127.0.0.1 -p 6379 shutdown nosave >/dev/null 2>&1
    [[ $STARTED_POSTGRES == 1 ]] && pg_ctlcluster 15 main stop >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT

# The first value of the <input name=NAME> in an HTML file (attribute order varies).
input_value() {
    $PY - "$1" "$2" <<'EOF'
import html, re, sys
text = open(sys.argv[1], encoding="utf-8").read()
for tag in re.findall(r"<input\b[^>]*>", text):
    attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
    if attrs.get("name") == sys.argv[2]:
        print(html.unescape(attrs.get("value", "")))
        break
EOF
}

# get URL OUT: GET with the visitor's jar ($JAR); prints the status.
get() { curl -s -b "$JAR" -c "$JAR" -o "$2" -w '%{http_code}' "$1"; }
# post URL OUT DATA...: POST with $JAR, without following; prints "status location".
post() {
    local url=$1 out=$2
    shift 2
    local args=()
    for field in "$@"; do args+=(--data-urlencode "$field"); done
    curl -s -b "$JAR" -c "$JAR" -o "$out" -w '%{http_code} %{redirect_url}' "${args[@]}" "$url"
}

# --- PostgreSQL and Redis: use the running ones, start them if they are not running.
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    pg_ctlcluster 15 main start && STARTED_POSTGRES=1
    sleep 2
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
    STARTED_REDIS=1
    sleep 0.5
fi
"${PSQL[@]}" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" postgres >/dev/null 2>&1
"${PSQL[@]}" -c "CREATE DATABASE $DB" postgres >/dev/null || exit 1
redis-cli -h 127.0.0.1 -p 6379 -n $REDIS_DB flushdb >/dev/null

# --- Production settings on the shared database and cache.
export SITE_URL=$A DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB
export CACHE_URL=redis://127.0.0.1:6379/$REDIS_DB TASKS_BACKEND=database
export SIGNUP_RATE_LIMIT=3/m GUNICORN_WORKERS=2
start_production "$WORK/static" || exit 1
DJANGO_SUPERUSER_PASSWORD=multi-instance-admin-pw $PY manage.py createsuperuser \
    --no-input --username admin --email admin@example.com >/dev/null || exit 1

GUNICORN_BIND=127.0.0.1:8401 .venv/bin/gunicorn >"$WORK/a.log" 2>&1 &
PIDS+=($!)
GUNICORN_BIND=127.0.0.1:8402 .venv/bin/gunicorn >"$WORK/b.log" 2>&1 &
PIDS+=($!)
$PY manage.py db_worker --interval 0.2 --no-startup-delay >"$WORK/worker.log" 2>&1 &
PIDS+=($!)
for url in $A $B; do
    for _ in $(seq 1 75); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' "$url/healthz") == 200 ]] && break
        sleep 0.2
    done
done
check "instance A healthy" 200 "$(get $A/healthz "$WORK/h")"
check "instance B healthy" 200 "$(get $B/healthz "$WORK/h")"

# --- 1. Two visitors take the quiz at once, each alternating between the instances.
# walk N FIRST SECOND: visitor N, with a cookie jar of its own, presses Start on FIRST and
# answers odd steps on FIRST and even steps on SECOND (the load balancer does not stick),
# re-reading each page's CSRF token, question and first answer. Writes what it saw to
# $WORK/visitorN.*: start (status and location), attempt, resume (1 if the other instance
# offers to resume it after step 1), steps (the instance of each answer), codes (each
# step POST's status) and last (where the last answer led).
walk() {
    local n=$1 first=$2 second=$3
    local JAR="$WORK/visitor$n.jar" out="$WORK/visitor$n"
    local status location attempt next host step=1 answered_on="" codes=""
    get "$first/wizard/" "$out.start.html" >/dev/null
    read -r status location < <(post "$first/wizard/" "$out.out" \
        "csrfmiddlewaretoken=$(input_value "$out.start.html" csrfmiddlewaretoken)")
    echo "$status $location" >"$out.start"
    attempt=$(sed -E 's#.*/wizard/([0-9a-f-]{36})/step/1/#\1#' <<<"$location")
    echo "$attempt" >"$out.attempt"
    next=${location#"$first"}
    while [[ $next == */step/* && $step -le 30 ]]; do
        if ((step % 2)); then host=$first; else host=$second; fi
        get "$host$next" "$out.step$step.html" >/dev/null
        read -r status location < <(post "$host$next" "$out.out" \
            "csrfmiddlewaretoken=$(input_value "$out.step$step.html" csrfmiddlewaretoken)" \
            "question=$(input_value "$out.step$step.html" question)" \
            "choices=$(input_value "$out.step$step.html" choices)")
        answered_on+="$([[ $host == "$A" ]] && echo A || echo B)"
        codes+="$status "
        next=${location#"$host"}
        if [[ $step == 1 ]]; then
            # The resume cookie one instance signed is honoured by the other.
            get "$second/wizard/" "$out.resume.html" >/dev/null
            grep -c "/wizard/$attempt/step/2/" "$out.resume.html" >"$out.resume"
        fi
        step=$((step + 1))
    done
    echo "$answered_on" >"$out.steps"
    echo "$codes" >"$out.codes"
    echo "$next" >"$out.last"
}

walk 1 $A $B &
WALK1=$!
walk 2 $B $A &
WALK2=$!
wait $WALK1 $WALK2

for n in 1 2; do
    if [[ $n == 1 ]]; then first=$A; name=A; else first=$B; name=B; fi
    attempt=$(cat "$WORK/visitor$n.attempt")
    check "visitor $n started the quiz on $name (302 to step 1)" \
        "302 $first/wizard/$attempt/step/1/" "$(cat "$WORK/visitor$n.start")"
    check "visitor $n: the other instance offers to resume the attempt" 1 \
        "$(cat "$WORK/visitor$n.resume")"
    codes=$(cat "$WORK/visitor$n.codes")
    check "visitor $n: every answer accepted (302, no 403)" 0 \
        "$(tr ' ' '\n' <<<"$codes" | grep -cv '^302$\|^$')"
    check "visitor $n: alternating instances, the last answer leads to the result" \
        "/wizard/result/$attempt/" "$(cat "$WORK/visitor$n.last")"
    echo "      (visitor $n answered on: $(cat "$WORK/visitor$n.steps"))"
    steps=$(wc -w <<<"$codes")
    check "visitor $n: result page on A" 200 "$(JAR="$WORK/visitor$n.jar" get "$A/wizard/result/$attempt/" "$WORK/r")"
    check "visitor $n: result page on B" 200 "$(JAR="$WORK/visitor$n.jar" get "$B/wizard/result/$attempt/" "$WORK/r")"
    check "visitor $n: the attempt is one completed row holding every answer" "t|$steps" \
        "$("${PSQL[@]}" -c "SELECT completed_at IS NOT NULL, (SELECT count(*) FROM jsonb_object_keys(answers::jsonb)) FROM wizard_attempt WHERE id = '$attempt'" $DB)"
done
check "the two visitors have two different attempts" 2 \
    "$(sort -u "$WORK/visitor1.attempt" "$WORK/visitor2.attempt" | wc -l)"
ATTEMPT=$(cat "$WORK/visitor1.attempt")

# --- 2 and 3. Sign-ups alternate A, B, A, B: the limit of 3 per minute is shared, and
# the same address in three spellings is one lead.
# A fixed one-minute window: do not start the four posts in its last seconds.
second=$((10#$(date +%S)))
((second >= 50)) && sleep $((61 - second))
get "$A/free-training/?result=$ATTEMPT" "$WORK/signup.html" >/dev/null
TOKEN=$(input_value "$WORK/signup.html" csrfmiddlewaretoken)
codes=""
hosts=($A $B $A $B)
emails=(Jane.Doe@Example.com jane.doe@example.com JANE.DOE@EXAMPLE.COM jane.doe@example.com)
for i in 0 1 2 3; do
    read -r status _ < <(post "${hosts[$i]}/free-training/" "$WORK/out" \
        "csrfmiddlewaretoken=$TOKEN" "email=${emails[$i]}" "first_name=Jane" "consent=on" \
        "result=$ATTEMPT" "placement=wizard-result")
    codes+="$status "
done
check "sign-up limit 3/m counted across A and B (4th post refused)" "302 302 302 429 " "$codes"
check "the address sent to A and B in three spellings is one lead" "1|1" \
    "$("${PSQL[@]}" -c "SELECT count(*), count(*) FILTER (WHERE lower(email) = 'jane.doe@example.com' AND attempt_id = '$ATTEMPT') FROM leads_lead" $DB)"
for _ in $(seq 1 50); do
    sent=$("${PSQL[@]}" -c "SELECT count(*) FROM leads_lead WHERE last_emailed_at IS NOT NULL" $DB)
    [[ $sent == 1 ]] && break
    sleep 0.2
done
check "the worker sent the lead's confirmation mail" 1 "$sent"

# --- 4. An admin session opened on A is valid on B (sessions live in PostgreSQL).
get $A/admin/login/ "$WORK/login.html" >/dev/null
read -r status location < <(post "$A/admin/login/?next=/admin/" "$WORK/out" \
    "csrfmiddlewaretoken=$(input_value "$WORK/login.html" csrfmiddlewaretoken)" \
    "username=admin" "password=multi-instance-admin-pw" "next=/admin/")
check "admin signs in on A" "302 $A/admin/" "$status $location"
check "the admin session works on B" 200 "$(get $B/admin/ "$WORK/admin_b.html")"

check "no 500 on either instance" 0 "$(cat "$WORK/a.log" "$WORK/b.log" | grep -cE '"message": "[A-Z]+ [^ ]+ 5[0-9][0-9] ')"
if [[ $FAILED -ne 0 ]]; then
    echo "--- logs (tail)"
    tail -n 15 "$WORK/a.log" "$WORK/b.log" "$WORK/worker.log"
fi
exit $FAILED

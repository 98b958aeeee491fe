#!/usr/bin/env bash
# Database outage, for real: gunicorn (production settings) talks to PostgreSQL through a
# TCP proxy (bench/db_proxy.py) that this script cuts and restores. The machine's
# PostgreSQL itself is never stopped (others use it).
#
# Shows: pages and /healthz answer 200; with the line cut, a page answers the branded 503
# with Retry-After and /healthz 503; with the line back, every worker answers 200 again,
# and gunicorn was never restarted. Prints PASS/FAIL per check, exits non-zero on a FAIL,
# and stops and drops everything it started.
#
#   bench/fault_db.sh            (runs `make install` first; needs PostgreSQL on
#                                 127.0.0.1:5432, user postgres)
set -uo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

PGHOST=127.0.0.1
PGPORT=5432
PGUSER=postgres
DB=certguide_fault
PROXY_PORT=${PROXY_PORT:-8412}
WEB_PORT=${WEB_PORT:-8411}
WORK=$(mktemp -d)

cleanup() {
    stop_started
    psql -h $PGHOST -p $PGPORT -U $PGUSER -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" postgres >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT

wait_for_http() {
    for _ in $(seq 1 50); do
        curl -s -o /dev/null "$1" && return 0
        sleep 0.2
    done
    echo "FAIL  $1 never answered"
    exit 1
}

status() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$WEB_PORT$1"; }

# Content pages are cached whole (one copy per path, whatever the utm values), and a
# cached page needs no database: the server runs without a cache (below), so each of
# these requests really reaches PostgreSQL.
page() { status /compare/; }

pg_isready -q -h $PGHOST -p $PGPORT || { echo "PostgreSQL is not running on $PGHOST:$PGPORT"; exit 1; }
psql -h $PGHOST -p $PGPORT -U $PGUSER -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" postgres >/dev/null 2>&1
psql -h $PGHOST -p $PGPORT -U $PGUSER -q -c "CREATE DATABASE $DB" postgres >/dev/null

$PY bench/db_proxy.py --listen "$PROXY_PORT" --target "$PGHOST:$PGPORT" >"$WORK/proxy.log" 2>&1 &
PROXY=$!
PIDS+=("$PROXY")
sleep 0.5

# Production settings through the proxy, with Django's dummy cache: nothing is cached.
export DATABASE_URL="postgres://$PGUSER@127.0.0.1:$PROXY_PORT/$DB" TASKS_BACKEND=immediate
export GUNICORN_WORKERS=2 GUNICORN_BIND="127.0.0.1:$WEB_PORT" CACHE_URL=dummycache://
start_production "$WORK/static" || exit 1

.venv/bin/gunicorn >"$WORK/gunicorn.log" 2>&1 &
WEB=$!
PIDS+=("$WEB")
wait_for_http "http://127.0.0.1:$WEB_PORT/healthz"

for _ in 1 2 3 4; do page >/dev/null; done # every worker holds a connection now
check "page 200 with the database up" 200 "$(page)"
check "healthz 200 with the database up" 200 "$(status /healthz)"

kill -USR1 "$PROXY"
sleep 0.3
check "page 503 with the database unreachable" 503 "$(page)"
check "healthz 503 with the database unreachable" 503 "$(status /healthz)"
curl -s -D "$WORK/headers" -o "$WORK/body" "http://127.0.0.1:$WEB_PORT/certifications/csm/?utm_source=down"
check "503 page says Retry-After: 30" 1 "$(grep -ci '^retry-after: 30' "$WORK/headers")"
check "503 page is the branded one" 1 "$(grep -c '<h1>certguide is briefly unavailable' "$WORK/body")"
check "503 page shows no traceback" 0 "$(grep -c 'Traceback' "$WORK/body")"

kill -USR2 "$PROXY"
sleep 0.3
codes=""
for _ in 1 2 3 4 5 6; do codes+="$(page) "; done
check "every request 200 again once the database is back" "200 200 200 200 200 200 " "$codes"
check "healthz 200 again" 200 "$(status /healthz)"
check "gunicorn never restarted" 1 "$(grep -c 'Starting gunicorn' "$WORK/gunicorn.log")"
check "no 500 answered during the whole run" 0 "$(grep -cE '"message": "[A-Z]+ [^ ]+ 500 ' "$WORK/gunicorn.log")"

if [[ $FAILED -ne 0 ]]; then
    echo "--- gunicorn log (tail)"
    tail -20 "$WORK/gunicorn.log"
fi
exit $FAILED

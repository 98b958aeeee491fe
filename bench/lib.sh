# Shared by bench/fault_db.sh and bench/multi_instance.sh (sourced from the repository root).
# Sourcing it runs `make install`. Each script appends what it starts to PIDS, calls check
# for every claim, and exits FAILED.

PY=.venv/bin/python
# From a fresh clone too: the virtualenv with the runtime requirements (gunicorn included).
make --no-print-directory -s install || { echo "FAIL  make install"; exit 1; }
FAILED=0
PIDS=()

check() { # check NAME EXPECTED ACTUAL
    if [[ "$2" == "$3" ]]; then
        echo "PASS  $1"
    else
        echo "FAIL  $1 (expected '$2', got '$3')"
        FAILED=1
    fi
}

stop_started() { # stop every process in PIDS and wait for it
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
}

# Production settings (DJANGO_DEBUG unset) with a fresh secret key, on plain http at
# 127.0.0.1, mail dropped, static files collected into STATIC_ROOT. The caller exports
# DATABASE_URL and the rest first, then runs this: it migrates and collects.
start_production() { # start_production STATIC_ROOT
    unset DJANGO_DEBUG
    export DJANGO_SECRET_KEY
    DJANGO_SECRET_KEY=$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')
    export DJANGO_ALLOWED_HOSTS=127.0.0.1
    export DJANGO_SECURE_SSL_REDIRECT=false DJANGO_SECURE_COOKIES=false
    export DJANGO_STATIC_ROOT="$1" EMAIL_URL=dummymail://
    $PY manage.py migrate --no-input -v0 && $PY manage.py collectstatic --no-input -v0
}

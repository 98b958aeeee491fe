"""gunicorn settings for certguide; every value comes from the environment.

Run: gunicorn certguide.wsgi (gunicorn reads ./gunicorn.conf.py by itself).
docs/deploy.md describes each variable.
"""

import multiprocessing
import os

from certguide.logging import json_stdout_config

wsgi_app = "certguide.wsgi:application"

# PORT is what most platforms hand a web process; GUNICORN_BIND wins when set.
bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# The usual 2 x cores + 1 sync workers: the work is short database queries.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
# Above 1, gunicorn switches to threaded workers (useful without a buffering proxy).
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A request still running after this is killed and logged, instead of holding a worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak can never take an instance down.
# Each restart costs a worker about a second of start-up, so not too often: at 2,000
# requests a busy worker restarted every few seconds and the restarts set the p99.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
# Django is loaded once, in the master, and each worker is forked from it: a recycled
# worker answers again within milliseconds instead of a second of start-up (under full
# load that second was every p99 above 100 ms), and the workers share the loaded code's
# memory. Nothing opens a connection at import (Django and redis-py connect on first use,
# in the worker), so none is shared across the fork. New code needs a restart of the
# master, not a HUP; GUNICORN_PRELOAD=0 goes back to loading in each worker.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"
# gunicorn's control socket has one default path per user, which several instances on one
# host would fight over; it stays off unless a path is given (for gunicornc).
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket

# Logs: JSON lines on stdout, with the same masking as Django's (certguide/logging.py).
# The access line carries the path but never the query string (utm_*, ?result=<uuid>),
# the referrer (it may hold another page's token) or the client's IP address (personal
# data; the sign-up rate limit keeps only a keyed hash of it).
accesslog = None  # handlers come from logconfig_dict below; "-" would add a second one
access_log_format = '%(m)s %(U)s %(s)s %(B)s %(M)sms "%(a)s"'
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
logconfig_dict = json_stdout_config(
    root={"level": "INFO", "handlers": []},
    loggers={
        "gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
    },
)

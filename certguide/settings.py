"""certguide settings, read from environment variables (see README.md).

Debug defaults are safe for a laptop; without ``DJANGO_DEBUG`` the site refuses to
start until the production variables are set.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.csp import CSP

from certguide.logging import json_stdout_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)


def _required(name: str) -> str:
    """Return a variable production cannot run without, or stop with one line."""
    value = env.str(name, default="").strip()
    if not value:
        # SystemExit prints the message alone: no traceback for an operator to read.
        raise SystemExit(f"certguide: {name} must be set when DJANGO_DEBUG is off.")
    return value


if DEBUG:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-key-do-not-deploy")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
else:
    SECRET_KEY = _required("DJANGO_SECRET_KEY")
    ALLOWED_HOSTS = [h.strip() for h in _required("DJANGO_ALLOWED_HOSTS").split(",") if h.strip()]

# Links in mail are built from it, and our own pages are told apart from other referrers.
SITE_URL = (
    env.str("SITE_URL", default="http://127.0.0.1:8000") if DEBUG else _required("SITE_URL")
).rstrip("/")
# Earlier keys, newest first: signed links (unsubscribe links never expire) survive a rotation.
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])

INSTALLED_APPS = [
    # Before the admin: its TranslationAdmin and the _en/_de fields must be set up first.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "django_tasks_db",
    "axes",
    "certguide",
    "wizard",
    "leads",
    "integrations",
    "embed",
]

MIDDLEWARE = [
    # First: a stored page for everyone is answered before the rest of the stack runs.
    "certguide.content_cache.PageCacheMiddleware",
    "certguide.middleware.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "certguide.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "certguide.middleware.PathLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Innermost, so its process_exception sees a view's database error first.
    "certguide.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: turns its lockout into the 429 page.
    "axes.middleware.AxesMiddleware",
]

# Admin log-in brute force: django-axes counts failed log-ins in the database (so the
# count holds with the cache down) and locks the client out for a while.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
# By client, not by username: locking a username would let anyone lock a marketer out.
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
# ClientAddressMiddleware has already put the real client in REMOTE_ADDR; IPv6 by its /64.
AXES_CLIENT_IP_CALLABLE = "leads.ratelimit.client_address"
AXES_RESET_ON_SUCCESS = True
# No log line or access-log row per log-in: they would keep usernames and IP addresses.
AXES_VERBOSE = False
AXES_CLIENT_STR_CALLABLE = "certguide.login_limit.log_name"
AXES_USERNAME_CALLABLE = "certguide.login_limit.username"
AXES_DISABLE_ACCESS_LOG = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"

ROOT_URLCONF = "certguide.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "certguide.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "certguide.wsgi.application"

DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections: a request must not pay for a new PostgreSQL connection.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Fail fast when the server is gone so pages can answer 503 instead of hanging.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 3
else:
    # Covering indexes (INCLUDE) are PostgreSQL's; SQLite builds the same indexes without
    # the included columns, which is all a development database needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]


CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://certguide")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Redis down must not take pages down: the tolerant backend misses instead of raising,
    # and short timeouts keep a vanished Redis host from holding requests.
    CACHES["default"]["BACKEND"] = "certguide.cache.TolerantRedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).update(
        socket_connect_timeout=0.5, socket_timeout=0.5
    )
# A cached page or questionnaire this process read lately is answered from its memory
# while its generation was confirmed in the cache less than this many seconds ago (no
# round trip to Redis); an admin edit reaches every other process within it. 0: off.
CACHE_RECHECK_SECONDS = env.float("CACHE_RECHECK_SECONDS", default=1.0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The languages the site speaks. English is served unprefixed at /, every other under its
# own prefix (/de/). A third language is a line here, its catalogue in locale/, its
# translated fields (modeltranslation) and its content.
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
# Compiled by `make` (pybabel, no system gettext needed); see locale/README.md.
LOCALE_PATHS = [BASE_DIR / "locale"]

# Admin-edited texts (certguide, wizard, leads translation.py) are stored once per language;
# a German text left empty shows the English on the site (and is flagged in the admin).
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = {"default": ("en",), "de": ("en",)}
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic writes (the release step); a benchmark may point it elsewhere.
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
# Uploaded training materials. Nothing serves MEDIA_URL: visitors download them through
# their materials link (leads.views.material_file), as attachments.
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
MATERIAL_MAX_UPLOAD_MB = env.int("MATERIAL_MAX_UPLOAD_MB", default=20)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            # Hashed, compressed names so browsers may cache static files forever.
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Content-Security-Policy: everything from our own origin, nothing inline.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

# Production security (DJANGO_DEBUG off); docs/deploy.md lists the environment.
# TLS ends at the load balancer, which must set X-Forwarded-Proto (and strip a client's own).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Load-balancer health checks often speak plain http to the instance.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# HSTS is only sent on https responses; a year, as the preload list requires.
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
# Off only for a plain-http test deployment (bench/multi_instance.sh): browsers never send
# Secure cookies back over http, and the __Host- prefix demands Secure.
_secure_cookies = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _secure_cookies
# __Host-: the browser refuses the cookie unless Secure, Path=/ and no Domain, so a
# sibling subdomain can neither set nor overwrite it.
SESSION_COOKIE_NAME = "__Host-sessionid" if _secure_cookies else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if _secure_cookies else "csrftoken"
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Browser features no page uses, refused for the page and anything it embeds.
PERMISSIONS_POLICY_DENIED = (
    "camera",
    "microphone",
    "geolocation",
    "payment",
    "usb",
    "browsing-topics",
)
# How many proxies (load balancer, CDN) append to X-Forwarded-For in front of gunicorn;
# 0 when clients connect directly. The client address feeds the sign-up rate limit.
TRUSTED_PROXY_HOPS = env.int("DJANGO_TRUSTED_PROXY_HOPS", default=0)
# The proxies' own addresses or networks (10.0.0.0/8, 2001:db8::/32): X-Forwarded-For is
# believed only from a peer in this list, else anyone could name any client address.
TRUSTED_PROXIES = env.list("DJANGO_TRUSTED_PROXIES", default=[])
if TRUSTED_PROXY_HOPS and not TRUSTED_PROXIES and not DEBUG:
    raise SystemExit(
        "certguide: DJANGO_TRUSTED_PROXIES must list the proxies' addresses "
        "when DJANGO_TRUSTED_PROXY_HOPS is set."
    )
# Extra origins allowed to POST forms (scheme included), when the public host differs
# from the one the proxy forwards; usually empty.
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Form bodies (files excluded) above this get a 400 before a view reads them; the largest
# real form, a page's copy in the admin, is far below it.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

_email = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": {
            key: _email[setting]
            for key, setting in [
                ("host", "EMAIL_HOST"),
                ("port", "EMAIL_PORT"),
                ("username", "EMAIL_HOST_USER"),
                ("password", "EMAIL_HOST_PASSWORD"),
                ("use_tls", "EMAIL_USE_TLS"),
                ("use_ssl", "EMAIL_USE_SSL"),
            ]
            if _email.get(setting) not in (None, "")
        }
        if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
        else {},
    }
}
if MAILERS["default"]["BACKEND"].endswith("smtp.EmailBackend"):
    # A hung mail server must not hold a worker forever.
    MAILERS["default"]["OPTIONS"]["timeout"] = 10
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="certguide <hello@certguide.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# How long a sender holds a mail it took: well above a send's worst case (a few SMTP round
# trips of up to 10 s each), so a live sender is never doubled, and short enough that a
# mail whose worker died goes out again soon (docs/deploy.md, "Mail delivery").
MAIL_SEND_LEASE = timedelta(seconds=env.int("MAIL_SEND_LEASE_SECONDS", default=120))

_tasks_backend = env.str("TASKS_BACKEND", default="immediate" if DEBUG else "database")
TASKS = {
    "default": {
        "BACKEND": {
            "immediate": "django.tasks.backends.immediate.ImmediateBackend",
            "database": "django_tasks_db.DatabaseBackend",
            "dummy": "django.tasks.backends.dummy.DummyBackend",
        }[_tasks_backend]
    }
}

# integrations/: webhooks and email-service sync (docs/integrations.md).
# Seconds between attempts of a failed delivery; the default spans about two days.
INTEGRATIONS_RETRY_SCHEDULE = [
    int(s) for s in env.list("INTEGRATIONS_RETRY_SCHEDULE", default=[]) if s.strip()
] or [10, 60, 300, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600]
# Loopback/private destinations are refused (SSRF) unless this is on (development, tests).
INTEGRATIONS_ALLOW_PRIVATE = env.bool("INTEGRATIONS_ALLOW_PRIVATE", default=False)
INTEGRATIONS_TIMEOUT = env.float("INTEGRATIONS_TIMEOUT", default=10.0)
# Webhooks a worker sends side by side (threads), so one slow receiver holds up no other.
INTEGRATIONS_CONCURRENCY = env.int("INTEGRATIONS_CONCURRENCY", default=8)
# A claimed delivery whose worker died is taken up again after this long.
INTEGRATIONS_LEASE_SECONDS = env.int("INTEGRATIONS_LEASE_SECONDS", default=60)
# Fernet keys (comma-separated, newest first) that encrypt API keys and webhook secrets.
INTEGRATIONS_ENCRYPTION_KEYS = env.list("INTEGRATIONS_ENCRYPTION_KEYS", default=[])

# Sign-ups per client: "count/period" with period s, m, h or d.
SIGNUP_RATE_LIMIT = env.str("SIGNUP_RATE_LIMIT", default="5/m")
SIGNUP_DAILY_LIMIT = env.str("SIGNUP_DAILY_LIMIT", default="30/d")

LOGIN_URL = "admin:login"

# One JSON object per line on stdout, for the platform's log collector; email addresses
# and link tokens are masked before anything is written (certguide/logging.py).
LOGGING = json_stdout_config(
    root={"handlers": ["stdout"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    loggers={
        # Through the root handler only: Django's default mail_admins handler would mail
        # request details (personal data) and its console one would log them twice.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # A line per failed log-in is noise; lockouts are warnings and still come through.
        "axes": {"handlers": [], "level": "WARNING", "propagate": True},
        # httpx logs every request's URL at INFO; some email-service URLs hold an address.
        "httpx": {"handlers": [], "level": "WARNING", "propagate": True},
    },
)

"""Test settings: the production settings module, with test-only speed-ups.

The environment a test run needs is set here, so `pytest` works with nothing exported;
`DATABASE_URL` from the environment still wins, which is how the suite runs on PostgreSQL.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-not-for-production-" + "x" * 20)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SITE_URL", "http://testserver")
os.environ.setdefault("TASKS_BACKEND", "immediate")
os.environ.setdefault("EMAIL_URL", "consolemail://")
# Test receivers and vendor fakes listen on 127.0.0.1; a fixed key so subprocesses agree.
os.environ.setdefault("INTEGRATIONS_ALLOW_PRIVATE", "1")
os.environ.setdefault(
    "INTEGRATIONS_ENCRYPTION_KEYS", "dGVzdC1vbmx5LWtleS1mb3ItY2VydGd1aWRlLXRlc3Q="
)

from certguide.settings import *  # noqa: F403

# A fast hasher: the suite creates users, it does not test hashing strength.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Unhashed static names: the manifest needs collectstatic, which tests do not run.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The test client and the browser tests' live_server speak plain http: a redirect to https
# would answer every request with a 301.
SECURE_SSL_REDIRECT = False
# Browsers never send Secure cookies back over http, and refuse __Host- names without
# Secure; tests/test_security.py checks the production values separately.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
SESSION_COOKIE_NAME = "sessionid"
CSRF_COOKIE_NAME = "csrftoken"

# A value that carries a CSRF token must never be cached for every visitor: fail the test.
GENERATIONS_STRICT = True
# The suite clears the cache between tests; a value memoised in the process would outlive
# that. tests/certguide/test_recent_values.py turns it on where it is the subject.
CACHE_RECHECK_SECONDS = 0

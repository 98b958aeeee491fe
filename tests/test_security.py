import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path

from tests.leads.conftest import signup_data, visitor_signup

ROOT = Path(__file__).resolve().parent.parent

# The production environment docs/deploy.md documents (a throwaway key of the same shape;
# SQLite stands in for PostgreSQL, which `check` does not need to reach).
PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "q8Vn3-tZ1rL0_pXw7Yc2Kf9sBm4Hd6Ja5Ue8Rg0Wi1Ox3Nv7Tb2Zl9Ay6Pe4Sk_MuQ",
    "DJANGO_ALLOWED_HOSTS": "certguide.example.com",
    "SITE_URL": "https://certguide.example.com",
    "DATABASE_URL": "sqlite:////tmp/certguide-check-deploy.sqlite3",
    "CACHE_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587",
    "DEFAULT_FROM_EMAIL": "certguide <hello@certguide.example.com>",
    "DJANGO_TRUSTED_PROXY_HOPS": "1",
    "DJANGO_TRUSTED_PROXIES": "10.0.0.0/8",
    "INTEGRATIONS_ENCRYPTION_KEYS": "8sQm0Yy3uGZkXo1cR4f7b2JtVw9nL5hAeP6dC0iKqUs=",
}


def run_production(*args: str, **extra_env: str) -> subprocess.CompletedProcess:
    """Run Python in a fresh process with only the production environment set."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "GUNICORN_", "INTEGRATIONS_"))
    }
    for name in ("DATABASE_URL", "CACHE_URL", "EMAIL_URL", "SITE_URL", "TASKS_BACKEND"):
        env.pop(name, None)
    env.update(PRODUCTION_ENV, DJANGO_SETTINGS_MODULE="certguide.settings", **extra_env)
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def production_settings(*names: str, **extra_env: str) -> dict:
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}))"
    )
    result = run_production("-c", code, **extra_env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_with_the_documented_production_environment():
    result = run_production("manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    # The one check ever silenced: SQLite's indexes leave out a covering index's included
    # columns (models.W040); on PostgreSQL nothing is silenced.
    assert production_settings("SILENCED_SYSTEM_CHECKS") == {
        "SILENCED_SYSTEM_CHECKS": ["models.W040"]
    }
    on_postgresql = production_settings(
        "SILENCED_SYSTEM_CHECKS", DATABASE_URL="postgres://postgres@127.0.0.1:5432/certguide"
    )
    assert on_postgresql == {"SILENCED_SYSTEM_CHECKS": []}


def test_check_deploy_warns_when_https_is_switched_off():
    # The check is able to fail: the same environment without the https settings.
    result = run_production(
        "manage.py",
        "check",
        "--deploy",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_HSTS_SECONDS="0",
    )

    assert "security.W008" in result.stderr
    assert "security.W004" in result.stderr


def test_earlier_secret_keys_come_from_the_environment():
    values = production_settings(
        "SECRET_KEY_FALLBACKS", DJANGO_SECRET_KEY_FALLBACKS="old-key-one,old-key-two"
    )

    assert values == {"SECRET_KEY_FALLBACKS": ["old-key-one", "old-key-two"]}
    assert "`DJANGO_SECRET_KEY_FALLBACKS`" in (ROOT / "docs" / "deploy.md").read_text()


def test_documented_environment_matches_docs_deploy_md():
    docs = (ROOT / "docs" / "deploy.md").read_text()

    for name in PRODUCTION_ENV:
        assert f"`{name}`" in docs


def test_production_cookies_are_secure_host_prefixed_and_same_site():
    values = production_settings(
        "SESSION_COOKIE_NAME",
        "CSRF_COOKIE_NAME",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SAMESITE",
        "SECURE_SSL_REDIRECT",
        "SECURE_PROXY_SSL_HEADER",
        "DEBUG",
    )

    assert values == {
        "SESSION_COOKIE_NAME": "__Host-sessionid",
        "CSRF_COOKIE_NAME": "__Host-csrftoken",
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "DEBUG": False,
    }


@pytest.mark.django_db
@override_settings(
    CSRF_COOKIE_NAME="__Host-csrftoken", CSRF_COOKIE_SECURE=True, SECURE_SSL_REDIRECT=True
)
def test_csrf_cookie_meets_the_host_prefix_rules_behind_the_proxy(client):
    response = client.get("/admin/login/", headers={"x-forwarded-proto": "https"})

    assert response.status_code == 200
    cookie = response.cookies["__Host-csrftoken"]
    assert cookie["secure"] is True
    assert cookie["path"] == "/"
    assert cookie["domain"] == ""
    assert cookie["samesite"] == "Lax"


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_redirected_to_https_but_health_checks_are_not(client):
    page = client.get("/compare/?utm_source=x")
    behind_proxy = client.get("/", headers={"x-forwarded-proto": "https"})
    health = client.get("/healthz")

    assert page.status_code == 301
    assert page["Location"] == "https://testserver/compare/?utm_source=x"
    assert behind_proxy.status_code == 200
    assert health.status_code == 200


@pytest.mark.django_db
def test_https_responses_carry_a_year_of_hsts_with_preload(client):
    response = client.get("/", secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


SECURITY_HEADER_PAGES = ["/", "/compare/", "/healthz", "/no-such-page/", "/admin/login/"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", SECURITY_HEADER_PAGES)
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)

    assert response.status_code in (200, 404)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    # Only our own origin: no scheme or host of anyone else's.
    assert "://" not in csp
    assert "*" not in csp
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    for feature in ("camera", "microphone", "geolocation", "payment"):
        assert f"{feature}=()" in response["Permissions-Policy"]


def broken_view(request):
    raise RuntimeError("secret detail jane@example.com")


def client_address_view(request):
    return HttpResponse(request.META["REMOTE_ADDR"])


# A URLconf of its own for these tests, with the project's real 500 handler.
urlpatterns = [path("broken/", broken_view), path("client-address/", client_address_view)]
handler500 = "certguide.views.server_error"


@pytest.mark.urls("tests.test_security")
def test_a_500_carries_the_security_headers_and_no_traceback(client):
    client.raise_request_exception = False

    response = client.get("/broken/")

    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in html
    assert "Traceback" not in html
    assert "jane@example.com" not in html
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("a=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1), "body above the memory limit"),
        (
            "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)),
            "more fields than allowed",
        ),
    ],
)
def test_oversized_form_bodies_are_a_400_not_a_500(client, body, why):
    response = client.post(
        "/admin/login/", data=body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400, why
    assert b"We could not read that request" in response.content


def test_production_settings_refuse_debug_pages_and_third_party_origins():
    # The test settings import the production module: the CSP there is the real one.
    assert settings.DEBUG is False
    for directive, sources in settings.SECURE_CSP.items():
        for source in sources:
            assert "://" not in source, directive
            assert "unsafe" not in source, directive


@pytest.mark.urls("tests.test_security")
@pytest.mark.parametrize(
    ("hops", "peer", "forwarded_for", "seen"),
    [
        (0, "10.0.0.9", "203.0.113.7", "10.0.0.9"),  # no proxy configured: header ignored
        (1, "10.0.0.9", "203.0.113.7", "203.0.113.7"),  # the load balancer appended the client
        (1, "10.0.0.9", "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # a forged entry is skipped
        (2, "10.0.0.9", "6.6.6.6, 203.0.113.7, 10.0.0.2", "203.0.113.7"),  # CDN, then balancer
        (2, "10.0.0.9", "203.0.113.7", "10.0.0.9"),  # fewer entries than proxies: not trusted
        (1, "10.0.0.9", "not-an-address", "10.0.0.9"),
        (1, "10.0.0.9", "", "10.0.0.9"),
        # A client that reaches gunicorn itself, not through a listed proxy, names nobody.
        (1, "198.51.100.4", "203.0.113.7", "198.51.100.4"),
        (1, "2001:db8::1", "203.0.113.7", "2001:db8::1"),
        # The hop between the balancer and the client must be a listed proxy too.
        (2, "10.0.0.9", "6.6.6.6, 203.0.113.7", "10.0.0.9"),
        (1, "fd00::5", "2001:db8:1:2::7", "2001:db8:1:2::7"),
    ],
)
def test_client_address_comes_from_the_trusted_proxies_only(
    client, settings, hops, peer, forwarded_for, seen
):
    settings.TRUSTED_PROXY_HOPS = hops
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "fd00::/8"]

    response = client.get(
        "/client-address/", headers={"x-forwarded-for": forwarded_for}, REMOTE_ADDR=peer
    )

    assert response.content.decode() == seen


@pytest.mark.django_db
def test_behind_a_load_balancer_each_client_has_its_own_sign_up_limit(settings):
    settings.TRUSTED_PROXY_HOPS = 1
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    settings.SIGNUP_RATE_LIMIT = "1/m"
    balancer, direct = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)

    def post(client: Client, forwarded_for: str, peer: str = "127.0.0.1") -> int:
        post.count += 1
        data = signup_data(email=f"visitor{post.count}@example.com")
        headers = {"x-forwarded-for": forwarded_for}
        return visitor_signup(client, data, headers=headers, REMOTE_ADDR=peer).status_code

    post.count = 0
    first = post(balancer, "203.0.113.7")
    # Straight to gunicorn with a new forged address each time: one client, one limit.
    direct_first = post(direct, "203.0.113.20", peer="198.51.100.4")
    direct_again = post(direct, "203.0.113.21", peer="198.51.100.4")
    again = post(balancer, "203.0.113.7")
    forged = post(balancer, "198.51.100.1, 203.0.113.7")
    other = post(balancer, "203.0.113.8")

    assert (first, direct_first, direct_again, again, forged, other) == (
        302,
        302,
        429,
        429,
        429,
        302,
    )


@pytest.mark.django_db
def test_a_post_without_csrf_token_gets_a_branded_page_without_inline_style(csrf_client):
    response = csrf_client.post("/free-training/", {"email": "jane@example.com"})

    html = response.content.decode()
    assert response.status_code == 403
    assert "That form has expired" in html
    assert "<style" not in html
    assert "style=" not in html
    assert "default-src 'self'" in response["Content-Security-Policy"]


@pytest.fixture
def csrf_client():
    """A client that, like a browser, must show a CSRF token."""
    return Client(enforce_csrf_checks=True)

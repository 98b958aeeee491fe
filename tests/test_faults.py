import io
import logging
import socket
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.urls import path

from certguide.cache import WARN_EVERY_SECONDS, TolerantRedisCache
from leads.models import Lead
from tests.leads.conftest import later

# Pages a visitor reaches without any state, each of which reads the database.
PUBLIC_PAGES = ["/", "/certifications/csm/", "/compare/", "/choose/", "/wizard/"]


def refuse(*args, **kwargs):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: refused')


@pytest.fixture
def database_down(monkeypatch):
    """Every attempt to use the database fails as it does when the server is gone."""
    monkeypatch.setattr(connection, "ensure_connection", refuse)
    return monkeypatch


def assert_branded_503(response) -> None:
    html = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]
    assert "certguide is briefly unavailable" in html
    assert "<h1>" in html
    assert "Traceback" not in html
    assert "127.0.0.1" not in html
    # The outage page is still one of ours: same security headers as any other.
    assert "default-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_answers_503_while_the_database_is_down_and_recovers(client, monkeypatch, path):
    before = client.get(path)
    cache.clear()  # a page served from the cache would not need the database
    monkeypatch.setattr(connection, "ensure_connection", refuse)
    during = client.get(path)
    monkeypatch.undo()
    after = client.get(path)

    assert before.status_code == 200
    assert_branded_503(during)
    assert after.status_code == 200


@pytest.mark.django_db
def test_healthz_says_503_while_the_database_is_down_and_200_after(client, database_down):
    down = client.get("/healthz")
    database_down.undo()
    up = client.get("/healthz")

    assert down.status_code == 503
    assert down.json() == {"status": "unavailable", "database": "down"}
    assert up.status_code == 200


@pytest.mark.django_db
def test_a_sign_up_posted_during_the_outage_gets_the_503_page(client, database_down):
    response = client.post(
        "/free-training/", {"email": "jane@example.com", "consent": "on", "first_name": "Jane"}
    )

    assert_branded_503(response)


@pytest.mark.django_db
@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_an_outage_is_logged_with_its_reason_and_no_traceback(client, monkeypatch, caplog, error):
    def lost(*args, **kwargs):
        raise error("server closed the connection unexpectedly")

    monkeypatch.setattr(connection, "ensure_connection", lost)

    with caplog.at_level(logging.INFO):
        response = client.get("/compare/")

    assert response.status_code == 503
    reasons = [r.getMessage() for r in caplog.records if r.name == "certguide.middleware"]
    assert reasons == [
        "database unreachable, answered 503 for GET /compare/: "
        "server closed the connection unexpectedly"
    ]
    # Django's own request line says 503; an outage is not a code bug: no traceback.
    assert not [r for r in caplog.records if r.exc_info]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def connect_to_nowhere(*args, **kwargs):
    """A real connection attempt by the real driver, wrapped as Django wraps it.

    PostgreSQL: a port nobody listens on; SQLite: a file in a missing directory. The test's
    own connection (and its rolled-back transaction) is left alone, so no flush is needed.
    """
    params = connection.get_connection_params()
    if connection.vendor == "postgresql":
        params["port"] = closed_port()
    else:
        params["database"] = "/nonexistent-certguide-dir/db.sqlite3"
    with connection.wrap_database_errors:
        connection.get_new_connection(params)


@pytest.mark.django_db
def test_a_real_driver_connection_failure_is_a_503_then_recovers(client, monkeypatch):
    cache.clear()
    monkeypatch.setattr(connection, "ensure_connection", connect_to_nowhere)
    down = client.get("/compare/?utm_source=outage")
    health = client.get("/healthz")
    monkeypatch.undo()

    assert_branded_503(down)
    assert health.status_code == 503
    assert client.get("/compare/?utm_source=outage").status_code == 200
    assert client.get("/healthz").status_code == 200


class RefusingMailer(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("[Errno 111] Connection refused")


@pytest.mark.django_db
def test_sign_up_succeeds_while_the_mail_server_is_down_and_the_mail_is_retried(
    client, settings, mailoutbox, django_capture_on_commit_callbacks
):
    mailer = settings.MAILERS
    settings.MAILERS = {"default": {"BACKEND": "tests.test_faults.RefusingMailer"}}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/free-training/", {"email": "Jane@Example.com", "consent": "on"}, follow=True
        )

    lead = Lead.objects.get()
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/free-training/check-your-email/"
    assert lead.email.lower() == "jane@example.com"
    assert lead.mail_state == "owed"
    assert "Connection refused" in lead.last_email_error
    assert mailoutbox == []

    # The mail server is back: the scheduled retry sends it and clears the error.
    settings.MAILERS = mailer
    with later(timedelta(minutes=1)):
        call_command("send_pending_emails", stdout=io.StringIO())

    lead.refresh_from_db()
    assert [m.to for m in mailoutbox] == [[lead.email]]
    assert lead.mail_state == "sent"
    assert lead.last_email_error == ""
    assert lead.last_emailed_at is not None


@pytest.fixture
def redis_down(settings, monkeypatch):
    """The shared cache pointed at a Redis nobody runs, through the production backend."""
    monkeypatch.setattr(TolerantRedisCache, "_last_warning", -WARN_EVERY_SECONDS)
    settings.CACHES = {
        "default": {
            "BACKEND": "certguide.cache.TolerantRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.mark.django_db
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_pages_work_from_the_database_while_redis_is_down(client, redis_down, path):
    first = client.get(path)
    again = client.get(path)

    assert first.status_code == 200
    assert again.status_code == 200


@pytest.mark.django_db
def test_sign_up_works_while_redis_is_down(client, redis_down, caplog):
    with caplog.at_level(logging.WARNING, logger="certguide.cache"):
        response = client.post(
            "/free-training/", {"email": "jane@example.com", "consent": "on"}, follow=True
        )

    assert response.redirect_chain[-1][0] == "/free-training/check-your-email/"
    assert Lead.objects.filter(email="jane@example.com").exists()
    # Said once, not once per cache call.
    assert len([r for r in caplog.records if r.name == "certguide.cache"]) == 1


def remember_something(request):
    request.session["seen"] = True
    return HttpResponse("ok")


# For the outage that strikes after the view: the session saved by its middleware.
urlpatterns = [path("remember/", remember_something)]
handler500 = "certguide.views.server_error"


@pytest.mark.django_db
@pytest.mark.urls("tests.test_faults")
def test_an_outage_after_the_view_saving_the_session_is_a_503_too(client, monkeypatch):
    client.raise_request_exception = False
    monkeypatch.setattr(SessionStore, "save", refuse)

    response = client.get("/remember/")

    assert_branded_503(response)


@pytest.mark.django_db
def test_rate_limit_counts_in_real_redis(client, real_redis, settings):
    settings.SIGNUP_RATE_LIMIT = "2/m"
    answers = [
        client.post("/free-training/", {"email": f"r{n}@example.com", "consent": "on"}).status_code
        for n in range(3)
    ]

    assert answers == [302, 302, 429]

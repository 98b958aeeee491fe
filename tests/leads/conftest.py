from contextlib import contextmanager
from datetime import timedelta
from html.parser import HTMLParser
from unittest import mock

import pytest
from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leads.models import Lead
from leads.tokens import Purpose, make_token


class BrokenMailer(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server refused the connection")


def make_lead(**fields) -> Lead:
    """A lead as the sign-up form would leave it; override any field."""
    defaults = {
        "email": "ada@example.com",
        "first_name": "Ada",
        "status": Lead.Status.PENDING,
        "consent_at": timezone.now(),
        "consent_version": "2026-11",
    }
    if fields.get("status") == Lead.Status.CONFIRMED:
        defaults["confirmed_at"] = timezone.now()
    return Lead.objects.create(**(defaults | fields))


def owed(kind: str = "confirmation", **fields) -> dict:
    """The fields of a lead owed `kind`, due now: make_lead(**owed("materials"))."""
    return {
        "mail_state": Lead.MailState.OWED,
        "mail_kind": kind,
        "mail_due_at": timezone.now(),
        "mail_requested_at": timezone.now(),
    } | fields


@contextmanager
def later(delta: timedelta):
    """Run the block as if `delta` had passed: every timezone.now() is moved on."""
    moved = timezone.now() + delta
    with mock.patch("django.utils.timezone.now", return_value=moved):
        yield moved


def token_for(lead: Lead, purpose: Purpose, *, age: timedelta = timedelta(0)) -> str:
    """A token as if it had been mailed `age` ago."""
    issued = timezone.now().timestamp() - age.total_seconds()
    with mock.patch("django.core.signing.time.time", return_value=issued):
        return make_token(lead=lead, purpose=purpose)


def copies_of(text: str) -> list[str]:
    """Every "table.column" in the database that holds ``text`` (any case), whatever
    the table: a general check that nothing kept a copy of someone's address or name."""
    quote = connection.ops.quote_name
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                cursor.execute(
                    f"SELECT 1 FROM {quote(table)} "  # noqa: S608 (names from introspection)
                    f"WHERE LOWER(CAST({quote(column.name)} AS TEXT)) LIKE %s LIMIT 1",
                    [f"%{text.lower()}%"],
                )
                if cursor.fetchone():
                    found.append(f"{table}.{column.name}")
    return found


class _Forms(HTMLParser):
    """The forms of a page: action, method and the fields a browser would submit."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append(
                {
                    "action": attr.get("action", ""),
                    "method": attr.get("method", "get"),
                    "data": {},
                    "buttons": [],
                }
            )
        elif tag == "input" and self.forms and attr.get("type") == "submit":
            self.forms[-1]["buttons"].append(attr.get("value", ""))
        elif tag == "input" and self.forms and attr.get("name"):
            kind = attr.get("type", "text")
            if kind in ("submit", "button", "file") or (
                kind in ("checkbox", "radio") and "checked" not in attr
            ):
                return
            self.forms[-1]["data"].setdefault(attr["name"], []).append(attr.get("value", ""))


def submit_form(client, response, *, having: str, **changes):
    """Submit the page's form that has a field or button named or valued ``having``, as a browser
    would: to its action (the page's own address when it has none), with its method and
    the values it holds, ``changes`` applied."""
    parser = _Forms()
    parser.feed(response.content.decode())
    [form] = [
        form
        for form in parser.forms
        if having in form["data"]
        or having in form["buttons"]
        or any(having in values for values in form["data"].values())
    ]
    url = form["action"] or response.wsgi_request.get_full_path()
    data = form["data"] | changes
    if form["method"].lower() == "post":
        return client.post(url, data, follow=True)
    return client.get(url, data, follow=True)


def signup_data(**fields) -> dict[str, str]:
    return {"email": "ada@example.com", "first_name": "Ada", "consent": "on"} | fields


def visitor_signup(client: Client, data: dict[str, str], **extra) -> HttpResponse:
    """Post the sign-up form as a browser does: open the page, send its CSRF token back.

    For a Client(enforce_csrf_checks=True), which refuses a post without the token."""
    client.get(reverse("leads:signup"), **extra)
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    return client.post(reverse("leads:signup"), {**data, "csrfmiddlewaretoken": token}, **extra)


@pytest.fixture
def lead(db) -> Lead:
    return make_lead()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run on-commit callbacks (the mail tasks) as a real commit would, per block."""

    @contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return run


@pytest.fixture
def post_signup(client, committed):
    """Post the sign-up form as a browser would, mail tasks included."""

    def post(**fields):
        with committed():
            return client.post(reverse("leads:signup"), signup_data(**fields))

    return post


@pytest.fixture
def broken_mail(settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.leads.conftest.BrokenMailer"}}

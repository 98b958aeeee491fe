from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leads.models import Lead
from leads.tokens import Purpose, make_token
from wizard.models import Attempt, Questionnaire, Recommendation


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


def make_attempt(
    *, outcome: str = Recommendation.CSPO, csm_score: int = 35, cspo_score: int = 80, **fields
) -> Attempt:
    """A completed quiz attempt with its frozen result."""
    questionnaire = Questionnaire.objects.create(name="Test questionnaire")
    defaults = {
        "questionnaire": questionnaire,
        "completed_at": timezone.now(),
        "csm_score": csm_score,
        "cspo_score": cspo_score,
        "outcome": outcome,
        "result": {
            "answers": [{"question": "What energises you?", "choices": ["Shaping the product"]}],
            "reasons": ["You are energised by deciding what the product should be."],
        },
    }
    return Attempt.objects.create(**(defaults | fields))


def token_for(lead: Lead, purpose: Purpose, *, age: timedelta = timedelta(0)) -> str:
    """A token as if it had been mailed `age` ago."""
    issued = timezone.now().timestamp() - age.total_seconds()
    with mock.patch("django.core.signing.time.time", return_value=issued):
        return make_token(lead=lead, purpose=purpose)


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

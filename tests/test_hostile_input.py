"""Hostile input at every form and URL parameter: never a 500, nothing stored unsafely,
nothing already stored changed.

Each case is one request (or a few) against a database holding a confirmed lead, a
pending lead and a completed quiz attempt; after it, those rows must be exactly as before.
"""

import hashlib
import importlib
import json
import re
import unicodedata
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.test import Client

from certguide.campaign import UTM_KEYS
from leads.export import LeadsCsv
from leads.models import Lead, TrainingMaterial
from leads.tokens import Purpose, make_token
from tests.conftest import make_attempt
from tests.leads.conftest import make_lead, visitor_signup
from wizard.models import Attempt, Recommendation
from wizard.questionnaires import active_weights

SCRIPT = "<script>alert('x')</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
HOSTILE = {
    "script": SCRIPT,
    "attribute-breakout": BREAKOUT,
    "nul": "jane\x00@example.com",
    "control": "\x1b[31mred\x07\x08",
    "crlf": "x\r\nSet-Cookie: pwned=1",
    "sql-quote": "' OR '1'='1' --",
    "sql-drop": "'); DROP TABLE leads_lead; --",
    "formula-cmd": "=cmd|' /C calc'!A0",
    "formula-plus": '+HYPERLINK("http://evil.example")',
    "formula-at": "@SUM(1+1)",
    "rtl-override": "\u202etxt.exe",
    "long": "x" * 5000,
    "non-latin": "Zoë ß 😀 ﷽",
    "path-traversal": "../../etc/passwd",
    "template": "{{ settings.SECRET_KEY }}{% debug %}",
}
# One of each kind, for the matrices where every kind matters more than every variant.
CORE = {
    name: HOSTILE[name]
    for name in ["script", "attribute-breakout", "nul", "crlf", "sql-quote", "formula-cmd", "long"]
}
# Raw, undecodable or malformed percent-encodings, sent as they are.
RAW_ENCODINGS = {
    "ff-fe": "%ff%fe",
    "nul": "%00",
    "overlong-slash": "%c0%af",
    "surrogate": "%ed%a0%80",
    "lone-percent": "%",
    "bad-hex": "%zz",
    "truncated": "%e2%82",
}
SIGNUP_FIELDS = [
    "email",
    "first_name",
    "consent",
    "leave_blank",
    "website",
    "result",
    "placement",
    *UTM_KEYS,
    "referrer",
]
CONTENT_PAGES = ["/", "/compare/", "/choose/", "/certifications/csm/", "/certifications/cspo/"]


class Stored:
    """The rows that exist before the hostile request, to compare with after it."""

    def __init__(self) -> None:
        self.attempt = make_attempt(
            questionnaire_id=active_weights().id,
            outcome=Recommendation.CSM,
            csm_score=70,
            cspo_score=40,
            utm_source="newsletter",
        )
        self.lead = make_lead(
            status=Lead.Status.CONFIRMED,
            placement="home-hero",
            attempt=self.attempt,
            outcome=self.attempt.outcome,
        )
        self.pending = make_lead(email="grace@example.com")
        self.before = self.snapshot()

    def snapshot(self) -> dict:
        rows = [
            Attempt.objects.get(pk=self.attempt.pk),
            Lead.objects.get(pk=self.lead.pk),
            Lead.objects.get(pk=self.pending.pk),
        ]
        return {repr(row): model_to_dict(row) for row in rows}

    def assert_unchanged(self) -> None:
        assert self.snapshot() == self.before


@pytest.fixture
def stored(db) -> Stored:
    return Stored()


def assert_nothing_unsafe_stored() -> None:
    """No text column of any lead or attempt holds control characters (NUL included)."""
    for model in (Lead, Attempt):
        for row in model.objects.all():
            for field in model._meta.concrete_fields:
                value = getattr(row, field.attname)
                if isinstance(value, str):
                    assert not any(unicodedata.category(ch) == "Cc" for ch in value), (
                        f"{model.__name__}.{field.name} = {value!r}"
                    )


def assert_safe_page(response) -> None:
    """A handled answer whose HTML carries no live markup from the input."""
    assert response.status_code < 500
    body = response.content.decode("utf-8", errors="replace")
    assert SCRIPT not in body
    assert "<img src=x onerror" not in body
    assert settings.SECRET_KEY not in body
    assert "pwned" not in str(response.cookies)


def signup_data(**fields: str) -> dict[str, str]:
    return {"email": "jane@example.com", "first_name": "Jane", "consent": "on"} | fields


def wizard_step_url(attempt: Attempt, number: int = 1) -> str:
    return f"/wizard/{attempt.pk}/step/{number}/"


def start_attempt(client: Client) -> Attempt:
    response = client.post("/wizard/")
    assert response.status_code == 302
    return Attempt.objects.get(pk=re.search(r"/wizard/([0-9a-f-]{36})/", response["Location"])[1])


# --- The sign-up form: every field, every hostile value.


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("field", SIGNUP_FIELDS)
def test_signup_field_with_hostile_value(client, stored, field, value):
    response = client.post("/free-training/", signup_data(**{field: value}))

    assert_safe_page(response)
    assert response.status_code in (200, 302)
    stored.assert_unchanged()
    assert_nothing_unsafe_stored()
    # At most the one new address; the form never writes a second row for anything.
    assert Lead.objects.count() <= 3


@pytest.mark.parametrize("value", CORE.values(), ids=CORE.keys())
def test_signup_with_the_address_of_an_existing_lead_changes_nothing_unsafe(client, stored, value):
    response = client.post(
        "/free-training/", signup_data(email="ADA@example.com", first_name=value, utm_source=value)
    )

    assert_safe_page(response)
    lead = Lead.objects.get(pk=stored.lead.pk)
    assert Lead.objects.count() == 2
    # Where the visitor first came from is kept; the status is never downgraded.
    assert lead.status == Lead.Status.CONFIRMED
    assert lead.placement == "home-hero"
    assert lead.utm_source == ""
    assert_nothing_unsafe_stored()


@pytest.mark.parametrize("raw", RAW_ENCODINGS.values(), ids=RAW_ENCODINGS.keys())
@pytest.mark.parametrize("field", ["email", "first_name", "result", "placement", "utm_source"])
def test_signup_body_with_undecodable_percent_encoding(client, stored, field, raw):
    body = "&".join(
        f"{name}={raw if name == field else value}"
        for name, value in signup_data(**{field: ""}).items()
    )
    response = client.post(
        "/free-training/", data=body, content_type="application/x-www-form-urlencoded"
    )

    assert_safe_page(response)
    stored.assert_unchanged()
    assert_nothing_unsafe_stored()


# --- URL parameters: the lead form's and the content pages' query strings.


@pytest.mark.parametrize("value", CORE.values(), ids=CORE.keys())
@pytest.mark.parametrize("path", ["/free-training/", "/wizard/", *CONTENT_PAGES])
def test_query_parameters_with_hostile_values(client, stored, path, value):
    params = dict.fromkeys([*UTM_KEYS, "placement", "result", "next"], value)

    response = client.get(path, params, headers={"referer": value.replace("\x00", "")})

    assert_safe_page(response)
    assert response.status_code == 200
    stored.assert_unchanged()


@pytest.mark.parametrize("raw", RAW_ENCODINGS.values(), ids=RAW_ENCODINGS.keys())
@pytest.mark.parametrize("path", ["/free-training/", "/wizard/", "/", "/certifications/csm/"])
def test_query_string_with_undecodable_percent_encoding(client, stored, path, raw):
    query = f"utm_source={raw}&utm_campaign=a{raw}b&result={raw}&placement={raw}"

    response = client.get(f"{path}?{query}")

    assert_safe_page(response)
    assert response.status_code == 200
    stored.assert_unchanged()


def test_a_wizard_result_linked_by_a_hostile_query_is_not_attached(client, stored):
    other = uuid.uuid4()

    response = client.post(
        "/free-training/", signup_data(result=str(other), email="new@example.com")
    )

    assert_safe_page(response)
    assert not Lead.objects.filter(email="new@example.com", attempt__isnull=False).exists()


# --- The wizard: start, steps, ids in URLs.


@pytest.mark.parametrize("value", CORE.values(), ids=CORE.keys())
def test_wizard_start_with_hostile_tracking_values(client, stored, value):
    response = client.post("/wizard/", dict.fromkeys([*UTM_KEYS, "referrer"], value))

    assert response.status_code == 302
    stored.assert_unchanged()
    assert_nothing_unsafe_stored()
    attempt = Attempt.objects.exclude(pk=stored.attempt.pk).get()
    assert all(len(getattr(attempt, name)) <= 100 for name in UTM_KEYS)


STEP_TAMPERING = {
    "question-negative": {"question": "-1"},
    "question-huge": {"question": "9" * 40},
    "question-script": {"question": SCRIPT},
    "question-missing": {},
    "choice-unknown": {"choices": "999999999"},
    "choice-huge": {"choices": "9" * 40},
    "choice-script": {"choices": SCRIPT},
    "choice-sql": {"choices": "1 OR 1=1"},
    "choice-nul": {"choices": "\x00"},
    "choice-many": {"choices": [str(i) for i in range(150)]},
    "action-odd": {"action": SCRIPT},
}


@pytest.mark.parametrize("tampering", STEP_TAMPERING.values(), ids=STEP_TAMPERING.keys())
def test_wizard_step_post_with_tampered_fields(client, stored, tampering):
    attempt = start_attempt(client)
    page = client.get(wizard_step_url(attempt))
    question = re.search(r'name="question" value="(\d+)"', page.content.decode())[1]

    response = client.post(wizard_step_url(attempt), {"question": question} | tampering)

    assert_safe_page(response)
    attempt.refresh_from_db()
    assert attempt.answers == {}
    assert attempt.completed_at is None
    stored.assert_unchanged()


@pytest.mark.parametrize(
    "path",
    [
        "/wizard/{random}/step/1/",
        "/wizard/{random}/step/0/",
        "/wizard/{existing}/step/0/",
        "/wizard/{existing}/step/99999999999999999999999999/",
        "/wizard/{existing}/step/-1/",
        "/wizard/not-a-uuid/step/1/",
        "/wizard/result/{random}/",
        "/wizard/result/not-a-uuid/",
        "/wizard/result/{existing_upper}/",
        "/wizard/result/%00/",
        "/wizard/result/..%2F..%2Fetc%2Fpasswd/",
        "/free-training/?result={random}",
        "/free-training/?result=%27%20OR%201%3D1%20--",
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_tampered_ids_in_urls(client, stored, path, method):
    url = path.format(
        random=uuid.uuid4(),
        existing=stored.attempt.pk,
        existing_upper=str(stored.attempt.pk).upper(),
    )

    response = getattr(client, method)(url)

    assert_safe_page(response)
    stored.assert_unchanged()


# --- Signed links: confirm, materials, the guide, a new link, unsubscribe.


def tampered_tokens(lead: Lead) -> dict[str, str]:
    valid = make_token(lead=lead, purpose=Purpose.CONFIRM)
    flipped = valid[:-3] + ("A" if valid[-3] != "A" else "B") + valid[-2:]
    return {
        "garbage": "x",
        "long": "a" * 3000,
        "flipped": flipped,
        "other-purpose": make_token(lead=lead, purpose=Purpose.UNSUBSCRIBE),
        "nul": "%00",
        "script": "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "sql": "%27%20OR%201%3D1%20--",
        "dots": "..",
        "ff-fe": "%ff%fe",
    }


LINK_URLS = {
    "confirm": "/free-training/confirm/{token}/",
    "materials": "/free-training/materials/{token}/",
    "guide": "/free-training/materials/{token}/guide.pdf",
    "new-link": "/free-training/materials/{token}/new-link/",
    "unsubscribe": "/free-training/unsubscribe/{token}/",
}
TOKEN_KINDS = [
    "garbage",
    "long",
    "flipped",
    "other-purpose",
    "nul",
    "script",
    "sql",
    "dots",
    "ff-fe",
]


@pytest.mark.parametrize("kind", TOKEN_KINDS)
@pytest.mark.parametrize("url", LINK_URLS.values(), ids=LINK_URLS.keys())
@pytest.mark.parametrize("method", ["get", "post"])
def test_tampered_link_tokens(client, stored, url, kind, method, mailoutbox):
    # The confirm-purpose token is the right one only on the confirm URL.
    token = tampered_tokens(stored.pending)[kind]
    if kind == "other-purpose" and "confirm" not in url:
        token = make_token(lead=stored.pending, purpose=Purpose.CONFIRM)

    response = getattr(client, method)(url.format(token=token))

    assert_safe_page(response)
    assert response.status_code in (400, 403, 404, 405, 410)
    stored.assert_unchanged()
    assert mailoutbox == []


# --- Wrong methods and missing CSRF tokens.

EVERY_URL = [
    "/",
    "/compare/",
    "/certifications/csm/",
    "/choose/",
    "/healthz",
    "/robots.txt",
    "/sitemap.xml",
    "/wizard/",
    "/wizard/{attempt}/step/1/",
    "/wizard/result/{attempt}/",
    "/free-training/",
    "/free-training/check-your-email/",
    "/free-training/confirm/{confirm}/",
    "/free-training/materials/{materials}/",
    "/free-training/materials/{materials}/guide.pdf",
    "/free-training/materials/{materials}/new-link/",
    "/free-training/unsubscribe/{unsubscribe}/",
]


# Django's own sitemap view answers every method with the same read; it writes nothing.
READ_ONLY_ANY_METHOD = {"/sitemap.xml"}


def real_urls(stored: Stored) -> list[str]:
    tokens = {
        "confirm": make_token(lead=stored.pending, purpose=Purpose.CONFIRM),
        "materials": make_token(lead=stored.lead, purpose=Purpose.MATERIALS),
        "unsubscribe": make_token(lead=stored.lead, purpose=Purpose.UNSUBSCRIBE),
    }
    return [url.format(attempt=stored.attempt.pk, **tokens) for url in EVERY_URL]


@pytest.mark.parametrize("method", ["put", "patch", "delete", "trace"])
def test_wrong_methods_are_refused_on_every_url(client, stored, method):
    for url in real_urls(stored):
        response = client.generic(method.upper(), url, "x=1")

        if url in READ_ONLY_ANY_METHOD:
            assert response.status_code == 200, (method, url)
        else:
            assert response.status_code == 405, (method, url)
    stored.assert_unchanged()


def test_posts_without_a_csrf_token_are_refused_and_change_nothing(stored):
    browser = Client(enforce_csrf_checks=True)
    attempt = start_attempt(Client())
    posts = {
        "/free-training/": signup_data(email="new@example.com"),
        "/wizard/": {"utm_source": "x"},
        wizard_step_url(attempt): {"question": "1", "choices": "1"},
        f"/free-training/confirm/{make_token(lead=stored.pending, purpose=Purpose.CONFIRM)}/": {},
        f"/free-training/materials/{make_token(lead=stored.lead, purpose=Purpose.MATERIALS)}"
        "/new-link/": {},
        "/admin/login/": {"username": "admin", "password": "x"},
    }
    attempts = Attempt.objects.count()

    statuses = {url: browser.post(url, data).status_code for url, data in posts.items()}

    assert set(statuses.values()) == {403}, statuses
    stored.assert_unchanged()
    assert Lead.objects.count() == 2
    assert Attempt.objects.count() == attempts


def test_one_click_unsubscribe_needs_no_csrf_token_but_a_genuine_link(stored):
    # RFC 8058: the mail provider posts without cookies; the signed link is the proof.
    browser = Client(enforce_csrf_checks=True)
    forged = browser.post(f"/free-training/unsubscribe/{tampered_tokens(stored.lead)['flipped']}/")
    genuine = browser.post(
        f"/free-training/unsubscribe/{make_token(lead=stored.lead, purpose=Purpose.UNSUBSCRIBE)}/"
    )

    assert forged.status_code == 400
    assert genuine.status_code == 200
    assert Lead.objects.get(pk=stored.lead.pk).status == Lead.Status.UNSUBSCRIBED


# --- Oversized bodies and the admin login.


@pytest.mark.parametrize(
    "path", ["/free-training/", "/wizard/", "/admin/login/", "/free-training/unsubscribe/x/"]
)
def test_oversized_bodies_are_a_400(client, stored, path):
    too_big = "a=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    too_many = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))

    for body in (too_big, too_many):
        response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")

        assert response.status_code == 400
    stored.assert_unchanged()


@pytest.mark.parametrize("value", CORE.values(), ids=CORE.keys())
def test_admin_login_with_hostile_credentials(client, stored, admin_user, value):
    response = client.post("/admin/login/", {"username": value, "password": value})

    assert_safe_page(response)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_hostile_host_header_is_a_400(client, stored):
    response = client.get("/", headers={"host": "evil.example"})

    assert response.status_code == 400


# --- What was stored is shown escaped and exported neutralised.


def test_hostile_values_that_were_stored_are_escaped_in_the_admin_and_neutralised_in_csv(
    client, admin_client, stored
):
    refused = client.post(
        "/free-training/", signup_data(email="eve@example.com", first_name=SCRIPT)
    )
    client.post(
        "/free-training/",
        signup_data(email="eve@example.com", first_name="", utm_campaign=HOSTILE["formula-cmd"]),
    )
    # The form refuses such a first name now; a row stored before that rule may hold one.
    Lead.objects.filter(email="eve@example.com").update(first_name=SCRIPT)
    lead = Lead.objects.get(email="eve@example.com")
    assert "letters, spaces, apostrophes and hyphens only" in refused.text
    exported = b"".join(LeadsCsv(Lead.objects.filter(pk=lead.pk)))

    pages = [
        admin_client.get("/admin/leads/lead/"),
        admin_client.get("/admin/leads/lead/", {"q": SCRIPT}),
        admin_client.get(f"/admin/leads/lead/{lead.pk}/change/"),
    ]

    assert lead.utm_campaign == HOSTILE["formula-cmd"]  # kept as it came: it is data
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        assert SCRIPT not in html
        assert "&lt;script&gt;" in html
    csv_text = exported.decode("utf-8-sig")
    assert "'=cmd|" in csv_text
    assert ",=cmd|" not in csv_text


# --- Issue 13: abuse of the sign-up form, links and logs that an outside review found.


def test_one_ipv6_client_cycling_through_its_64_shares_one_sign_up_limit(db, settings):
    settings.SIGNUP_RATE_LIMIT = "5/m"
    # Two browsers of one household (one /64), interleaved, each address different.
    laptop, phone = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    neighbour = Client(enforce_csrf_checks=True)

    statuses = [
        visitor_signup(
            (laptop, phone)[n % 2],
            signup_data(email=f"flood{n}@example.com"),
            REMOTE_ADDR=f"2001:db8:1:2::{n:x}",
        ).status_code
        for n in range(1, 13)
    ]
    other_network = visitor_signup(
        neighbour, signup_data(email="next@example.com"), REMOTE_ADDR="2001:db8:1:3::1"
    )

    assert statuses == [302] * 5 + [429] * 7
    assert other_network.status_code == 302
    assert Lead.objects.filter(email__startswith="flood").count() == 5


def csrf_post(client: Client, page: str, url: str, data: dict[str, str], **extra):
    """Open `page` as a browser does, then post its form to `url` with the CSRF token."""
    client.get(page, **extra)
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    return client.post(url, {**data, "csrfmiddlewaretoken": token}, **extra)


def test_a_quiz_started_from_a_token_page_stores_no_referrer(stored, settings):
    settings.SITE_URL = "https://certguide.example"
    # Two visitors, each following the nav's quiz link from a page of ours (the token is
    # in that page's URL), and one arriving from a newsletter.
    leaving = Client(enforce_csrf_checks=True)
    confirming = Client(enforce_csrf_checks=True)
    reader = Client(enforce_csrf_checks=True)
    unsubscribe = make_token(lead=stored.lead, purpose=Purpose.UNSUBSCRIBE)
    pages = {
        leaving: f"http://testserver/free-training/unsubscribe/{unsubscribe}/",
        confirming: f"https://certguide.example/wizard/result/{stored.attempt.pk}/",
        reader: "https://news.example.org/issue-7",
    }
    forms = {
        client: client.get("/wizard/", HTTP_REFERER=referer) for client, referer in pages.items()
    }
    started = []
    for client in (leaving, reader, confirming):
        carried = re.search(r'name="referrer"(?: value="([^"]*)")?', forms[client].text)[1] or ""
        response = csrf_post(client, "/wizard/", "/wizard/", {"referrer": carried})
        started.append(Attempt.objects.get(pk=response["Location"].split("/")[2]))

    assert [attempt.referrer for attempt in started] == ["", "https://news.example.org/issue-7", ""]
    stored.assert_unchanged()


def test_own_site_referrers_already_stored_are_forgotten_by_the_migration(stored, settings):
    migration = importlib.import_module("wizard.migrations.0003_forget_own_site_referrers")
    settings.SITE_URL = "https://certguide.example"
    token = make_token(lead=stored.lead, purpose=Purpose.UNSUBSCRIBE)
    own = [
        f"http://testserver/free-training/unsubscribe/{token}/",
        f"https://CertGuide.example/wizard/result/{stored.attempt.pk}/",
    ]
    attempts = [make_attempt(referrer=url) for url in [*own, "https://news.example.org/a"]]
    leads = [
        make_lead(email=f"r{n}@example.com", referrer=url)
        for n, url in enumerate([*own, "https://news.example.org/b"])
    ]

    migration.forget_own_site_referrers(django_apps, None)

    assert [Attempt.objects.get(pk=a.pk).referrer for a in attempts] == [
        "",
        "",
        "https://news.example.org/a",
    ]
    assert [Lead.objects.get(pk=lead.pk).referrer for lead in leads] == [
        "",
        "",
        "https://news.example.org/b",
    ]
    stored.assert_unchanged()


LOCKED_OUT = "Your account is locked - verify at https://evil.example/x"


def mail_links(message, kind: str) -> str:
    return next(
        link.removeprefix("http://testserver")
        for link in re.findall(r"https?://[^\s\"<>]+", message.body)
        if f"/free-training/{kind}/" in link
    )


def everything_mailed(mailoutbox) -> str:
    return "\n".join(
        f"{m.subject}\n{m.body}\n" + "".join(part for part, _ in m.alternatives) for m in mailoutbox
    )


def test_a_stranger_cannot_rewrite_a_known_lead_or_put_words_in_our_mail(
    stored, mailoutbox, django_capture_on_commit_callbacks
):
    stranger, owner = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    other_result = make_attempt(outcome=Recommendation.CSPO, csm_score=10, cspo_score=90)
    Lead.objects.filter(pk=stored.lead.pk).update(mail_requested_at=None)  # long ago
    details = ["first_name", "consent_at", "consent_version", "attempt", "outcome", "status"]
    before = Lead.objects.filter(pk=stored.lead.pk).values(*details).get()

    with django_capture_on_commit_callbacks(execute=True):
        refused = visitor_signup(
            stranger, signup_data(email="ADA@example.com", first_name=LOCKED_OUT)
        )
        accepted = visitor_signup(
            stranger,
            signup_data(email="ada@example.com", first_name="Mallory", result=str(other_result.pk)),
        )

    # The message is refused as a name; a real-looking name and another result are kept
    # aside, and nothing about the lead changes: not its name, consent or result.
    assert refused.status_code == 200
    assert "letters, spaces, apostrophes and hyphens only" in refused.text
    assert accepted.status_code == 302
    assert Lead.objects.filter(pk=stored.lead.pk).values(*details).get() == before
    assert Lead.objects.get(pk=stored.lead.pk).pending_signup["first_name"] == "Mallory"
    # One mail, to the owner, asking them to confirm; it repeats nothing the stranger typed.
    (message,) = mailoutbox
    assert message.to == ["ada@example.com"]
    assert "Confirm" in message.subject
    assert "Mallory" not in everything_mailed(mailoutbox)
    assert "evil.example" not in everything_mailed(mailoutbox)

    # The owner sees what confirming would save before pressing the button.
    confirm_url = mail_links(message, "confirm")
    page = owner.get(confirm_url)
    assert "Mallory" in page.text
    assert "Certified Scrum Product Owner" in page.text
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(confirm_url, {"csrfmiddlewaretoken": owner.cookies["csrftoken"].value})

    lead = Lead.objects.get(pk=stored.lead.pk)
    assert (lead.first_name, lead.attempt, lead.outcome) == ("Mallory", other_result, "CSPO")
    assert lead.pending_signup == {}
    assert mailoutbox[-1].subject == "Your CSM and CSPO training materials"
    assert mailoutbox[-1].body.startswith("Hello Mallory,")


def test_an_old_confirmation_link_cannot_undo_an_unsubscribe(
    stored, mailoutbox, django_capture_on_commit_callbacks
):
    owner, stranger = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    mail_provider = Client(enforce_csrf_checks=True)
    with django_capture_on_commit_callbacks(execute=True):
        visitor_signup(owner, signup_data(email="new@example.com", first_name="Nia"))
    first_link = mail_links(mailoutbox[0], "confirm")
    owner.get(first_link)
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(first_link, {"csrfmiddlewaretoken": owner.cookies["csrftoken"].value})
    mail_provider.post(mail_links(mailoutbox[-1], "unsubscribe"))
    assert Lead.objects.get(email="new@example.com").status == Lead.Status.UNSUBSCRIBED

    # Anyone signs the address up again; then the first link is posted, within its 7 days.
    with django_capture_on_commit_callbacks(execute=True):
        visitor_signup(stranger, signup_data(email="new@example.com", first_name=""))
    stranger.get("/free-training/")
    replay = stranger.post(first_link, {"csrfmiddlewaretoken": stranger.cookies["csrftoken"].value})

    lead = Lead.objects.get(email="new@example.com")
    assert replay.status_code == 400
    assert lead.status == Lead.Status.UNSUBSCRIBED
    # Only the new round's link, mailed to the owner, could confirm again.
    new_link = mail_links(mailoutbox[-1], "confirm")
    assert new_link != first_link
    owner.get(new_link)
    owner.post(new_link, {"csrfmiddlewaretoken": owner.cookies["csrftoken"].value})
    assert Lead.objects.get(email="new@example.com").status == Lead.Status.CONFIRMED
    stored.assert_unchanged()


def test_confirmation_mails_per_mailbox_are_limited_in_the_database(
    db, settings, mailoutbox, django_capture_on_commit_callbacks
):
    # The cache is gone (every cache call misses), so only the database can count.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    spellings = [
        "jane.doe+1@gmail.com",
        "JaneDoe+2@googlemail.com",
        "j.a.n.e.d.o.e@gmail.com",
        "janedoe+news@GMAIL.com",
        "jane.doe+5@gmail.com",
    ]
    visitors = [Client(enforce_csrf_checks=True) for _ in spellings]

    for n, (visitor, email) in enumerate(zip(visitors, spellings, strict=True)):
        with django_capture_on_commit_callbacks(execute=True):
            response = visitor_signup(visitor, signup_data(email=email), REMOTE_ADDR=f"192.0.2.{n}")
        assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        visitor_signup(visitors[0], signup_data(email="someone.else@gmail.com"))

    assert [m.to for m in mailoutbox] == [[e] for e in spellings[:3]] + [["someone.else@gmail.com"]]


def test_a_link_token_reveals_no_lead_count_and_no_testable_address(stored, settings):
    token = make_token(lead=stored.lead, purpose=Purpose.UNSUBSCRIBE)
    payload = signing.loads(token, salt="leads.unsubscribe")
    plain_digest = hashlib.sha256(b"ada@example.com").hexdigest()

    assert str(stored.lead.pk) not in json.dumps(payload).replace(stored.lead.public_id.hex, "")
    assert set(payload) == {"i", "d"}
    assert payload["i"] == stored.lead.public_id.hex
    assert payload["d"] not in plain_digest
    # The digest needs the secret key: with another key the same address digests otherwise.
    settings.SECRET_KEY = "another-secret-key-" + "y" * 40
    assert (
        signing.loads(
            make_token(lead=stored.lead, purpose=Purpose.UNSUBSCRIBE), salt="leads.unsubscribe"
        )["d"]
        != payload["d"]
    )


def legacy_token(lead: Lead, purpose: Purpose) -> str:
    """A link as mailed before public ids: the row id and a plain digest of the address."""
    digest = hashlib.sha256(lead.email.lower().encode()).hexdigest()[:16]
    return signing.dumps({"l": lead.pk, "e": digest}, salt=f"leads.{purpose}")


def test_links_mailed_before_public_ids_unsubscribe_but_do_not_confirm(stored):
    mail_provider, owner = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)

    confirm = owner.get(f"/free-training/confirm/{legacy_token(stored.pending, Purpose.CONFIRM)}/")
    materials = owner.get(
        f"/free-training/materials/{legacy_token(stored.lead, Purpose.MATERIALS)}/"
    )
    unsubscribe = mail_provider.post(
        f"/free-training/unsubscribe/{legacy_token(stored.lead, Purpose.UNSUBSCRIBE)}/"
    )

    assert confirm.status_code == 400
    assert materials.status_code == 200
    assert unsubscribe.status_code == 200
    assert Lead.objects.get(pk=stored.lead.pk).status == Lead.Status.UNSUBSCRIBED
    assert Lead.objects.get(pk=stored.pending.pk).status == Lead.Status.PENDING


def test_an_unsubscribe_link_signed_with_a_rotated_key_still_works(stored, settings):
    old_key = settings.SECRET_KEY
    token = make_token(lead=stored.lead, purpose=Purpose.UNSUBSCRIBE)
    settings.SECRET_KEY = "the-new-secret-key-" + "z" * 40
    mail_provider = Client(enforce_csrf_checks=True)

    settings.SECRET_KEY_FALLBACKS = []
    without_fallback = mail_provider.post(f"/free-training/unsubscribe/{token}/")
    settings.SECRET_KEY_FALLBACKS = [old_key]
    with_fallback = mail_provider.post(f"/free-training/unsubscribe/{token}/")

    assert without_fallback.status_code == 400
    assert with_fallback.status_code == 200
    assert Lead.objects.get(pk=stored.lead.pk).status == Lead.Status.UNSUBSCRIBED


def admin_login(client: Client, password: str, **extra):
    client.get("/admin/login/", **extra)
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "boss", "password": password, "csrfmiddlewaretoken": token},
        **extra,
    )


def test_admin_log_in_is_locked_for_a_client_that_guesses_passwords(
    stored, django_user_model, caplog
):
    django_user_model.objects.create_superuser("boss", "boss@example.com", "right-horse-battery")
    attacker, marketer = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    away, office = {"REMOTE_ADDR": "198.51.100.66"}, {"REMOTE_ADDR": "203.0.113.5"}

    guesses = [admin_login(attacker, f"guess-{n}", **away).status_code for n in range(5)]
    typo = admin_login(marketer, "right-horse-batery", **office)
    # Locked now: even the right password from the guessing client is refused.
    locked = admin_login(attacker, "right-horse-battery", **away)
    elsewhere = admin_login(marketer, "right-horse-battery", **office)

    assert guesses == [200] * 4 + [429]  # the form with its error, then the lockout
    assert typo.status_code == 200
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.text
    assert "_auth_user_id" not in attacker.session
    assert elsewhere.status_code == 302
    assert marketer.get("/admin/").status_code == 200
    # The lockout is logged without the client's address or the username tried.
    assert "198.51.100" not in caplog.text
    assert "boss" not in caplog.text


# --- The admin's erase and export, and the training-material files.


@pytest.mark.parametrize(
    "value", [*CORE.values(), "1.5", "-1", "9" * 30], ids=[*CORE, "float", "negative", "huge"]
)
@pytest.mark.parametrize("field", ["_selected_action", "select_across", "expected"])
def test_erase_action_with_hostile_fields_erases_nothing_unasked(
    admin_client, stored, field, value
):
    data = {
        "action": "erase_selected",
        "_selected_action": [stored.pending.pk],
        "confirm": "yes",
        "expected": "1",
        field: value,
    }

    response = admin_client.post("/admin/leads/lead/", data)

    assert_safe_page(response)
    assert_nothing_unsafe_stored()
    # Not a lead's id, or not the number of leads shown (any select_across but "0" means
    # every lead, as Django reads it): nothing is erased.
    stored.assert_unchanged()


@pytest.mark.parametrize("value", CORE.values(), ids=CORE.keys())
@pytest.mark.parametrize("method", ["get", "post"])
def test_export_with_hostile_search_and_filters(admin_client, stored, method, value):
    query = urlencode({"q": value, "status__exact": value, "placement": value})

    response = getattr(admin_client, method)(f"/admin/leads/lead/export/?{query}", follow=True)

    assert response.status_code == 200
    if response.streaming:
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        assert body.splitlines()[1:] == []  # nothing matches such values
    else:
        assert_safe_page(response)
    stored.assert_unchanged()


@pytest.mark.parametrize("value", CORE.values(), ids=CORE.keys())
def test_lead_list_with_hostile_search_and_filters(admin_client, stored, value):
    response = admin_client.get(
        "/admin/leads/lead/", {"q": value, "placement": value, "status__exact": value}, follow=True
    )

    assert response.status_code == 200
    assert_safe_page(response)
    stored.assert_unchanged()


@pytest.mark.parametrize(
    "material_id", ["0", "99999999999999999999", "-1", "1.0", "x", "%00", "..%2f..%2fsettings.py"]
)
def test_material_download_with_tampered_ids(client, stored, material_id):
    token = make_token(lead=stored.lead, purpose=Purpose.MATERIALS)

    response = client.get(f"/free-training/materials/{token}/files/{material_id}/")

    assert response.status_code == 404
    assert_safe_page(response)


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_material_upload_with_hostile_names_and_titles(
    admin_client, stored, settings, tmp_path, value
):
    settings.MEDIA_ROOT = tmp_path / "media"
    pdf = b"%PDF-1.4\n%%EOF\n"
    name = (value.replace("\x00", "") or "x")[:60] + ".pdf"

    response = admin_client.post(
        "/admin/leads/trainingmaterial/add/",
        {
            "title": value[:200],
            "audience": "EVERYONE",
            "order": "0",
            "is_active": "on",
            "file": SimpleUploadedFile(name, pdf),
        },
    )

    assert_safe_page(response)
    material = TrainingMaterial.objects.filter(file__startswith="materials/").first()
    if material is None:  # refused (a NUL in the title): a form error, nothing stored
        assert response.status_code == 200
        assert not any(path.is_file() for path in (tmp_path / "media").rglob("*"))
        return
    # Stored inside the media folder whatever the name said.
    stored_path = Path(material.file.path).resolve()
    assert stored_path.is_relative_to((tmp_path / "media" / "materials").resolve())
    download = Client().get(
        f"/free-training/materials/{make_token(lead=stored.lead, purpose=Purpose.MATERIALS)}"
        f"/files/{material.pk}/"
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == pdf  # read whole: the client closes it
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment; filename")
    assert not any(ch in disposition for ch in "\r\n\0<>/\\")
    assert download["Content-Type"] == "application/pdf"
    stored.assert_unchanged()

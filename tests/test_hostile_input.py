"""Hostile input at every form and URL parameter: never a 500, nothing stored unsafely,
nothing already stored changed.

Each case is one request (or a few) against a database holding a confirmed lead, a
pending lead and a completed quiz attempt; after it, those rows must be exactly as before.
"""

import io
import re
import unicodedata
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.test import Client
from django.utils import timezone

from certguide.campaign import UTM_KEYS
from leads.export import export_leads_csv
from leads.models import Lead, TrainingMaterial
from leads.tokens import Purpose, make_token
from tests.leads.conftest import make_lead
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
    "website",
    "result",
    "placement",
    *UTM_KEYS,
    "referrer",
]
CONTENT_PAGES = ["/", "/compare/", "/choose/", "/certifications/csm/", "/certifications/cspo/"]


def make_attempt(**fields) -> Attempt:
    defaults = {
        "questionnaire_id": active_weights().id,
        "completed_at": timezone.now(),
        "csm_score": 70,
        "cspo_score": 40,
        "outcome": Recommendation.CSM,
        "result": {
            "answers": [{"question": "What energises you?", "choices": ["Helping a team"]}],
            "reasons": ["You like removing obstacles."],
        },
        "utm_source": "newsletter",
    }
    return Attempt.objects.create(**(defaults | fields))


class Stored:
    """The rows that exist before the hostile request, to compare with after it."""

    def __init__(self) -> None:
        self.attempt = make_attempt()
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
    client.post(
        "/free-training/",
        signup_data(
            email="eve@example.com", first_name=SCRIPT, utm_campaign=HOSTILE["formula-cmd"]
        ),
    )
    lead = Lead.objects.get(email="eve@example.com")
    out = io.BytesIO()
    export_leads_csv(Lead.objects.filter(pk=lead.pk), out)

    pages = [
        admin_client.get("/admin/leads/lead/"),
        admin_client.get("/admin/leads/lead/", {"q": SCRIPT}),
        admin_client.get(f"/admin/leads/lead/{lead.pk}/change/"),
    ]

    assert lead.first_name == SCRIPT  # kept as the visitor typed it: it is data
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        assert SCRIPT not in html
        assert "&lt;script&gt;" in html
    csv_text = out.getvalue().decode("utf-8-sig")
    assert "'=cmd|" in csv_text
    assert ",=cmd|" not in csv_text


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

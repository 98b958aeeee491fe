"""Every public page, as a visitor's browser gets it: links that stay inside the address the
site is mounted at, and markup the Nu HTML Checker accepts."""

import json
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.template import loader
from django.test.utils import override_script_prefix
from django.urls import reverse
from django.utils import translation

from certguide.models import Certification
from embed.models import EmbedAttempt
from embed.services import embed_attempt_start, embed_site_add
from leads.models import Lead
from leads.tokens import Purpose, make_token
from tests.conftest import Visitor, make_attempt
from tests.leads.conftest import make_lead
from wizard.models import Questionnaire, Recommendation
from wizard.services import attempt_start
from wizard.views import result_url, step_url

# `npm ci` (make test) installs it from package.json; it runs on Java 17 or newer.
VNU_JAR = Path(__file__).resolve().parent.parent / "node_modules/vnu-jar/build/dist/vnu.jar"
# Rendered without a request when everything else fails (certguide.views.server_error).
STANDALONE_ERROR_PAGES = ["400.html", "403.html", "403_csrf.html", "500.html", "503.html"]


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    # Posted from the page at `path` as a browser would (CSRF token included); None: a GET.
    form: dict[str, str] | None = field(default=None)

    def fetch(self, **extra: str):
        visitor = Visitor(self.name)
        response = visitor.get(self.path, **extra)
        if self.form is not None:
            response = visitor.submit(self.path, self.form, **extra)
        return response


def _link(name: str, lead: Lead, purpose: Purpose) -> str:
    return reverse(name, args=[make_token(lead=lead, purpose=purpose)])


@pytest.fixture
def public_pages(db) -> list[Page]:
    """Each page a visitor can reach without signing in, in each state it has."""
    questionnaire = Questionnaire.objects.active().get()
    in_progress = attempt_start(questionnaire_id=questionnaire.pk)
    results = {outcome: make_attempt(outcome=outcome) for outcome in Recommendation.values}
    pending = make_lead(email="pending@example.com")
    confirmed = make_lead(email="confirmed@example.com", status=Lead.Status.CONFIRMED)
    leaving = make_lead(email="leaving@example.com", status=Lead.Status.CONFIRMED)
    signup = reverse("leads:signup")
    site = embed_site_add(origin="https://blog.example.com", name="blog")
    framed = embed_attempt_start(site=site, questionnaire_id=questionnaire.pk)
    framed_done = make_attempt(outcome=Recommendation.CSM)
    EmbedAttempt.objects.create(attempt=framed_done, site=site, placement=site.placement)
    embed_signup = reverse("embed:signup", args=[framed_done.pk])
    with translation.override("de"):
        german_leads = [
            Page("German sign-up with errors", signup_de := reverse("leads:signup"), form={}),
            Page("German sign-up after the quiz", f"{signup_de}?result={results['CSM'].pk}"),
            Page("German check your email", reverse("leads:check_email")),
            Page("German confirm", _link("leads:confirm", pending, Purpose.CONFIRM)),
            Page("German materials", _link("leads:materials", confirmed, Purpose.MATERIALS)),
            Page(
                "German materials, not confirmed",
                _link("leads:materials", pending, Purpose.MATERIALS),
            ),
            Page("German unsubscribe", _link("leads:unsubscribe", confirmed, Purpose.UNSUBSCRIBE)),
        ]
    english = [
        Page("home", reverse("home")),
        *(Page(f"role page {c.code}", c.get_absolute_url()) for c in Certification.objects.all()),
        Page("compare", reverse("compare")),
        Page("choose", reverse("choose")),
        Page("quiz intro", reverse("wizard:start")),
        Page("quiz step", step_url(in_progress, 1)),
        Page("quiz step sent without an answer", step_url(in_progress, 1), form={}),
        *(Page(f"quiz result {outcome}", result_url(a)) for outcome, a in results.items()),
        Page("unknown quiz result", reverse("wizard:result", args=[uuid.uuid4()])),
        Page("sign-up", signup),
        Page("sign-up after the quiz", f"{signup}?result={results['CSPO'].pk}"),
        Page("sign-up with errors", signup, form={"email": "not an address"}),
        Page("check your email", reverse("leads:check_email")),
        Page("confirm", _link("leads:confirm", pending, Purpose.CONFIRM)),
        Page("confirm, already confirmed", _link("leads:confirm", confirmed, Purpose.CONFIRM)),
        Page("broken link", reverse("leads:confirm", args=["not-a-token"])),
        Page("materials", _link("leads:materials", confirmed, Purpose.MATERIALS)),
        Page("materials, not confirmed", _link("leads:materials", pending, Purpose.MATERIALS)),
        Page("unsubscribe", _link("leads:unsubscribe", confirmed, Purpose.UNSUBSCRIBE)),
        Page("unsubscribed", _link("leads:unsubscribe", leaving, Purpose.UNSUBSCRIBE), form={}),
        Page("page not found", "/no-such-page/"),
        Page("embed intro", f"{reverse('embed:start')}?site=blog"),
        Page("embed step", reverse("embed:step", args=[framed.pk, 1])),
        Page(
            "embed step sent without an answer", reverse("embed:step", args=[framed.pk, 1]), form={}
        ),
        Page("embed result", reverse("embed:result", args=[framed_done.pk])),
        Page("embed sign-up", embed_signup),
        Page("embed sign-up with errors", embed_signup, form={"email": "not an address"}),
        Page("embed check your email", reverse("embed:check_email", args=[framed_done.pk])),
    ]
    # Every page also in German, at the same path under /de/ (issue 17).
    return [
        *german_leads,
        *english,
        *(Page(f"{p.name} (de)", f"/de{p.path}", p.form) for p in english),
    ]


class _Addresses(HTMLParser):
    """Every address a link, form or resource on the page points to."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "action", "src") and value:
                self.urls.append(value)


def addresses(html: str) -> list[str]:
    parser = _Addresses()
    parser.feed(html)
    return parser.urls


def test_every_link_stays_inside_the_address_the_site_is_mounted_at(public_pages):
    """Served under /guide/ (a proxy's SCRIPT_NAME), no link or form leaves it: each one
    comes from the URLconf, none is written by hand."""
    static_url = settings.STATIC_URL  # Served from its own setting, mount point or not.
    stray = {}
    with override_script_prefix("/guide/"):
        for page in public_pages:
            response = page.fetch(SCRIPT_NAME="/guide")
            urls = [
                url
                for url in addresses(response.content.decode())
                if url.startswith("/") and not url.startswith(("//", static_url))
            ]
            assert urls, f"{page.name}: no link at all"
            if outside := [url for url in urls if not url.startswith("/guide/")]:
                stray[page.name] = outside
    assert stray == {}


def _nu_checker() -> list[str]:
    """The command that runs the Nu HTML Checker, or a skip (a failure in CI) saying why not."""
    java = shutil.which("java")
    missing = [
        why
        for why, absent in [
            ("java is not on the PATH (apt-get install -y default-jre-headless)", java is None),
            (f"{VNU_JAR} is missing (npm ci)", not VNU_JAR.is_file()),
        ]
        if absent
    ]
    if missing:
        reason = "the Nu HTML Checker cannot run: " + "; ".join(missing)
        if os.environ.get("CERTGUIDE_REQUIRE_VNU") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return [java, "-jar", str(VNU_JAR)]


def test_the_nu_html_checker_finds_no_error_on_any_public_page(public_pages, tmp_path):
    """Every page in every state, and the standalone error pages, in one run of vnu (the JVM
    is slow to start); warnings are allowed, errors are not."""
    command = _nu_checker()
    names = {}
    for number, page in enumerate(public_pages):
        document = tmp_path / f"page-{number:02}.html"
        document.write_bytes(page.fetch().content)
        names[str(document)] = page.name
    for template in STANDALONE_ERROR_PAGES:
        document = tmp_path / template
        document.write_text(loader.get_template(template).render())
        names[str(document)] = template
        with translation.override("de"):
            document = tmp_path / f"de-{template}"
            document.write_text(loader.get_template(template).render())
            names[str(document)] = f"{template} (de)"

    checked = subprocess.run(
        [*command, "--format", "json", "--exit-zero-always", *names],
        capture_output=True,
        text=True,
        check=True,
    )
    errors = [
        f"{names[m['url'].removeprefix('file:')]}, line {m.get('lastLine')}: {m['message']}"
        for m in json.loads(checked.stderr)["messages"]
        # "info" with subType "warning" may stay; an "error" or a "non-document-error" may not.
        if m["type"] != "info"
    ]
    assert not errors, "\n".join(errors)

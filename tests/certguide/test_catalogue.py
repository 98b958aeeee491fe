"""The German catalogue: complete, current, and no English left on the German pages."""

import os
import re
import shutil
from html import unescape
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from tests.conftest import Visitor, make_attempt
from wizard.models import Questionnaire, Recommendation
from wizard.services import attempt_start
from wizard.views import result_url, step_url

CATALOGUE = Path(settings.BASE_DIR) / "locale/de/LC_MESSAGES/django.po"
# What `make makemessages` leaves out (kept in step with the Makefile).
IGNORED = [".venv/*", "node_modules/*", "tests/*", "bench/*"]


def catalogue():
    with CATALOGUE.open("rb") as file:
        return read_po(file)


def ids(messages) -> set[tuple[str | None, str]]:
    """Each entry as (context, msgid), the singular standing for a plural entry."""
    return {(m.context, m.id[0] if isinstance(m.id, tuple) else m.id) for m in messages if m.id}


def test_every_entry_is_translated_and_none_is_fuzzy():
    untranslated, fuzzy = [], []
    for message in catalogue():
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert untranslated == []
    assert fuzzy == []


def test_every_translation_keeps_its_placeholders():
    """A German entry that drops or renames %(name)s would fail at run time."""
    problems = [f"{message.id!r}: {errors}" for message, errors in catalogue().check() if errors]
    assert problems == []


def test_the_catalogue_holds_every_marked_string(tmp_path, monkeypatch, settings):
    """makemessages into a fresh directory finds exactly the catalogue's msgids: nothing
    marked is missing from it (untranslated on the site) and nothing in it is stale."""
    if shutil.which("xgettext") is None:
        reason = "GNU gettext (xgettext) is not installed: apt-get install gettext"
        if os.environ.get("CERTGUIDE_REQUIRE_GETTEXT") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    # On a copy of the sources without their locale/ (makemessages writes into a locale/
    # directory it finds, whatever LOCALE_PATHS says).
    source, out = tmp_path / "source", tmp_path / "locale-out"
    shutil.copytree(
        settings.BASE_DIR,
        source,
        ignore=shutil.ignore_patterns(
            ".*", "locale", "static", "media", *(pattern.removesuffix("/*") for pattern in IGNORED)
        ),
    )
    settings.LOCALE_PATHS = [str(out)]
    monkeypatch.chdir(source)
    call_command("makemessages", locale=["de"], ignore_patterns=IGNORED, verbosity=0)

    with (out / "de/LC_MESSAGES/django.po").open("rb") as file:
        extracted = ids(read_po(file))
    committed = ids(catalogue())
    assert sorted(extracted - committed, key=str) == [], "run make makemessages and translate"
    assert sorted(committed - extracted, key=str) == [], "stale entries: make makemessages"


@pytest.fixture
def german_pages(db) -> list[str]:
    """The German pages of the site's frame, the quiz and the embed (the leads app's
    pages are its own)."""
    questionnaire = Questionnaire.objects.active().get()
    in_progress = attempt_start(questionnaire_id=questionnaire.pk)
    from embed.services import embed_site_add

    embed_site_add(origin="https://blog.example.com", name="blog")
    english = [
        "/",
        "/certifications/csm/",
        "/certifications/cspo/",
        "/compare/",
        "/choose/",
        "/wizard/",
        step_url(in_progress, 1),
        *(result_url(make_attempt(outcome=o)) for o in Recommendation.values),
        reverse("wizard:result", args=["00000000-0000-0000-0000-000000000000"]),
        "/no-such-page/",
        "/embed/quiz/?site=blog",
    ]
    return ["/de" + path for path in english]


def visible_text(html: str) -> str:
    """The page's words as a reader meets them: text, and the attributes read aloud or
    shown (alt, title, aria-label, placeholder, content of meta description)."""
    attributes = re.findall(
        r'(?:alt|title|aria-label|placeholder|content|data-copied|data-select-instead)="([^"]*)"',
        html,
    )
    body = re.sub(r"<script.*?</script>|<style.*?</style>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", unescape(" ".join([text, *attributes])))


def test_no_english_interface_string_is_left_on_a_german_page(german_pages):
    """Each English msgid of four words or more (placeholders cut out) whose German differs
    must not appear on a German page: if one does, something renders it untranslated."""
    phrases = set()
    for message in catalogue():
        if message.string == message.id:
            continue  # a name, the same in German ("Certified Scrum Product Owner (CSPO)")
        for msgid in message.id if isinstance(message.id, tuple) else (message.id,):
            for part in re.split(r"%\(\w+\)s|<[^>]+>", msgid or ""):
                part = part.strip(" .,:;")
                if len(part.split()) >= 4:
                    phrases.add(part)
    assert len(phrases) > 50  # the check has something to look for

    found = {}
    for path in german_pages:
        response = Visitor("german reader").get(path)
        assert response.status_code in (200, 404), path
        text = visible_text(response.content.decode())
        if left := sorted(phrase for phrase in phrases if phrase in text):
            found[path] = left
    assert found == {}

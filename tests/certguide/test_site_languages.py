"""Issue 17, the site's frame: every public page in English (at /) and German (at /de/), each
telling browsers and search engines about the other, a switcher that keeps the page, and
caches that never hand one language's copy to the other's visitors."""

import re
from html import unescape
from html.parser import HTMLParser

import pytest
from django.template import loader
from django.urls import reverse
from django.utils import translation

from embed.services import embed_site_add
from embed.snippet import embed_snippet
from tests.conftest import Visitor, make_attempt
from wizard import share
from wizard.models import Attempt, Questionnaire, Recommendation
from wizard.services import attempt_start
from wizard.views import result_url, step_url

from .conftest import PUBLIC_PAGES

pytestmark = pytest.mark.django_db

SITE = "http://testserver"


class _Head(HTMLParser):
    """<html lang>, the canonical link, the hreflang alternates and the switcher's links."""

    def __init__(self) -> None:
        super().__init__()
        self.lang = None
        self.canonical: list[str] = []
        self.alternates: dict[str, str] = {}
        self.switcher: list[dict[str, str]] = []
        self._in_switcher = False
        self.switcher_label = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        if tag == "html":
            self.lang = attr.get("lang")
        elif tag == "link" and attr.get("rel") == "canonical":
            self.canonical.append(attr["href"])
        elif tag == "link" and attr.get("rel") == "alternate" and "hreflang" in attr:
            assert attr["hreflang"] not in self.alternates, "one alternate per language"
            self.alternates[attr["hreflang"]] = attr["href"]
        elif tag == "nav" and "language-switcher" in attr.get("class", ""):
            self._in_switcher = True
            self.switcher_label = attr.get("aria-label")
        elif tag == "a" and self._in_switcher:
            self.switcher.append(attr)

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self._in_switcher = False


def head(html: str) -> _Head:
    parser = _Head()
    parser.feed(html)
    return parser


def german(path: str) -> str:
    return "/de" + path


def english_and_german(paths):
    return [(language, path if language == "en" else german(path)) for path in paths
            for language in ("en", "de")]  # fmt: skip


@pytest.fixture
def indexable_pages(db) -> list[str]:
    """The English paths of the pages in the sitemap, and the quiz's own public pages."""
    questionnaire = Questionnaire.objects.active().get()
    in_progress = attempt_start(questionnaire_id=questionnaire.pk)
    done = make_attempt(outcome=Recommendation.BOTH)
    return [
        *PUBLIC_PAGES,
        "/wizard/",
        "/free-training/",
        step_url(in_progress, 1),
        result_url(done),
    ]


def test_every_public_page_exists_in_both_languages_and_points_at_the_other(indexable_pages):
    for path in indexable_pages:
        en, de = path, german(path)
        versions = {}
        for language, url in (("en", en), ("de", de)):
            response = Visitor(language).get(url)
            assert response.status_code == 200, url
            assert response["Content-Language"] == language, url
            page = head(response.content.decode())
            assert page.lang == language, url
            # The canonical is the page's own language's address, without a query.
            assert page.canonical == [SITE + url], url
            versions[language] = page.alternates
        # Both pages list the same pairs: each other, and English as the default.
        expected = {"en": SITE + en, "de": SITE + de, "x-default": SITE + en}
        assert versions["en"] == expected, path
        assert versions["de"] == expected, path


def test_the_canonical_drops_the_query_string():
    response = Visitor("campaign").get("/de/compare/?utm_source=news&utm_medium=mail")
    assert head(response.content.decode()).canonical == [f"{SITE}/de/compare/"]


def test_the_sitemap_lists_each_page_with_its_alternates(client):
    body = client.get("/sitemap.xml").content.decode()

    assert 'xmlns:xhtml="http://www.w3.org/1999/xhtml"' in body
    for url in re.findall(r"<url>(.*?)</url>", body, flags=re.S):
        location = re.search(r"<loc>(.*?)</loc>", url).group(1)
        links = dict(re.findall(r'hreflang="([^"]+)"\s+href="([^"]+)"', url))
        path = location.removeprefix(SITE).removeprefix("/de")
        assert links == {
            "en": SITE + path,
            "de": SITE + german(path),
            "x-default": SITE + path,
        }, location
    assert f"<loc>{SITE}/de/certifications/cspo/</loc>" in body


@pytest.mark.parametrize(("language", "path"), english_and_german([*PUBLIC_PAGES, "/wizard/"]))
def test_the_switcher_leads_to_the_same_page_in_the_other_language(language, path):
    response = Visitor("switcher").get(path)
    page = head(response.content.decode())

    english = path.removeprefix("/de")
    links = {link["hreflang"]: link for link in page.switcher}
    assert links["en"]["href"] == english
    assert links["de"]["href"] == german(english)
    for code, link in links.items():
        assert link["lang"] == code  # each language named in itself
        assert (link.get("aria-current") == "true") == (code == language)
    # An accessible name in the page's language.
    assert page.switcher_label == {"en": "Language", "de": "Sprache"}[language]
    # Followed, it answers in the other language.
    other = "de" if language == "en" else "en"
    followed = Visitor("switcher").get(links[other]["href"])
    assert followed.status_code == 200
    assert head(followed.content.decode()).lang == other


def test_the_switcher_keeps_a_visitors_campaign_but_the_shared_page_keeps_none(visitors):
    with_campaign, without = visitors(2)
    first = with_campaign.get("/compare/?utm_source=newsletter&utm_campaign=spring")
    second = without.get("/compare/")

    to_german = {link["hreflang"]: link["href"] for link in head(first.content.decode()).switcher}
    assert unescape(to_german["de"]) == "/de/compare/?utm_source=newsletter&utm_campaign=spring"
    # The same cached page, served to the next visitor, carries nobody's campaign.
    plain = {link["hreflang"]: link["href"] for link in head(second.content.decode()).switcher}
    assert plain["de"] == "/de/compare/"
    assert "newsletter" not in second.content.decode()


def test_a_german_browser_gets_english_at_the_root_and_no_redirect():
    response = Visitor("german browser").get("/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")

    assert response.status_code == 200
    assert head(response.content.decode()).lang == "en"
    assert response["Content-Language"] == "en"
    assert "accept-language" not in response.get("Vary", "").lower()
    # The German page is offered, hidden until language.js sees a German browser; the
    # page is the same for every visitor.
    html = response.content.decode()
    offer = re.search(r'<div class="language-offer"[^>]*data-language-offer="de" hidden>', html)
    assert offer, "the hidden German offer"
    assert 'href="/de/" hreflang="de">Diese Seite gibt es auch auf Deutsch</a>' in html
    assert "/static/js/language.js" in html
    english = Visitor("english browser").get("/", HTTP_ACCEPT_LANGUAGE="en-GB")
    assert english.content == response.content


def test_german_pages_carry_no_offer_of_german():
    html = Visitor("german").get("/de/").content.decode()
    assert "data-language-offer" not in html
    assert "language.js" not in html


def test_english_and_german_visitors_interleaved_on_the_shared_page_cache(visitors):
    """The same page in two languages is two cached copies (keyed by path): after each
    language warmed its copy, neither leaks into the other."""
    english, german_visitor = visitors(2)
    etags = set()
    for _ in range(3):
        for visitor, path, language, heading in (
            (english, "/compare/", "en", "CSM vs CSPO: the key differences"),
            (german_visitor, "/de/compare/", "de", "CSM oder CSPO: die wichtigsten Unterschiede"),
        ):
            response = visitor.get(path)
            html = response.content.decode()
            assert response.status_code == 200
            assert head(html).lang == language
            assert f"<h1>{heading}</h1>" in html
            assert response["Content-Language"] == language
            etags.add((language, response["ETag"]))
    # Each language had one stored copy, served again and again (one validator each).
    assert len(etags) == 2


def test_the_answers_fragment_is_cached_per_language(visitors):
    """The step's answers (buttons and all) are cached for every visitor of a question:
    an English visitor after a German one still gets English buttons, and back again."""
    english, german_visitor = visitors(2)
    english.get("/wizard/")
    first = english.submit("/wizard/", {})
    english_step = first.url
    german_visitor.get("/de/wizard/")
    german_step = german_visitor.submit("/de/wizard/", {}).url
    assert german_step.startswith("/de/wizard/")

    for _ in range(2):
        de = german_visitor.get(german_step).content.decode()
        en = english.get(english_step).content.decode()
        assert ">Weiter</button>" in de
        assert ">Next</button>" not in de
        assert ">Next</button>" in en
        assert ">Weiter</button>" not in en


def _pick_first_answers(visitor: Visitor, start: str) -> Attempt:
    """Start at `start` and pick each question's first answer until the result."""
    visitor.get(start)
    response = visitor.submit(start, {})
    prefix = start.removesuffix("wizard/")
    while "/step/" in response.url:
        assert response.url.startswith(prefix + "wizard/"), response.url
        page = visitor.get(response.url)
        html = page.content.decode()
        question = re.search(r'name="question" value="(\d+)"', html).group(1)
        choice = re.search(r'name="choices" value="(\d+)"', html).group(1)
        response = visitor.submit(
            response.url, {"question": question, "choices": choice, "action": "next"}
        )
        assert response.status_code == 302
    assert response.url.startswith(prefix + "wizard/result/")
    return Attempt.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[1])


def test_same_answers_give_the_same_outcome_and_scores_in_both_languages(
    visitors,
):
    english, german_visitor = visitors(2)
    in_english = _pick_first_answers(english, "/wizard/")
    in_german = _pick_first_answers(german_visitor, "/de/wizard/")

    assert in_german.outcome == in_english.outcome
    assert (in_german.csm_score, in_german.cspo_score) == (
        in_english.csm_score,
        in_english.cspo_score,
    )
    # Each result page speaks its language, numbers written the language's way.
    de = german_visitor.get(german(result_url(in_german))).content.decode()
    en = english.get(result_url(in_english)).content.decode()
    assert f"{in_english.csm_score}%</span>" in en
    assert f"{in_german.csm_score}\u00a0%</span>" in de
    assert "So verteilen sich Ihre Antworten" in de


def test_a_result_permalink_speaks_the_language_of_its_address():
    attempt = make_attempt(outcome=Recommendation.CSM, csm_score=80, cspo_score=20)
    path = reverse("wizard:result", args=[attempt.pk])

    en = Visitor("en").get(path).content.decode()
    de = Visitor("de").get(german(path)).content.decode()

    assert "<h1>Your recommendation: Certified ScrumMaster (CSM)</h1>" in en
    assert "<h1>Unsere Empfehlung für Sie: Certified ScrumMaster (CSM)</h1>" in de
    assert "80\u00a0%" in de
    assert "80%" in en
    # The share links and the card point at the permalink in the page's language.
    with translation.override("de"):
        card = reverse("wizard:card", args=[attempt.pk])
    assert card.startswith("/de/")
    assert f'<meta property="og:image" content="{SITE}{card}?v={share.CARD_VERSION}">' in de
    assert f'content="{SITE}/de/wizard/result/{attempt.pk}/"' in de  # og:url


def test_the_share_card_is_drawn_and_kept_per_language():
    attempt = make_attempt(outcome=Recommendation.BOTH, csm_score=50, cspo_score=50)
    card = reverse("wizard:card", args=[attempt.pk])

    en = Visitor("en").get(card)
    de = Visitor("de").get(german(card))

    assert en.status_code == de.status_code == 200
    assert en.content != de.content  # German words on the German card
    assert share.card_cache_key(attempt.pk, "en") != share.card_cache_key(attempt.pk, "de")
    with translation.override("de"):
        alt = share.card_alt(outcome=Recommendation.BOTH, csm_score=50, cspo_score=50)
    assert alt == (
        "certguide-Quiz-Ergebnis: Empfehlung CSM und CSPO. "
        "Scrum Master (CSM) 50\u00a0%, Product Owner (CSPO) 50\u00a0%."
    )


def test_the_quiz_stays_in_the_language_it_started_in():
    visitor = Visitor("german")
    visitor.get("/de/wizard/")
    response = visitor.submit("/de/wizard/", {})
    step = visitor.get(response.url)
    html = step.content.decode()

    assert response.url.startswith("/de/wizard/")
    assert head(html).lang == "de"
    assert re.search(r'<form action="/de/wizard/[^"]+/step/1/" method="post">', html)
    assert "Frage 1 von" in html
    # An unanswered Next: the error and the buttons in German.
    question = re.search(r'name="question" value="(\d+)"', html).group(1)
    refused = visitor.submit(response.url, {"question": question, "action": "next"})
    assert refused.status_code == 422
    assert "Wählen Sie eine Antwort, um fortzufahren." in refused.content.decode()


def test_a_notice_after_a_redirect_is_in_the_quiz_language():
    visitor = Visitor("german")
    visitor.get("/de/wizard/")
    attempt = start_attempt_in(visitor, "/de/wizard/")
    skipped = visitor.get(german(step_url(attempt, 3)))
    assert skipped.status_code == 302
    assert skipped.url == german(step_url(attempt, 1))
    page = visitor.get(skipped.url).content.decode()
    assert "Bitte beantworten Sie die Fragen der Reihe nach." in page


def start_attempt_in(visitor: Visitor, start: str) -> Attempt:
    response = visitor.submit(start, {})
    return Attempt.objects.get(pk=response.url.split("/")[-4])


def test_error_pages_speak_the_language_of_their_address():
    missing = Visitor("de").get("/de/no-such-page/")
    assert missing.status_code == 404
    assert head(missing.content.decode()).lang == "de"
    assert "Diese Seite haben wir nicht gefunden" in missing.content.decode()
    # Not a page in two languages: no alternates, no switcher.
    assert head(missing.content.decode()).alternates == {}

    for template in ("400.html", "403.html", "403_csrf.html", "500.html", "503.html"):
        with translation.override("de"):
            html = loader.get_template(template).render()
        assert '<html lang="de">' in html, template
        assert '<a href="/de/">Zurück zur Startseite</a>' in html, template
        english = loader.get_template(template).render()
        assert '<html lang="en">' in english
        assert '<a href="/">Back to the home page</a>' in english


def test_the_embed_frame_speaks_the_language_its_snippet_asks_for(settings):
    settings.SITE_URL = "https://certguide.example"
    site = embed_site_add(origin="https://blog.example.com", name="blog")

    german_snippet = embed_snippet(site, language="de")
    assert 'data-certguide-language="de"' in german_snippet
    assert 'href="https://certguide.example/de/wizard/"' in german_snippet
    assert "data-certguide-language" not in embed_snippet(site)

    frame = Visitor("framed").get("/de/embed/quiz/?site=blog")
    html = frame.content.decode()
    assert frame.status_code == 200
    assert '<html lang="de">' in html
    assert "Quiz starten" in html
    assert 'action="/de/embed/quiz/"' in html
    # embed.js frames /de/embed/… for such a snippet.
    script = Visitor("host").get("/embed.js").content.decode()
    assert '"data-certguide-language"' in script
    assert '"/embed/quiz/"' in script

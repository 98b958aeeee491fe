import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.http import QueryDict

from certguide.campaign import (
    Tracking,
    campaign_params,
    clean_tracking_value,
    has_control_characters,
)

from .conftest import PUBLIC_PAGES

pytestmark = pytest.mark.django_db


def links(html: str, path: str) -> list[dict[str, list[str]]]:
    """Query parameters of every link on the page that goes to `path`."""
    hrefs = [unescape(h) for h in re.findall(r'href="([^"]*)"', html)]
    return [parse_qs(urlsplit(h).query) for h in hrefs if urlsplit(h).path == path]


@pytest.mark.parametrize(
    ("path", "placements"),
    [
        ("/", ["home-hero", "home-middle", "home-end"]),
        ("/certifications/csm/", ["csm-page"]),
        ("/certifications/cspo/", ["cspo-page"]),
        ("/compare/", ["compare-table"]),
        ("/choose/", ["choose-guide"]),
    ],
)
def test_each_page_asks_for_the_email_at_its_placements(visitor, path, placements):
    html = visitor.get(path).content.decode()

    found = [q["placement"][0] for q in links(html, "/free-training/")]

    # Besides the nav and footer links every page has, the page's own calls to action.
    assert found == ["nav", *placements, "footer"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_campaign_is_carried_to_the_lead_form_and_the_wizard(visitor, path):
    html = visitor.get(
        path, {"utm_source": "newsletter", "utm_campaign": "spring", "ref": "x", "gclid": "y"}
    ).content.decode()

    form_links = links(html, "/free-training/")
    wizard_links = links(html, "/wizard/")

    assert form_links
    assert wizard_links
    for query in [*form_links, *wizard_links]:
        assert query["utm_source"] == ["newsletter"]
        assert query["utm_campaign"] == ["spring"]
        assert not {"ref", "gclid"} & set(query)


def test_pages_without_campaign_link_plainly(visitor):
    html = visitor.get("/").content.decode()

    assert 'href="/wizard/"' in html
    assert 'href="/free-training/?placement=home-hero"' in html


def test_cached_page_does_not_leak_another_visitors_campaign(visitor):
    visitor.get("/compare/", {"utm_source": "first"})

    html = visitor.get("/compare/", {"utm_source": "second"}).content.decode()
    plain = visitor.get("/compare/").content.decode()

    assert "first" not in html
    assert "utm_source=second" in html
    assert "utm_source" not in plain


def test_campaign_values_are_html_escaped_in_links(visitor):
    html = visitor.get("/", {"utm_source": '"><script>x</script>'}).content.decode()

    assert "<script>x" not in html
    assert links(html, "/wizard/")[0]["utm_source"] == ['"><script>x</script>']


@pytest.mark.parametrize(
    ("query", "kept"),
    [
        ("utm_source=news&utm_medium=email", {"utm_source": "news", "utm_medium": "email"}),
        ("utm_term=a%20b&utm_content=banner", {"utm_term": "a b", "utm_content": "banner"}),
        ("utm_source=&utm_medium=%20%20", {}),
        ("utm_id=1&fbclid=2&placement=x", {}),
        ("utm_source=%20padded%20", {"utm_source": "padded"}),
        ("utm_source=bad%00%0a%1bvalue%7f", {"utm_source": "badvalue"}),
        ("utm_campaign=" + "c" * 150, {"utm_campaign": "c" * 100}),
        ("utm_source=one&utm_source=two", {"utm_source": "two"}),
    ],
)
def test_campaign_params_keep_only_clean_utm_values(query, kept):
    assert campaign_params(QueryDict(query)) == kept


def test_tracking_is_cleaned_once_for_attempts_and_leads():
    tracking = Tracking.from_values(
        {
            "utm_source": " news\u200bletter\x00 ",
            "utm_term": "y" * 150,
            "placement": "not a placement!",
            "referrer": "http://testserver/free-training/materials/secret/",
            "unknown": "dropped",
        }
    )

    assert tracking == Tracking(utm_source="newsletter", utm_term="y" * 100)
    assert Tracking(referrer="javascript:alert(1)").referrer == ""
    assert Tracking(placement="home-hero", referrer="https://example.org/a").fields() == {
        **dict.fromkeys(
            ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"), ""
        ),
        "placement": "home-hero",
        "referrer": "https://example.org/a",
    }


@pytest.mark.parametrize("character", ["\x00", "\x85", "\u200b", "\u202e", "\ufeff"])
def test_one_definition_of_control_characters_for_tracking_and_email(character):
    """Control (Cc) and format (Cf) characters: the email check used to let the
    invisible format ones (zero-width space, bidi override, BOM) through."""
    from django.core.exceptions import ValidationError

    from leads.email_address import normalise_email

    assert has_control_characters(f"a{character}b")
    assert clean_tracking_value(f"a{character}b", max_length=10) == "ab"
    with pytest.raises(ValidationError, match="control characters"):
        normalise_email(f"ada{character}@example.com")

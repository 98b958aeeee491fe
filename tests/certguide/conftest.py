from html.parser import HTMLParser

import pytest
from django.test import Client

from certguide.models import Certification, PageSection

PUBLIC_PAGES = ["/", "/certifications/csm/", "/certifications/cspo/", "/compare/", "/choose/"]


class _FormFields(HTMLParser):
    """Collects the values a browser would submit from the page's main form."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        name = attr.get("name")
        if tag == "input" and name and attr.get("type") not in ("submit", "button", "file"):
            if attr.get("type") in ("checkbox", "radio") and "checked" not in attr:
                return
            self.data[name] = attr.get("value", "on" if attr.get("type") == "checkbox" else "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attr:
            self.data[self._select] = attr.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea:
            # Django writes a newline right after <textarea>; a browser drops it.
            self.data[self._textarea] = self.data[self._textarea].removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea] += data


def form_data(html: str) -> dict[str, str]:
    """What submitting the admin form unchanged would POST."""
    parser = _FormFields()
    parser.feed(html)
    return parser.data


def make_section(*, slug: str, title: str = "", body: str = "Some copy.") -> PageSection:
    section, _ = PageSection.objects.update_or_create(
        slug=slug, defaults={"title": title, "body": body}
    )
    return section


@pytest.fixture
def csm() -> Certification:
    return Certification.objects.get(slug="csm")


@pytest.fixture
def cspo() -> Certification:
    return Certification.objects.get(slug="cspo")


@pytest.fixture
def visitor() -> Client:
    """An anonymous visitor whose browser sends no cookies."""
    return Client()

"""The page in every language: hreflang alternates, the language switcher, the offer of
German to a German browser. All from the URL alone, so a shared cached page stays the same
for every visitor."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, ResolverMatch, reverse
from django.utils import translation

register = template.Library()


@dataclass(frozen=True)
class LanguageVersion:
    code: str
    name: str
    path: str  # the same page's path in this language, no query
    current: bool


def page_versions(match: ResolverMatch | None) -> list[LanguageVersion]:
    """The page the request resolved to (`request.resolver_match`) in each of
    settings.LANGUAGES (English first: x-default), or [] when the page exists in one form
    only (not found, admin, machine addresses).

    translate_url() does the same for a full URL, resolving it again; the request's own
    match is already at hand, and reverse() keeps a script prefix."""
    if match is None or match.url_name is None:
        return []
    current = translation.get_language()
    versions = []
    for code, name in settings.LANGUAGES:
        with translation.override(code):
            try:
                path = reverse(match.view_name, args=match.args, kwargs=match.kwargs)
            except NoReverseMatch:
                return []
        versions.append(LanguageVersion(code, name, path, code == current))
    if len({version.path for version in versions}) < len(versions):
        return []  # not under i18n_patterns: one address for every language
    return versions


@register.simple_tag(takes_context=True)
def language_versions(context: template.Context) -> list[LanguageVersion]:
    request = context.get("request")
    return page_versions(getattr(request, "resolver_match", None))


@register.simple_tag(takes_context=True)
def switch_url(context: template.Context, version: LanguageVersion) -> str:
    """The switcher's link: the page in that language, keeping the page's utm_* parameters
    (a shared page carries the campaign slot, filled per visitor when served)."""
    campaign = context.get("campaign")
    return f"{version.path}?{urlencode(campaign)}" if campaign else version.path


@register.filter
def startswith(value: str, prefix: str) -> bool:
    return str(value).startswith(str(prefix))

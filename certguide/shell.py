"""A page's frame rendered once per process and language; each response fills in its own
parts.

Most of a quiz step is the same for every visitor: the head, the header with its
navigation and language switcher, the footer. Rendering them through the template engine
costs most of a step's time (reverse() and gettext calls, includes), so `PageShell`
renders the whole template once and keeps it as text with *holes*: named markers where a
response's own values go (the question, the form's action, the CSRF token, the notices).
Each response joins the text with its values, already escaped.

Nothing of a visitor can end up in the shell (the bug this project once had was a CSRF
token cached in a shared fragment): it is rendered from a plain context, never from the
request or a context processor, with a stand-in request holding nothing but a path made
of stand-in URL values (`STAND_INS`); the CSRF token is itself a hole. The stand-in values
become holes too, so the page's own address is filled in like the rest.

The shell lives in process memory only: it holds nothing from the database, and it changes
only with the code, the catalogues (a deploy starts new processes) or the settings it is
keyed by.
"""

import re
import uuid
from collections.abc import Mapping
from functools import cached_property

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import get_template
from django.urls import ResolverMatch, get_script_prefix, resolve, reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

# Private-use characters, which no template or catalogue contains (values are filled in
# after the shell is split at its holes, so theirs are never taken for one).
HOLE = re.compile("\ue000([a-z_]+)\ue001")


class Hole:
    """A context value the shell leaves open; it renders as its marker, which escaping
    leaves alone."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __html__(self) -> str:
        return f"\ue000{self.name}\ue001"

    def __str__(self) -> str:
        return self.__html__()


# The values a shelled page's own address is rendered with, by type: their text is safe in a
# URL and in HTML as it is, and no page otherwise contains it.
STAND_INS: dict[type, uuid.UUID | int] = {uuid.UUID: uuid.UUID(int=0), int: 31415926535897932}


class StandInRequest:
    """All of a request the frame's templates read: its path (under the script prefix, as
    `request.path`) and how it resolved."""

    def __init__(self, path: str) -> None:
        self.path = path

    @cached_property
    def resolver_match(self) -> ResolverMatch:
        return resolve("/" + self.path.removeprefix(get_script_prefix()))


class PageShell:
    """`template_name` rendered once per language, site address and script prefix, with
    the context's `Hole` values and the URL's stand-in values left open.

    `view_name` and `url_kwargs` (name -> type, one of STAND_INS) give the page address, so the
    frame's links to the page itself (canonical, alternates, language switcher) are right
    once the URL values are filled in. `context` holds what is the same for every visitor
    (besides the holes)."""

    def __init__(
        self,
        template_name: str,
        *,
        view_name: str,
        url_kwargs: Mapping[str, type],
        context: Mapping[str, object],
    ) -> None:
        self.template_name = template_name
        self.view_name = view_name
        self.url_kwargs = dict(url_kwargs)
        self.context = dict(context)
        self._parts: dict[tuple[str, str, str], list[str]] = {}
        _SHELLS.append(self)

    def render(
        self, *, site_url: str, url_kwargs: Mapping[str, object], **values: object
    ) -> SafeString:
        """The page for one response: every hole filled with its value (escaped unless
        already safe), the URL values with `url_kwargs`' own."""
        key = (get_language(), site_url, get_script_prefix())
        parts = self._parts.get(key)
        if parts is None:
            parts = self._build(site_url)
            if not settings.DEBUG:  # runserver shows a template edited since at once
                self._parts[key] = parts
        filled = {name: conditional_escape(value) for name, value in values.items()}
        for name, kind in self.url_kwargs.items():
            value = url_kwargs[name]
            if type(value) is not kind:
                raise TypeError(f"{name} must be a {kind.__name__}")
            filled[f"url_{name}"] = str(value)
        pieces = parts.copy()
        pieces[1::2] = [filled[name] for name in parts[1::2]]
        # The template was escaped when the shell was rendered, each value just now.
        return mark_safe("".join(pieces))  # noqa: S308

    def _build(self, site_url: str) -> list[str]:
        path = reverse(
            self.view_name, kwargs={name: STAND_INS[kind] for name, kind in self.url_kwargs.items()}
        )
        context = {**self.context, "request": StandInRequest(path), "SITE_URL": site_url}
        html = get_template(self.template_name).render(context)
        for name, kind in self.url_kwargs.items():
            html = html.replace(str(STAND_INS[kind]), str(Hole(f"url_{name}")))
        # Even positions are text, odd ones the names of holes.
        return HOLE.split(html)

    def forget(self) -> None:
        self._parts.clear()


_SHELLS: list[PageShell] = []


@receiver(setting_changed)
def _forget_shells(**kwargs: object) -> None:
    """Tests override SITE_URL, the languages or the templates: render anew after."""
    for page in _SHELLS:
        page.forget()

"""Template helpers for content pages: safe Markdown and campaign-keeping links."""

import markdown as markdown_lib
import nh3
from django import template
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe

from certguide import campaign

register = template.Library()

# What Markdown may produce. Headings start at h3: pages own their h1 and h2.
ALLOWED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "a", "h3", "h4", "blockquote", "code", "pre",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def render_markdown(text: str) -> str:
    """Markdown to HTML, with raw HTML shown as text and the result sanitised by nh3."""
    md = markdown_lib.Markdown(extensions=[], output_format="html")
    # Without these two, Markdown passes raw HTML straight through; now it is escaped text.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return nh3.clean(
        md.convert(text),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    return mark_safe(render_markdown(text or ""))  # noqa: S308 - sanitised by nh3 above.


@register.filter
def on_this_site(url: str) -> str:
    """A page of this site an editor typed ("/compare/"), under the address the site is
    mounted at; other addresses unchanged."""
    if url.startswith("/") and not url.startswith("//"):
        return get_script_prefix() + url.removeprefix("/")
    return url


@register.simple_tag(takes_context=True)
def signup_url(context: template.Context, placement: str) -> str:
    """Link to the lead form for a call to action, keeping the page's utm_* parameters."""
    return campaign.signup_url(placement, context.get("campaign"))


@register.simple_tag(takes_context=True)
def wizard_url(context: template.Context) -> str:
    """Link to the wizard, keeping the page's utm_* parameters."""
    return campaign.wizard_url(context.get("campaign"))

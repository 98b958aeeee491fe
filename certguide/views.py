import sys
import uuid

from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from certguide.content_cache import cached_page
from certguide.context_processors import site
from certguide.middleware import DATABASE_UNREACHABLE, database_unavailable
from certguide.models import PAGE_SECTIONS, Certification, PageSection

# Token URLs and private areas that search engines must leave alone: URL names, and the
# argument whose value is cut off so that the rule covers every token or attempt.
ROBOTS_DISALLOW = [
    ("admin:index", None),
    ("leads:confirm", "token"),
    ("leads:materials", "token"),
    ("leads:unsubscribe", "token"),
    ("wizard:result", "attempt_id"),
]


# The row labels of the key-differences table in the visitor's language (the model keeps
# the English ones, for the admin and the PDF).
COMPARISON_LABELS = {
    "focus": _("Focus"),
    "primary_role": _("Primary role"),
    "key_skills": _("Key skills"),
    "main_goal": _("Main goal"),
    "target_audience": _("Target audience"),
}


def _disallowed_path(name: str, argument: str | None) -> str:
    if argument is None:
        return reverse(name)
    # A UUID fits both the token's str converter and the attempt's uuid converter.
    placeholder = str(uuid.UUID(int=0))
    return reverse(name, kwargs={argument: placeholder}).removesuffix(f"{placeholder}/")


def _render_page(
    request: HttpRequest,
    page: str,
    *,
    campaign: dict[str, str],
    seo: dict[str, str],
    **context: object,
) -> HttpResponse:
    """certguide/<page>.html with the campaign, its SEO texts and its PAGE_SECTIONS copy."""
    # Keyed with underscores: templates cannot look up names that contain a hyphen.
    sections = {
        slug.replace("-", "_"): section
        for slug, section in PageSection.objects.by_slug(*PAGE_SECTIONS[page]).items()
    }
    return render(
        request,
        f"certguide/{page}.html",
        {"campaign": campaign, "seo": seo, "sections": sections, **context},
    )


@require_safe
@cached_page
def home(request: HttpRequest, *, campaign: dict[str, str]) -> HttpResponse:
    return _render_page(
        request,
        "home",
        campaign=campaign,
        seo={
            "title": gettext("CSM or CSPO? Find the Scrum certification that fits you"),
            "description": gettext(
                "Certified ScrumMaster or Certified Scrum Product Owner? See what each role "
                "does, what each certification gives you and which one suits you."
            ),
        },
        certifications=Certification.objects.order_by("order", "code"),
    )


@require_safe
@cached_page
def certification(request: HttpRequest, slug: str, *, campaign: dict[str, str]) -> HttpResponse:
    certifications = list(Certification.objects.for_pages())
    current = next((c for c in certifications if c.slug == slug), None)
    if current is None:
        raise Http404("No such certification.")
    return render(
        request,
        "certguide/certification.html",
        {
            "campaign": campaign,
            "seo": {
                "title": gettext("%(name)s (%(code)s): the %(role)s role and who it fits")
                % {"name": current.name, "code": current.code, "role": current.role},
                "description": Truncator((current.summary_paragraphs() or [""])[0]).chars(160),
            },
            "certification": current,
            "others": [c for c in certifications if c != current],
        },
    )


@require_safe
@cached_page
def compare(request: HttpRequest, *, campaign: dict[str, str]) -> HttpResponse:
    certifications = list(Certification.objects.order_by("order", "code"))
    rows = [
        (COMPARISON_LABELS.get(field, label), cells)
        for (field, _label), (label, cells) in zip(
            Certification.COMPARISON_ROWS,
            Certification.comparison_table(certifications),
            strict=True,
        )
    ]
    return _render_page(
        request,
        "compare",
        campaign=campaign,
        seo={
            "title": gettext("CSM vs CSPO: the key differences side by side"),
            "description": gettext(
                "Certified ScrumMaster and Certified Scrum Product Owner compared on focus, "
                "primary role, key skills, main goal and target audience."
            ),
        },
        certifications=certifications,
        rows=rows,
    )


@require_safe
@cached_page
def choose(request: HttpRequest, *, campaign: dict[str, str]) -> HttpResponse:
    return _render_page(
        request,
        "choose",
        campaign=campaign,
        seo={
            "title": gettext("How to choose between CSM and CSPO (or take both)"),
            "description": gettext(
                "A short guide to picking the Scrum certification that matches your role and "
                "career goals, and how to keep learning once you have it."
            ),
        },
    )


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        *(f"Disallow: {_disallowed_path(*rule)}" for rule in ROBOTS_DISALLOW),
        "",
        f"Sitemap: {site(request)['SITE_URL']}{reverse('sitemap')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages without an icon link (the admin)."""
    return redirect(static("img/favicon.svg"), permanent=True)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers a trivial query, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "up"})


def server_error(request: HttpRequest) -> HttpResponse:
    # The database lost outside a view (a middleware saving the session) is an outage too.
    if isinstance(sys.exception(), DATABASE_UNREACHABLE):
        return database_unavailable(request)
    # Rendered without a RequestContext: the failure may be in anything a context needs.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render(), status=500)

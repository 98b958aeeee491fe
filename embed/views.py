"""The quiz and the sign-up inside a frame on an allowed host site.

These pages set no cookie and read none (browsers block cookies in third-party frames):
the attempt id in the URL is the state, and each POST carries a signed token bound to the
attempt (embed.tokens) instead of the CSRF cookie. Step logic is the site's own
(wizard.views.step_page); sign-ups go through leads.services.lead_subscribe as on the site.
"""

import gzip
import hashlib
import re
import uuid
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.csp import CSP
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from certguide.campaign import UTM_KEYS, Tracking
from embed.models import NAME_PATTERN, EmbedAttempt, EmbedSite
from embed.services import embed_attempt_start, normalise_origin
from embed.tokens import FIELD, attempt_scope, form_token, start_scope, token_matches
from leads.consent import consent_version
from leads.forms import SignupForm
from leads.ratelimit import signup_retry_after
from leads.services import lead_subscribe
from wizard.forms import StartForm
from wizard.models import Attempt, Recommendation
from wizard.questionnaires import active_weights
from wizard.share import outcome_label
from wizard.views import NEXT_STEPS, NOTICES, QuizUrls, step_page

type View = Callable[..., HttpResponse]


def _step_url(attempt: Attempt, number: int) -> str:
    return reverse("embed:step", kwargs={"attempt_id": attempt.pk, "number": number})


def _result_url(attempt: Attempt) -> str:
    return reverse("embed:result", kwargs={"attempt_id": attempt.pk})


def frame_ancestors() -> list[str]:
    """The active host origins, or 'none' when there is no site to allow."""
    return list(EmbedSite.objects.active().values_list("origin", flat=True)) or [CSP.NONE]


def framed(view: View) -> View:
    """Let the allowed host sites, and only they, frame this page; never store it in a
    shared cache (it carries a form token); csrf is the embed token's job."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response._csp_config = {**settings.SECURE_CSP, "frame-ancestors": frame_ancestors()}
        response.headers["X-Robots-Tag"] = "noindex"
        return response

    return csrf_exempt(xframe_options_exempt(never_cache(wrapper)))


def _page(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    site: EmbedSite | None = None,
    status: int = 200,
) -> HttpResponse:
    """A frame page; it may post messages to ``site``'s origin while the site is active."""
    context = {**context, "site": site, "host_origin": _host_origin(site)}
    return render(request, f"embed/{template}", context, status=status)


def _not_found(request: HttpRequest) -> HttpResponse:
    return _page(request, "not_found.html", {}, status=404)


def _expired(request: HttpRequest, site: EmbedSite | None) -> HttpResponse:
    """A missing, forged or stale form token: nothing changes, the visitor starts over."""
    return _page(request, "expired.html", {}, site=site, status=403)


def embedded_attempt(view: View) -> View:
    """Call the view with the frame's attempt (its EmbedAttempt: the attempt, its host site
    and placement, read in one query) instead of the URL's id; a 404 page for an attempt
    not started in a frame."""

    @wraps(view)
    def wrapper(request: HttpRequest, attempt_id: uuid.UUID, **kwargs: Any) -> HttpResponse:
        link = EmbedAttempt.objects.select_related("attempt", "site").filter(pk=attempt_id).first()
        if link is None:
            return _not_found(request)
        return view(request, link, **kwargs)

    return wrapper


def _host_origin(site: EmbedSite | None) -> str:
    """Where the frame's script may post messages: the site's origin while it is active."""
    return site.origin if site is not None and site.is_active else ""


def _site_for(request: HttpRequest, name: str) -> EmbedSite | None:
    """The active site the frame is on: named by the snippet, or, for a snippet without
    a name (the plain link the issue's example shows), the site whose origin the
    browser's Referer names."""
    if name:
        if not re.fullmatch(NAME_PATTERN, name):  # also keeps a NUL away from the query
            return None
        return EmbedSite.objects.active().filter(name=name).first()
    try:
        referer = urlsplit(request.headers.get("referer", ""))
        origin = normalise_origin(f"{referer.scheme}://{referer.netloc}")
    except (ValueError, ValidationError):
        return None
    return EmbedSite.objects.active().filter(origin=origin).first()


@framed
@require_http_methods(["GET", "HEAD", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """The intro with a Start button; the POST starts an attempt for the named site."""
    source = request.POST if request.method == "POST" else request.GET
    site = _site_for(request, source.get("site", ""))
    weights = active_weights()
    if site is None:
        return _not_found(request)
    if weights is None:
        return _page(request, "unavailable.html", {}, site=site, status=503)
    if request.method == "POST":
        if not token_matches(source.get(FIELD, ""), scope=start_scope(site.name)):
            return _expired(request, site)
        form = StartForm(request.POST)
        form.is_valid()  # Its errors are never shown: see StartForm.tracking().
        attempt = embed_attempt_start(
            site=site, questionnaire_id=weights.id, tracking=form.tracking()
        )
        return redirect(_step_url(attempt, 1) + "?started=1")
    initial = {name: request.GET.get(name, "") for name in UTM_KEYS}
    initial["referrer"] = request.headers.get("referer", "")
    form = StartForm(initial=initial)
    return _page(
        request,
        "start.html",
        {
            "form": form,
            "token": form_token(scope=start_scope(site.name)),
            "question_count": len(weights),
        },
        site=site,
    )


@framed
@require_http_methods(["GET", "HEAD", "POST"])
@embedded_attempt
def step(request: HttpRequest, link: EmbedAttempt, number: int) -> HttpResponse:
    attempt, site = link.attempt, link.site
    if request.method == "POST" and not token_matches(
        request.POST.get(FIELD, ""), scope=attempt_scope(attempt.pk)
    ):
        return _expired(request, site)
    urls = QuizUrls(step=_step_url, result=_result_url, start=_restart_url(site))
    page = step_page(request, attempt, number, urls)
    if page.unavailable:
        return _page(request, "unavailable.html", {}, site=site, status=503)
    if page.redirect:
        target = page.redirect
        if target == _result_url(attempt) and request.method == "POST":
            target += "?completed=1"  # the frame tells the host once, not on every reload
        elif page.notice:
            target += "?" + urlencode({"notice": page.notice})
        return redirect(target)
    return _page(
        request,
        "step.html",
        {
            **page.context,
            "token": form_token(scope=attempt_scope(attempt.pk)),
            "notice": NOTICES.get(request.GET.get("notice", "")),
            "started": request.GET.get("started") == "1" and number == 1,
        },
        site=site,
        status=page.status,
    )


def _restart_url(site: EmbedSite | None) -> str:
    return reverse("embed:start") + ("?" + urlencode({"site": site.name}) if site else "")


@framed
@require_safe
@embedded_attempt
def result(request: HttpRequest, link: EmbedAttempt) -> HttpResponse:
    attempt, site = link.attempt, link.site
    if not attempt.is_completed:
        return redirect(_step_url(attempt, attempt.step + 1))
    if attempt.outcome not in Recommendation.values:
        return _not_found(request)
    outcome = Recommendation(attempt.outcome)
    return _page(
        request,
        "result.html",
        {
            "attempt": attempt,
            "outcome": outcome,
            "outcome_label": outcome_label(outcome),
            "next_steps": [
                (settings.SITE_URL + reverse("certification", kwargs={"slug": slug}), label)
                for slug, label in NEXT_STEPS[outcome]
            ],
            "full_result_url": settings.SITE_URL
            + reverse("wizard:result", kwargs={"attempt_id": attempt.pk}),
            "signup_url": reverse("embed:signup", kwargs={"attempt_id": attempt.pk}),
            "restart_url": _restart_url(site),
            "completed": request.GET.get("completed") == "1",
        },
        site=site,
    )


@framed
@require_http_methods(["GET", "HEAD", "POST"])
@embedded_attempt
def signup(request: HttpRequest, link: EmbedAttempt) -> HttpResponse:
    """The lead form for a completed attempt; the lead gets the site's placement and the
    attempt's campaign values, whatever the form posts."""
    attempt, site = link.attempt, link.site
    if not attempt.is_completed:
        return redirect(_step_url(attempt, attempt.step + 1))
    sent = reverse("embed:check_email", kwargs={"attempt_id": attempt.pk})
    if request.method == "POST":
        if not token_matches(request.POST.get(FIELD, ""), scope=attempt_scope(attempt.pk)):
            return _expired(request, site)
        if (retry_after := signup_retry_after(request)) is not None:
            response = _page(
                request,
                "rate_limited.html",
                {"minutes": max(1, round(retry_after / 60))},
                site=site,
                status=429,
            )
            response["Retry-After"] = str(retry_after)
            return response
        data = request.POST.copy()
        data["result"] = str(attempt.pk)
        for name in ("placement", *UTM_KEYS, "referrer"):
            data[name] = ""  # taken from the attempt and the site below, never the form
        form = SignupForm(data)
        if form.is_bot:
            return redirect(sent)  # exactly like success: a bot learns nothing
        if form.is_valid():
            language = translation.get_language()  # the frame's: /de/embed/… is German
            lead_subscribe(
                email=form.cleaned_data["email"],
                first_name=form.cleaned_data["first_name"],
                consent_version=consent_version(language),
                language=language,
                attempt=attempt,
                tracking=Tracking(
                    placement=link.placement,
                    referrer=attempt.referrer,
                    **{name: getattr(attempt, name) for name in UTM_KEYS},
                ),
            )
            return redirect(sent + "?submitted=1")
        # No autofocus: browsers refuse it in a cross-origin frame (role="alert" announces
        # the errors instead).
        status = 422
    else:
        form = SignupForm()
        status = 200
    return _page(
        request,
        "signup.html",
        {
            "form": form,
            "attempt": attempt,
            "outcome_label": outcome_label(Recommendation(attempt.outcome)),
            "token": form_token(scope=attempt_scope(attempt.pk)),
            "result_url": _result_url(attempt),
            "action": reverse("embed:signup", kwargs={"attempt_id": attempt.pk}),
        },
        site=site,
        status=status,
    )


@framed
@require_safe
@embedded_attempt
def check_email(request: HttpRequest, link: EmbedAttempt) -> HttpResponse:
    attempt, site = link.attempt, link.site
    return _page(
        request,
        "check_email.html",
        {
            "signup_url": reverse("embed:signup", kwargs={"attempt_id": attempt.pk}),
            "submitted": request.GET.get("submitted") == "1",
        },
        site=site,
    )


# Host pages load it from one stable URL: a browser keeps it a day, then revalidates by
# ETag (a 304) while it uses its copy for up to a week more.
SCRIPT_CACHE_CONTROL = {"public": True, "max_age": 86400, "stale_while_revalidate": 604800}


@lru_cache(maxsize=1)
def _script() -> tuple[bytes, bytes, str]:
    """embed.js as read at start-up: plain, gzipped, and its ETag."""
    with open(finders.find("embed/embed.js"), "rb") as file:
        plain = file.read()
    return plain, gzip.compress(plain, mtime=0), f'"{hashlib.sha256(plain).hexdigest()[:16]}"'


@require_safe
def script(request: HttpRequest) -> HttpResponse:
    """/embed.js: the script host pages include, at a URL that never changes."""
    plain, gzipped, etag = _script()
    response = get_conditional_response(request, etag=etag)
    if response is None:
        use_gzip = "gzip" in request.headers.get("accept-encoding", "")
        response = HttpResponse(gzipped if use_gzip else plain, content_type="text/javascript")
        if use_gzip:
            response["Content-Encoding"] = "gzip"
        response["ETag"] = etag
    patch_cache_control(response, **SCRIPT_CACHE_CONTROL)
    patch_vary_headers(response, ["Accept-Encoding"])
    # Host pages may load it with crossorigin; it holds nothing private.
    response["Access-Control-Allow-Origin"] = "*"
    return response

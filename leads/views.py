from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from leads.consent import consent_version
from leads.forms import SignupForm, initial_from_query
from leads.guide import render_guide
from leads.material_files import material_download
from leads.models import Lead, TrainingMaterial
from leads.ratelimit import signup_retry_after
from leads.services import lead_confirm, lead_request_materials, lead_subscribe, lead_unsubscribe
from leads.tokens import LinkExpired, LinkInvalid, Purpose, make_token, read_token
from wizard.models import Attempt


def _link_problem(
    request: HttpRequest, problem: LinkInvalid | LinkExpired, *, purpose: Purpose, token: str
) -> HttpResponse:
    """A clear page for a forged, damaged or expired link, with a way to ask again."""
    expired = isinstance(problem, LinkExpired)
    can_resend = (
        expired
        and purpose == Purpose.MATERIALS
        and problem.lead is not None
        and problem.lead.status == Lead.Status.CONFIRMED
    )
    context = {
        "expired": expired,
        "purpose": str(purpose),
        "token": token,
        "can_resend": can_resend,
    }
    return render(request, "leads/link_problem.html", context, status=410 if expired else 400)


type View = Callable[..., HttpResponse]


def _reads_link(purpose: Purpose) -> Callable[[View], View]:
    """Hand the view the lead its signed link names; a bad or expired link gets the
    link-problem page instead."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, token: str, **kwargs: Any) -> HttpResponse:
            try:
                lead = read_token(token, purpose=purpose)
            except (LinkInvalid, LinkExpired) as problem:
                return _link_problem(request, problem, purpose=purpose, token=token)
            return view(request, token, lead, **kwargs)

        return wrapper

    return decorator


def _unavailable(request: HttpRequest, lead: Lead) -> HttpResponse:
    """Materials asked for by a lead who unsubscribed or has not confirmed (again)."""
    return render(request, "leads/materials_unavailable.html", {"lead": lead}, status=403)


@require_http_methods(["GET", "HEAD", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if (retry_after := signup_retry_after(request)) is not None:
            response = render(
                request,
                "leads/rate_limited.html",
                {"minutes": max(1, round(retry_after / 60))},
                status=429,
            )
            response["Retry-After"] = str(retry_after)
            return response
        form = SignupForm(request.POST)
        if form.is_bot:
            # Look exactly like success so a bot learns nothing; store and send nothing.
            return redirect("leads:check_email")
        if form.is_valid():
            # The language of the page the form was on: the consent was read in it.
            language = translation.get_language()
            lead_subscribe(
                email=form.cleaned_data["email"],
                first_name=form.cleaned_data["first_name"],
                consent_version=consent_version(language),
                language=language,
                attempt=form.attempt,
                tracking=form.tracking(),
            )
            return redirect("leads:check_email")
        form.repair_hidden_fields()
        form.focus_first_error()
        attempt = form.attempt
    else:
        initial, attempt = initial_from_query(
            request.GET, referrer=request.headers.get("referer", "")
        )
        form = SignupForm(initial=initial)
    # In the sitemap: the same words for <title>, description and Open Graph.
    title = _("Free CSM and CSPO training materials")
    seo = {
        "title": _("Error: %(title)s") % {"title": title} if form.errors else title,
        "description": _(
            "Get our free guide to the CSM and CSPO certifications, tailored to "
            "your quiz result, plus hand-picked training materials."
        ),
    }
    return render(request, "leads/signup.html", {"form": form, "attempt": attempt, "seo": seo})


@require_safe
def check_email(request: HttpRequest) -> HttpResponse:
    return render(request, "leads/check_email.html")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@_reads_link(Purpose.CONFIRM)
def confirm(request: HttpRequest, token: str, lead: Lead) -> HttpResponse:
    # GET only shows a button: a mail scanner that follows the link confirms nothing.
    if request.method == "POST":
        lead = lead_confirm(lead=lead)
    materials_url = ""
    if lead.status == Lead.Status.CONFIRMED and not lead.pending_signup:
        token = make_token(lead=lead, purpose=Purpose.MATERIALS)
        materials_url = reverse("leads:materials", args=[token])
        if request.method == "POST":
            return redirect(materials_url)
    context = {
        "lead": lead,
        "materials_url": materials_url,
        "awaiting": lead.status == Lead.Status.PENDING or bool(lead.pending_signup),
        "details": _details_to_confirm(lead),
    }
    return render(request, "leads/confirm.html", context)


def _details_to_confirm(lead: Lead) -> list[tuple[str, str]]:
    """What pressing Confirm will store, shown to the address's owner before they do:
    someone else may have typed these details."""
    pending = lead.pending_signup
    if not pending and lead.status != Lead.Status.PENDING:
        return []
    first_name = pending.get("first_name", lead.first_name)
    attempt = (
        Attempt.objects.filter(pk=pending["attempt"]).first() if "attempt" in pending else None
    )
    outcome = attempt.get_outcome_display() if attempt else lead.get_outcome_display()
    # Only a change of language is worth a line: the page is already in one.
    language = dict(settings.LANGUAGES).get(pending.get("language", ""), "")
    return [
        (label, value)
        for label, value in [
            (_("First name"), first_name),
            (_("Quiz result"), outcome),
            (_("Language of our emails"), language),
        ]
        if value
    ]


@never_cache
@require_safe
@_reads_link(Purpose.MATERIALS)
def materials(request: HttpRequest, token: str, lead: Lead) -> HttpResponse:
    if lead.status != Lead.Status.CONFIRMED:
        return _unavailable(request, lead)
    context = {
        "lead": lead,
        "materials": TrainingMaterial.objects.for_outcome(lead.outcome),
        "guide_url": reverse("leads:guide", args=[token]),
        "token": token,
        "unsubscribe_url": reverse(
            "leads:unsubscribe", args=[make_token(lead=lead, purpose=Purpose.UNSUBSCRIBE)]
        ),
    }
    return render(request, "leads/materials.html", context)


@never_cache
@require_safe
@_reads_link(Purpose.MATERIALS)
def guide(request: HttpRequest, token: str, lead: Lead) -> HttpResponse:
    if lead.status != Lead.Status.CONFIRMED:
        return _unavailable(request, lead)
    response = HttpResponse(render_guide(lead=lead), content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="certguide-guide.pdf"'
    return response


@never_cache
@require_safe
@_reads_link(Purpose.MATERIALS)
def material_file(request: HttpRequest, token: str, lead: Lead, material_id: int) -> HttpResponse:
    """An uploaded material, for a confirmed lead whose page lists it; always a download."""
    if lead.status != Lead.Status.CONFIRMED:
        return _unavailable(request, lead)
    material = (
        TrainingMaterial.objects.for_outcome(lead.outcome)
        .exclude(file="")
        .filter(pk=material_id)
        .first()
    )
    if material is None:
        raise Http404("No such material for this link.")
    return material_download(title=material.title, file=material.file)


@require_POST
def materials_resend(request: HttpRequest, token: str) -> HttpResponse:
    """Mail a fresh materials link for an expired one (any age; the signature is ours)."""
    try:
        lead = read_token(token, purpose=Purpose.MATERIALS)
    except LinkExpired as expired:
        lead = expired.lead
    except LinkInvalid as problem:
        return _link_problem(request, problem, purpose=Purpose.MATERIALS, token=token)
    if lead is not None:
        lead_request_materials(lead=lead)
    return redirect("leads:check_email")


# Exempt from CSRF: RFC 8058 one-click unsubscribe is a POST from the mail provider,
# with no cookies and no token; the signed link is the proof.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@_reads_link(Purpose.UNSUBSCRIBE)
def unsubscribe(request: HttpRequest, token: str, lead: Lead) -> HttpResponse:
    if request.method == "POST":
        lead = lead_unsubscribe(lead=lead)
    return render(request, "leads/unsubscribe.html", {"lead": lead})

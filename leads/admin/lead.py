"""The leads list and a lead's page; export, erase and the dashboard come from their
own modules, mixed in."""

import re
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db import connection
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_GET, require_http_methods

from certguide.campaign import UTM_KEYS
from leads.admin.changelist import (
    CampaignFilter,
    DrillDownQuerySet,
    EstimatedCountPaginator,
    MatchingLeads,
    PlacementFilter,
    SourceFilter,
)
from leads.admin.dashboard import LeadDashboardView
from leads.admin.erase import LeadEraseAction
from leads.admin.export import LeadExportActions
from leads.models import Lead
from leads.services import lead_mail_retry

# What a pasted address looks like (the sign-up form validated the stored ones).
WHOLE_ADDRESS = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
# One word that could be a first name: letters, with an inner hyphen or apostrophe
# (Jean-Luc, O'Brien).
NAME_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")


@admin.register(Lead)
class LeadAdmin(LeadExportActions, LeadEraseAction, LeadDashboardView, admin.ModelAdmin):
    list_display = [
        "email",
        "first_name",
        "status",
        "outcome",
        "language",
        "placement",
        "utm_source",
        "created_at",
        "confirmed_at",
        "mail_state",
    ]
    list_filter = [
        "status",
        "mail_state",
        "outcome",
        "language",
        PlacementFilter,
        SourceFilter,
        CampaignFilter,
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["email", "first_name"]
    search_help_text = (
        "Search by first name or email address: a whole address finds that lead, part of "
        "one every address containing it. A first name that a lead has, typed whole, finds "
        "the leads with exactly that name (any case) and the addresses containing it; part "
        "of a name finds every first name containing it."
    )
    date_hierarchy = "created_at"
    list_per_page = 100
    # No second COUNT(*) of the whole table for "N total", no facet counts per filter.
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    # Every column listed lives on Lead itself: a join would cost on each page and
    # save nothing. The query count per page is fixed (see tests/leads/test_admin.py).
    list_select_related = False
    actions = ["export_selected", "retry_failed_mail", "erase_selected"]
    fieldsets = [
        (None, {"fields": ["email", "first_name", "status", "outcome", "language"]}),
        ("Consent", {"fields": ["consent_at", "consent_version"]}),
        ("Wizard", {"fields": ["attempt", "scores", "wizard_answers"]}),
        (
            "Where the lead came from",
            {
                "fields": [
                    "placement",
                    *UTM_KEYS,
                    "referrer",
                ]
            },
        ),
        (
            "Mail",
            {
                "fields": [
                    "created_at",
                    "confirmed_at",
                    "unsubscribed_at",
                    "last_emailed_at",
                    "mail_state",
                    "mail_kind",
                    "mail_attempts",
                    "mail_due_at",
                    "last_email_error",
                ]
            },
        ),
    ]
    # Only the first name may be corrected here. Status, consent and mail state change
    # through the sign-up, confirm and unsubscribe services, never by hand.
    readonly_fields = [
        name for _, section in fieldsets for name in section["fields"] if name != "first_name"
    ]

    def action_checkbox(self, obj: Lead) -> str:
        # Django's markup, written directly: Django renders a CheckboxInput through the
        # form template engine for each row, a third of the list page's time.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            f"Select this object for an action - {obj}",
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A lead is a person's consent: it only comes from the sign-up form.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Lead | None = None) -> bool:
        # Removing a lead is the GDPR erase below: a plain delete would leave the address
        # in the admin's history (LogEntry.object_repr) and keep the attempt's tracking.
        return False

    @admin.display(description="Scores")
    def scores(self, lead: Lead) -> str:
        attempt = lead.attempt
        if attempt is None or attempt.csm_score is None:
            return "No completed quiz"
        return f"CSM {attempt.csm_score}% · CSPO {attempt.cspo_score}%"

    @admin.display(description="Wizard answers")
    def wizard_answers(self, lead: Lead) -> str:
        result = lead.attempt.result if lead.attempt else {}
        answers = result.get("answers") if isinstance(result, dict) else None
        if not answers:
            return "No quiz answers"
        return format_html(
            '<dl class="lead-answers">{}</dl>',
            format_html_join(
                "",
                "<dt>{}</dt><dd>{}</dd>",
                (
                    (answer.get("question", ""), ", ".join(answer.get("choices", [])))
                    for answer in answers
                    if isinstance(answer, dict)
                ),
            ),
        )

    def response_action(self, request: HttpRequest, queryset: QuerySet[Lead], **kwargs: Any) -> Any:
        # Django's own response_action filters by the posted ids as they come: a value
        # that is not a lead id at all would be a 500.
        low, high = connection.ops.integer_field_range(Lead._meta.pk.get_internal_type())
        for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            if not (value.isascii() and value.isdigit() and low <= int(value) <= high):
                self.message_user(
                    request,
                    "That selection names no lead; nothing was changed.",
                    messages.ERROR,
                )
                return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset, **kwargs)

    # --- mail -----------------------------------------------------------------

    # Whoever may see the leads may retry: it only re-sends a mail the lead asked for and
    # is still owed (never to an unsubscribed lead), and marketers are the ones who notice.
    @admin.action(description="Send failed mail again", permissions=["view"])
    def retry_failed_mail(self, request: HttpRequest, queryset: QuerySet[Lead]) -> None:
        retried = lead_mail_retry(leads=queryset)
        if retried:
            self.message_user(
                request,
                f"{retried} failed mail{'s' if retried != 1 else ''} will be sent again "
                "within a minute.",
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                "None of the selected leads has a failed mail; nothing was sent.",
                messages.WARNING,
            )

    # --- pages ----------------------------------------------------------------

    def get_urls(self) -> list:
        own = [
            path(
                "export/",
                self.admin_site.admin_view(
                    require_http_methods(["GET", "HEAD", "POST"])(self.export_matching_view)
                ),
                name="leads_lead_export",
            ),
            path(
                "dashboard/",
                self.admin_site.admin_view(require_GET(self.dashboard_view)),
                name="leads_lead_dashboard",
            ),
        ]
        return own + super().get_urls()

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Lead], search_term: str
    ) -> tuple[QuerySet[Lead], bool]:
        # A whole address is one lead: found through the unique index on the lowercased
        # address, instead of a substring search of every address and first name.
        term = search_term.strip()
        if WHOLE_ADDRESS.fullmatch(term):
            return queryset.alias(email_lower=Lower("email")).filter(
                email_lower=term.lower()
            ), False
        if NAME_WORD.fullmatch(term) and (found := _with_first_name(queryset, term)) is not None:
            return found, False
        return super().get_search_results(request, queryset, search_term)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Lead]:
        queryset = super().get_queryset(request)
        # The date hierarchy's years, months and days by index probes (changelist.py).
        return DrillDownQuerySet(
            model=queryset.model, query=queryset.query, using=queryset._db, hints=queryset._hints
        )

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        # PostgreSQL cannot compare text with a NUL character: a search or filter holding
        # one would be a 500 for the list, its actions and the export. Django shows the
        # list unfiltered with an error flag instead, and the export says so.
        if any("\0" in "".join([key, *values]) for key, values in request.GET.lists()):
            raise IncorrectLookupParameters("A NUL character in the query.")
        return super().get_changelist_instance(request)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        match = request.resolver_match
        if match is not None and match.url_name == "leads_lead_export":
            return MatchingLeads
        return super().get_changelist(request, **kwargs)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        query = request.GET.copy()
        query.pop("p", None)
        extra_context = {
            **(extra_context or {}),
            "can_export": self.has_export_permission(request),
            "export_query": f"?{query.urlencode()}" if query else "",
        }
        return super().changelist_view(request, extra_context)


def _with_first_name(queryset: QuerySet[Lead], name: str) -> QuerySet[Lead] | None:
    """The leads named ``name`` (any case) or whose address contains it, when some lead
    has that first name; None when none has, so the term is searched as part of a name.

    A common name matches a tenth of the table: the substring search finds those through
    the trigram index, then reads each matching row to check, count and date it. An exact
    name is one range of the ``lower(first_name), created_at, id`` index, which answers
    the count, the date hierarchy and the newest page on its own. Addresses are searched
    too (the first name is optional), but the query names them only when one contains
    the name (a probe of the trigram index): without them the count reads no table rows.
    """
    by_name = Q(first_name_lower=Lower(Value(name)))
    named = Lead.objects.alias(first_name_lower=Lower("first_name")).filter(by_name)
    if not named.exists():
        return None
    queryset = queryset.alias(first_name_lower=Lower("first_name"))
    if queryset.filter(email__icontains=name).exists():
        return queryset.filter(by_name | Q(email__icontains=name))
    return queryset.filter(by_name)

"""The marketers' admin: leads (filters, export, GDPR erase, dashboard) and materials."""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection, connections
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from certguide.campaign import UTM_KEYS
from leads.dashboard import DateRangeForm, charts, dashboard_figures, default_range
from leads.export import export_filename
from leads.material_files import ALLOWED, FILE_KINDS, material_download
from leads.models import Lead, LeadErasure, LeadExport, TrainingMaterial
from leads.services import lead_mail_retry, leads_erase, leads_export

# Below this many rows an exact count is cheap; above it the planner's estimate will do.
EXACT_COUNT_BELOW = 50_000
# Placements and sources listed in a filter, from this many of the latest leads.
FILTER_VALUES = 30
RECENT_LEADS = 20_000


class EstimatedCountPaginator(Paginator):
    """Counts exactly, except an unfiltered table on PostgreSQL: COUNT(*) over a million
    rows is a full scan, while pg_class.reltuples (kept by autovacuum/ANALYZE) answers at
    once. The admin then shows an approximate number of pages, which is enough to browse.
    """

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if isinstance(queryset, QuerySet) and not queryset.query.where:
            connection = connections[queryset.db]
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                        [queryset.model._meta.db_table],
                    )
                    row = cursor.fetchone()
                if row and row[0] >= EXACT_COUNT_BELOW:
                    return row[0]
        return super().count


class MatchingLeads(ChangeList):
    """The changelist's search and filters without its page: the export needs only the
    queryset, so nothing is counted and no page is fetched."""

    def get_results(self, request: HttpRequest) -> None:
        pass


def _selects_across(request: HttpRequest) -> bool:
    """Whether an action runs on everything matching, read as Django's ActionForm does."""
    return helpers.ActionForm.base_fields["select_across"].to_python(
        request.POST.get("select_across", "")
    )


def _chosen_filters(changelist: ChangeList) -> list[tuple[str, str]]:
    """The changelist's filters in use, as (title, chosen value) in the admin's words."""
    chosen = []
    for spec in changelist.filter_specs:
        if not any(param in changelist.params for param in spec.expected_parameters()):
            continue
        chosen += [
            (str(spec.title), str(choice["display"]))
            for choice in spec.choices(changelist)
            if choice["selected"]
        ]
    if field := changelist.date_hierarchy:
        parts = [
            changelist.params[key]
            for key in (f"{field}__year", f"{field}__month", f"{field}__day")
            if key in changelist.params
        ]
        if parts:
            chosen.append(("created in", "-".join(parts)))
    return chosen


class TopValuesFilter(admin.SimpleListFilter):
    """Values of a text field found among the latest leads; blank as its own choice."""

    field_name = ""
    blank_label = "(none)"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        # Values in use among the latest leads: the query reads a fixed number of rows
        # through the created_at index, however big the table. Older values can still
        # be found by search.
        # (An IN (latest ids) subquery would let PostgreSQL pick a full scan; a plain
        # LIMIT on the index cannot.)
        recent = Lead.objects.order_by("-created_at").values_list(self.field_name, flat=True)[
            :RECENT_LEADS
        ]
        values = sorted({value for value in recent if value})[:FILTER_VALUES]
        return [*((v, v) for v in values), ("-", self.blank_label)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Lead]) -> QuerySet[Lead]:
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(**{self.field_name: "" if value == "-" else value})


class PlacementFilter(TopValuesFilter):
    title = "placement"
    parameter_name = field_name = "placement"


class SourceFilter(TopValuesFilter):
    title = "UTM source"
    parameter_name = field_name = "utm_source"


class CampaignFilter(TopValuesFilter):
    title = "UTM campaign"
    parameter_name = field_name = "utm_campaign"


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "first_name",
        "status",
        "outcome",
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
        PlacementFilter,
        SourceFilter,
        CampaignFilter,
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["email", "first_name"]
    search_help_text = "Search by email address or first name."
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
        (None, {"fields": ["email", "first_name", "status", "outcome"]}),
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A lead is a person's consent: it only comes from the sign-up form.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Lead | None = None) -> bool:
        # Removing a lead is the GDPR erase below: a plain delete would leave the address
        # in the admin's history (LogEntry.object_repr) and keep the attempt's tracking.
        return False

    def has_export_permission(self, request: HttpRequest) -> bool:
        # Exporting is a way of viewing every lead: it needs both permissions.
        return self.has_view_permission(request) and request.user.has_perm("leads.export_lead")

    def has_erase_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

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

    # --- export ---------------------------------------------------------------

    def _filters(self, request: HttpRequest) -> dict[str, Any]:
        return {
            key: values[0] if len(values) == 1 else values
            for key, values in request.GET.lists()
            if key != "p"
        }

    def _csv_response(
        self, request: HttpRequest, leads: QuerySet[Lead], filters: dict[str, Any]
    ) -> StreamingHttpResponse:
        response = StreamingHttpResponse(
            leads_export(
                leads=leads, user=request.user, filters=filters, source=LeadExport.Source.ADMIN
            ),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = content_disposition_header(
            True, export_filename(timezone.now().date())
        )
        # Personal data: no copy in any cache on the way.
        response["Cache-Control"] = "no-store"
        return response

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

    @admin.action(description="Export selected leads to CSV", permissions=["export"])
    def export_selected(
        self, request: HttpRequest, queryset: QuerySet[Lead]
    ) -> StreamingHttpResponse:
        filters = {**self._filters(request), "scope": "selected"}
        if _selects_across(request):
            filters["scope"] = "all matching"
        return self._csv_response(request, queryset, filters)

    def export_matching_view(self, request: HttpRequest) -> HttpResponse:
        """Everything the changelist's current search and filters match, not one page.

        GET only shows what will be exported and a button; the CSV comes from the POST,
        which the admin's CSRF check guards: a link or an image on another site cannot
        make a marketer's browser download the leads or record an export in their name.
        """
        if not self.has_export_permission(request):
            raise PermissionDenied
        request.GET = request.GET.copy()
        request.GET.pop("p", None)
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            self.message_user(
                request,
                "Those filters do not apply to leads; nothing was exported.",
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:leads_lead_changelist"))
        if request.method != "POST":
            return TemplateResponse(
                request,
                "admin/leads/lead/export_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Export leads to CSV",
                    "opts": self.opts,
                    "search": changelist.query,
                    "filters": _chosen_filters(changelist),
                    "form_url": request.get_full_path(),
                    "changelist_url": reverse("admin:leads_lead_changelist")
                    + (f"?{request.GET.urlencode()}" if request.GET else ""),
                },
            )
        leads = changelist.get_queryset(request)
        return self._csv_response(
            request, leads, {**self._filters(request), "scope": "all matching"}
        )

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

    # --- GDPR erase -----------------------------------------------------------

    @admin.action(description="Erase selected leads for good (GDPR)", permissions=["erase"])
    def erase_selected(
        self, request: HttpRequest, queryset: QuerySet[Lead]
    ) -> TemplateResponse | None:
        """Ask first, then erase. "Select all N matching" erases everything the search and
        filters match when confirmed; if that is no longer the number shown, ask again."""
        if not self.has_erase_permission(request):
            raise PermissionDenied
        total = queryset.count()
        confirmed = request.POST.get("confirm") == "yes"
        if confirmed and request.POST.get("expected") != str(total):
            self.message_user(
                request,
                f"The leads to erase changed since you looked: {total} match now. "
                "Check the list and confirm again.",
                messages.WARNING,
            )
            confirmed = False
        if not confirmed:
            return TemplateResponse(
                request,
                "admin/leads/lead/erase_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Erase leads for good?",
                    "opts": self.opts,
                    "leads": queryset,
                    "total": total,
                    # The confirmation posts to the changelist with the same search and
                    # filters, and carries what the changelist needs to run the action
                    # again: the ticked boxes and, for "all matching", select_across.
                    "form_url": request.get_full_path(),
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                    "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
                    "select_across": _selects_across(request),
                },
            )
        erased = leads_erase(leads=queryset)
        self.message_user(
            request,
            f"Erased {erased} lead{pluralize(erased)}. The erasure is recorded without the "
            "address.",
            messages.SUCCESS,
        )
        return None

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

    def dashboard_view(self, request: HttpRequest) -> TemplateResponse:
        """The funnel dashboard for a date range (GET; defaults to the last 30 days)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        data = request.GET if ("start" in request.GET or "end" in request.GET) else None
        form = DateRangeForm(data or default_range(today))
        context = {
            **self.admin_site.each_context(request),
            "title": "Funnel dashboard",
            "opts": self.opts,
            "form": form,
        }
        if form.is_valid():
            figures = dashboard_figures(
                start=form.cleaned_data["start"], end=form.cleaned_data["end"]
            )
            drawn = charts(figures)
            context |= {
                "figures": figures,
                "charts": drawn,
                "splits": [
                    (
                        "By placement",
                        "placement",
                        drawn["by_placement"],
                        figures.by_placement,
                        "Placement",
                    ),
                    (
                        "By UTM source",
                        "source",
                        drawn["by_source"],
                        figures.by_source,
                        "UTM source",
                    ),
                ],
            }
        return TemplateResponse(request, "admin/leads/dashboard.html", context)


class RecordAdmin(admin.ModelAdmin):
    """Read-only records, for superusers only."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LeadExport)
class LeadExportAdmin(RecordAdmin):
    list_display = ["created_at", "user", "source", "row_count", "filters"]
    list_filter = ["source", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["user"]
    date_hierarchy = "created_at"


@admin.register(LeadErasure)
class LeadErasureAdmin(RecordAdmin):
    list_display = ["created_at", "count"]
    date_hierarchy = "created_at"


class MaterialFileInput(forms.ClearableFileInput):
    """The file input whose "Currently:" link goes to the admin's own download."""

    download_url = ""

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        if self.download_url and context["widget"]["is_initial"]:
            context["widget"]["value"] = _LinkedFile(str(value), self.download_url)
        return context


@dataclass(frozen=True)
class _LinkedFile:
    name: str
    url: str

    def __str__(self) -> str:
        return self.name


@admin.register(TrainingMaterial)
class TrainingMaterialAdmin(admin.ModelAdmin):
    list_display = ["title", "audience", "is_active", "order", "is_download"]
    list_editable = ["is_active", "order"]
    list_filter = ["audience", "is_active"]
    search_fields = ["title", "description"]
    fields = ["title", "description", "audience", "file", "url", "order", "is_active"]

    def get_urls(self) -> list:
        own = [
            path(
                "<path:object_id>/file/",
                self.admin_site.admin_view(require_GET(self.file_view)),
                name="leads_trainingmaterial_file",
            ),
        ]
        return own + super().get_urls()

    def file_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The uploaded file, for whoever may view the material here (MEDIA_URL is not
        served); sent exactly as visitors get it."""
        material = self.get_object(request, object_id)
        if material is None or not material.file:
            raise Http404("No file for this material.")
        if not self.has_view_permission(request, material):
            raise PermissionDenied
        return material_download(title=material.title, file=material.file)

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)
        if obj is not None and obj.file:
            # "Currently: …" links to the file; by default that is MEDIA_URL, a dead link.
            form.base_fields["file"].widget.download_url = reverse(
                "admin:leads_trainingmaterial_file", args=[obj.pk]
            )
        return form

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "file":
            kwargs["widget"] = MaterialFileInput
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "file":
            field.help_text = (
                f"{ALLOWED[0].upper()}{ALLOWED[1:]}, at most {settings.MATERIAL_MAX_UPLOAD_MB} "
                "MB. Visitors download it from their materials page."
            )
            field.widget.attrs["accept"] = ",".join(f".{name}" for name in FILE_KINDS)
        return field

    @admin.display(description="Kind", boolean=False)
    def is_download(self, material: TrainingMaterial) -> str:
        return "File" if material.file else "Link"

"""The leads admin's CSV export: of the ticked leads, or of everything the list's search
and filters match (a confirmation page, then a POST)."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header

from leads.admin.changelist import chosen_filters, selects_across
from leads.export import export_filename
from leads.models import Lead, LeadExport
from leads.services import leads_export


class LeadExportActions:
    """For LeadAdmin: the export action, the export page and who may use them."""

    def has_export_permission(self, request: HttpRequest) -> bool:
        # Exporting is a way of viewing every lead: it needs both permissions.
        return self.has_view_permission(request) and request.user.has_perm("leads.export_lead")

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

    @admin.action(description="Export selected leads to CSV", permissions=["export"])
    def export_selected(
        self, request: HttpRequest, queryset: QuerySet[Lead]
    ) -> StreamingHttpResponse:
        filters = {**self._filters(request), "scope": "selected"}
        if selects_across(request):
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
                    "filters": chosen_filters(changelist),
                    "form_url": request.get_full_path(),
                    "changelist_url": reverse("admin:leads_lead_changelist")
                    + (f"?{request.GET.urlencode()}" if request.GET else ""),
                },
            )
        leads = changelist.get_queryset(request)
        return self._csv_response(
            request, leads, {**self._filters(request), "scope": "all matching"}
        )

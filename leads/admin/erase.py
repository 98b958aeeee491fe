"""The leads admin's GDPR erase: ask first, then forget the leads for good."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse

from leads.admin.changelist import selects_across
from leads.models import Lead
from leads.services import leads_erase


class LeadEraseAction:
    """For LeadAdmin: the erase action, for active superusers only."""

    def has_erase_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

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
                    "select_across": selects_across(request),
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

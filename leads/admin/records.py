"""Read-only records of exports and erasures, for superusers."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from leads.models import LeadErasure, LeadExport


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

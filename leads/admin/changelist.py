"""The leads list made cheap on a big table: an estimated page count, filters that read
a fixed number of rows, and a changelist that only builds the queryset (for the export)."""

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

from leads.models import Lead

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


def selects_across(request: HttpRequest) -> bool:
    """Whether an action runs on everything matching, read as Django's ActionForm does."""
    return helpers.ActionForm.base_fields["select_across"].to_python(
        request.POST.get("select_across", "")
    )


def chosen_filters(changelist: ChangeList) -> list[tuple[str, str]]:
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

"""The leads list made cheap on a big table: an estimated page count, filters that read
a fixed number of rows, a date hierarchy that probes the index instead of reading every
row, and a changelist that only builds the queryset (for the export)."""

import datetime as dt

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Max, Min, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import cached_property

from leads.models import Lead, LeadQuerySet

# Below this many rows an exact count is cheap; above it the planner's estimate will do.
EXACT_COUNT_BELOW = 50_000
# Placements and sources listed in a filter, from this many of the latest leads.
FILTER_VALUES = 30
RECENT_LEADS = 20_000


class EstimatedCountPaginator(Paginator):
    """Counts exactly up to EXACT_COUNT_BELOW rows; past that, on PostgreSQL, the planner's
    estimate. COUNT(*) over a million rows (or a third of them, for a filter) reads them
    all, while the estimate answers at once: pg_class.reltuples (kept by autovacuum and
    ANALYZE) for the whole table, the plan's row estimate for a filtered list. The admin
    then shows an approximate number of pages, which is enough to browse.

    A filtered list is first counted up to the threshold only (a LIMIT in the count), so
    a search or filter matching fewer rows always gets its exact count, whatever the
    planner thinks.
    """

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return super().count
        if not queryset.query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [queryset.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] >= EXACT_COUNT_BELOW:
                return row[0]
            return super().count
        rows = queryset.order_by().values("pk")
        bounded = rows[:EXACT_COUNT_BELOW].count()
        if bounded < EXACT_COUNT_BELOW:
            return bounded
        try:
            sql, params = rows.query.sql_with_params()
        except EmptyResultSet:
            return 0
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            (plan,) = cursor.fetchone()
        return max(int(plan[0]["Plan"]["Plan Rows"]), EXACT_COUNT_BELOW)


# More periods than this in one drill-down level, and the probes are no longer cheaper
# than reading the rows.
MAX_PROBED_PERIODS = 400


class DrillDownQuerySet(LeadQuerySet):
    """The leads list's queryset: ``datetimes()``, which the admin's date hierarchy asks
    for the years, months or days holding a lead, probes the index instead.

    Django's SELECT DISTINCT date_trunc(...) reads every matching row: the whole table for
    the years of an unfiltered list (2.4 s at a million leads). Here the first and last
    matching times come from the index's two ends, the periods between them are listed in
    Python, and one query asks EXISTS for each: an index probe per period, however many
    leads it holds. The same result, in the same order and time zone.
    """

    def datetimes(
        self,
        field_name: str,
        kind: str,
        order: str = "ASC",
        tzinfo: dt.tzinfo | None = None,
    ) -> "list[dt.datetime] | QuerySet":
        connection = connections[self.db]
        if connection.vendor != "postgresql" or kind not in PERIODS or self.query.is_sliced:
            return super().datetimes(field_name, kind, order, tzinfo)
        zone = tzinfo or timezone.get_current_timezone()
        bounds = self.aggregate(first=Min(field_name), last=Max(field_name))
        if bounds["first"] is None:
            return []
        starts = list(
            _periods(kind, bounds["first"].astimezone(zone), bounds["last"].astimezone(zone))
        )
        if len(starts) > MAX_PROBED_PERIODS:
            return super().datetimes(field_name, kind, order, tzinfo)
        parts, params = [], []
        for start in starts:
            probe = (
                self.filter(
                    **{f"{field_name}__gte": start, f"{field_name}__lt": _next(kind, start)}
                )
                .order_by()
                .values("pk")[:1]
            )
            try:
                sql, probe_params = probe.query.sql_with_params()
            except EmptyResultSet:
                return []
            parts.append(f"EXISTS ({sql})")
            params += probe_params
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(parts)}", params)
            found = cursor.fetchone()
        held = [start for start, holds in zip(starts, found, strict=True) if holds]
        return held if order == "ASC" else held[::-1]


PERIODS = ("year", "month", "day")


def _start(kind: str, moment: dt.datetime) -> dt.datetime:
    fields = {"year": {"month": 1, "day": 1}, "month": {"day": 1}, "day": {}}[kind]
    return moment.replace(**fields, hour=0, minute=0, second=0, microsecond=0)


def _next(kind: str, start: dt.datetime) -> dt.datetime:
    if kind == "year":
        return start.replace(year=start.year + 1)
    if kind == "month":
        return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    # Wall-clock midnight to midnight in the zone (a DST day is 23 or 25 hours long).
    following = start.date() + dt.timedelta(days=1)
    return dt.datetime.combine(following, dt.time.min, tzinfo=start.tzinfo)


def _periods(kind: str, first: dt.datetime, last: dt.datetime):
    start = _start(kind, first)
    while start <= last:
        yield start
        start = _next(kind, start)


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
        recent = recent_values(request)[self.field_name]
        values = sorted(value for value in recent if value)[:FILTER_VALUES]
        return [*((v, v) for v in values), ("-", self.blank_label)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Lead]) -> QuerySet[Lead]:
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(**{self.field_name: "" if value == "-" else value})


def recent_values(request: HttpRequest) -> dict[str, set[str]]:
    """The placements, sources and campaigns in use among the latest leads, read once
    per request for the three filters.

    One query reads a fixed number of rows through the created_at index, however big the
    table, and returns only each column's distinct values; older values can still be
    found by search. (An IN (latest ids) subquery would let PostgreSQL pick a full scan;
    a plain LIMIT on the index cannot.)
    """
    if not hasattr(request, "_recent_lead_values"):
        names = [spec.field_name for spec in TopValuesFilter.__subclasses__()]
        connection = connections[Lead.objects.db]
        quote = connection.ops.quote_name
        columns = [quote(Lead._meta.get_field(name).column) for name in names]
        distinct = " UNION ALL ".join(
            f"SELECT DISTINCT {n}, {column} FROM recent"  # noqa: S608 (our own names)
            for n, column in enumerate(columns)
        )
        found: dict[str, set[str]] = {name: set() for name in names}
        with connection.cursor() as cursor:
            # Only this module's own names are interpolated; the limit is a parameter.
            cursor.execute(
                f"WITH recent AS (SELECT {', '.join(columns)} "  # noqa: S608
                f"FROM {quote(Lead._meta.db_table)} "
                f"ORDER BY {quote(Lead._meta.get_field('created_at').column)} DESC LIMIT %s) "
                f"{distinct}",
                [RECENT_LEADS],
            )
            for n, value in cursor.fetchall():
                found[names[n]].add(value)
        request._recent_lead_values = found
    return request._recent_lead_values


class PlacementFilter(TopValuesFilter):
    title = "placement"
    parameter_name = field_name = "placement"


class SourceFilter(TopValuesFilter):
    title = "UTM source"
    parameter_name = field_name = "utm_source"


class CampaignFilter(TopValuesFilter):
    title = "UTM campaign"
    parameter_name = field_name = "utm_campaign"

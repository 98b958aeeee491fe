"""The marketers' funnel dashboard: aggregate figures for a date range, and SVG charts.

Every figure comes from a fixed handful of aggregate queries (eight), whatever the number
of attempts and leads. Charts are drawn on the server as inline SVG: no script, no
inline style (the CSP forbids both); colours come from classes in
static/css/admin_dashboard.css, sizes from SVG attributes.
"""

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from leads.models import Lead
from wizard.models import Attempt, Question, Recommendation

DEFAULT_DAYS = 30
TOP_GROUPS = 10
NO_PLACEMENT = "(no placement)"
NO_SOURCE = "(no source)"
OTHER = "Other"


class DateRangeForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            raise forms.ValidationError("The start date must be on or before the end date.")
        return cleaned


def default_range(today: dt.date) -> dict[str, str]:
    """The last 30 days, today included, as form data."""
    start = today - dt.timedelta(days=DEFAULT_DAYS - 1)
    return {"start": start.isoformat(), "end": today.isoformat()}


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


@dataclass(frozen=True)
class Step:
    label: str
    count: int
    rate: str  # conversion from the step before; "" for the first step


@dataclass(frozen=True)
class Group:
    label: str
    leads: int
    confirmed: int

    @property
    def rate(self) -> str:
        return percent(self.confirmed, self.leads)


@dataclass(frozen=True)
class DropOff:
    """One question: attempts whose path reached it, and the unfinished ones stopped there."""

    label: str
    reached: int
    stopped: int

    @property
    def rate(self) -> str:
        return percent(self.stopped, self.reached)


@dataclass(frozen=True)
class EmbedGroup:
    """One embed site's attempts and leads (its placement is ``embed:<name>``)."""

    placement: str
    started: int
    completed: int
    leads: int
    confirmed: int


@dataclass(frozen=True)
class Figures:
    start: dt.date
    end: dt.date
    funnel: list[Step]
    drop_off: list[DropOff]
    outcomes: list[tuple[str, int]]
    by_placement: list[Group]
    by_source: list[Group]
    by_embed_site: list[EmbedGroup]
    common_paths: list[tuple[str, int]] = ()  # completed attempts by the path they took


COMMON_PATHS = 5


def _drop_off(attempts: QuerySet) -> tuple[list[DropOff], list[tuple[str, int]]]:
    """Drop-off per question of the active questionnaire, counting only attempts whose path
    reached the question, and the most common paths of completed attempts.

    One grouped query: attempts are counted per (path, furthest position, completed), a
    handful of rows whatever the number of attempts. An attempt started before paths were
    recorded (empty path) counts by position in the active questionnaire, as it used to.
    """
    grouped = (
        attempts.annotate(
            done=ExpressionWrapper(Q(completed_at__isnull=False), output_field=BooleanField())
        )
        .values("path", "step", "done")
        .annotate(n=Count("pk"))
        .order_by()
    )
    questions = list(
        Question.objects.filter(questionnaire__is_active=True)
        .order_by("order", "pk")
        .values_list("pk", "text")
    )
    number = {pk: n for n, (pk, _) in enumerate(questions, start=1)}
    reached: dict[object, int] = {}
    stopped: dict[object, int] = {}
    paths: dict[tuple, int] = {}
    for row in grouped:
        path = row["path"] if isinstance(row["path"], list) and row["path"] else None
        step, n = row["step"], row["n"]
        if path is None:
            # Positions up to the furthest reached; past the active questionnaire's end
            # they keep a row of their own.
            keys = [
                questions[i][0] if i < len(questions) else ("position", i) for i in range(step + 1)
            ]
        else:
            keys = path if row["done"] else path[: step + 1]
            if row["done"]:
                key = tuple(path)
                paths[key] = paths.get(key, 0) + n
        for key in keys:
            reached[key] = reached.get(key, 0) + n
        if not row["done"] and keys:
            stopped[keys[-1]] = stopped.get(keys[-1], 0) + n
    rows = [
        DropOff(f"Q{number[pk]}. {text}", reached.get(pk, 0), stopped.get(pk, 0))
        for pk, text in questions
    ]
    beyond = sorted(k[1] for k in reached if isinstance(k, tuple))
    rows += [
        DropOff(f"Q{i + 1}", reached[("position", i)], stopped.get(("position", i), 0))
        for i in beyond
    ]
    others = [k for k in reached if isinstance(k, int) and k not in number]
    if others:
        rows.append(
            DropOff(
                "Questions of other questionnaires",
                sum(reached[k] for k in others),
                sum(stopped.get(k, 0) for k in others),
            )
        )
    common = sorted(paths.items(), key=lambda item: (-item[1], item[0]))[:COMMON_PATHS]
    return rows, [
        (" → ".join(f"Q{number[q]}" if q in number else "Q?" for q in path) + " → result", n)
        for path, n in common
    ]


def _day_range(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    # Half-open [start 00:00, end+1 00:00) in the site's zone: the indexes serve it.
    zone = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=zone),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone),
    )


def _groups(
    leads: QuerySet[Lead], field: str, *, total: int, confirmed: int, blank: str
) -> list[Group]:
    """Leads and confirmed per value of ``field``: the top ten, then one "Other" row."""
    rows = (
        leads.values(field)
        .annotate(n=Count("pk"), confirmed=Count("pk", filter=Q(confirmed_at__isnull=False)))
        .order_by("-n", field)[:TOP_GROUPS]
    )
    groups = [Group(row[field] or blank, row["n"], row["confirmed"]) for row in rows]
    rest = total - sum(g.leads for g in groups)
    if rest:
        groups.append(Group(OTHER, rest, confirmed - sum(g.confirmed for g in groups)))
    return groups


EMBED_PREFIX = "embed:"


def by_embed_site(attempts: QuerySet[Attempt], leads: QuerySet[Lead]) -> list[EmbedGroup]:
    """Attempts and leads per embed site, by placement (two queries): every site with
    either in the range, busiest first."""
    attempt_rows = {
        row["embed__placement"]: row
        for row in attempts.filter(embed__isnull=False)
        .values("embed__placement")
        .annotate(started=Count("pk"), completed=Count("pk", filter=Q(completed_at__isnull=False)))
        .order_by()
    }
    lead_rows = {
        row["placement"]: row
        for row in leads.filter(placement__startswith=EMBED_PREFIX)
        .values("placement")
        .annotate(n=Count("pk"), confirmed=Count("pk", filter=Q(confirmed_at__isnull=False)))
        .order_by()
    }
    groups = [
        EmbedGroup(
            placement=placement,
            started=attempt_rows.get(placement, {}).get("started", 0),
            completed=attempt_rows.get(placement, {}).get("completed", 0),
            leads=lead_rows.get(placement, {}).get("n", 0),
            confirmed=lead_rows.get(placement, {}).get("confirmed", 0),
        )
        for placement in {*attempt_rows, *lead_rows}
    ]
    return sorted(groups, key=lambda g: (-g.started, -g.leads, g.placement))


def dashboard_figures(*, start: dt.date, end: dt.date) -> Figures:
    """The funnel, drop-off, outcome mix and splits for attempts and leads in a range
    (eight queries whatever the numbers).

    Attempts count by the day they started, leads by the day they signed up; a lead
    counts as confirmed if it ever confirmed (an unsubscribed lead once did).
    """
    since, until = _day_range(start, end)
    attempts = Attempt.objects.filter(started_at__gte=since, started_at__lt=until)
    attempt_totals = attempts.aggregate(
        started=Count("pk"),
        completed=Count("pk", filter=Q(completed_at__isnull=False)),
        **{
            choice.value: Count("pk", filter=Q(completed_at__isnull=False, outcome=choice))
            for choice in Recommendation
        },
    )
    drop_off, common_paths = _drop_off(attempts)
    leads = Lead.objects.filter(created_at__gte=since, created_at__lt=until)
    lead_totals = leads.aggregate(
        leads=Count("pk"), confirmed=Count("pk", filter=Q(confirmed_at__isnull=False))
    )

    counts = [
        ("Attempts started", attempt_totals["started"]),
        ("Attempts completed", attempt_totals["completed"]),
        ("Leads", lead_totals["leads"]),
        ("Leads confirmed", lead_totals["confirmed"]),
    ]
    funnel = [
        Step(label, count, percent(count, counts[i - 1][1]) if i else "")
        for i, (label, count) in enumerate(counts)
    ]
    outcomes = [(choice.label, attempt_totals[choice.value]) for choice in Recommendation]
    return Figures(
        start=start,
        end=end,
        funnel=funnel,
        drop_off=drop_off,
        outcomes=outcomes,
        by_placement=_groups(leads, "placement", blank=NO_PLACEMENT, **_totals(lead_totals)),
        by_source=_groups(leads, "utm_source", blank=NO_SOURCE, **_totals(lead_totals)),
        common_paths=common_paths,
        by_embed_site=by_embed_site(attempts, leads),
    )


def _totals(lead_totals: dict[str, int]) -> dict[str, int]:
    return {"total": lead_totals["leads"], "confirmed": lead_totals["confirmed"]}


# --- SVG charts -------------------------------------------------------------------

CHART_WIDTH = 640
LABEL_WIDTH = 270
VALUE_WIDTH = 70
BAR_HEIGHT = 18
ROW_GAP = 10
LEGEND_HEIGHT = 26
LABEL_CHARS = 30


def _short(label: str) -> str:
    # The full label is in the table beside the chart.
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def bar_chart(
    *,
    chart_id: str,
    title: str,
    rows: list[tuple[str, tuple[int, ...]]],
    series: tuple[str, ...] = (),
) -> SafeString:
    """A horizontal bar chart as an accessible inline <svg>.

    Each row is a label and one value per series (one bar each); ``series`` names them
    for a legend when there is more than one. Bars scale to the largest value.
    """
    bars_per_row = max((len(values) for _, values in rows), default=1)
    row_height = bars_per_row * BAR_HEIGHT + ROW_GAP
    top = LEGEND_HEIGHT if len(series) > 1 else 0
    height = top + max(len(rows), 1) * row_height + ROW_GAP
    largest = max((v for _, values in rows for v in values), default=0) or 1
    scale = (CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH) / largest

    parts: list[SafeString] = []
    for n, name in enumerate(series if len(series) > 1 else ()):
        x = LABEL_WIDTH + n * 160
        parts.append(
            format_html(
                '<rect x="{}" y="4" width="14" height="14" class="chart__bar chart__bar--{}"/>'
                '<text x="{}" y="16" class="chart__text">{}</text>',
                x,
                n,
                x + 20,
                name,
            )
        )
    for i, (label, values) in enumerate(rows):
        y = top + ROW_GAP + i * row_height
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" class="chart__text">{}</text>',
                LABEL_WIDTH - 8,
                y + len(values) * BAR_HEIGHT / 2 + 5,
                _short(label),
            )
        )
        for n, value in enumerate(values):
            bar_y = y + n * BAR_HEIGHT
            width = round(value * scale, 1)
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" class="chart__bar '
                    'chart__bar--{}"/><text x="{}" y="{}" class="chart__text">{}</text>',
                    LABEL_WIDTH,
                    bar_y + 1,
                    width,
                    BAR_HEIGHT - 2,
                    n,
                    LABEL_WIDTH + width + 6,
                    bar_y + BAR_HEIGHT - 4,
                    f"{value:,}",
                )
            )
    if not rows:
        parts.append(
            format_html(
                '<text x="{}" y="{}" class="chart__text">No data in this range</text>',
                LABEL_WIDTH,
                top + ROW_GAP + BAR_HEIGHT - 4,
            )
        )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{}" role="img" '
        'aria-labelledby="{}-title" viewBox="0 0 {} {}" width="{}" height="{}" '
        'preserveAspectRatio="xMinYMin meet"><title id="{}-title">{}</title>{}</svg>',
        chart_id,
        chart_id,
        CHART_WIDTH,
        height,
        CHART_WIDTH,
        height,
        chart_id,
        title,
        format_html_join("", "{}", ((part,) for part in parts)),
    )


def charts(figures: Figures) -> dict[str, SafeString]:
    """Every chart of the dashboard, keyed by section."""
    lead_series = ("Leads", "Confirmed")
    return {
        "funnel": bar_chart(
            chart_id="chart-funnel",
            title="Funnel: attempts started, completed, leads and confirmed leads",
            rows=[(step.label, (step.count,)) for step in figures.funnel],
        ),
        "drop_off": bar_chart(
            chart_id="chart-drop-off",
            title="Attempts that reached each question, and those that stopped there",
            rows=[(row.label, (row.reached, row.stopped)) for row in figures.drop_off],
            series=("Reached", "Stopped here"),
        ),
        "outcomes": bar_chart(
            chart_id="chart-outcomes",
            title="Recommendations given to completed attempts",
            rows=[(label, (count,)) for label, count in figures.outcomes],
        ),
        "by_placement": bar_chart(
            chart_id="chart-placement",
            title="Leads and confirmed leads by placement",
            rows=[(g.label, (g.leads, g.confirmed)) for g in figures.by_placement],
            series=lead_series,
        ),
        "by_source": bar_chart(
            chart_id="chart-source",
            title="Leads and confirmed leads by UTM source",
            rows=[(g.label, (g.leads, g.confirmed)) for g in figures.by_source],
            series=lead_series,
        ),
    }

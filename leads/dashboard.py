"""The marketers' funnel dashboard's figures: aggregates for a date range.

Every figure comes from a fixed handful of aggregate queries, whatever the number of
attempts and leads. leads/charts.py draws them.
"""

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet
from django.utils import timezone

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
    by_language: list[Group] = ()
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
    confirmed = Q(confirmed_at__isnull=False)
    lead_totals = leads.aggregate(
        leads=Count("pk"),
        confirmed=Count("pk", filter=confirmed),
        # The site's languages are a short fixed list: counted in the same pass.
        **{
            f"{kind}_{n}": Count("pk", filter=Q(language=code) & extra)
            for n, (code, _) in enumerate(settings.LANGUAGES)
            for kind, extra in (("leads", Q()), ("confirmed", confirmed))
        },
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
        by_language=_by_language(lead_totals),
    )


def _by_language(lead_totals: dict[str, int]) -> list[Group]:
    """Leads and confirmed per site language, busiest first; a language no longer on
    the site (its leads keep their code) counts under "Other"."""
    groups = [
        Group(name, lead_totals[f"leads_{n}"], lead_totals[f"confirmed_{n}"])
        for n, (_, name) in enumerate(settings.LANGUAGES)
        if lead_totals[f"leads_{n}"]
    ]
    groups.sort(key=lambda g: -g.leads)
    rest = lead_totals["leads"] - sum(g.leads for g in groups)
    if rest:
        rest_confirmed = lead_totals["confirmed"] - sum(g.confirmed for g in groups)
        groups.append(Group(OTHER, rest, rest_confirmed))
    return groups


def _totals(lead_totals: dict[str, int]) -> dict[str, int]:
    return {"total": lead_totals["leads"], "confirmed": lead_totals["confirmed"]}

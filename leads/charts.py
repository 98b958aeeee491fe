"""The funnel dashboard's charts, drawn on the server as inline SVG: no script, no inline
style (the CSP forbids both); colours come from classes in
static/css/admin_dashboard.css, sizes from SVG attributes."""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from leads.dashboard import Figures

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
        "by_language": bar_chart(
            chart_id="chart-language",
            title="Leads and confirmed leads by language",
            rows=[(g.label, (g.leads, g.confirmed)) for g in figures.by_language],
            series=lead_series,
        ),
    }

"""A map of a questionnaire for the admin: questions as boxes, jumps as arrows.

Drawn on the server as SVG (no script, no inline style: the CSP allows neither), from
the same ``QuestionnaireWeights`` the flow and the preview read, with a text alternative
that says the same as the picture for anyone who cannot see it.
"""

from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from wizard.preview import reachability
from wizard.scoring import QuestionnaireWeights

BOX_WIDTH = 380
BOX_HEIGHT = 40
GAP = 26
LEFT = 20
# Arrows that skip questions bend out to the right, further for longer jumps.
BEND = 26


@dataclass(frozen=True, slots=True)
class Route:
    """Where some answers to a question lead: ``target`` is a 0-based question index, or
    None for the result. ``answers`` empty means any answer (or the question itself)."""

    target: int | None
    answers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Stop:
    number: int  # 1-based, in questionnaire order
    text: str
    reachable: bool
    routes: tuple[Route, ...]

    @property
    def description(self) -> str:
        parts = []
        for route in self.routes:
            where = "the result" if route.target is None else f"Q{route.target + 1}"
            if route.answers and len(self.routes) > 1:
                picked = ", ".join(f"“{a}”" for a in route.answers)
                verb = "leads" if len(route.answers) == 1 else "lead"
                parts.append(f"{picked} {verb} to {where}")
            else:
                parts.append(f"every answer leads to {where}")
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class QuestionnaireMap:
    svg: SafeString
    stops: tuple[Stop, ...]


def stops(questionnaire: QuestionnaireWeights) -> tuple[Stop, ...]:
    """Each question with where each of its answers leads, and whether any path reaches it."""
    missing, _, _ = reachability(questionnaire)
    result = []
    for index, question in enumerate(questionnaire.questions):
        by_target: dict[int | None, list[str]] = {}
        for choice in question.choices:
            by_target.setdefault(questionnaire.next_index(index, [choice.id]), []).append(
                choice.text
            )
        if not by_target:
            by_target[questionnaire.next_index(index, None)] = []
        routes = tuple(
            Route(target=target, answers=tuple(answers))
            for target, answers in sorted(
                by_target.items(),
                key=lambda item: len(questionnaire) if item[0] is None else item[0],
            )
        )
        result.append(
            Stop(
                number=index + 1,
                text=question.text,
                reachable=index not in missing,
                routes=routes,
            )
        )
    return tuple(result)


def _top(index: int) -> int:
    return GAP + index * (BOX_HEIGHT + GAP)


def draw(questionnaire: QuestionnaireWeights) -> QuestionnaireMap:
    """The SVG map and the stops it shows (for the text alternative)."""
    found = stops(questionnaire)
    count = len(found)
    boxes = []
    for index, stop in enumerate(found):
        label = Truncator(f"Q{stop.number}. {stop.text}").chars(52)
        if not stop.reachable:
            label = Truncator(f"Q{stop.number}. {stop.text}").chars(36) + " (unreachable)"
        boxes.append(
            format_html(
                '<g class="{}"><rect x="{}" y="{}" width="{}" height="{}" rx="6" fill="{}" '
                'stroke="{}" stroke-width="2"{}/><text x="{}" y="{}" fill="#1b1b1b" '
                'font-size="13">{}</text></g>',
                "map-question" if stop.reachable else "map-question map-unreachable",
                LEFT,
                _top(index),
                BOX_WIDTH,
                BOX_HEIGHT,
                "#ffffff" if stop.reachable else "#f3f3f3",
                "#264b5d" if stop.reachable else "#a3160f",
                SafeString(' stroke-dasharray="6 4"') if not stop.reachable else "",
                LEFT + 10,
                _top(index) + BOX_HEIGHT / 2 + 5,
                label,
            )
        )
    boxes.append(
        format_html(
            '<g class="map-result"><rect x="{}" y="{}" width="{}" height="{}" rx="20" '
            'fill="#e6f1e8" stroke="#1e6b32" stroke-width="2"/><text x="{}" y="{}" '
            'fill="#1b1b1b" font-size="13" font-weight="bold">Result</text></g>',
            LEFT,
            _top(count),
            BOX_WIDTH,
            BOX_HEIGHT,
            LEFT + 10,
            _top(count) + BOX_HEIGHT / 2 + 5,
        )
    )
    arrows = []
    for index, stop in enumerate(found):
        for route in stop.routes:
            target = count if route.target is None else route.target
            start_y = _top(index) + BOX_HEIGHT
            end_y = _top(target)
            title = f"Q{stop.number} → " + ("result" if route.target is None else f"Q{target + 1}")
            if route.answers and len(stop.routes) > 1:
                title += ": " + ", ".join(route.answers)
            if target == index + 1:
                x = LEFT + BOX_WIDTH / 3
                d = f"M{x},{start_y} L{x},{end_y - 2}"
            else:
                out = LEFT + BOX_WIDTH + BEND * min(target - index, 8)
                y1, y2 = _top(index) + BOX_HEIGHT / 2, _top(target) + BOX_HEIGHT / 2
                d = f"M{LEFT + BOX_WIDTH},{y1} C{out},{y1} {out},{y2} {LEFT + BOX_WIDTH + 4},{y2}"
            arrows.append(
                format_html(
                    '<path d="{}" fill="none" stroke="{}" stroke-width="2" '
                    'marker-end="url(#map-arrow)"{}><title>{}</title></path>',
                    d,
                    "#264b5d" if stop.reachable else "#a3160f",
                    SafeString(' stroke-dasharray="4 3"') if not stop.reachable else "",
                    title,
                )
            )
    width = LEFT + BOX_WIDTH + BEND * 8 + 20
    height = _top(count) + BOX_HEIGHT + GAP
    svg = format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="questionnaire-map" width="{}" '
        'height="{}" viewBox="0 0 {} {}" role="img" aria-labelledby="map-title" '
        'aria-describedby="map-description"><title id="map-title">Map of the questionnaire: '
        "{} questions, arrows show where answers lead</title>"
        '<defs><marker id="map-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#264b5d"/></marker></defs>{}{}</svg>',
        width,
        height,
        width,
        height,
        count,
        format_html_join("", "{}", ((b,) for b in boxes)),
        format_html_join("", "{}", ((a,) for a in arrows)),
    )
    return QuestionnaireMap(svg=svg, stops=found)

"""The quiz: an intro with a Start button, one page per question, a result permalink.

State lives on the Attempt row and in the URL (/wizard/<attempt>/step/<n>/), so two tabs
never mix. Every POST redirects (Post/Redirect/Get): a reload never submits twice.
A signed cookie scoped to /wizard/ remembers the visitor's latest attempt for resuming;
there is no Django session on these public pages.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from certguide import generations
from certguide.campaign import UTM_KEYS
from certguide.content_cache import cached_page
from certguide.context_processors import site
from certguide.shell import Hole, PageShell
from wizard.forms import AnswerForm, StartForm
from wizard.models import Attempt, Recommendation
from wizard.questionnaires import active_weights, questionnaire_weights
from wizard.scoring import QuestionnaireWeights
from wizard.services import (
    AttemptAlreadyCompleted,
    InvalidAnswer,
    StepNotReached,
    attempt_path,
    attempt_record_answer,
    attempt_start,
    first_unanswered,
    furthest_position,
)
from wizard.share import outcome_label, share_context

RESUME_COOKIE = "certguide_wizard"
RESUME_SALT = "wizard.resume"
RESUME_MAX_AGE = 60 * 60 * 24 * 30


def step_url(attempt: Attempt, number: int) -> str:
    return reverse("wizard:step", kwargs={"attempt_id": attempt.pk, "number": number})


def result_url(attempt: Attempt) -> str:
    return reverse("wizard:result", kwargs={"attempt_id": attempt.pk})


def _remember(request: HttpRequest, response: HttpResponse, attempt: Attempt) -> None:
    response.set_signed_cookie(
        RESUME_COOKIE,
        str(attempt.pk),
        salt=RESUME_SALT,
        max_age=RESUME_MAX_AGE,
        path=reverse("wizard:start"),
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )


def _remembered_attempt(request: HttpRequest) -> Attempt | None:
    try:
        value = request.get_signed_cookie(RESUME_COOKIE, salt=RESUME_SALT, max_age=RESUME_MAX_AGE)
        attempt_id = uuid.UUID(value)
    except (KeyError, signing.BadSignature, ValueError):
        return None
    return Attempt.objects.filter(pk=attempt_id).first()


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "wizard/not_found.html", status=404)


def _unavailable(request: HttpRequest) -> HttpResponse:
    return render(request, "wizard/unavailable.html", status=503)


def _question_count(weights: QuestionnaireWeights) -> str:
    """ "6", or "5 to 6" when the answers decide how many questions are asked."""
    fewest, most = weights.path_lengths()
    if fewest == most:
        return str(most)
    return pgettext("a number of questions", "%(fewest)s to %(most)s") % {
        "fewest": fewest,
        "most": most,
    }


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """GET shows the intro (and a resume link); only the POSTed Start button creates a
    row, so crawlers following links never start attempts."""
    weights = active_weights()
    if weights is None:
        return _unavailable(request)
    if request.method == "POST":
        form = StartForm(request.POST)
        form.is_valid()  # Its errors are never shown: see StartForm.tracking().
        attempt = attempt_start(questionnaire_id=weights.id, tracking=form.tracking())
        response = redirect(step_url(attempt, 1))
        _remember(request, response, attempt)
        return response

    remembered = _remembered_attempt(request)
    resume = None
    if remembered is not None and not remembered.is_completed:
        # An attempt keeps the questionnaire it started on, almost always this one.
        if remembered.questionnaire_id != weights.id:
            weights_then = questionnaire_weights(remembered.questionnaire_id) or weights
        else:
            weights_then = weights
        resume = step_url(remembered, furthest_position(remembered, weights_then) + 1)
    initial = {name: request.GET.get(name, "") for name in UTM_KEYS}
    initial["referrer"] = request.headers.get("referer", "")
    form = StartForm(
        initial=initial, label=gettext("Start again") if resume else gettext("Start the quiz")
    )
    return render(
        request,
        "wizard/start.html",
        {
            "form": form,
            "question_count": _question_count(weights),
            # In the sitemap: the same words for <title>, description and Open Graph.
            "seo": {
                "title": gettext("Which Scrum certification fits you? Take the quiz"),
                "description": gettext(
                    "Answer %(count)s short questions and find out whether the CSM, the CSPO "
                    "or both fit your goals, with the reasons behind the recommendation."
                )
                % {"count": _question_count(weights)},
            },
            "resume_url": resume,
            "last_result_url": result_url(remembered)
            if remembered is not None and remembered.is_completed
            else None,
        },
    )


def _posted_question(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("question", ""))
    except ValueError:
        return None


@dataclass(frozen=True)
class QuizUrls:
    """Where the quiz's own links point: the site's pages, or the embed's frame pages."""

    step: Callable[[Attempt, int], str]
    result: Callable[[Attempt], str]
    start: str


SITE_URLS = QuizUrls(step=step_url, result=result_url, start=reverse_lazy("wizard:start"))

# What the next page tells a visitor a step redirected, by key (the embed carries the key
# in its URL, having no cookie for messages).
NOTICES = {
    "order": _("Please answer the questions in order. Here is where you left off."),
    "missing": _("One question still needs an answer."),
    "rerouted": _(
        "An answer you changed means that question is no longer asked. Here is where you are now."
    ),
}


@dataclass(frozen=True)
class StepPage:
    """What a step request comes to: a redirect (with the key of a notice for the next
    page), the questionnaire-unavailable page, or the step rendered with ``context`` and
    ``status``."""

    redirect: str = ""
    notice: str = ""
    unavailable: bool = False
    context: dict[str, Any] = field(default_factory=dict)
    status: int = 200


def step_page(request: HttpRequest, attempt: Attempt, number: int, urls: QuizUrls) -> StepPage:
    """Show or answer step ``number`` of ``attempt``: the quiz's step logic, shared by the
    site's pages and the embed's frame pages (which differ only in ``urls``).

    ``number`` is a position on the attempt's path (1 is the first question asked), not
    a question's order: Back is then simply ``number - 1``, the progress reads "Question
    3 of 5" straight from the URL, and the links of linear quizzes mean what they did."""
    if attempt.is_completed:
        return StepPage(redirect=urls.result(attempt))
    weights = questionnaire_weights(attempt.questionnaire_id)
    if weights is None or len(weights) == 0:
        return StepPage(unavailable=True)
    path = attempt_path(attempt, weights)
    total = len(path)
    furthest = furthest_position(attempt, weights) + 1
    if request.method == "POST":
        # Another tab may have changed the path since this page was shown: the answer goes
        # to the question the page showed, wherever it now is on the path.
        posted = _posted_question(request)
        positions = {q.id: n for n, q in enumerate(path, start=1)}
        if posted in positions and positions[posted] != number and positions[posted] <= furthest:
            number = positions[posted]
        elif (
            posted is not None and posted not in positions and weights.position(posted) is not None
        ):
            return StepPage(redirect=urls.step(attempt, furthest), notice="rerouted")
    if number > furthest:
        return StepPage(redirect=urls.step(attempt, furthest), notice="order")
    if number < 1:
        return StepPage(redirect=urls.step(attempt, 1))

    question = path[number - 1]
    form_kwargs = {
        "question": question,
        "action": urls.step(attempt, number),
        "can_go_back": number > 1,
        "is_last": number == total,
    }
    if request.method == "POST":
        going_back = request.POST.get("action") == "back"
        back = urls.step(attempt, number - 1) if number > 1 else str(urls.start)
        form = AnswerForm(request.POST, **form_kwargs)
        if form.is_valid():
            try:
                attempt = attempt_record_answer(
                    attempt=attempt,
                    weights=weights,
                    index=number - 1,
                    choice_ids=form.choice_ids(),
                    finish=not going_back,
                )
            except AttemptAlreadyCompleted:
                return StepPage(redirect=urls.result(attempt))
            except StepNotReached as error:
                return StepPage(redirect=urls.step(attempt, error.furthest + 1))
            except InvalidAnswer:
                # The form already checked the choices; only a concurrent edit gets here.
                return StepPage(redirect=urls.step(attempt, number))
            if attempt.is_completed:
                return StepPage(redirect=urls.result(attempt))
            if going_back:
                return StepPage(redirect=back)
            # The answer may have changed the path after this question, never before it.
            if number < len(attempt.path):
                return StepPage(redirect=urls.step(attempt, number + 1))
            missing = first_unanswered(attempt, weights)
            return StepPage(redirect=urls.step(attempt, (missing or 0) + 1), notice="missing")
        if going_back:
            # Back never needs a valid answer: nothing is saved and the visitor goes back.
            return StepPage(redirect=back)
        status = 422
        answers = render_to_string("wizard/step.html#answers", {"form": form})
    else:
        stored = attempt.answers.get(str(question.id)) or []
        picked = [str(i) for i in stored] if isinstance(stored, list) else []
        status = 200
        # The same question, buttons and picked answers render the same HTML for every
        # visitor (the CSRF token and the form's action are outside it, in the page): the
        # form is built and crispy runs once per edit. Back and "See my result" depend on
        # the position on the path, which differs between paths, so they are part of the
        # name (the language is in every name certguide.generations keeps).
        buttons = f"{'back' if number > 1 else 'first'}-{'last' if number == total else 'next'}"
        initial = {
            "question": question.id,
            "choices": picked if question.multiple else (picked[0] if picked else None),
        }
        answers = generations.cached(
            generations.Family.QUESTIONNAIRE,
            f"answers:{question.id}:{buttons}:{','.join(sorted(picked))}",
            lambda: render_to_string(
                "wizard/step.html#answers", {"form": AnswerForm(initial=initial, **form_kwargs)}
            ),
        )
        form = None  # nothing to correct
    return StepPage(
        context={
            "form": form,
            "action": form_kwargs["action"],
            "question": question,
            "number": number,
            "total": total,
            "answers": answers,
        },
        status=status,
    )


# A step page's frame (head, header, language switcher, footer) is the same for everyone:
# rendered once per process and language, the step's own parts filled in per response.
STEP_SHELL = PageShell(
    "wizard/step.html",
    view_name="wizard:step",
    url_kwargs={"attempt_id": uuid.UUID, "number": int},
    context={
        "form": None,
        "action": Hole("action"),
        "question": SimpleNamespace(text=Hole("question")),
        "number": Hole("number"),
        "total": Hole("total"),
        "answers": Hole("answers"),
        "notices": Hole("notices"),
        "csrf_token": Hole("csrf_token"),
    },
)


def _notices(request: HttpRequest) -> str:
    """The messages waiting for this visitor (a step redirected here), as HTML."""
    waiting = list(messages.get_messages(request))
    return render_to_string("wizard/_messages.html", {"messages": waiting}) if waiting else ""


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def step(request: HttpRequest, attempt_id: uuid.UUID, number: int) -> HttpResponse:
    attempt = Attempt.objects.by_id(attempt_id)
    if attempt is None:
        return _not_found(request)
    page = step_page(request, attempt, number, SITE_URLS)
    if page.unavailable:
        return _unavailable(request)
    if page.redirect:
        if page.notice:
            messages.info(request, str(NOTICES[page.notice]))
        return redirect(page.redirect)
    context = {**page.context, "notices": _notices(request)}
    if page.status != 200:  # an answer to correct: the form shows its errors
        return render(request, "wizard/step.html", context, status=page.status)
    return HttpResponse(
        STEP_SHELL.render(
            site_url=site(request)["SITE_URL"],
            url_kwargs={"attempt_id": attempt.pk, "number": context["number"]},
            action=context["action"],
            question=context["question"].text,
            number=context["number"],
            total=context["total"],
            answers=context["answers"],
            notices=context["notices"],
            csrf_token=get_token(request),
        )
    )


# The role pages each outcome points to, by Certification slug (read-only in the admin).
NEXT_STEPS = {
    Recommendation.CSM: [("csm", _("Read what a Scrum Master does"))],
    Recommendation.CSPO: [("cspo", _("Read what a Product Owner does"))],
    Recommendation.BOTH: [
        ("csm", _("Read what a Scrum Master does")),
        ("cspo", _("Read what a Product Owner does")),
    ],
}


def _noindex(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.headers["X-Robots-Tag"] = "noindex"
        return response

    return wrapper


@require_safe
@_noindex
# A completed result never changes (it was frozen at completion), so it is cached like a
# content page: only a 200 is stored, and an edit to the site's copy re-renders it.
@cached_page
def result(
    request: HttpRequest, attempt_id: uuid.UUID, *, campaign: dict[str, str]
) -> HttpResponse:
    """The shareable permalink: reads only what was frozen at completion."""
    attempt = Attempt.objects.filter(pk=attempt_id).first()
    if attempt is None or (attempt.outcome not in Recommendation.values and attempt.is_completed):
        return _not_found(request)
    if not attempt.is_completed:
        return HttpResponseRedirect(step_url(attempt, attempt.step + 1))
    return render(
        request,
        "wizard/result.html",
        {
            "attempt": attempt,
            "outcome": Recommendation(attempt.outcome),
            "outcome_label": outcome_label(Recommendation(attempt.outcome)),
            "next_steps": [
                (reverse("certification", kwargs={"slug": slug}), label)
                for slug, label in NEXT_STEPS[Recommendation(attempt.outcome)]
            ],
            "cta_url": reverse("leads:signup")
            + "?"
            + urlencode({"result": attempt.pk, "placement": "wizard-result"}),
            "share": share_context(request, attempt),
        },
    )

"""A quiz step is its frame rendered once (certguide.shell.PageShell) with the step's own
parts filled in per response: the same bytes as rendering the whole template, and never
one visitor's token, attempt or notice in another visitor's page."""

import re
from html import unescape
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from certguide.shell import HOLE, PageShell
from tests.wizard.test_languages import start, step_form
from wizard import views
from wizard.models import Attempt, Question

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def shelled(monkeypatch):
    """Every step page the shell makes, with the values it was filled with."""
    pages = []
    fill = PageShell.render

    def recording(shell, **values):
        html = fill(shell, **values)
        pages.append((values, html))
        return html

    monkeypatch.setattr(PageShell, "render", recording)
    return pages


def full_render(request, values: dict, language: str) -> str:
    """The step template rendered whole, by the template engine, with the same values."""
    context = {
        "form": None,
        "action": values["action"],
        "question": SimpleNamespace(text=values["question"]),
        **{name: values[name] for name in ("number", "total", "answers", "notices")},
        "csrf_token": values["csrf_token"],
    }
    with translation.override(language):
        return render_to_string("wizard/step.html", context, request)


def answer_first(visitor, url: str) -> str:
    question, choices = step_form(visitor.page.content.decode())
    response = visitor.submit(url, {"question": question, "choices": choices[0]})
    assert response.status_code == 302
    return response.url


@pytest.mark.parametrize(("prefix", "language"), [("", "en"), ("/de", "de")])
def test_every_step_is_the_same_page_the_template_engine_renders(
    seeded_questionnaire, visitors, shelled, prefix, language
):
    # A question text an editor could type: it must come out escaped, as the engine does.
    question = seeded_questionnaire.questions.order_by("order", "pk").first()
    Question.objects.filter(pk=question.pk).update(
        text_en='Tom & "Jerry" <b>plan</b>?', text_de='Tom & "Jerry" <b>planen</b>?'
    )
    (visitor,) = visitors(1)
    url = start(visitor, prefix)
    pages = 0
    while "/step/" in url:
        response = visitor.get(url)
        assert response.status_code == 200
        values, html = shelled[-1]
        assert response.content.decode() == html
        assert html == full_render(response.wsgi_request, values, language)
        assert not HOLE.search(html)
        pages += 1
        url = answer_first(visitor, url)
    assert pages >= 3
    assert "Tom &amp; &quot;Jerry&quot; &lt;b&gt;plan" in "".join(html for _, html in shelled)


def test_a_notice_is_shown_once_to_its_visitor_only(seeded_questionnaire, visitors, shelled):
    first, second = visitors(2)
    first_url, second_url = start(first, ""), start(second, "")
    first.get(first_url)
    second.get(second_url)
    # The first visitor skips ahead: sent back to question 1 with a notice.
    ahead = first_url.replace("/step/1/", "/step/3/")
    response = first.get(ahead)
    assert response.status_code == 302
    notice = "Please answer the questions in order"
    html = first.get(response.url).content.decode()
    assert notice in html
    assert html == full_render(first.page.wsgi_request, shelled[-1][0], "en")
    assert notice not in second.get(second_url).content.decode()
    assert notice not in first.get(first_url).content.decode()  # shown once


def test_two_visitors_interleaved_each_get_their_own_token_and_attempt(
    seeded_questionnaire, visitors
):
    first, second = visitors(2)
    urls = {first: start(first, ""), second: start(second, "/de")}
    for _ in range(3):
        pages = {visitor: visitor.get(url).content.decode() for visitor, url in urls.items()}
        for visitor, page in pages.items():
            other = second if visitor is first else first
            attempt_id = urls[visitor].split("/")[-4]
            assert attempt_id in page
            assert urls[other].split("/")[-4] not in page
            assert f'action="{urls[visitor]}"' in page
            assert not (other.secrets() & set(TOKEN.findall(page)))
        # Each answers from the page it was shown: its token is good for its own cookie.
        for visitor in (second, first):
            urls[visitor] = answer_first(visitor, urls[visitor])
    assert Attempt.objects.filter(step__gte=3).count() == 2


def test_the_shell_holds_nothing_of_any_visitor(seeded_questionnaire, visitors):
    views.STEP_SHELL.forget()
    first, second = visitors(2)
    for visitor, prefix in ((first, ""), (second, "/de")):
        visitor.get(start(visitor, prefix))
    kept = "".join("".join(parts) for parts in views.STEP_SHELL._parts.values())
    assert [language for language, *_ in views.STEP_SHELL._parts] == ["en", "de"]
    for visitor in (first, second):
        page = visitor.page.content.decode()
        assert TOKEN.search(page)
        for secret in visitor.secrets() | set(TOKEN.findall(page)):
            assert secret not in kept
    for attempt in Attempt.objects.all():
        assert str(attempt.pk) not in kept
    assert "Was gibt Ihnen" not in unescape(kept)
    assert "What energises" not in unescape(kept)


def test_a_step_costs_one_query_once_the_questionnaire_is_cached(
    seeded_questionnaire, visitors, django_assert_num_queries
):
    first, second = visitors(2)
    first.get(start(first, ""))  # the questionnaire and the answers' HTML are cached now
    url = start(second, "")
    with django_assert_num_queries(1):  # the attempt
        assert second.get(url).status_code == 200


def test_the_attempt_read_by_id_is_the_row_the_orm_reads(seeded_questionnaire):
    import uuid

    attempt = Attempt.objects.create(
        questionnaire=seeded_questionnaire, answers={"1": [2]}, path=[1, 3], utm_source="x"
    )
    read = Attempt.objects.by_id(attempt.pk)
    expected = Attempt.objects.get(pk=attempt.pk)
    fields = [f.attname for f in Attempt._meta.concrete_fields]
    assert [getattr(read, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert Attempt.objects.by_id(uuid.uuid4()) is None


def test_the_locked_read_of_an_attempt_locks_its_row(seeded_questionnaire):
    """The read the answer's fallback transaction makes (an answer from a stale copy, or
    one that completes the attempt: wizard.services._record_answer_locked)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    attempt = Attempt.objects.create(questionnaire=seeded_questionnaire)
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        assert Attempt.objects.by_id(attempt.pk, for_update=True) == attempt
    (read,) = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert read.endswith("FOR UPDATE") == connection.features.has_select_for_update

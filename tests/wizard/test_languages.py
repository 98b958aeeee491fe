"""The quiz in English at /wizard/ and in German at /de/wizard/: the same questionnaire,
the same scores, each language's texts from its own cached copy."""

import re
from html import unescape

import pytest

from tests.certguide.conftest import form_data
from wizard.models import Attempt, Choice, Question

pytestmark = pytest.mark.django_db

INPUT = re.compile(r"<input\b[^>]*>")


def _attribute(tag: str, name: str) -> str | None:
    match = re.search(rf'\s{name}="([^"]*)"', tag)
    return match.group(1) if match else None


def step_form(html: str) -> tuple[int, list[int]]:
    """The question id and the answer ids the step page offers, in page order."""
    question, choices = None, []
    for tag in INPUT.findall(html):
        if _attribute(tag, "name") == "question":
            question = int(_attribute(tag, "value"))
        elif _attribute(tag, "name") == "choices":
            choices.append(int(_attribute(tag, "value")))
    assert question is not None
    return question, choices


def start(visitor, prefix: str) -> str:
    assert visitor.get(f"{prefix}/wizard/").status_code == 200
    response = visitor.submit(f"{prefix}/wizard/", {})
    assert response.status_code == 302
    assert response.url.startswith(f"{prefix}/wizard/")
    return response.url


def test_the_same_answers_score_the_same_in_english_and_german(seeded_questionnaire, visitors):
    english, german = visitors(2)
    at = {english: start(english, ""), german: start(german, "/de")}
    asked = {english: [], german: []}
    # Interleaved, one step each in turn, both picking the same answer by position (the
    # first but on every third step, so the path branches and the scores are mixed).
    for step in range(12):
        for visitor in (english, german):
            if "/result/" in at[visitor]:
                continue
            page = visitor.get(at[visitor])
            assert page.status_code == 200
            question, choices = step_form(page.content.decode())
            asked[visitor].append(question)
            pick = choices[1 if step % 3 == 2 else 0]
            response = visitor.submit(
                at[visitor], {"question": question, "choices": [pick], "action": "next"}
            )
            assert response.status_code == 302
            at[visitor] = response.url
    assert at[english].startswith("/wizard/result/")
    assert at[german].startswith("/de/wizard/result/")
    assert asked[english] == asked[german]

    mine = Attempt.objects.get(pk=at[english].split("/")[3])
    theirs = Attempt.objects.get(pk=at[german].split("/")[4])
    assert mine.pk != theirs.pk
    assert (mine.outcome, mine.csm_score, mine.cspo_score, mine.path) == (
        theirs.outcome,
        theirs.csm_score,
        theirs.cspo_score,
        theirs.path,
    )
    assert mine.answers == theirs.answers
    assert mine.result["contributions"] != theirs.result["contributions"]  # the texts
    assert [
        (c["csm_points"], c["cspo_points"], c["lean"]) for c in mine.result["contributions"]
    ] == [(c["csm_points"], c["cspo_points"], c["lean"]) for c in theirs.result["contributions"]]

    # Each result shows the reasons in its visitor's language.
    picked = Choice.objects.filter(
        pk__in=[i for ids in theirs.answers.values() for i in ids]
    ).exclude(explanation_en="")
    german_reasons = set(theirs.result["reasons"])
    assert german_reasons
    assert german_reasons <= {c.explanation_de for c in picked}
    assert set(mine.result["reasons"]) <= {c.explanation_en for c in picked}
    result = unescape(german.get(at[german]).content.decode())
    assert all(reason in result for reason in german_reasons)
    assert not any(reason in result for reason in mine.result["reasons"])

    # A permalink opened at the other language's address shows the reasons frozen in that
    # language: the German result at /wizard/…, the English one at /de/wizard/….
    german_at_english = unescape(english.get(at[german].removeprefix("/de")).content.decode())
    assert all(reason in german_at_english for reason in mine.result["reasons"])
    assert not any(reason in german_at_english for reason in german_reasons)
    english_at_german = unescape(german.get("/de" + at[english]).content.decode())
    assert all(reason in english_at_german for reason in german_reasons)
    assert theirs.result["texts"]["en"]["reasons"] == mine.result["reasons"]
    assert mine.result["texts"]["de"]["reasons"] == theirs.result["reasons"]


def test_a_german_step_shows_the_german_question_and_answers(seeded_questionnaire, visitors):
    (german,) = visitors(1)
    html = unescape(german.get(start(german, "/de")).content.decode())
    assert "Was gibt Ihnen bei der Arbeit am meisten Energie?" in html
    assert "Kunden zuhören und ihre Bedürfnisse in einen Plan übersetzen" in html
    assert "What energises you most" not in html


def test_an_admin_edit_of_the_german_reaches_german_visitors_only(
    seeded_questionnaire, visitors, admin_client, committed
):
    english, german = visitors(2)
    english_step, german_step = start(english, ""), start(german, "/de")
    question = seeded_questionnaire.questions.order_by("order", "pk").first()
    choice = question.choices.order_by("order", "pk").first()
    # Both visitors' pages are rendered and cached (the questionnaire, the answers' HTML).
    assert choice.text_de in unescape(german.get(german_step).content.decode())
    assert choice.text_en in unescape(english.get(english_step).content.decode())

    url = f"/admin/wizard/question/{question.pk}/change/"
    form = admin_client.get(url).content.decode()
    assert "form-multiline field-text_en field-text_de" in form
    data = form_data(form)
    prefix = next(
        key.removesuffix("-id")
        for key, value in data.items()
        if key.endswith("-id") and value == str(choice.pk)
    )
    data[f"{prefix}-text_de"] = "Ein Team zusammenbringen und Hindernisse beseitigen"
    with committed(execute=True):
        assert admin_client.post(url, data).status_code == 302

    for _ in range(2):  # and again, from the cache
        de = unescape(german.get(german_step).content.decode())
        en = unescape(english.get(english_step).content.decode())
        assert "Ein Team zusammenbringen und Hindernisse beseitigen" in de
        assert "Ein Team zusammenbringen" not in en
        assert choice.text_en in en
    choice.refresh_from_db()
    assert (choice.csm_points, choice.cspo_points) == (3, 0)


def test_texts_without_german_show_the_english_and_are_flagged(
    seeded_questionnaire, visitors, admin_client
):
    (german,) = visitors(1)
    first, second = seeded_questionnaire.questions.order_by("order", "pk")[:2]
    choice = first.choices.order_by("order", "pk").last()
    Choice.objects.filter(pk=choice.pk).update(text_de="")
    Question.objects.filter(pk=second.pk).update(text_de=None)

    html = unescape(german.get(start(german, "/de")).content.decode())
    assert choice.text_en in html
    assert "Was gibt Ihnen bei der Arbeit am meisten Energie?" in html

    def admin_page(url: str) -> str:
        return unescape(admin_client.get(url).content.decode())

    assert f"choice “{choice.text_en}”: text" in admin_page(
        f"/admin/wizard/question/{first.pk}/change/"
    )
    questionnaire = admin_page(f"/admin/wizard/questionnaire/{seeded_questionnaire.pk}/change/")
    assert f"answer “{choice.text_en}” to “{first.text_en}”: text" in questionnaire
    assert f"question “{second.text_en}”: text" in questionnaire
    missing = admin_page("/admin/wizard/question/?german=missing")
    assert second.text_en in missing
    assert "missing: text" in missing
    assert first.text_en not in missing


def test_a_result_frozen_before_there_were_two_languages_still_shows_its_reasons(
    seeded_questionnaire, visitors
):
    from tests.conftest import make_attempt

    attempt = make_attempt(questionnaire=seeded_questionnaire)
    attempt.result = {**attempt.result, "reasons": ["You like to coach teams."]}
    attempt.result.pop("texts", None)
    attempt.save()
    english, german = visitors(2)

    for visitor, path in ((english, "/"), (german, "/de/")):
        page = visitor.get(f"{path}wizard/result/{attempt.pk}/")
        assert page.status_code == 200
        assert "You like to coach teams." in page.content.decode()

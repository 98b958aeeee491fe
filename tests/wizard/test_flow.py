import re
import uuid

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.html import escape

from tests.wizard.conftest import start_attempt
from wizard.models import Attempt, Choice, Question, Recommendation
from wizard.views import RESUME_COOKIE, result_url, step_url

pytestmark = pytest.mark.django_db


def answer(client, attempt, number, choices, action="next"):
    question = questions_of(attempt)[number - 1]
    ids = [c.pk for c in choices]
    return client.post(
        step_url(attempt, number),
        {"question": question.pk, "choices": ids, "action": action},
    )


def questions_of(attempt):
    return list(attempt.questionnaire.questions.order_by("order", "pk"))


def first_choice(question, index=0):
    return list(question.choices.order_by("order", "pk"))[index]


def checked_ids(response):
    return {int(v) for v in re.findall(r'value="(\d+)"[^>]*checked', response.content.decode())}


def test_urls_follow_the_contract():
    assert reverse("wizard:start") == "/wizard/"
    some = uuid.uuid4()
    assert reverse("wizard:result", args=[some]) == f"/wizard/result/{some}/"


def test_intro_get_creates_nothing_and_offers_a_start_button(client, seeded_questionnaire):
    response = client.get("/wizard/")

    assert response.status_code == 200
    assert Attempt.objects.count() == 0
    assert b'method="post"' in response.content
    assert b"Start the quiz" in response.content


def test_walk_through_every_step_to_the_result(client, make_questionnaire):
    questionnaire = make_questionnaire([[(3, 0), (0, 3)], [(2, 0), (0, 2)], [(1, 0), (0, 1)]])
    attempt = start_attempt(client)
    assert attempt.questionnaire == questionnaire

    for number, question in enumerate(questions_of(attempt), start=1):
        page = client.get(step_url(attempt, number))
        assert page.status_code == 200
        assert f"Question {number} of 3".encode() in page.content
        assert f'<progress class="wizard-progress__bar" max="3" value="{number}"'.encode() in (
            page.content
        )
        response = answer(client, attempt, number, [first_choice(question)])
        assert response.status_code == 302

    assert response.url == result_url(attempt)
    attempt.refresh_from_db()
    assert attempt.is_completed
    assert (attempt.csm_score, attempt.cspo_score, attempt.outcome) == (100, 0, "CSM")
    assert attempt.result["answers"][0] == {"question": "Question 1?", "choices": ["Answer 1.1"]}
    assert attempt.result["reasons"] == ["Explanation 1.1", "Explanation 2.1", "Explanation 3.1"]

    page = client.get(response.url)
    content = page.content.decode()
    assert page.status_code == 200
    assert "Your recommendation: Certified ScrumMaster (CSM)" in content
    assert "Explanation 1.1" in content
    assert 'class="wizard-score__fill wizard-w-100"' in content
    assert f"/free-training/?result={attempt.pk}&amp;placement=wizard-result" in content
    assert "/certifications/csm/" in content
    assert "/choose/" in content
    assert '<meta name="robots" content="noindex">' in content
    assert " style=" not in content
    assert page.headers["X-Robots-Tag"] == "noindex"


def test_multiple_choice_step_records_every_pick(client, make_questionnaire):
    make_questionnaire([[(1, 0), (0, 1), (0, 2)]], multiple=(0,), margin=0)
    attempt = start_attempt(client)
    question = questions_of(attempt)[0]
    picks = list(question.choices.all())[1:]

    response = answer(client, attempt, 1, picks)

    attempt.refresh_from_db()
    assert response.url == result_url(attempt)
    assert attempt.answers == {str(question.pk): sorted(c.pk for c in picks)}
    assert attempt.outcome == Recommendation.CSPO


def test_back_keeps_answers_and_preselects_them(client, make_questionnaire):
    make_questionnaire()
    attempt = start_attempt(client)
    first, second = questions_of(attempt)
    chosen_first = first_choice(first, 1)
    answer(client, attempt, 1, [chosen_first])
    chosen_second = first_choice(second, 1)

    response = answer(client, attempt, 2, [chosen_second], action="back")

    assert response.url == step_url(attempt, 1)
    assert checked_ids(client.get(step_url(attempt, 1))) == {chosen_first.pk}
    # The answer given on the page Back was pressed on is kept too.
    assert checked_ids(client.get(step_url(attempt, 2))) == {chosen_second.pk}
    attempt.refresh_from_db()
    assert not attempt.is_completed


def test_back_without_an_answer_goes_back_and_saves_nothing(client, make_questionnaire):
    make_questionnaire()
    attempt = start_attempt(client)
    first, second = questions_of(attempt)
    answer(client, attempt, 1, [first_choice(first)])

    response = client.post(step_url(attempt, 2), {"question": second.pk, "action": "back"})

    assert response.url == step_url(attempt, 1)
    attempt.refresh_from_db()
    assert str(second.pk) not in attempt.answers


def test_next_without_an_answer_shows_a_clear_error(client, make_questionnaire):
    make_questionnaire()
    attempt = start_attempt(client)
    first = questions_of(attempt)[0]

    response = client.post(step_url(attempt, 1), {"question": first.pk, "action": "next"})

    assert response.status_code == 422
    assert b"Pick one answer to go on." in response.content
    attempt.refresh_from_db()
    assert attempt.answers == {}


def test_reload_after_post_does_not_submit_twice(client, make_questionnaire):
    make_questionnaire()
    attempt = start_attempt(client)
    first = questions_of(attempt)[0]
    response = answer(client, attempt, 1, [first_choice(first)])

    # Post/Redirect/Get: a reload repeats the harmless GET.
    reloaded = client.get(response.url)

    assert reloaded.status_code == 200
    attempt.refresh_from_db()
    assert attempt.step == 1


def test_resume_via_the_cookie_in_a_new_request(client, make_questionnaire):
    make_questionnaire([[(1, 0), (0, 1)], [(1, 0), (0, 1)], [(1, 0), (0, 1)]])
    attempt = start_attempt(client)
    answer(client, attempt, 1, [first_choice(questions_of(attempt)[0])])

    cookie = client.cookies[RESUME_COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/wizard/"
    assert cookie.value.startswith(f"{attempt.pk}:")  # signed, not a bare id
    intro = client.get("/wizard/")

    assert step_url(attempt, 2).encode() in intro.content
    assert b"Continue the quiz" in intro.content
    assert settings.SESSION_COOKIE_NAME not in client.cookies


def test_resume_counts_the_questions_of_the_questionnaire_the_attempt_started_on(
    client, make_questionnaire
):
    make_questionnaire([[(1, 0), (0, 1)]] * 3, name="Old")
    attempt = start_attempt(client)
    for number in (1, 2):
        answer(client, attempt, number, [first_choice(questions_of(attempt)[number - 1])])
    make_questionnaire([[(1, 0), (0, 1)]], name="New")

    intro = client.get("/wizard/")

    assert step_url(attempt, 3).encode() in intro.content


def test_a_forged_resume_cookie_is_ignored(client, make_questionnaire):
    questionnaire = make_questionnaire()
    other = Attempt.objects.create(questionnaire=questionnaire)
    client.cookies[RESUME_COOKIE] = str(other.pk)

    intro = client.get("/wizard/")

    assert intro.status_code == 200
    assert step_url(other, 1).encode() not in intro.content


def test_two_attempts_in_parallel_do_not_mix(client, make_questionnaire):
    make_questionnaire()
    one, two = start_attempt(client), start_attempt(client)
    first = questions_of(one)[0]

    answer(client, one, 1, [first_choice(first, 0)])
    answer(client, two, 1, [first_choice(first, 1)])

    one.refresh_from_db()
    two.refresh_from_db()
    assert one.answers == {str(first.pk): [first_choice(first, 0).pk]}
    assert two.answers == {str(first.pk): [first_choice(first, 1).pk]}


def test_utm_and_referrer_are_captured_and_cleaned(client, make_questionnaire):
    make_questionnaire()
    intro = client.get(
        "/wizard/?utm_source=news%01letter&utm_campaign=" + "x" * 150,
        HTTP_REFERER="https://example.com/post",
    )
    assert b'value="https://example.com/post"' in intro.content

    attempt = start_attempt(
        client,
        {
            "utm_source": "  news\x01letter ",
            "utm_campaign": "x" * 150,
            "utm_medium": "email",
            "referrer": "javascript:alert(1)",
        },
    )

    assert attempt.utm_source == "newsletter"
    assert attempt.utm_campaign == "x" * 100
    assert attempt.utm_medium == "email"
    assert attempt.referrer == ""


def test_https_referrer_is_kept(client, make_questionnaire):
    make_questionnaire()

    attempt = start_attempt(client, {"referrer": "https://example.com/a?b=c"})

    assert attempt.referrer == "https://example.com/a?b=c"


# --- tampering and skipping: always a redirect or a 4xx, never a 500 ------------------


def test_skipping_ahead_redirects_to_the_furthest_allowed_step(client, make_questionnaire):
    make_questionnaire([[(1, 0), (0, 1)]] * 4)
    attempt = start_attempt(client)

    response = client.get(step_url(attempt, 4))

    assert response.status_code == 302
    assert response.url == step_url(attempt, 1)
    assert b"answer the questions in order" in client.get(response.url).content
    # The message travels in the messages cookie: these public pages never get a session.
    assert settings.SESSION_COOKIE_NAME not in client.cookies


def test_posting_ahead_saves_nothing(client, make_questionnaire):
    make_questionnaire([[(1, 0), (0, 1)]] * 3)
    attempt = start_attempt(client)
    third = questions_of(attempt)[2]

    response = answer(client, attempt, 3, [first_choice(third)])

    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.answers == {}


@pytest.mark.parametrize(
    ("shown", "answered", "message"),
    [
        # The page's question, with an answer that belongs to another question.
        (0, 1, b"does not belong to this question"),
        # Another question than the page showed, with an answer to the page's question.
        (1, 0, b"This question changed"),
    ],
)
def test_an_answer_that_does_not_fit_the_page_is_refused(
    client, make_questionnaire, shown, answered, message
):
    make_questionnaire()
    attempt = start_attempt(client)
    questions = questions_of(attempt)

    response = client.post(
        step_url(attempt, 1),
        {
            "question": questions[shown].pk,
            "choices": [first_choice(questions[answered]).pk],
            "action": "next",
        },
    )

    assert response.status_code == 422
    assert message in response.content
    attempt.refresh_from_db()
    assert attempt.answers == {}


@pytest.mark.parametrize("choices", [["abc"], ["999999"], ["1", "2"], [""]])
def test_garbage_choices_are_a_form_error(client, make_questionnaire, choices):
    make_questionnaire()
    attempt = start_attempt(client)
    first = questions_of(attempt)[0]

    response = client.post(
        step_url(attempt, 1), {"question": first.pk, "choices": choices, "action": "next"}
    )

    assert response.status_code == 422
    attempt.refresh_from_db()
    assert attempt.answers == {}


@pytest.mark.parametrize(
    "url",
    [
        "/wizard/not-a-uuid/step/1/",
        f"/wizard/{uuid.uuid4()}/step/1/",
        "/wizard/result/not-a-uuid/",
        f"/wizard/result/{uuid.uuid4()}/",
    ],
)
def test_bad_or_unknown_attempt_ids_are_404_with_a_way_back(client, url):
    response = client.get(url)

    assert response.status_code == 404
    assert b'href="/wizard/"' in response.content


def test_posting_to_a_completed_attempt_redirects_to_its_result(client, make_questionnaire):
    make_questionnaire([[(3, 0), (0, 3)]])
    attempt = start_attempt(client)
    question = questions_of(attempt)[0]
    answer(client, attempt, 1, [first_choice(question, 0)])

    response = answer(client, attempt, 1, [first_choice(question, 1)])

    assert response.url == result_url(attempt)
    assert client.get(step_url(attempt, 1)).url == result_url(attempt)
    attempt.refresh_from_db()
    assert attempt.outcome == Recommendation.CSM


def test_unfinished_result_redirects_to_the_quiz(client, make_questionnaire):
    make_questionnaire()
    attempt = start_attempt(client)

    response = client.get(result_url(attempt))

    assert response.status_code == 302
    assert response.url == step_url(attempt, 1)


@pytest.mark.parametrize(
    ("method", "url_name"), [("put", "start"), ("delete", "step"), ("post", "result")]
)
def test_wrong_methods_are_405(client, make_questionnaire, method, url_name):
    make_questionnaire()
    attempt = start_attempt(client)
    url = {"start": "/wizard/", "step": step_url(attempt, 1), "result": result_url(attempt)}

    response = getattr(client, method)(url[url_name])

    assert response.status_code == 405


def test_head_is_answered_like_get_and_changes_nothing(client, make_questionnaire):
    make_questionnaire()

    assert client.head("/wizard/").status_code == 200
    assert Attempt.objects.count() == 0


def test_no_active_questionnaire_is_a_friendly_503(client, make_questionnaire):
    make_questionnaire(is_active=False)
    from wizard.models import Questionnaire

    for questionnaire in Questionnaire.objects.all():
        questionnaire.is_active = False
        questionnaire.save()

    assert client.get("/wizard/").status_code == 503
    assert client.post("/wizard/").status_code == 503
    assert Attempt.objects.count() == 0


def test_a_choice_deleted_mid_quiz_asks_the_question_again(client, make_questionnaire, committed):
    make_questionnaire([[(3, 0), (0, 3)], [(1, 0), (0, 1)]])
    attempt = start_attempt(client)
    first, second = questions_of(attempt)
    chosen = first_choice(first)
    answer(client, attempt, 1, [chosen])
    with committed(execute=True):
        chosen.delete()

    response = answer(client, attempt, 2, [first_choice(second)])

    assert response.url == step_url(attempt, 1)
    attempt.refresh_from_db()
    assert not attempt.is_completed


# --- the seeded questionnaire -------------------------------------------------------


def pick(question: Question, *texts: str) -> list[Choice]:
    choices = [c for c in question.choices.all() if any(t in c.text for t in texts)]
    assert len(choices) == len(texts), (question.text, texts)
    return choices


# The three kinds of person the article describes, and someone new to Scrum (asked which
# kind of work appeals, a question people already in a Scrum role skip). Each lists the
# answers along its own path, in the order asked.
SEEDED_PROFILES = {
    "facilitator": (
        [
            ["clearing whatever blocks it"],
            ["How the team delivers"],
            ["Scrum Master"],
            ["Facilitation", "Problem-solving and removing obstacles", "Coaching"],
            ["Scrum Master or Agile coach"],
            ["follow Scrum well"],
        ],
        Recommendation.CSM,
    ),
    "product manager": (
        [
            ["deciding which features come next"],
            ["What the team builds"],
            ["Product manager"],
            ["Product management", "Prioritisation", "Stakeholder management"],
            ["Product Owner or product leader"],
            ["Define and deliver a product"],
        ],
        Recommendation.CSPO,
    ),
    "transformation lead": (
        [
            ["clearing whatever blocks it"],
            ["How the team delivers"],
            ["Project manager"],
            ["understand both before I choose"],
            ["Facilitation", "Coaching"],
            ["Lead an Agile transformation"],
            ["follow Scrum well"],
        ],
        Recommendation.BOTH,
    ),
    "newcomer drawn to the product": (
        [
            ["Listening to customers"],
            ["Both, about equally"],
            ["Something else, or studying"],
            ["Deciding what a product should do"],
            ["Communication", "Prioritisation"],
            ["not sure yet"],
            ["Define and deliver a product"],
        ],
        Recommendation.CSPO,
    ),
}


def question_on_page(response) -> Question:
    return Question.objects.get(
        pk=re.search(r'name="question" value="(\d+)"', response.content.decode())[1]
    )


@pytest.mark.parametrize("profile", SEEDED_PROFILES)
def test_seeded_questionnaire_recommends_as_the_guide_says(client, seeded_questionnaire, profile):
    answers, expected = SEEDED_PROFILES[profile]
    attempt = start_attempt(client)

    asked = []
    for number, texts in enumerate(answers, start=1):
        page = client.get(step_url(attempt, number))
        assert f"Question {number} of".encode() in page.content
        question = question_on_page(page)
        asked.append(question.text)
        response = client.post(
            step_url(attempt, number),
            {"question": question.pk, "choices": [c.pk for c in pick(question, *texts)]},
        )

    attempt.refresh_from_db()
    assert response.url == result_url(attempt)
    assert attempt.outcome == expected
    assert attempt.result["reasons"]
    assert [a["question"] for a in attempt.result["answers"]] == asked
    assert attempt.result["path"] == attempt.path
    assert len(attempt.path) == len(answers)
    page = client.get(result_url(attempt)).content.decode()
    assert escape(attempt.result["reasons"][0]) in page


def test_seeded_choices_all_explain_themselves(seeded_questionnaire):
    questionnaire = seeded_questionnaire
    assert questionnaire.is_active
    choices = Choice.objects.filter(question__questionnaire=questionnaire)

    assert questionnaire.questions.filter(kind=Question.Kind.MULTIPLE).exists()
    assert all(c.explanation for c in choices)
    assert choices.filter(recommends_both=True, text__icontains="transformation").exists()


def test_completed_attempts_keep_their_outcome_after_weights_change(
    client, make_questionnaire, committed
):
    make_questionnaire([[(3, 0), (0, 3)]])
    attempt = start_attempt(client)
    question = questions_of(attempt)[0]
    chosen = first_choice(question)
    answer(client, attempt, 1, [chosen])

    chosen.csm_points, chosen.cspo_points, chosen.text = 0, 9, "Renamed"
    question.text = "Reworded?"
    with committed(execute=True):
        chosen.save()
        question.save()

    attempt.refresh_from_db()
    page = client.get(result_url(attempt)).content.decode()
    assert attempt.outcome == Recommendation.CSM
    assert (attempt.csm_score, attempt.cspo_score) == (100, 0)
    assert "Question 1?" in page
    assert "Answer 1.1" in page
    assert "Renamed" not in page
    # A new attempt sees the new weights (the cached questionnaire was dropped).
    fresh = start_attempt(client)
    answer(client, fresh, 1, [chosen])
    fresh.refresh_from_db()
    assert fresh.outcome == Recommendation.CSPO


def test_cached_step_page_shows_an_answer_edited_in_the_admin(
    client, make_questionnaire, committed
):
    make_questionnaire()
    attempt = start_attempt(client)
    url = step_url(attempt, 1)
    assert b"Answer 1.1" in client.get(url).content  # now cached

    choice = first_choice(questions_of(attempt)[0])
    choice.text = "Removing obstacles for the team"
    with committed(execute=True):
        choice.save()

    page = client.get(url).content.decode()
    assert "Removing obstacles for the team" in page
    assert "Answer 1.1" not in page


def test_cached_step_page_keeps_each_visitors_own_answer_and_form_action(
    client, make_questionnaire
):
    make_questionnaire()
    first, second = start_attempt(client), start_attempt(client)
    picked = first_choice(questions_of(first)[0], index=1)
    answer(client, first, 1, [picked])

    mine = client.get(step_url(first, 1))
    theirs = client.get(step_url(second, 1))

    assert checked_ids(mine) == {picked.pk}
    assert checked_ids(theirs) == set()
    mine, theirs = mine.content.decode(), theirs.content.decode()
    assert f'action="{step_url(first, 1)}"' in mine
    assert f'action="{step_url(second, 1)}"' in theirs

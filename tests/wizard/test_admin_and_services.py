import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from certguide.campaign import Tracking
from tests.wizard.conftest import start_attempt
from wizard.models import Attempt, Choice, Questionnaire, Recommendation
from wizard.questionnaires import active_weights, questionnaire_weights
from wizard.services import (
    attempt_complete,
    attempt_record_answer,
    attempt_start,
    attempts_erase_personal_data,
    questionnaire_activate,
)
from wizard.views import step_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_superuser):
    client.force_login(make_superuser())
    return client


def test_scoring_preview_renders_for_a_superuser(admin_client, make_questionnaire):
    questionnaire = make_questionnaire([[(3, 0), (0, 3)], [(1, 0), (0, 1)]], margin=0)
    change = admin_client.get(reverse("admin:wizard_questionnaire_change", args=[questionnaire.pk]))
    preview_url = reverse("admin:wizard_questionnaire_scoring_preview", args=[questionnaire.pk])
    assert preview_url.encode() in change.content

    response = admin_client.get(preview_url)

    content = response.content.decode()
    assert response.status_code == 200
    assert "All 4 combinations were scored" in content
    assert "<td>2</td><td>50.0%</td>" in content
    # Q2's one point can never beat Q1's three.
    assert "<li>Question 2?</li>" in content


def test_a_weight_change_shows_in_the_preview(admin_client, make_questionnaire):
    questionnaire = make_questionnaire([[(3, 0), (0, 3)], [(1, 0), (0, 1)]], margin=0)
    preview_url = reverse("admin:wizard_questionnaire_scoring_preview", args=[questionnaire.pk])
    assert "<li>Question 2?</li>" in admin_client.get(preview_url).content.decode()

    choice = Choice.objects.get(question__questionnaire=questionnaire, text="Answer 2.2")
    choice.cspo_points = 9
    choice.save()

    assert "<li>Question 2?</li>" not in admin_client.get(preview_url).content.decode()


def test_seeded_questionnaire_preview_is_sampled_and_renders(admin_client, seeded_questionnaire):
    questionnaire = seeded_questionnaire

    response = admin_client.get(
        reverse("admin:wizard_questionnaire_scoring_preview", args=[questionnaire.pk])
    )

    assert response.status_code == 200
    assert b"drawn at random" in response.content


def test_preview_needs_staff(client, make_questionnaire):
    questionnaire = make_questionnaire()

    response = client.get(
        reverse("admin:wizard_questionnaire_scoring_preview", args=[questionnaire.pk])
    )

    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_attempt_admin_is_read_only_with_readable_answers(admin_client, client, make_questionnaire):
    questionnaire = make_questionnaire([[(3, 0), (0, 3)]])
    attempt = attempt_start(questionnaire_id=questionnaire.pk)
    weights = questionnaire_weights(questionnaire.pk)
    attempt_record_answer(
        attempt=attempt, weights=weights, index=0, choice_ids=[weights.questions[0].choices[0].id]
    )

    changelist = admin_client.get(reverse("admin:wizard_attempt_changelist") + "?completed=yes")
    detail = admin_client.get(reverse("admin:wizard_attempt_change", args=[attempt.pk]))

    assert changelist.status_code == 200
    assert str(attempt.pk).encode() in changelist.content
    assert b"Add attempt" not in changelist.content
    assert detail.status_code == 200
    assert b"<dt>Question 1?</dt><dd>Answer 1.1</dd>" in detail.content
    assert b'name="_save"' not in detail.content
    assert admin_client.get(reverse("admin:wizard_attempt_add")).status_code == 403


def test_staff_without_superuser_cannot_delete_attempts(
    client, django_user_model, make_questionnaire
):

    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_attempt", "delete_attempt"])
    )
    client.force_login(staff)
    attempt = attempt_start(questionnaire_id=make_questionnaire().pk)

    response = client.post(
        reverse("admin:wizard_attempt_delete", args=[attempt.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert Attempt.objects.filter(pk=attempt.pk).exists()


def test_erase_personal_data_blanks_tracking_and_keeps_the_result(make_questionnaire):
    questionnaire = make_questionnaire([[(3, 0), (0, 3)]])
    attempt = attempt_start(
        questionnaire_id=questionnaire.pk,
        tracking=Tracking(
            utm_source="news", utm_campaign="spring", referrer="https://example.com/"
        ),
    )
    weights = questionnaire_weights(questionnaire.pk)
    attempt_record_answer(
        attempt=attempt, weights=weights, index=0, choice_ids=[weights.questions[0].choices[0].id]
    )

    attempts_erase_personal_data(attempts=Attempt.objects.filter(pk=attempt.pk))

    attempt.refresh_from_db()
    assert (attempt.utm_source, attempt.utm_campaign, attempt.referrer) == ("", "", "")
    assert attempt.outcome == Recommendation.CSM


def test_completing_twice_is_refused(make_questionnaire):
    from wizard.services import AttemptAlreadyCompleted

    questionnaire = make_questionnaire([[(3, 0), (0, 3)]])
    attempt = attempt_start(questionnaire_id=questionnaire.pk)
    weights = questionnaire_weights(questionnaire.pk)
    attempt_record_answer(
        attempt=attempt, weights=weights, index=0, choice_ids=[weights.questions[0].choices[0].id]
    )
    stale = Attempt.objects.get(pk=attempt.pk)
    stale.completed_at = None

    with pytest.raises(AttemptAlreadyCompleted):
        attempt_complete(attempt=stale, weights=weights)


def test_activating_a_questionnaire_switches_the_quiz(
    client, make_questionnaire, django_capture_on_commit_callbacks
):
    old = make_questionnaire(name="Old")
    new = make_questionnaire(name="New", is_active=False)
    assert active_weights().id == old.pk

    with django_capture_on_commit_callbacks(execute=True):
        questionnaire_activate(questionnaire=new)

    assert active_weights().id == new.pk
    assert start_attempt(client).questionnaire == new
    old.refresh_from_db()
    assert not old.is_active


def test_admin_action_makes_a_questionnaire_active(admin_client, make_questionnaire):
    make_questionnaire(name="Old")
    new = make_questionnaire(name="New", is_active=False)

    admin_client.post(
        reverse("admin:wizard_questionnaire_changelist"),
        {"action": "make_active", "_selected_action": [new.pk]},
    )

    assert Questionnaire.objects.active().get() == new


def test_the_change_form_cannot_switch_the_active_questionnaire(admin_client, make_questionnaire):
    old = make_questionnaire(name="Old")
    new = make_questionnaire(name="New", is_active=False)
    url = reverse("admin:wizard_questionnaire_change", args=[new.pk])

    response = admin_client.post(
        url,
        {
            "name": "New, renamed",
            "is_active": "on",
            "both_margin": "2",
            "questions-TOTAL_FORMS": "0",
            "questions-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    new.refresh_from_db()
    assert (new.name, new.is_active) == ("New, renamed", False)
    assert Questionnaire.objects.active().get() == old


def test_the_change_page_button_makes_the_questionnaire_the_one_visitors_take(
    client, django_user_model, make_questionnaire, django_capture_on_commit_callbacks
):
    old = make_questionnaire(name="Old")
    new = make_questionnaire(name="New", is_active=False)
    marketer = django_user_model.objects.create_user("m", password="pw", is_staff=True)
    marketer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_questionnaire", "change_questionnaire"])
    )
    staff = Client(enforce_csrf_checks=True)
    staff.force_login(marketer)
    activate = reverse("admin:wizard_questionnaire_activate", args=[new.pk])

    page = staff.get(reverse("admin:wizard_questionnaire_change", args=[new.pk]))
    assert "Make this the questionnaire visitors take" in page.text
    assert staff.get(activate).status_code == 405
    token = page.cookies["csrftoken"].value
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(activate, {"csrfmiddlewaretoken": token}, follow=True)

    assert "“New” is now the questionnaire visitors take." in response.text
    assert "Make this the questionnaire visitors take" not in response.text
    assert Questionnaire.objects.active().get() == new
    assert start_attempt(client).questionnaire == new
    old_page = staff.get(reverse("admin:wizard_questionnaire_change", args=[old.pk]))
    assert "Make this the questionnaire visitors take" in old_page.text


def test_only_who_may_change_questionnaires_can_activate_one(
    client, django_user_model, make_questionnaire
):
    old = make_questionnaire(name="Old")
    new = make_questionnaire(name="New", is_active=False)
    viewer = django_user_model.objects.create_user("v", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_questionnaire"))
    client.force_login(viewer)

    page = client.get(reverse("admin:wizard_questionnaire_change", args=[new.pk]))
    response = client.post(reverse("admin:wizard_questionnaire_activate", args=[new.pk]))

    assert "Make this the questionnaire visitors take" not in page.text
    assert response.status_code == 403
    assert Questionnaire.objects.active().get() == old


# --- performance: the questionnaire is cached, steps stay within a query budget -------


def test_step_get_and_post_stay_within_their_query_budgets(
    client, make_questionnaire, django_assert_max_num_queries
):
    make_questionnaire([[(3, 0), (0, 3)]] * 3)
    attempt = start_attempt(client)
    choices = [q.choices.first() for q in attempt.questionnaire.questions.order_by("order")]

    # Cold cache: attempt + questionnaire + questions + choices.
    with django_assert_max_num_queries(4):
        assert client.get(step_url(attempt, 1)).status_code == 200
    with django_assert_max_num_queries(1):  # warm cache: the attempt only
        assert client.get(step_url(attempt, 1)).status_code == 200
    for number, choice in enumerate(choices, start=1):
        # The last also completes (+1 for integrations) and freezes the result in every
        # language: the German copy of the questionnaire, cold here, costs 3 more once.
        with django_assert_max_num_queries(7 if number < len(choices) else 10):
            response = client.post(
                step_url(attempt, number),
                {"question": choice.question_id, "choices": [choice.pk], "action": "next"},
            )
        assert response.status_code == 302
    with django_assert_max_num_queries(1):
        assert client.get(response.url).status_code == 200
    with django_assert_max_num_queries(0):  # a frozen result is served from the cache
        again = client.get(response.url)
    assert again.status_code == 200
    assert again.headers["X-Robots-Tag"] == "noindex"
    assert b"Your recommendation" in again.content


def test_intro_uses_the_cached_questionnaire(
    client, seeded_questionnaire, django_assert_max_num_queries
):
    client.get("/wizard/")

    with django_assert_max_num_queries(0):
        assert client.get("/wizard/").status_code == 200


@pytest.fixture
def cache_round_trips(monkeypatch):
    """The calls this process makes to the shared cache (each one a round trip on Redis;
    the local-memory cache's get_many calls its own get, which is not counted again)."""
    from django.core.cache import cache

    calls: list[str] = []
    depth = [0]

    def counted(name, real):
        def call(*args, **kwargs):
            if depth[0] == 0:
                calls.append(name)
            depth[0] += 1
            try:
                return real(*args, **kwargs)
            finally:
                depth[0] -= 1

        return call

    for name in ("get", "get_many", "set", "add", "incr", "delete", "set_many"):
        monkeypatch.setattr(cache, name, counted(name, getattr(cache, name)))
    return calls


def test_a_warm_step_page_makes_two_cache_round_trips(
    client, make_questionnaire, cache_round_trips
):
    make_questionnaire()
    attempt = start_attempt(client)
    client.get(step_url(attempt, 1))
    cache_round_trips.clear()

    assert client.get(step_url(attempt, 1)).status_code == 200

    # The questionnaire, then the rendered answers: each read with its generation at once.
    assert cache_round_trips == ["get_many", "get_many"]


def test_intro_with_a_resume_cookie_reads_only_the_attempt(
    client, make_questionnaire, cache_round_trips, django_assert_num_queries
):
    make_questionnaire()
    start_attempt(client)
    client.get("/wizard/")
    cache_round_trips.clear()

    with django_assert_num_queries(1):
        assert b"Continue the quiz" in client.get("/wizard/").content

    assert cache_round_trips == ["get_many"]  # the active questionnaire, with its generation

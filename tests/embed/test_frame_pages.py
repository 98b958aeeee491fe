"""The frame pages: cookieless, token-protected, allowed only on the listed origins."""

import re
import time
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse

from embed.models import EmbedAttempt
from embed.services import embed_site_add
from embed.tokens import MAX_AGE
from leads.models import Lead
from tests.embed.conftest import HOST, Frame, embed_token
from tests.wizard.conftest import BRANCHED, BRANCHED_JUMPS, make_questionnaire
from wizard.models import Attempt

pytestmark = pytest.mark.django_db
__all__ = ["make_questionnaire"]  # a fixture from the wizard's tests


def csp(response) -> str:
    return response.headers["Content-Security-Policy"]


def test_a_visitor_completes_quiz_and_signup_without_a_cookie(blog, frame, committed):
    result = frame.answer_all(frame.start(utm_source="newsletter", utm_campaign="spring"))
    page = frame.get(result)
    assert page.status_code == 200
    assert 'data-event="quiz-completed"' in page.content.decode()

    attempt = Attempt.objects.get()
    assert attempt.is_completed
    assert (attempt.utm_source, attempt.utm_campaign) == ("newsletter", "spring")
    assert attempt.embed.placement == "embed:blog"

    frame.get(reverse("embed:signup", args=[attempt.pk]))
    # What the form says about placement and campaign is ignored: the attempt decides.
    with committed(execute=True):
        sent = frame.post(
            reverse("embed:signup", args=[attempt.pk]),
            {
                "email": "ada@example.com",
                "first_name": "Ada",
                "consent": "on",
                "placement": "forged",
                "utm_source": "forged",
            },
        )
    assert sent.status_code == 302
    assert 'data-event="lead-submitted"' in frame.get(sent["Location"]).content.decode()
    lead = Lead.objects.get()
    assert (lead.email, lead.first_name) == ("ada@example.com", "Ada")
    assert (lead.placement, lead.utm_source, lead.utm_campaign) == (
        "embed:blog",
        "newsletter",
        "spring",
    )
    assert lead.attempt_id == attempt.pk
    assert len(mail.outbox) == 1
    assert not frame.client.cookies


def test_a_cookie_sent_to_the_frame_changes_nothing(blog, frame):
    frame.client.cookies["csrftoken"] = "x" * 32
    frame.client.cookies["certguide_wizard"] = "nonsense"
    step = frame.start()
    assert frame.get(step).status_code == 200


def test_frame_ancestors_lists_exactly_the_active_origins(blog):
    embed_site_add(origin="https://Partner.Example.com:443/", name="partner")
    embed_site_add(origin="https://old.example.com", name="old", is_active=False)

    response = Frame().get("/embed/quiz/", site="blog")

    assert "X-Frame-Options" not in response.headers
    ancestors = re.search(r"frame-ancestors ([^;]+)", csp(response)).group(1).split()
    assert sorted(ancestors) == [HOST, "https://partner.example.com"]
    assert "no-store" in response.headers["Cache-Control"]


def test_every_other_page_still_refuses_frames(blog, client):
    for url in ["/", reverse("wizard:start"), reverse("leads:signup")]:
        response = client.get(url)
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in csp(response)


def test_with_no_active_site_nobody_may_frame(db):
    site = embed_site_add(origin=HOST, name="blog", is_active=False)
    assert Frame().get("/embed/quiz/", site=site.name).status_code == 404
    response = Frame().get(reverse("embed:start"))
    assert "frame-ancestors 'none'" in csp(response)


@pytest.mark.parametrize("site", ["", "unknown", "inactive"])
def test_the_quiz_needs_an_active_site(blog, frame, site):
    embed_site_add(origin="https://old.example.com", name="inactive", is_active=False)
    assert frame.get("/embed/quiz/", site=site).status_code == 404
    # Nor can the Start button be posted for it.
    response = frame.client.post(
        "/embed/quiz/",
        {"site": site, "embed_token": embed_token(Frame().get("/embed/quiz/", site="blog"))},
    )
    assert response.status_code == 404
    assert not Attempt.objects.exists()


def test_a_post_without_a_valid_token_changes_nothing(blog, frame):
    frame.get("/embed/quiz/", site="blog")
    assert frame.post("/embed/quiz/", {"site": "blog"}, token="").status_code == 403
    assert frame.post("/embed/quiz/", {"site": "blog"}, token="forged:1:2").status_code == 403
    assert not Attempt.objects.exists()

    step = frame.start()
    html = frame.get(step).content.decode()
    question = re.search(r'name="question" value="(\d+)"', html).group(1)
    choice = re.search(r'name="choices" value="(\d+)"', html).group(1)
    refused = frame.post(step.split("?")[0], {"question": question, "choices": choice}, token="")
    assert refused.status_code == 403
    assert Attempt.objects.get().answers == {}


def test_a_token_expires(blog, frame):
    frame.get("/embed/quiz/", site="blog")
    token = embed_token(frame.page)
    later = time.time() + MAX_AGE + 1
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = frame.post("/embed/quiz/", {"site": "blog"}, token=token)
    assert response.status_code == 403
    assert "open too long" in response.content.decode()
    assert not Attempt.objects.exists()


def test_two_visitors_cannot_use_each_others_tokens(blog):
    ada, bob = Frame(), Frame()
    ada_step, bob_step = ada.start(), bob.start()
    ada.get(ada_step)
    bob.get(bob_step)
    ada_attempt, bob_attempt = (
        Attempt.objects.get(pk=url.split("/")[3]) for url in (ada_step, bob_step)
    )
    html = bob.page.content.decode()
    question = re.search(r'name="question" value="(\d+)"', html).group(1)
    choice = re.search(r'name="choices" value="(\d+)"', html).group(1)

    # Ada's page token posted to Bob's attempt is refused; Bob's own goes through.
    forged = bob.post(
        bob_step.split("?")[0],
        {"question": question, "choices": choice},
        token=embed_token(ada.page),
    )
    assert forged.status_code == 403
    assert (
        bob.post(bob_step.split("?")[0], {"question": question, "choices": choice}).status_code
        == 302
    )
    ada_attempt.refresh_from_db()
    bob_attempt.refresh_from_db()
    assert ada_attempt.answers == {}
    assert bob_attempt.answers == {question: [int(choice)]}


def test_embed_steps_follow_the_sites_rules(blog, frame):
    step = frame.start()
    attempt = Attempt.objects.get()
    # A step not reached yet sends the visitor back to where they are, with a notice.
    ahead = frame.get(reverse("embed:step", args=[attempt.pk, 3]))
    assert ahead.status_code == 302
    assert frame.get(ahead["Location"]).status_code == 200
    assert "answer the questions in order" in frame.page.content.decode()
    # Next without an answer: the form's own message, status 422, nothing saved.
    html = frame.get(step).content.decode()
    question = re.search(r'name="question" value="(\d+)"', html).group(1)
    refused = frame.post(step.split("?")[0], {"question": question, "action": "next"})
    assert refused.status_code == 422
    assert "Pick one answer to go on." in refused.content.decode()
    # Back from the first step returns to the intro of the same site.
    back = frame.post(step.split("?")[0], {"question": question, "action": "back"})
    assert back["Location"] == "/embed/quiz/?site=blog"


def test_site_attempts_are_not_reachable_in_the_frame(blog, frame, client):
    client.post(reverse("wizard:start"))
    attempt = Attempt.objects.get()
    assert frame.get(reverse("embed:step", args=[attempt.pk, 1])).status_code == 404
    assert frame.get(reverse("embed:signup", args=[attempt.pk])).status_code == 404


def test_the_honeypot_and_the_sign_up_limit_apply(blog, frame, settings):
    settings.SIGNUP_RATE_LIMIT = "2/m"
    frame.answer_all(frame.start())
    attempt = Attempt.objects.get()
    url = reverse("embed:signup", args=[attempt.pk])
    frame.get(url)
    bot = frame.post(url, {"email": "bot@example.com", "consent": "on", "leave_blank": "x"})
    assert bot.status_code == 302
    assert not Lead.objects.exists()

    frame.post(url, {"email": "one@example.com", "consent": "on"})
    limited = frame.post(url, {"email": "two@example.com", "consent": "on"})
    assert limited.status_code == 429
    assert limited["Retry-After"]
    assert list(Lead.objects.values_list("email", flat=True)) == ["one@example.com"]


def test_a_bad_email_is_shown_and_nothing_stored(blog, frame):
    frame.answer_all(frame.start())
    url = reverse("embed:signup", args=[Attempt.objects.get().pk])
    frame.get(url)
    response = frame.post(url, {"email": "not an address", "first_name": "R2D2", "consent": "on"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Enter a valid email address" in page
    assert "Enter just your first name" in page
    assert not Lead.objects.exists()


def test_links_out_of_the_frame_open_a_new_tab(blog, frame):
    frame.answer_all(frame.start())
    page = frame.get(reverse("embed:result", args=[Attempt.objects.get().pk])).content.decode()
    for link in re.findall(r"<a [^>]*>", page):
        href = re.search(r'href="([^"]*)"', link).group(1)
        if href.startswith("http"):
            assert 'target="_blank"' in link, link
            assert 'rel="noopener"' in link, link
        else:
            assert href.startswith("/embed/"), link
    assert "Powered by certguide" in page


def test_the_frame_posts_only_to_its_sites_origin(blog, frame):
    page = frame.get("/embed/quiz/", site="blog").content.decode()
    assert f'data-host-origin="{HOST}"' in page
    step = frame.start()
    assert 'data-event="quiz-started"' in frame.get(step).content.decode()
    # A reload is no second start.
    assert 'data-event="quiz-started"' not in frame.get(step.split("?")[0]).content.decode()
    # Switched off, its frames post to nobody.
    blog.is_active = False
    blog.save()
    assert 'data-host-origin=""' in frame.get(step).content.decode()


def test_embed_attempts_keep_their_site(blog, frame):
    frame.start()
    assert EmbedAttempt.objects.get().site == blog


@pytest.mark.parametrize(
    ("referer", "found"),
    [
        (HOST + "/posts/scrum/?x=1", True),
        (HOST + "/", True),
        ("http://127.0.0.2:9999/", False),
        ("not a url", False),
        ("", False),
    ],
)
def test_a_snippet_without_a_name_finds_its_site_by_origin(blog, frame, referer, found):
    response = frame.client.get("/embed/quiz/", headers={"referer": referer} if referer else {})
    assert response.status_code == (200 if found else 404)
    if found:
        assert 'name="site" value="blog"' in response.content.decode()


@pytest.mark.parametrize("site", ["blog\x00", "\x00", "x" * 5000, "Blog", "../blog"])
def test_a_hostile_site_name_is_a_plain_404(blog, frame, site):
    assert frame.get("/embed/quiz/", site=site).status_code == 404
    frame.get("/embed/quiz/", site="blog")
    assert frame.post("/embed/quiz/", {"site": site}).status_code == 404
    assert not Attempt.objects.exists()


def _walk(get, post, first_step: str, picks: list[int]) -> list[str]:
    """Answer each page's question with the choice at ``picks[i]``; the progress labels
    and questions seen, then where the last answer led."""
    seen, url = [], first_step
    for pick in picks:
        html = get(url).content.decode()
        progress = re.search(r'class="wizard-progress__label">([^<]+)<', html).group(1)
        question = re.search(r'name="question" value="(\d+)"', html).group(1)
        choices = re.findall(r'name="choices" value="(\d+)"', html)
        heading = re.search(r'id="wizard-question"[^>]*>([^<]+)<', html).group(1)
        seen.append(f"{progress}: {heading}")
        response = post(url.split("?")[0], {"question": question, "choices": choices[pick]})
        url = response["Location"]
    seen.append("result" if "/result/" in url else url)
    return seen


def test_embed_steps_follow_the_branching_path_as_the_site_does(blog, make_questionnaire, visitors):
    make_questionnaire(BRANCHED, jumps=BRANCHED_JUMPS)
    [visitor] = visitors(1)
    frame = Frame()

    def site_post(url, data):
        visitor.page = visitor.client.get(url)
        return visitor.submit(url, {**data, "action": "next"})

    visitor.get(reverse("wizard:start"))
    first = visitor.submit(reverse("wizard:start"), {})["Location"]
    # Q1's first answer jumps to Q3, whose second answer ends the quiz.
    on_site = _walk(visitor.client.get, site_post, first, [0, 1])
    in_frame = _walk(
        frame.get,
        lambda url, data: frame.post(url, {**data, "action": "next"}),
        frame.start(),
        [0, 1],
    )
    assert on_site == in_frame
    assert in_frame[1].endswith("Question 3?")
    assert in_frame[-1] == "result"
    site_attempt, frame_attempt = Attempt.objects.order_by("started_at")
    assert site_attempt.path == frame_attempt.path
    assert site_attempt.outcome == frame_attempt.outcome


def test_back_in_the_frame_follows_the_path(blog, make_questionnaire, frame):
    make_questionnaire(BRANCHED, jumps=BRANCHED_JUMPS)
    first = frame.start().split("?")[0]
    html = frame.get(first).content.decode()
    question = re.search(r'name="question" value="(\d+)"', html).group(1)
    choice = re.search(r'name="choices" value="(\d+)"', html).group(1)
    second = frame.post(first, {"question": question, "choices": choice, "action": "next"})
    html = frame.get(second["Location"]).content.decode()
    assert "Question 3?" in html  # the jump skipped Question 2
    question = re.search(r'name="question" value="(\d+)"', html).group(1)
    back = frame.post(second["Location"], {"question": question, "action": "back"})
    assert back["Location"] == first

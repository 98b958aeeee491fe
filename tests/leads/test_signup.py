import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from leads.consent import CONSENT_TEXT, consent_version
from leads.models import Lead
from leads.ratelimit import client_key
from tests.conftest import make_attempt
from tests.leads.conftest import make_lead, signup_data

pytestmark = pytest.mark.django_db

SIGNUP = "/free-training/"


def page_text(response) -> str:
    """The visible words of the page's main element, to compare pages."""
    main = response.content.decode().split('<main id="main"', 1)[1].split("</main>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def test_form_shows_consent_text_and_a_hidden_honeypot(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(0):
        response = client.get(SIGNUP)

    html = response.content.decode()
    assert response.status_code == 200
    assert str(CONSENT_TEXT) in html
    assert re.search(r'<div class="leads-hp" aria-hidden="true">', html)
    honeypot = re.search(r'<input[^>]*name="leave_blank"[^>]*>', html)[0]
    assert 'tabindex="-1"' in honeypot
    assert 'autocomplete="off"' in honeypot
    # A name browsers and password managers fill in would drop real sign-ups silently.
    assert 'name="website"' not in html
    assert 'name="consent"' in html
    assert not Lead.objects.exists()


def test_form_from_a_result_is_prefilled_and_explained(client, django_assert_max_num_queries):
    attempt = make_attempt(outcome="CSPO")

    with django_assert_max_num_queries(1):
        response = client.get(SIGNUP, {"result": str(attempt.pk), "placement": "result-page"})

    html = response.content.decode()
    assert "Your result: Certified Scrum Product Owner (CSPO)" in html
    assert f'name="result" value="{attempt.pk}"' in html
    assert 'name="placement" value="result-page"' in html


@pytest.mark.parametrize(
    "query",
    [
        {"result": "not-a-uuid"},
        {"result": str(uuid.uuid4())},
        {"result": "\x00"},
        {"placement": "nav\x00<script>"},
        {"placement": "x" * 51},
        {"utm_source": "a\x00b\x1bc"},
        {"utm_campaign": "x" * 10_000},
    ],
)
def test_bad_url_parameters_are_dropped_or_tidied_never_an_error(client, query):
    response = client.get(SIGNUP, query)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Your result" not in html
    assert "\x00" not in html
    assert "<script>" not in html
    assert "x" * 101 not in html


def test_unfinished_attempt_is_not_a_result(client):
    attempt = make_attempt(completed_at=None, outcome="")

    response = client.get(SIGNUP, {"result": str(attempt.pk)})

    assert "Your result" not in response.content.decode()


def test_utm_values_from_the_link_are_carried_and_stored(client, post_signup):
    response = client.get(SIGNUP, {"utm_source": "  news\x07letter ", "utm_term": "y" * 300})
    html = response.content.decode()
    assert 'name="utm_source" value="newsletter"' in html
    assert f'name="utm_term" value="{"y" * 100}"' in html

    post_signup(utm_source="newsletter", utm_term="y" * 100, referrer="https://example.org/a")

    lead = Lead.objects.get()
    assert (lead.utm_source, lead.utm_term) == ("newsletter", "y" * 100)
    assert lead.referrer == "https://example.org/a"


def test_valid_sign_up_stores_consent_and_redirects(post_signup, mailoutbox):
    attempt = make_attempt(outcome="CSM", csm_score=90, cspo_score=20)

    response = post_signup(email="Ada@Example.com", result=str(attempt.pk), placement="nav")

    assert response.status_code == 302
    assert response["Location"] == reverse("leads:check_email")
    lead = Lead.objects.get()
    assert (lead.email, lead.status, lead.outcome) == ("Ada@example.com", "pending", "CSM")
    assert (lead.consent_version, lead.placement, lead.attempt) == (
        consent_version("en"),
        "nav",
        attempt,
    )
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("state", ["new", "pending", "confirmed", "unsubscribed"])
def test_the_answer_is_the_same_whatever_we_knew(client, post_signup, state):
    if state != "new":
        make_lead(email="ada@example.com", status=state)
    reference = page_text(Client().get(reverse("leads:check_email")))

    response = post_signup(email="ADA@example.com")

    assert response.status_code == 302
    assert response["Location"] == reverse("leads:check_email")
    assert page_text(client.get(response["Location"])) == reference
    assert Lead.objects.count() == 1


def test_honeypot_looks_like_success_but_keeps_and_sends_nothing(post_signup, mailoutbox):
    response = post_signup(leave_blank="http://spam.example")

    assert response.status_code == 302
    assert response["Location"] == reverse("leads:check_email")
    assert not Lead.objects.exists()
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-address"}, "Enter a valid email address"),
        ({"email": ""}, "Enter your email address"),
        ({"email": "a" * 250 + "@example.com"}, "at most 254 characters"),
        ({"email": "ada\x00@example.com"}, "control characters"),
        ({"email": "ada@exam\x1bple.com"}, "control characters"),
        ({"first_name": "Ada\x00"}, "control characters"),
        ({"first_name": "A" * 51}, "at most 50 characters"),
        ({"first_name": "Your account is locked - verify at https://evil.example/x"}, "first name"),
        ({"first_name": "Ada2"}, "letters, spaces, apostrophes and hyphens only"),
        ({"first_name": "ada@example.com"}, "letters, spaces, apostrophes and hyphens only"),
        ({"first_name": "www.evil.example"}, "letters, spaces, apostrophes and hyphens only"),
        ({"first_name": "<b>Ada</b>"}, "letters, spaces, apostrophes and hyphens only"),
        ({"first_name": "--"}, "letters, spaces, apostrophes and hyphens only"),
        ({"consent": ""}, "Tick the box to agree"),
        ({"result": "not-a-uuid"}, "could not find that quiz result"),
        ({"result": str(uuid.uuid4())}, "could not find that quiz result"),
        ({"placement": "bad placement!"}, "were damaged"),
        ({"utm_source": "x" * 10_000}, "were damaged"),
        ({"utm_medium": "email\x00"}, "were damaged"),
        ({"referrer": "r" * 501}, "were damaged"),
    ],
)
def test_bad_input_gets_a_clear_error_and_stores_nothing(post_signup, mailoutbox, fields, message):
    response = post_signup(**fields)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="error-summary"' in html
    assert message in html
    assert "<title>Error:" in html
    assert not Lead.objects.exists()
    assert mailoutbox == []


def test_field_errors_are_linked_to_their_field(post_signup):
    response = post_signup(email="nope")

    html = response.content.decode()
    assert re.search(r'<input[^>]*aria-describedby="id_email_error"', html)
    assert 'id="id_email_error"' in html
    assert '<a href="#id_email">' in html


def test_damaged_hidden_values_are_repaired_so_sending_again_works(post_signup):
    response = post_signup(utm_source="x" * 10_000, result="nope")

    html = response.content.decode()
    assert f'name="utm_source" value="{"x" * 100}"' in html
    assert 'value="nope"' not in html


def test_rate_limit_answers_429_with_a_friendly_page(settings, post_signup):
    settings.SIGNUP_RATE_LIMIT = "2/m"

    responses = [post_signup(email=f"ada{n}@example.com") for n in range(3)]

    assert [r.status_code for r in responses] == [302, 302, 429]
    assert int(responses[-1]["Retry-After"]) >= 1
    assert "Please wait a moment" in responses[-1].content.decode()
    assert Lead.objects.count() == 2


def test_daily_limit_applies_too(settings, post_signup):
    settings.SIGNUP_RATE_LIMIT = "100/m"
    settings.SIGNUP_DAILY_LIMIT = "1/d"

    statuses = [post_signup(email=f"ada{n}@example.com").status_code for n in range(2)]

    assert statuses == [302, 429]


def test_rate_limit_is_per_client_and_ignores_page_views(settings, client):
    settings.SIGNUP_RATE_LIMIT = "1/m"
    other = Client(REMOTE_ADDR="203.0.113.9")

    for _ in range(3):
        assert client.get(SIGNUP).status_code == 200
    first = client.post(SIGNUP, signup_data(email="a@example.com"))
    second = client.post(SIGNUP, signup_data(email="b@example.com"))
    elsewhere = other.post(SIGNUP, signup_data(email="c@example.com"))

    assert [first.status_code, second.status_code, elsewhere.status_code] == [302, 429, 302]


def test_the_form_needs_a_csrf_token(post_signup):
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(SIGNUP, signup_data())

    assert response.status_code == 403
    assert not Lead.objects.exists()


def test_other_methods_are_refused(client):
    assert client.put(SIGNUP).status_code == 405


def test_the_rate_limit_never_keeps_the_raw_address(rf):
    request = rf.post(SIGNUP, REMOTE_ADDR="203.0.113.9")
    same = rf.post(SIGNUP, REMOTE_ADDR="203.0.113.9")
    other = rf.post(SIGNUP, REMOTE_ADDR="203.0.113.10")

    assert "203.0.113" not in client_key(request)
    assert client_key(request) == client_key(same) != client_key(other)


@pytest.mark.parametrize(
    ("referer", "stored"),
    [
        ("https://news.example.org/post?id=1", "https://news.example.org/post?id=1"),
        ("http://testserver/free-training/materials/secret-token/", ""),
        ("javascript:alert(1)", ""),
        ("", ""),
    ],
)
def test_the_referring_page_is_kept_unless_it_is_one_of_ours(client, post_signup, referer, stored):
    html = client.get(SIGNUP, HTTP_REFERER=referer).content.decode()
    carried = re.search(r'name="referrer"(?: value="([^"]*)")?', html).group(1) or ""

    post_signup(referrer=carried)

    assert carried == stored
    assert Lead.objects.get().referrer == stored


def test_a_posted_referrer_to_our_own_pages_is_dropped(post_signup):
    post_signup(referrer="https://certguide.example/free-training/unsubscribe/abc/")

    assert Lead.objects.get().referrer == ""


def test_an_error_keeps_the_result_and_its_explanation(post_signup):
    attempt = make_attempt(outcome="CSM")

    response = post_signup(email="nope", result=str(attempt.pk))

    html = response.content.decode()
    assert "Your result: Certified ScrumMaster (CSM)" in html
    assert f'name="result" value="{attempt.pk}"' in html


def test_a_sign_up_stays_within_its_query_budget(post_signup, django_assert_max_num_queries):
    attempt = make_attempt()

    # Result lookup, the mailbox's confirmation count (insert if missing, lock, count),
    # insert with the owed mail (in a savepoint here), then the mail task: claim, load,
    # record.
    with django_assert_max_num_queries(11):
        assert post_signup(result=str(attempt.pk)).status_code == 302


@pytest.mark.parametrize(
    "name",
    [
        "Ada",
        "Jean-Luc",
        "O'Brien",
        "D\u2019Arcy",
        "Zoë Ångström",
        "李小龍",
        "Сергей",
        "देवनागरी",
        "Mary Ann",
    ],
)
def test_real_first_names_are_accepted(post_signup, name):
    assert post_signup(first_name=name).status_code == 302

    assert Lead.objects.get().first_name == name


def test_a_browser_that_autofills_a_website_field_still_signs_up(post_signup, mailoutbox):
    # The honeypot was once called "website", which browsers fill in for the visitor.
    response = post_signup(website="https://ada.example")

    assert response.status_code == 302
    assert Lead.objects.get().email == "ada@example.com"
    assert len(mailoutbox) == 1


def test_link_checkers_may_ask_for_headers_only(client):
    assert client.head(SIGNUP).status_code == 200
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    ("one", "same_client"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("203.0.113.9", "::ffff:203.0.113.9"),
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff"),
    ],
)
def test_the_rate_limit_counts_ipv6_clients_by_their_64(rf, one, same_client):
    key = client_key(rf.post(SIGNUP, REMOTE_ADDR=one))

    assert key == client_key(rf.post(SIGNUP, REMOTE_ADDR=same_client))
    assert key != client_key(rf.post(SIGNUP, REMOTE_ADDR="2001:db8:1:3::1"))


def test_on_redis_each_client_is_limited_by_its_own_counters(settings, real_redis, visitors):
    """Two people sign up in turn on the production cache: each gets its own limit, and
    every counter expires with its window (one that never expired would block for good)."""
    settings.SIGNUP_RATE_LIMIT = "2/m"
    people = visitors(2)
    for n, person in enumerate(people):
        person.client.defaults["REMOTE_ADDR"] = f"203.0.113.{n + 1}"
        person.get(SIGNUP)
    statuses = {person: [] for person in people}
    for n in range(3):
        for person in people:
            response = person.submit(SIGNUP, signup_data(email=f"{person.name[-1]}{n}@example.com"))
            statuses[person].append(response.status_code)
    assert list(statuses.values()) == [[302, 302, 429]] * 2
    assert Lead.objects.count() == 4

    counters = list(real_redis._client.scan_iter(match=f"{real_redis.key_prefix}:*leads:signup:*"))
    assert len(counters) == 4  # a minute and a day for each of the two
    lifetimes = {key: real_redis._client.ttl(key) for key in counters}
    assert all(0 < seconds <= 86_401 for seconds in lifetimes.values()), lifetimes
    assert sorted(int(real_redis._client.get(key)) for key in counters) == [3, 3, 3, 3]

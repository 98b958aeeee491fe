from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from leads.models import Lead
from leads.tokens import Purpose
from tests.conftest import make_attempt
from tests.leads.conftest import make_lead, token_for

pytestmark = pytest.mark.django_db


def url(name: str, token: str) -> str:
    return reverse(f"leads:{name}", args=[token])


# Confirm


def test_get_on_confirm_shows_a_button_and_changes_nothing(client, mailoutbox):
    lead = make_lead()

    response = client.get(url("confirm", token_for(lead, Purpose.CONFIRM)))

    html = response.content.decode()
    assert response.status_code == 200
    assert '<form method="post">' in html
    assert "csrfmiddlewaretoken" in html
    lead.refresh_from_db()
    assert (lead.status, lead.confirmed_at) == ("pending", None)
    assert mailoutbox == []


def test_post_on_confirm_confirms_and_opens_the_materials(client, committed, mailoutbox):
    lead = make_lead()

    with committed():
        response = client.post(url("confirm", token_for(lead, Purpose.CONFIRM)))

    lead.refresh_from_db()
    assert lead.status == "confirmed"
    assert response.status_code == 302
    assert response["Location"].startswith("/free-training/materials/")
    assert client.get(response["Location"]).status_code == 200
    assert len(mailoutbox) == 1


def test_confirm_needs_a_csrf_token():
    lead = make_lead()

    response = Client(enforce_csrf_checks=True).post(
        url("confirm", token_for(lead, Purpose.CONFIRM))
    )

    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.status == "pending"


def test_confirming_again_points_to_the_materials(client):
    lead = make_lead(status="confirmed")

    response = client.get(url("confirm", token_for(lead, Purpose.CONFIRM)))

    assert "already confirmed" in response.content.decode()
    assert "/free-training/materials/" in response.content.decode()


@pytest.mark.parametrize(
    ("purpose", "age", "status", "text"),
    [
        (Purpose.CONFIRM, timedelta(days=6, hours=23), 200, "Confirm your email address"),
        (Purpose.CONFIRM, timedelta(days=7, minutes=1), 410, "This link has expired"),
        (Purpose.MATERIALS, timedelta(days=29), 200, "Your training materials"),
        (Purpose.MATERIALS, timedelta(days=31), 410, "Email me a new link"),
        (Purpose.UNSUBSCRIBE, timedelta(days=3650), 200, "Unsubscribe"),
    ],
)
def test_links_expire_after_their_own_time(client, purpose, age, status, text):
    lead = make_lead(status="confirmed" if purpose == Purpose.MATERIALS else "pending")

    response = client.get(url(str(purpose), token_for(lead, purpose, age=age)))

    assert response.status_code == status
    assert text in response.content.decode()


def test_an_expired_confirm_link_changes_nothing_on_post(client):
    lead = make_lead()

    response = client.post(url("confirm", token_for(lead, Purpose.CONFIRM, age=timedelta(days=8))))

    assert response.status_code == 410
    assert 'href="/free-training/"' in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == "pending"


def _forgeries(lead: Lead) -> dict[str, str]:
    good = token_for(lead, Purpose.CONFIRM)
    return {
        "garbage": "not-a-token",
        "tampered": good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        "other purpose": token_for(lead, Purpose.UNSUBSCRIBE),
        "other key": signing.dumps({"l": lead.pk, "e": "x"}, salt="leads.confirm", key="k" * 50),
        "nul": "abc\x00def",
    }


@pytest.mark.parametrize("kind", ["garbage", "tampered", "other purpose", "other key", "nul"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_forged_confirm_links_get_a_clear_page_and_change_nothing(client, kind, method):
    lead = make_lead()
    token = _forgeries(lead)[kind]

    response = getattr(client, method)(url("confirm", token))

    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == "pending"


def test_a_link_dies_with_its_lead(client):
    lead = make_lead(status="confirmed")
    token = token_for(lead, Purpose.MATERIALS)
    lead_id = lead.pk
    lead.delete()
    # Another address under the same id (say, after a restore): the link is not theirs.
    make_lead(pk=lead_id, email="someone.else@example.com", status="confirmed")

    assert client.get(url("materials", token)).status_code == 400


# Materials


def test_materials_page_lists_materials_for_the_outcome_and_the_guide(client):
    lead = make_lead(status="confirmed", outcome="CSM")
    token = token_for(lead, Purpose.MATERIALS)

    response = client.get(url("materials", token))

    html = response.content.decode()
    assert response.status_code == 200
    assert "What a Scrum Master does all week" in html
    assert "What a Product Owner decides" not in html
    assert "CSM and CSPO side by side" in html
    # The material for the visitor's own result comes first.
    assert html.index("What a Scrum Master does all week") < html.index("CSM and CSPO side by side")
    assert url("guide", token) in html
    assert '<meta name="robots" content="noindex">' in html


@pytest.mark.parametrize(
    ("status", "text"), [("unsubscribed", "You unsubscribed"), ("pending", "confirm your address")]
)
def test_materials_are_only_for_confirmed_leads(client, status, text):
    lead = make_lead(status=status)

    for name in ["materials", "guide"]:
        response = client.get(url(name, token_for(lead, Purpose.MATERIALS)))
        assert response.status_code == 403
        assert text in response.content.decode()
        assert 'href="/free-training/"' in response.content.decode()


def test_an_expired_materials_link_can_ask_for_a_new_one(client, committed, mailoutbox):
    lead = make_lead(status="confirmed")
    token = token_for(lead, Purpose.MATERIALS, age=timedelta(days=45))

    with committed():
        response = client.post(url("materials_resend", token))

    assert response.status_code == 302
    assert [m.subject for m in mailoutbox] == ["Your CSM and CSPO training materials"]


def test_an_unsubscribed_lead_cannot_ask_an_old_materials_link_for_mail(
    client, committed, mailoutbox
):
    lead = make_lead(status="unsubscribed")
    token = token_for(lead, Purpose.MATERIALS, age=timedelta(days=45))

    page = client.get(url("materials", token))
    with committed():
        client.post(url("materials_resend", token))

    assert page.status_code == 410
    assert "Email me a new link" not in page.content.decode()
    assert mailoutbox == []
    lead.refresh_from_db()
    assert lead.mail_requested_at is None


def test_a_forged_materials_link_cannot_ask_for_mail(client, committed, mailoutbox):
    with committed():
        response = client.post(url("materials_resend", "forged:token"))

    assert response.status_code == 400
    assert mailoutbox == []


# Unsubscribe


def test_get_on_unsubscribe_shows_a_button_and_changes_nothing(client):
    lead = make_lead(status="confirmed")

    response = client.get(url("unsubscribe", token_for(lead, Purpose.UNSUBSCRIBE)))

    assert response.status_code == 200
    assert '<button type="submit" class="btn btn-primary">Unsubscribe</button>' in (
        response.content.decode()
    )
    lead.refresh_from_db()
    assert lead.status == "confirmed"


def test_one_click_unsubscribe_works_without_cookies_or_csrf_token():
    lead = make_lead(status="confirmed")
    mail_provider = Client(enforce_csrf_checks=True)

    response = mail_provider.post(
        url("unsubscribe", token_for(lead, Purpose.UNSUBSCRIBE)),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert "You're unsubscribed" in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == "unsubscribed"
    assert lead.unsubscribed_at is not None


def test_the_unsubscribe_button_works_without_csrf_too():
    lead = make_lead()

    Client(enforce_csrf_checks=True).post(url("unsubscribe", token_for(lead, Purpose.UNSUBSCRIBE)))

    lead.refresh_from_db()
    assert lead.status == "unsubscribed"


def test_a_forged_unsubscribe_link_changes_nothing(client):
    lead = make_lead(status="confirmed")

    response = client.post(url("unsubscribe", token_for(lead, Purpose.CONFIRM)))

    assert response.status_code == 400
    lead.refresh_from_db()
    assert lead.status == "confirmed"


def test_an_old_confirm_link_does_not_resubscribe(client):
    lead = make_lead(status="unsubscribed")

    response = client.post(url("confirm", token_for(lead, Purpose.CONFIRM)))

    assert response.status_code == 200
    assert "You unsubscribed" in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == "unsubscribed"


# Query budgets


def test_link_pages_stay_within_their_query_budgets(client, django_assert_max_num_queries):
    lead = make_lead(status="confirmed", outcome="CSPO", attempt=make_attempt())
    materials = token_for(lead, Purpose.MATERIALS)

    with django_assert_max_num_queries(2):  # the lead, its materials
        assert client.get(url("materials", materials)).status_code == 200
    with django_assert_max_num_queries(4):  # the lead, its attempt, certifications, points
        assert client.get(url("guide", materials)).status_code == 200
    with django_assert_max_num_queries(1):
        assert client.get(url("confirm", token_for(lead, Purpose.CONFIRM))).status_code == 200
    with django_assert_max_num_queries(1):
        assert (
            client.get(url("unsubscribe", token_for(lead, Purpose.UNSUBSCRIBE))).status_code == 200
        )
    with django_assert_max_num_queries(0):
        assert client.get(reverse("leads:check_email")).status_code == 200


@pytest.mark.parametrize("name", ["confirm", "unsubscribe"])
def test_a_scanner_asking_for_headers_changes_nothing(client, name):
    lead = make_lead()
    purpose = Purpose(name)

    assert client.head(url(name, token_for(lead, purpose))).status_code == 200

    lead.refresh_from_db()
    assert lead.status == "pending"

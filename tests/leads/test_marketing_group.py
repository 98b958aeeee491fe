import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from leads.models import Lead, LeadExport
from tests.leads.conftest import make_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketer(db) -> User:
    user = User.objects.create_user("marketer", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Marketing"))
    return user


@pytest.fixture
def marketer_client(client, marketer):
    client.force_login(marketer)
    return client


def test_the_migration_creates_the_group_with_exactly_these_permissions():
    granted = set(
        Group.objects.get(name="Marketing").permissions.values_list(
            "content_type__app_label", "codename"
        )
    )

    assert {
        ("leads", "view_lead"),
        ("leads", "export_lead"),
        ("wizard", "view_attempt"),
        ("leads", "change_trainingmaterial"),
        ("wizard", "change_questionnaire"),
        ("wizard", "add_question"),
        ("wizard", "change_choice"),
        ("certguide", "change_pagesection"),
        ("certguide", "change_certification"),
    } <= granted
    deletable = {codename for _, codename in granted if codename.startswith("delete_")}
    # Only rows inside an editable list; never a lead, a questionnaire or a certification.
    assert deletable == {
        "delete_certificationpoint",
        "delete_question",
        "delete_choice",
        "delete_trainingmaterial",
    }
    assert not {label for label, _ in granted} & {"auth", "admin", "contenttypes", "sessions"}
    assert ("leads", "change_lead") not in granted
    assert ("wizard", "change_attempt") not in granted
    assert ("leads", "view_leadexport") not in granted


def test_marketer_can_export_but_not_delete(marketer_client):
    lead = make_lead(email="ana@example.com")
    changelist = reverse("admin:leads_lead_changelist")

    page = marketer_client.get(changelist).content.decode()
    export = marketer_client.post(reverse("admin:leads_lead_export"))
    delete_page = marketer_client.get(reverse("admin:leads_lead_delete", args=[lead.pk]))
    bulk_delete = marketer_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [lead.pk], "post": "yes"}
    )

    assert 'value="export_selected"' in page
    assert 'value="delete_selected"' not in page
    assert 'value="erase_selected"' not in page
    assert b"ana@example.com" in b"".join(export.streaming_content)
    assert LeadExport.objects.get().user.username == "marketer"
    assert delete_page.status_code == 403
    assert bulk_delete.status_code in (200, 302)
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_marketer_cannot_change_a_lead(marketer_client):
    lead = make_lead(email="ana@example.com", first_name="Ana")

    response = marketer_client.post(
        reverse("admin:leads_lead_change", args=[lead.pk]), {"first_name": "Changed"}
    )

    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.first_name == "Ana"


@pytest.mark.parametrize(
    "url",
    [
        "admin:leads_lead_changelist",
        "admin:leads_lead_dashboard",
        "admin:leads_trainingmaterial_changelist",
        "admin:leads_trainingmaterial_add",
        "admin:wizard_attempt_changelist",
        "admin:wizard_questionnaire_changelist",
        "admin:certguide_pagesection_changelist",
        "admin:certguide_certification_changelist",
    ],
)
def test_marketer_reaches_what_marketing_needs(marketer_client, url):
    assert marketer_client.get(reverse(url)).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "admin:auth_user_changelist",
        "admin:auth_group_changelist",
        "admin:leads_leadexport_changelist",
        "admin:leads_leaderasure_changelist",
    ],
)
def test_marketer_has_no_access_to_users_groups_or_records(marketer_client, url):
    assert marketer_client.get(reverse(url)).status_code == 403


def test_plain_staff_cannot_export(client):
    make_lead(email="ana@example.com")
    client.force_login(User.objects.create_user("staff", password="pw", is_staff=True))

    assert client.get(reverse("admin:leads_lead_export")).status_code == 403
    assert client.post(reverse("admin:leads_lead_export")).status_code == 403
    assert client.get(reverse("admin:leads_lead_changelist")).status_code == 403
    assert not LeadExport.objects.exists()

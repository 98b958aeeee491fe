import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from leads.email_address import normalise_email
from leads.models import Lead, TrainingMaterial
from tests.leads.conftest import make_lead


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ada@example.com", "ada@example.com"),
        ("  Ada.Lovelace@Example.COM \n", "Ada.Lovelace@example.com"),
        ("ADA@EXAMPLE.COM", "ADA@example.com"),
        # The last @ separates the domain; a quoted local part may hold another.
        ('"a@b"@Example.org', '"a@b"@example.org'),
    ],
)
def test_normalise_email_trims_and_lowercases_only_the_domain(typed, stored):
    assert normalise_email(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "no-at-sign",
        "@example.com",
        "ada@",
        "ad\x00a@example.com",
        "ada@exa\x1bmple.com",
        "a" * 250 + "@example.com",
    ],
)
def test_normalise_email_rejects_what_cannot_be_an_address(typed):
    with pytest.raises(ValidationError):
        normalise_email(typed)


@pytest.mark.django_db
@pytest.mark.parametrize("second", ["ADA@example.com", "ada@EXAMPLE.com", "Ada@Example.Com"])
def test_database_refuses_the_same_address_in_another_case(second):
    make_lead(email="ada@example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        make_lead(email=second)

    assert Lead.objects.count() == 1


@pytest.mark.django_db
def test_with_email_finds_the_lead_whatever_the_case():
    lead = make_lead(email="Ada@example.com")

    assert list(Lead.objects.with_email("ADA@EXAMPLE.COM")) == [lead]


@pytest.mark.django_db
def test_a_material_needs_a_file_or_a_link():
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingMaterial.objects.create(title="Nothing to open")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("link", "valid"),
    [
        ("/compare/", True),
        ("https://scrumguides.org/scrum-guide.html", True),
        ("//evil.example/", False),
        ("javascript:alert(1)", False),
        ("ftp://example.com/file", False),
    ],
)
def test_material_links_are_site_paths_or_web_addresses(link, valid):
    material = TrainingMaterial(title="A link", url=link)

    if valid:
        material.full_clean()
    else:
        with pytest.raises(ValidationError):
            material.full_clean()


@pytest.mark.django_db
def test_a_fresh_install_has_materials_for_every_outcome():
    audiences = set(TrainingMaterial.objects.active().values_list("audience", flat=True))

    assert audiences == {"CSM", "CSPO", "BOTH", "EVERYONE"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("outcome", "audiences"),
    [
        ("CSM", {"CSM", "EVERYONE"}),
        ("CSPO", {"CSPO", "EVERYONE"}),
        ("BOTH", {"CSM", "CSPO", "BOTH", "EVERYONE"}),
        ("", {"CSM", "CSPO", "BOTH", "EVERYONE"}),
    ],
)
def test_materials_for_an_outcome(outcome, audiences):
    TrainingMaterial.objects.create(title="Retired", url="/x/", audience="CSM", is_active=False)

    materials = TrainingMaterial.objects.for_outcome(outcome)

    assert {m.audience for m in materials} == audiences
    assert "Retired" not in {m.title for m in materials}

import io

import pytest
from pypdf import PdfReader

from leads.guide import latin1
from leads.tokens import Purpose
from tests.conftest import make_attempt
from tests.leads.conftest import make_lead, token_for

pytestmark = pytest.mark.django_db


def guide_text(client, lead) -> str:
    response = client.get(
        f"/free-training/materials/{token_for(lead, Purpose.MATERIALS)}/guide.pdf"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="certguide-guide.pdf"'
    reader = PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_guide_from_a_quiz_result_holds_the_outcome_scores_and_reasons(client):
    attempt = make_attempt(outcome="CSPO", csm_score=35, cspo_score=80)
    lead = make_lead(status="confirmed", attempt=attempt, outcome="CSPO", first_name="Zoë")

    text = guide_text(client, lead)

    assert "Prepared for Zoë" in text
    assert "Your result: Certified Scrum Product Owner (CSPO)" in text
    assert "(CSM): 35%" in text
    assert "(CSPO): 80%" in text
    assert "deciding what the product should be" in text
    # The recommended role comes first.
    assert text.index("Key responsibilities of the Product Owner") < text.index(
        "Key responsibilities of the Scrum Master"
    )


def test_guide_holds_both_roles_and_the_key_differences_table(client):
    lead = make_lead(status="confirmed")

    text = guide_text(client, lead)

    assert "The general CSM and CSPO guide" in text
    assert "Key differences at a glance" in text
    for label in ["Focus", "Primary role", "Key skills", "Main goal", "Target audience"]:
        assert label in text
    assert "Certified ScrumMaster (CSM)" in text
    assert "Your next steps" in text
    assert "Take the certguide quiz" in text


def test_guide_uses_the_lead_outcome_without_an_attempt(client):
    lead = make_lead(status="confirmed", outcome="BOTH")

    text = guide_text(client, lead)

    assert "Your result: Both CSM and CSPO" in text
    assert "%" not in text.split("Your result")[1][:200]


@pytest.mark.parametrize("name", ["山田", "\uff21\uff44\uff41", "Łukasz 🚀", "\u202eevil", "Renée"])
def test_names_outside_latin1_never_break_the_guide(client, name):
    lead = make_lead(status="confirmed", first_name=name)

    text = guide_text(client, lead)

    assert "Your next steps" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\u201cScrum\u201d \u2013 done\u2026", '"Scrum" - done...'),
        ("Łódź", "Lódz"),
        ("山", "?"),
        ("Zoë", "Zoë"),
    ],
)
def test_latin1_keeps_what_it_can(text, expected):
    assert latin1(text) == expected


def test_a_hand_edited_outcome_falls_back_to_the_general_guide(client):
    lead = make_lead(status="confirmed", outcome="XYZ")

    assert "The general CSM and CSPO guide" in guide_text(client, lead)

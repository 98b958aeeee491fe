import pytest

from certguide.models import Certification


@pytest.mark.django_db
def test_both_certifications_are_seeded_with_complete_content(django_assert_num_queries):
    with django_assert_num_queries(2):
        certifications = list(Certification.objects.for_pages())
        lists = [(c.responsibilities, c.benefits, c.audiences) for c in certifications]

    assert [c.code for c in certifications] == ["CSM", "CSPO"]
    for responsibilities, benefits, audiences in lists:
        assert len(responsibilities) == 5
        assert len(benefits) == 5
        assert len(audiences) == 5
        assert all(point.text for point in [*responsibilities, *benefits, *audiences])


@pytest.mark.django_db
def test_comparison_table_follows_the_table_order():
    csm = Certification.objects.get(slug="csm")
    cspo = Certification.objects.get(slug="cspo")

    rows = Certification.comparison_table([csm, cspo])

    assert [label for label, _ in rows] == [
        "Focus",
        "Primary role",
        "Key skills",
        "Main goal",
        "Target audience",
    ]
    assert rows[1] == ("Primary role", [(csm, csm.primary_role), (cspo, cspo.primary_role)])


@pytest.mark.django_db
def test_summary_paragraphs_split_text_saved_from_the_admin_form(csm):
    # Browsers post textareas with CRLF line endings.
    csm.summary = "First paragraph,\r\nstill first.\r\n\r\nSecond paragraph.\r\n"

    assert csm.summary_paragraphs() == ["First paragraph, still first.", "Second paragraph."]


@pytest.mark.django_db
def test_role_page_description_is_the_first_paragraph_only(visitor, csm):
    csm.summary = "A short first paragraph about the role.\r\n\r\nA second one, not wanted."
    csm.save()

    html = visitor.get("/certifications/csm/").content.decode()

    assert '<meta name="description" content="A short first paragraph about the role.">' in html

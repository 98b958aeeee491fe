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
def test_comparison_rows_follow_the_table_order():
    csm = Certification.objects.get(slug="csm")

    rows = csm.comparison_rows()

    assert [label for label, _ in rows] == [
        "Focus",
        "Primary role",
        "Key skills",
        "Main goal",
        "Target audience",
    ]
    assert rows[1] == ("Primary role", csm.primary_role)

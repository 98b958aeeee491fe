import pytest
from django.utils import timezone

from leads.models import Lead


def make_lead(**fields) -> Lead:
    """A lead as the sign-up form would leave it; override any field."""
    defaults = {
        "email": "ada@example.com",
        "first_name": "Ada",
        "status": Lead.Status.PENDING,
        "consent_at": timezone.now(),
        "consent_version": "2026-11",
    }
    return Lead.objects.create(**(defaults | fields))


@pytest.fixture
def lead(db) -> Lead:
    return make_lead()

"""The `data` of each event (docs/integrations.md has a JSON Schema per event)."""

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import salted_hmac

from certguide.campaign import UTM_KEYS
from leads.models import Lead
from wizard.models import Attempt


def email_digest(email: str) -> str:
    """A keyed digest of the address: receivers match erasures with it, nobody can
    reverse it without our secret key."""
    return salted_hmac("integrations.email", email.lower(), algorithm="sha256").hexdigest()


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _result_url(attempt: Attempt | None) -> str | None:
    if attempt is None or not attempt.completed_at or not settings.SITE_URL:
        return None
    return settings.SITE_URL + reverse("wizard:result", kwargs={"attempt_id": attempt.pk})


def lead_data(lead: Lead) -> dict:
    attempt = lead.attempt
    completed = attempt is not None and attempt.completed_at is not None
    return {
        "lead_id": lead.pk,
        "email": lead.email,
        "email_digest": email_digest(lead.email),
        "first_name": lead.first_name,
        "language": lead.language,
        "status": lead.status,
        "outcome": lead.outcome or None,
        "csm_score": attempt.csm_score if completed else None,
        "cspo_score": attempt.cspo_score if completed else None,
        "reasons": list(attempt.result.get("reasons", [])) if completed else [],
        "placement": lead.placement,
        **{key: getattr(lead, key) for key in UTM_KEYS},
        "consent_at": _iso(lead.consent_at),
        "consent_version": lead.consent_version,
        "confirmed_at": _iso(lead.confirmed_at),
        "result_url": _result_url(attempt),
    }


def lead_erased_data(*, lead_id: int, email: str) -> dict:
    return {"lead_id": lead_id, "email_digest": email_digest(email)}


def quiz_data(attempt: Attempt) -> dict:
    return {
        "attempt_id": str(attempt.pk),
        "outcome": attempt.outcome,
        "csm_score": attempt.csm_score,
        "cspo_score": attempt.cspo_score,
        "reasons": list(attempt.result.get("reasons", [])),
        "completed_at": _iso(attempt.completed_at),
        "result_url": _result_url(attempt),
    }


def sample_data() -> dict:
    return {"message": "A test event from certguide. It carries no personal data."}

"""Every write to leads: one atomic function each, called by views, tasks and commands."""

from datetime import timedelta

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from leads.email_address import has_control_characters, normalise_email
from leads.export import lead_exports_forget_address
from leads.mail import MailKind, mail_for_status
from leads.models import Lead, LeadErasure
from wizard.models import Attempt
from wizard.services import attempt_erase_personal_data

ERASED_LEAD = "(erased lead)"

# A repeat sign-up sends again at most this often, so the form cannot be used to flood
# someone's inbox.
RESEND_INTERVAL = timedelta(minutes=5)

ERROR_MAX_LENGTH = 2000


def _send_after_commit(*, lead: Lead, kind: MailKind) -> None:
    """Queue the mail once the transaction commits; the caller has just stamped
    mail_requested_at in the same transaction."""
    from leads.tasks import send_lead_mail  # tasks import services: import here.

    def enqueue() -> None:
        try:
            send_lead_mail.enqueue(lead.pk, str(kind))
        except Exception as error:  # The queue is down: keep the mail for the retry command.
            lead_record_send(lead=lead, error=f"Not queued: {type(error).__name__}: {error}")

    transaction.on_commit(enqueue)


def _mailed_recently(lead: Lead) -> bool:
    return (
        lead.mail_requested_at is not None
        and timezone.now() - lead.mail_requested_at < RESEND_INTERVAL
    )


def lead_subscribe(
    *,
    email: str,
    consent_version: str,
    first_name: str = "",
    attempt: Attempt | None = None,
    placement: str = "",
    utm_source: str = "",
    utm_medium: str = "",
    utm_campaign: str = "",
    utm_term: str = "",
    utm_content: str = "",
    referrer: str = "",
) -> Lead:
    """Record a consented sign-up and send the mail that fits the address's state.

    A new address becomes a pending lead and gets the confirmation mail. An address we
    know (in any case) is updated, never duplicated: pending gets the confirmation again,
    confirmed gets its materials link again (both at most once per RESEND_INTERVAL), and
    unsubscribed becomes pending on this new consent and gets a confirmation. Safe under
    concurrent sign-ups of the same address: the unique constraint decides, and the loser
    updates the winner's row. Where the visitor came from (placement, utm_*, referrer)
    keeps the first sign-up's values.
    """
    if not consent_version:
        raise ValueError("A sign-up needs the version of the consent the visitor gave.")
    email = normalise_email(email)
    now = timezone.now()
    outcome = attempt.outcome if attempt is not None else ""
    try:
        # Its own atomic block, so a taken address rolls back only the insert (a savepoint
        # inside a caller's transaction) and a new address needs no outer transaction.
        with transaction.atomic():
            lead = Lead.objects.create(
                email=email,
                first_name=first_name,
                status=Lead.Status.PENDING,
                consent_at=now,
                consent_version=consent_version,
                attempt=attempt,
                outcome=outcome,
                placement=placement,
                utm_source=utm_source,
                utm_medium=utm_medium,
                utm_campaign=utm_campaign,
                utm_term=utm_term,
                utm_content=utm_content,
                referrer=referrer,
                mail_requested_at=now,
            )
            _send_after_commit(lead=lead, kind=MailKind.CONFIRMATION)
        return lead
    except IntegrityError:
        pass  # Someone (maybe a concurrent request) holds this address: update that row.

    with transaction.atomic():
        lead = Lead.objects.select_for_update().with_email(email).get()
        previous_status = lead.status
        lead.consent_at = now
        lead.consent_version = consent_version
        if first_name:
            lead.first_name = first_name
        if attempt is not None:
            lead.attempt = attempt
            lead.outcome = outcome
        mail = None
        if previous_status == Lead.Status.UNSUBSCRIBED:
            lead.status = Lead.Status.PENDING
            lead.confirmed_at = None
            mail = MailKind.CONFIRMATION
        elif not _mailed_recently(lead):
            mail = mail_for_status(lead.status)
        if mail is not None:
            lead.mail_requested_at = now
        lead.save()
        if mail is not None:
            _send_after_commit(lead=lead, kind=mail)
    return lead


def lead_confirm(*, lead: Lead) -> Lead:
    """Confirm a pending lead (double opt-in) and mail its materials link.

    Confirming twice changes nothing; an unsubscribed lead stays unsubscribed, since an
    old confirmation link must not undo a withdrawal of consent.
    """
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.status == Lead.Status.PENDING:
            lead.status = Lead.Status.CONFIRMED
            lead.confirmed_at = lead.mail_requested_at = timezone.now()
            lead.save(update_fields=["status", "confirmed_at", "mail_requested_at"])
            _send_after_commit(lead=lead, kind=MailKind.MATERIALS)
    return lead


def lead_unsubscribe(*, lead: Lead) -> Lead:
    """Stop all mail to this lead at once; repeating it changes nothing."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.status != Lead.Status.UNSUBSCRIBED:
            lead.status = Lead.Status.UNSUBSCRIBED
            lead.unsubscribed_at = timezone.now()
            lead.mail_pending = False
            lead.save(update_fields=["status", "unsubscribed_at", "mail_pending"])
    return lead


def lead_request_materials(*, lead: Lead) -> None:
    """Mail a confirmed lead a fresh materials link, at most once per RESEND_INTERVAL."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.status == Lead.Status.CONFIRMED and not _mailed_recently(lead):
            lead.mail_requested_at = timezone.now()
            lead.save(update_fields=["mail_requested_at"])
            _send_after_commit(lead=lead, kind=MailKind.MATERIALS)


def lead_record_send(*, lead: Lead, error: str | None) -> None:
    """Record how a mail to this lead went.

    Success stamps last_emailed_at and clears any earlier error; failure keeps the error
    text and marks the lead for `manage.py send_pending_emails` to retry.
    """
    if error is None:
        fields = {"last_emailed_at": timezone.now(), "last_email_error": "", "mail_pending": False}
    else:
        text = "".join(ch for ch in error if ch == "\n" or not has_control_characters(ch))
        text = text[:ERROR_MAX_LENGTH] or "Unknown error"
        fields = {"last_email_error": text, "mail_pending": True}
    with transaction.atomic():
        Lead.objects.filter(pk=lead.pk).update(**fields)
    for name, value in fields.items():
        setattr(lead, name, value)


def lead_erase(*, lead: Lead) -> None:
    """Erase a lead on request (GDPR): delete the row, blank its quiz attempt's tracking
    data, take the address out of the admin's history and of recorded export filters, and
    count the erasure without keeping anything about whose it was."""
    with transaction.atomic():
        # LogEntry.object_repr holds str(lead), the address. The entries stay (who changed
        # a lead, and when, is worth keeping) but name "(erased lead)" instead.
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Lead), object_id=str(lead.pk)
        ).update(object_repr=ERASED_LEAD)
        lead_exports_forget_address(email=lead.email)
        attempt = lead.attempt
        lead.delete()
        if attempt is not None:
            attempt_erase_personal_data(attempt=attempt)
        LeadErasure.objects.create(count=1)


def lead_purge_unconfirmed(*, older_than: timedelta) -> int:
    """Delete pending leads whose last sign-up is older than `older_than`; how many."""
    cutoff = timezone.now() - older_than
    with transaction.atomic():
        deleted, _ = Lead.objects.pending().filter(consent_at__lt=cutoff).delete()
    return deleted

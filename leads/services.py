"""Every write to leads: one atomic function each, called by views, tasks and commands."""

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from leads.email_address import has_control_characters, normalise_email
from leads.export import lead_exports_forget_address
from leads.mail import MailKind, build_message, mail_for_status
from leads.models import Lead, LeadErasure
from leads.signals import lead_confirmed, lead_erased, lead_unsubscribed, lead_updated
from wizard.models import Attempt
from wizard.services import attempt_erase_personal_data

logger = logging.getLogger(__name__)

ERASED_LEAD = "(erased lead)"

# A repeat sign-up sends again at most this often, so the form cannot be used to flood
# someone's inbox.
RESEND_INTERVAL = timedelta(minutes=5)

ERROR_MAX_LENGTH = 2000

# Retries of a mail the server refused: the n-th failure waits MAIL_FIRST_RETRY * 2**(n-1)
# (1, 2, 4 ... 1024 minutes); the twelfth failure gives up, about 34 hours after the first.
MAIL_FIRST_RETRY = timedelta(minutes=1)
MAIL_MAX_ATTEMPTS = 12
MAIL_GAVE_UP_MID_SEND = "The sender stopped during the last attempt (worker killed or timed out)."
OWED_MAIL_FIELDS = ["mail_state", "mail_kind", "mail_attempts", "mail_due_at", "mail_claim"]


def _owe_mail(*, lead: Lead, kind: MailKind, now: datetime) -> list[str]:
    """Mark `lead` as owed `kind`, for the caller to save in its transaction; return the
    fields to save. The owed mail is the truth: it stays owed until a sender has handed it
    to the mail server. Once the transaction commits, a task nudges a sender; if the
    process dies first, or the worker dies mid-send, send_pending_emails finds it owed.

    One slot per lead: the newest mail replaces one still owed (only it fits the lead's
    state now) and voids any claim on it, so a sender still busy with the old one cannot
    mark the new one sent.
    """
    lead.mail_state = Lead.MailState.OWED
    lead.mail_kind = kind
    lead.mail_attempts = 0
    lead.mail_due_at = lead.mail_requested_at = now
    lead.mail_claim = None
    # Read lead.pk at commit time: a new lead has none until it is inserted.
    transaction.on_commit(lambda: _nudge_sender(lead_id=lead.pk))
    return [*OWED_MAIL_FIELDS, "mail_requested_at"]


def _nudge_sender(*, lead_id: int) -> None:
    # The task is looked up when a transaction commits, so at import time only tasks
    # import services.
    from leads.tasks import send_lead_mail

    try:
        send_lead_mail.enqueue(lead_id)
    except Exception as error:  # The queue is down: the mail stays owed for the sweep.
        logger.warning(
            "Mail to lead %s not queued (%s: %s); send_pending_emails will send it.",
            lead_id,
            type(error).__name__,
            error,
        )


def _mailed_recently(lead: Lead) -> bool:
    """A mail was asked for less than RESEND_INTERVAL ago and went out or is going out.

    A mail still owed (waiting, failed, or claimed by a sender whose lease ran out) does
    not count: the window stops a flood of mail, it must not swallow one never delivered.
    """
    now = timezone.now()
    if lead.mail_requested_at is None or now - lead.mail_requested_at >= RESEND_INTERVAL:
        return False
    state = Lead.MailState
    if lead.mail_state == state.SENDING:
        return lead.mail_due_at is not None and lead.mail_due_at > now
    return lead.mail_state not in (state.OWED, state.FAILED)


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
            lead = Lead(
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
            )
            _owe_mail(lead=lead, kind=MailKind.CONFIRMATION, now=now)
            lead.save(force_insert=True)
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
            _owe_mail(lead=lead, kind=mail, now=now)
        lead.save()
        if previous_status == Lead.Status.CONFIRMED:
            lead_updated.send(sender=Lead, lead=lead)
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
            lead.confirmed_at = timezone.now()
            owed = _owe_mail(lead=lead, kind=MailKind.MATERIALS, now=lead.confirmed_at)
            lead.save(update_fields=["status", "confirmed_at", *owed])
            lead_confirmed.send(sender=Lead, lead=lead)
    return lead


def lead_unsubscribe(*, lead: Lead) -> Lead:
    """Stop all mail to this lead at once, a mail still owed included (a sender busy
    with it can no longer record it); repeating it changes nothing."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.status != Lead.Status.UNSUBSCRIBED:
            lead.status = Lead.Status.UNSUBSCRIBED
            lead.unsubscribed_at = timezone.now()
            if lead.mail_state != Lead.MailState.SENT:
                lead.mail_state = Lead.MailState.NONE
            lead.mail_due_at = lead.mail_claim = None
            lead.save(update_fields=["status", "unsubscribed_at", *OWED_MAIL_FIELDS])
            lead_unsubscribed.send(sender=Lead, lead=lead)
    return lead


def lead_request_materials(*, lead: Lead) -> None:
    """Mail a confirmed lead a fresh materials link, at most once per RESEND_INTERVAL."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.status == Lead.Status.CONFIRMED and not _mailed_recently(lead):
            owed = _owe_mail(lead=lead, kind=MailKind.MATERIALS, now=timezone.now())
            lead.save(update_fields=owed)


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
        lead_erased.send(sender=Lead, lead=lead)
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


# --- sending what is owed (the design is in docs/deploy.md, "Mail delivery") -----------


def mail_retry_delay(*, attempts: int) -> timedelta:
    """How long a mail waits after its `attempts`-th failed attempt."""
    return MAIL_FIRST_RETRY * 2 ** (attempts - 1)


def _claim_due_mail(*, lead_id: int | None) -> tuple[Lead, uuid.UUID] | None:
    """Take one due mail for this sender until the lease ends; None when none is due.

    The conditional UPDATE is the claim: of two senders that read the same row, the
    second updates nothing. On PostgreSQL the sweep's candidates are also locked with
    SKIP LOCKED, so concurrent sweeps take different rows instead of racing for the same
    one (SQLite ignores FOR UPDATE and serialises writes).
    """
    now = timezone.now()
    due = Lead.objects.mail_due(now=now).filter(mail_attempts__lt=MAIL_MAX_ATTEMPTS)
    claim = uuid.uuid4()
    taking = {
        "mail_state": Lead.MailState.SENDING,
        "mail_claim": claim,
        "mail_due_at": now + settings.MAIL_SEND_LEASE,
        "mail_attempts": F("mail_attempts") + 1,
    }
    if lead_id is not None:
        # One statement is atomic by itself; the task's path stays at three queries.
        taken = lead_id if due.filter(pk=lead_id).update(**taking) else None
    else:
        with transaction.atomic():
            candidates = (
                due.select_for_update(skip_locked=True)
                .order_by("mail_due_at", "pk")
                .values_list("pk", flat=True)[:10]
            )
            taken = next((pk for pk in candidates if due.filter(pk=pk).update(**taking)), None)
    if taken is None:
        return None
    # Read after the claim: what is sent (which mail, to whom) is what this claim holds,
    # not what a read before it saw. None if the lead was erased or the mail replaced.
    lead = Lead.objects.filter(pk=taken, mail_claim=claim).first()
    return (lead, claim) if lead is not None else None


def _record_sent(*, lead: Lead, claim: uuid.UUID) -> None:
    now = timezone.now()
    recorded = Lead.objects.filter(pk=lead.pk, mail_claim=claim).update(
        mail_state=Lead.MailState.SENT,
        mail_claim=None,
        mail_due_at=None,
        last_emailed_at=now,
        last_email_error="",
    )
    if not recorded:
        # A newer mail replaced this one while it was being sent: that one stays owed.
        Lead.objects.filter(pk=lead.pk).update(last_emailed_at=now)


def _record_failure(*, lead: Lead, claim: uuid.UUID, error: BaseException) -> None:
    text = f"{type(error).__name__}: {error}"
    text = "".join(ch for ch in text if ch == "\n" or not has_control_characters(ch))
    give_up = lead.mail_attempts >= MAIL_MAX_ATTEMPTS
    due = None if give_up else timezone.now() + mail_retry_delay(attempts=lead.mail_attempts)
    Lead.objects.filter(pk=lead.pk, mail_claim=claim).update(
        mail_state=Lead.MailState.FAILED if give_up else Lead.MailState.OWED,
        mail_claim=None,
        mail_due_at=due,
        last_email_error=text[:ERROR_MAX_LENGTH],
    )


def mail_send_due(*, lead_id: int | None = None) -> bool | None:
    """Send one mail that is due (this lead's, if given) and record how it went.

    True: the mail server accepted it, and only then is it marked sent. False: it failed
    and waits for its next attempt (or, after MAIL_MAX_ATTEMPTS, is marked failed). None:
    nothing was due. Never raises for a mail error; a sender that dies mid-send leaves the
    mail claimed until its lease ends, and then any sender may take it again.
    """
    claimed = _claim_due_mail(lead_id=lead_id)
    if claimed is None:
        return None
    lead, claim = claimed
    try:
        build_message(lead=lead, kind=MailKind(lead.mail_kind)).send()
    except Exception as error:  # Whatever the mailer raises is recorded and retried.
        logger.warning("Mail %s to lead %s failed: %s", lead.mail_kind, lead.pk, error)
        _record_failure(lead=lead, claim=claim, error=error)
        return False
    _record_sent(lead=lead, claim=claim)
    return True


def mail_fail_abandoned() -> int:
    """Mark failed the mails whose last allowed attempt died with its sender (the lease
    ran out); how many. They are not sent again without a retry from the admin."""
    with transaction.atomic():
        return (
            Lead.objects.mail_due(now=timezone.now())
            .filter(mail_state=Lead.MailState.SENDING, mail_attempts__gte=MAIL_MAX_ATTEMPTS)
            .update(
                mail_state=Lead.MailState.FAILED,
                mail_claim=None,
                mail_due_at=None,
                last_email_error=MAIL_GAVE_UP_MID_SEND,
            )
        )


def lead_mail_retry(*, leads: QuerySet[Lead]) -> int:
    """Send the failed mail of these leads again, with a fresh set of attempts, as soon as
    a sender runs; how many. Unsubscribed leads and mail not failed are left alone."""
    with transaction.atomic():
        ids = list(
            leads.filter(mail_state=Lead.MailState.FAILED)
            .exclude(status=Lead.Status.UNSUBSCRIBED)
            .values_list("pk", flat=True)
        )
        retried = Lead.objects.filter(pk__in=ids, mail_state=Lead.MailState.FAILED).update(
            mail_state=Lead.MailState.OWED, mail_attempts=0, mail_due_at=timezone.now()
        )
        for lead_id in ids:
            transaction.on_commit(lambda lead_id=lead_id: _nudge_sender(lead_id=lead_id))
    return retried

"""Every write to leads: one atomic function each, called by views, tasks and commands."""

import logging
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.admin.views.main import SEARCH_VAR
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac

from certguide.campaign import Tracking, has_control_characters
from certguide.tasks import queued_with_transaction
from leads.email_address import mailbox, normalise_email
from leads.export import LeadsCsv
from leads.mail import MailKind, build_message, mail_awaited
from leads.models import Lead, LeadErasure, LeadExport, RecipientMailCount
from leads.signals import (
    lead_confirmed,
    lead_unsubscribed,
    lead_updated,
    leads_erased,
    mail_owed,
)
from wizard.models import Attempt
from wizard.services import attempts_erase_personal_data

logger = logging.getLogger(__name__)

ERASED_LEAD = "(erased lead)"
ERASED_VALUE = "(erased)"
# Leads forgotten per round of queries: keeps each IN (...) list well under SQLite's
# limit on parameters.
FORGET_BATCH = 500

# A repeat sign-up sends again at most this often, so the form cannot be used to flood
# someone's inbox.
RESEND_INTERVAL = timedelta(minutes=5)
# Confirmation mails one mailbox may get per window, whatever address spelling and
# client asked: enough for a person who retries or corrects a detail, too few to flood.
CONFIRMATIONS_PER_MAILBOX = 3
CONFIRMATION_WINDOW = timedelta(hours=1)

ERROR_MAX_LENGTH = 2000

# Retries of a mail the server refused: the n-th failure waits MAIL_FIRST_RETRY * 2**(n-1)
# (1, 2, 4 ... 1024 minutes); the twelfth failure gives up, about 34 hours after the first.
MAIL_FIRST_RETRY = timedelta(minutes=1)
MAIL_MAX_ATTEMPTS = 12
MAIL_GAVE_UP_MID_SEND = "The sender stopped during the last attempt (worker killed or timed out)."
OWED_MAIL_FIELDS = ["mail_state", "mail_kind", "mail_attempts", "mail_due_at", "mail_claim"]


def _owe_mail(*, lead: Lead, kind: MailKind, now: datetime) -> list[str]:
    """Mark `lead` as owed `kind`, for the caller to save in its transaction and then
    announce (`_announce_owed_mail`); return the fields to save. The owed mail is the
    truth: it stays owed until a sender has handed it to the mail server. A task nudges a
    sender; if it is never run, or the worker dies mid-send, send_pending_emails finds the
    mail owed.

    One slot per lead: the newest mail replaces one still owed (only it fits the lead's
    state now) and voids any claim on it, so a sender still busy with the old one cannot
    mark the new one sent.
    """
    lead.mail_state = Lead.MailState.OWED
    lead.mail_kind = kind
    lead.mail_attempts = 0
    lead.mail_due_at = lead.mail_requested_at = now
    lead.mail_claim = None
    return [*OWED_MAIL_FIELDS, "mail_requested_at"]


def _announce_owed_mail(*, lead_id: int) -> None:
    """Nudge a sender for the mail just owed to this lead (the `mail_owed` signal), from
    inside the transaction that saved it.

    On the database task backend the nudge's task row is written in that transaction: it
    commits with the owed mail (an outbox, like integrations' events) and costs the
    visitor's sign-up no commit of its own, so a sign-up waits for one flush to disk, not
    two. Other backends are nudged once the transaction commits, so the immediate one
    never sends what might still roll back.
    """
    if queued_with_transaction():
        mail_owed.send(sender=Lead, lead_id=lead_id)
    else:
        transaction.on_commit(lambda: mail_owed.send(sender=Lead, lead_id=lead_id))


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


def _may_send_confirmation(*, email: str, now: datetime) -> bool:
    """Count one confirmation mail to the mailbox behind `email`; False when it already
    had CONFIRMATIONS_PER_MAILBOX in this window.

    Counted in the database (the cache may be down) per mailbox, so jane+1@, Jane@ and
    j.ane@gmail.com share one count, in one statement: an upsert that starts the
    mailbox's window, starts it again once it is over, or counts one more (a refused
    mail counts as one over the limit, never further). Its row stays locked for the rest
    of the caller's transaction: two sign-ups at once cannot both take the last mail.
    Windows long over are forgotten by lead_purge_unconfirmed.
    """
    recipient = salted_hmac("leads.mailbox", mailbox(email), algorithm="sha256").hexdigest()
    connection = transaction.get_connection()
    table = connection.ops.quote_name(RecipientMailCount._meta.db_table)
    started = connection.ops.adapt_datetimefield_value(now)
    over = connection.ops.adapt_datetimefield_value(now - CONFIRMATION_WINDOW)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (recipient, window_start, count) VALUES (%s, %s, 1)
            ON CONFLICT (recipient) DO UPDATE SET
                count = CASE
                    WHEN {table}.window_start <= %s THEN 1
                    WHEN {table}.count < %s THEN {table}.count + 1
                    ELSE %s
                END,
                window_start = CASE
                    WHEN {table}.window_start <= %s THEN excluded.window_start
                    ELSE {table}.window_start
                END
            RETURNING count
            """,  # noqa: S608 - the table name is our own, every value a parameter
            [recipient, started, over, CONFIRMATIONS_PER_MAILBOX,
             CONFIRMATIONS_PER_MAILBOX + 1, over],
        )  # fmt: skip
        (count,) = cursor.fetchone()
    return count <= CONFIRMATIONS_PER_MAILBOX


def _new_details(
    lead: Lead,
    *,
    first_name: str,
    consent_version: str,
    language: str,
    attempt: Attempt | None,
    now: datetime,
) -> dict:
    """What a repeat sign-up asks to change, for the owner to confirm; {} if nothing.

    A sign-up after unsubscribing always asks for something: the consent itself. So does
    one in another language: the lead's mail would change language, and the consent was
    given to the text in that language (whose version differs).
    """
    details: dict = {}
    if first_name and first_name != lead.first_name:
        details["first_name"] = first_name
    if attempt is not None and attempt.pk != lead.attempt_id:
        details["attempt"] = str(attempt.pk)
    if language != lead.language:
        details["language"] = language
    if (
        details
        or consent_version != lead.consent_version
        or lead.status == Lead.Status.UNSUBSCRIBED
    ):
        details |= {"consent_version": consent_version, "consent_at": now.isoformat()}
    return details


def lead_subscribe(
    *,
    email: str,
    consent_version: str,
    language: str = settings.LANGUAGE_CODE,
    first_name: str = "",
    attempt: Attempt | None = None,
    tracking: Tracking | None = None,
) -> Lead:
    """Record a consented sign-up and send the mail that fits the address's state.

    A new address becomes a pending lead and gets the confirmation mail. An address we
    know (in any case) is never duplicated, and nothing stored about it changes until its
    owner confirms: anyone can type any address. A repeat sign-up that asks for nothing
    new re-sends what the lead waits for (pending: the confirmation again, with the same
    link; confirmed: its materials link), at most once per RESEND_INTERVAL. One that asks
    for something (another first name, quiz result or language, a newer consent text, or
    any sign-up after unsubscribing) keeps it in `pending_signup` and starts a new round: a
    confirmation mail whose link, and only it, applies the change (`lead_confirm`).
    Confirmation mails to one mailbox are limited (`_may_send_confirmation`); a sign-up
    that may not mail changes nothing. Safe under concurrent sign-ups of the same
    address: the unique constraint decides, and the loser treats the winner's row as
    known. Where the visitor came from (placement, utm_*, referrer) keeps the first
    sign-up's values.

    `language` is the language of the page the sign-up was made on; the lead's mail, and
    the links in it, speak it. A repeat sign-up in another language asks to change it like
    any other detail: only the owner's confirmation switches it (see mail_language for
    the language of that confirmation mail).
    """
    if not consent_version:
        raise ValueError("A sign-up needs the version of the consent the visitor gave.")
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"{language!r} is not one of the site's languages.")
    email = normalise_email(email)
    now = timezone.now()
    outcome = attempt.outcome if attempt is not None else ""
    try:
        # Its own atomic block, so a taken address rolls back only the insert (a savepoint
        # inside a caller's transaction) and a new address needs no outer transaction.
        with transaction.atomic():
            may_mail = _may_send_confirmation(email=email, now=now)
            lead = Lead(
                email=email,
                first_name=first_name,
                status=Lead.Status.PENDING,
                consent_at=now,
                consent_version=consent_version,
                language=language,
                attempt=attempt,
                outcome=outcome,
                **(tracking or Tracking()).fields(),
            )
            if may_mail:
                _owe_mail(lead=lead, kind=MailKind.CONFIRMATION, now=now)
            lead.save(force_insert=True)
            if may_mail:
                _announce_owed_mail(lead_id=lead.pk)
        return lead
    except IntegrityError:
        pass  # Someone (maybe a concurrent request) holds this address: update that row.

    with transaction.atomic():
        lead = Lead.objects.select_for_update().with_email(email).get()
        details = _new_details(
            lead,
            first_name=first_name,
            consent_version=consent_version,
            language=language,
            attempt=attempt,
            now=now,
        )
        if details:
            mail = MailKind.CONFIRMATION
        elif _mailed_recently(lead):
            return lead
        else:
            mail = mail_awaited(lead)
        if mail is None or (
            mail == MailKind.CONFIRMATION and not _may_send_confirmation(email=email, now=now)
        ):
            return lead
        owed = _owe_mail(lead=lead, kind=mail, now=now)
        if details:
            lead.signup_round += 1
            lead.pending_signup = {"round": lead.signup_round, **details}
        lead.save(update_fields=["signup_round", "pending_signup", *owed])
        _announce_owed_mail(lead_id=lead.pk)
    return lead


def _apply_pending_signup(lead: Lead) -> None:
    """Copy what the owner just confirmed from `pending_signup` onto the lead."""
    pending = lead.pending_signup
    lead.consent_version = pending["consent_version"]
    lead.consent_at = datetime.fromisoformat(pending["consent_at"])
    if "first_name" in pending:
        lead.first_name = pending["first_name"]
    if pending.get("language") in dict(settings.LANGUAGES):
        lead.language = pending["language"]
    if "attempt" in pending:
        # Gone since (erased or deleted): keep the result the lead already had.
        attempt = Attempt.objects.filter(pk=pending["attempt"]).first()
        if attempt is not None:
            lead.attempt, lead.outcome = attempt, attempt.outcome
    lead.pending_signup = {}


def lead_confirm(*, lead: Lead) -> Lead:
    """Confirm the sign-up round `lead` was read in (from its confirmation link) and mail
    the materials link.

    Confirming applies what the round's sign-up asked for and makes a pending or
    unsubscribed lead confirmed. A link of an earlier round changes nothing, nor does
    confirming twice; an unsubscribed lead with no new sign-up stays unsubscribed, since
    an old confirmation link must not undo a withdrawal of consent.
    """
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        if locked.signup_round != lead.signup_round:
            return locked
        waiting = bool(locked.pending_signup)
        if not waiting and locked.status != Lead.Status.PENDING:
            return locked
        was_confirmed = locked.status == Lead.Status.CONFIRMED
        if waiting:
            _apply_pending_signup(locked)
        now = timezone.now()
        if locked.status != Lead.Status.CONFIRMED:
            locked.status = Lead.Status.CONFIRMED
            locked.confirmed_at = now
        _owe_mail(lead=locked, kind=MailKind.MATERIALS, now=now)
        locked.save()
        _announce_owed_mail(lead_id=locked.pk)
        # For integrations: a lead confirmed (again), or its confirmed details changed.
        if not was_confirmed:
            lead_confirmed.send(sender=Lead, lead=locked)
        elif waiting:
            lead_updated.send(sender=Lead, lead=locked)
    return locked


def lead_unsubscribe(*, lead: Lead) -> Lead:
    """Stop all mail to this lead at once, a mail still owed (a sender busy with it can
    no longer record it) and a sign-up awaiting confirmation included; repeating it
    changes nothing."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.status != Lead.Status.UNSUBSCRIBED or lead.pending_signup:
            # A sign-up waiting for confirmation is withdrawn with everything else.
            if lead.status != Lead.Status.UNSUBSCRIBED:
                lead.unsubscribed_at = timezone.now()
            lead.status = Lead.Status.UNSUBSCRIBED
            lead.pending_signup = {}
            if lead.mail_state != Lead.MailState.SENT:
                lead.mail_state = Lead.MailState.NONE
            lead.mail_due_at = lead.mail_claim = None
            lead.save(
                update_fields=["status", "unsubscribed_at", "pending_signup", *OWED_MAIL_FIELDS]
            )
            lead_unsubscribed.send(sender=Lead, lead=lead)
    return lead


def lead_request_materials(*, lead: Lead) -> None:
    """Mail a confirmed lead a fresh materials link, at most once per RESEND_INTERVAL."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.status == Lead.Status.CONFIRMED and not _mailed_recently(lead):
            owed = _owe_mail(lead=lead, kind=MailKind.MATERIALS, now=timezone.now())
            lead.save(update_fields=owed)
            _announce_owed_mail(lead_id=lead.pk)


def _announce_forgotten(*, pks: list[int]) -> None:
    """Tell other apps which leads are about to go, inside the transaction that removes them
    (integrations scrubs its copies and sends lead.erased for confirmed ones)."""
    leads = list(Lead.objects.filter(pk__in=pks).only("pk", "email", "confirmed_at"))
    leads_erased.send(sender=Lead, leads=leads)


def _forget_batch(*, leads: list[tuple[int, str, str, Any]]) -> None:
    """Take these leads (pk, email, first name, attempt id) out of every other table."""
    # What identifies each lead: the address anywhere; in a search box (free text a
    # marketer typed) also the part before the @ and the first name.
    everywhere = {email.lower() for _, email, _, _ in leads}
    searched = everywhere | {
        word
        for _, email, first_name, _ in leads
        for word in (email.partition("@")[0].lower(), first_name.lower())
        if word
    }

    def names_someone(text: str, needles: set[str]) -> bool:
        text = text.lower()
        return any(needle in text for needle in needles)

    def scrub(value: Any, key: str = "") -> Any:
        if isinstance(value, str):
            needles = searched if key == SEARCH_VAR else everywhere
            return ERASED_VALUE if names_someone(value, needles) else value
        if isinstance(value, list):
            return [scrub(item, key) for item in value]
        if isinstance(value, dict):
            return {name: scrub(item, name) for name, item in value.items()}
        return value

    # Exports are made by hand, so this table stays small enough to read whole.
    for export in LeadExport.objects.only("filters").select_for_update().iterator():
        scrubbed = scrub(export.filters)
        if scrubbed != export.filters:
            LeadExport.objects.filter(pk=export.pk).update(filters=scrubbed)

    # The admin's history keeps who changed a lead and when, but not whose it was:
    # object_repr is str(lead), the address; a message may quote the address or name.
    history = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Lead),
        object_id__in=[str(pk) for pk, _, _, _ in leads],
    )
    for entry in history.only("change_message").iterator():
        if names_someone(entry.change_message, searched):
            LogEntry.objects.filter(pk=entry.pk).update(change_message=ERASED_VALUE)
    history.update(object_repr=ERASED_LEAD)

    attempt_ids = {attempt_id for _, _, _, attempt_id in leads if attempt_id is not None}
    attempts_erase_personal_data(attempts=Attempt.objects.filter(pk__in=attempt_ids))
    Lead.objects.filter(pk__in=[pk for pk, _, _, _ in leads]).delete()


def leads_forget(*, leads: QuerySet[Lead]) -> int:
    """Delete these leads and every copy of their personal data kept elsewhere; how many.

    The one way a lead leaves the database (GDPR erase and the purge of unconfirmed
    leads both come here): the row goes, its quiz attempt keeps its answers for the
    funnel figures but loses its tracking data (utm_* and referrer), the admin's history
    names "(erased lead)" instead of the address and drops a message that quotes it, and
    recorded export filters that held the address (or, for a search, the address's local
    part or the first name) read "(erased)". Rows are locked and the queryset's
    conditions checked again as each batch is taken, so a lead that changed meanwhile
    (say, confirmed just before a purge) is left alone. All or nothing.
    """
    forgotten = 0
    with transaction.atomic():
        pks = list(leads.order_by().values_list("pk", flat=True))
        for start in range(0, len(pks), FORGET_BATCH):
            batch = list(
                leads.filter(pk__in=pks[start : start + FORGET_BATCH])
                .order_by()
                .select_for_update(of=("self",))
                .values_list("pk", "email", "first_name", "attempt_id")
            )
            if batch:
                _announce_forgotten(pks=[pk for pk, *_ in batch])
                _forget_batch(leads=batch)
                forgotten += len(batch)
    return forgotten


def leads_erase(*, leads: QuerySet[Lead]) -> int:
    """Erase leads on request (GDPR) through :func:`leads_forget`, and count the erasure
    without keeping anything about whose it was; return how many were erased."""
    with transaction.atomic():
        erased = leads_forget(leads=leads)
        if erased:
            LeadErasure.objects.create(count=erased)
    return erased


def leads_export(
    *, leads: QuerySet[Lead], user: Any, filters: dict[str, Any], source: str
) -> Iterator[bytes]:
    """Stream the CSV of `leads` and record a LeadExport (who, which filters, how many
    rows) when the stream ends.

    The record is written in ``finally``: when the stream completes, fails, or is
    closed because the client went away (the WSGI server closes the response, which
    closes this generator), it holds the rows actually sent. Counting first instead
    would cost a second scan and could disagree with what left.
    """
    leads_csv = LeadsCsv(leads)
    try:
        yield from leads_csv
    finally:
        LeadExport.objects.create(
            user=user, row_count=leads_csv.row_count, filters=filters, source=source
        )


def lead_purge_unconfirmed(*, older_than: timedelta) -> int:
    """Forget pending leads whose last sign-up is older than `older_than`, and the mail
    counts of mailboxes whose window is long over; how many leads."""
    now = timezone.now()
    RecipientMailCount.objects.filter(window_start__lt=now - 2 * CONFIRMATION_WINDOW).delete()
    return leads_forget(leads=Lead.objects.pending().filter(consent_at__lt=now - older_than))


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
            _announce_owed_mail(lead_id=lead_id)
    return retried

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections
from django.test import Client

from leads.models import Lead, RecipientMailCount
from tests.leads.conftest import signup_data, visitor_signup

THREADS = 8


def in_own_connection(work: Callable[[], None]) -> None:
    """Run `work` in a thread, on its own connection, committing for real."""

    def run() -> None:
        try:
            work()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()


def sign_up_at_once(emails: list[str]) -> list[int]:
    """Post one sign-up per address, each from its own visitor and connection, all
    released together so they really race; the response codes, in any order."""
    start = threading.Barrier(len(emails))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def sign_up(email: str) -> None:
        try:
            start.wait()
            visitor = Client(enforce_csrf_checks=True)
            statuses.append(visitor_signup(visitor, signup_data(email=email)).status_code)
        except BaseException as error:  # Collected so the main thread can report it.
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign_up, args=(email,)) for email in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return statuses


@pytest.mark.postgres
@pytest.mark.django_db
def test_concurrent_sign_ups_of_one_address_in_different_case_make_one_row(settings, mailoutbox):
    # Each thread has its own connection outside the test's transaction, so the sign-ups
    # really commit and really race; the test removes them itself instead of a flush,
    # which would empty the seeded tables for the tests that follow.
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every write; the race needs PostgreSQL.")
    settings.SIGNUP_RATE_LIMIT = "1000/m"
    settings.SIGNUP_DAILY_LIMIT = "1000/d"
    spellings = [
        f"{'ADA' if n % 2 else 'ada'}@{'EXAMPLE' if n % 3 else 'example'}.com"
        for n in range(THREADS)
    ]
    try:
        assert sign_up_at_once(spellings) == [302] * THREADS
        assert Lead.objects.with_email("ada@example.com").count() == 1
        # The winner mails once; the others found a confirmation sent seconds ago.
        assert len(mailoutbox) == 1
    finally:
        in_own_connection(lambda: Lead.objects.with_email("ada@example.com").delete())
        in_own_connection(lambda: RecipientMailCount.objects.all().delete())


@pytest.mark.postgres
@pytest.mark.django_db
def test_concurrent_sign_ups_of_one_mailbox_send_at_most_its_three_confirmations(
    settings, mailoutbox
):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every write; the race needs PostgreSQL.")
    settings.SIGNUP_RATE_LIMIT = "1000/m"
    settings.SIGNUP_DAILY_LIMIT = "1000/d"
    # Eight spellings of one Gmail mailbox, from eight visitors at once.
    spellings = [f"jane.doe+{n}@{'googlemail' if n % 2 else 'gmail'}.com" for n in range(THREADS)]
    try:
        assert sign_up_at_once(spellings) == [302] * THREADS
        assert Lead.objects.filter(email__startswith="jane.doe+").count() == THREADS
        assert len(mailoutbox) == 3
    finally:
        in_own_connection(lambda: Lead.objects.filter(email__startswith="jane.doe+").delete())
        in_own_connection(lambda: RecipientMailCount.objects.all().delete())

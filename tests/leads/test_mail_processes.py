"""Mail survives real process deaths: a db_worker SIGKILLed mid-send, a web process killed
between its commit and the task's enqueue, and two send_pending_emails runs at once.

Real processes (manage.py with the test settings) against the test database and SMTP
servers on 127.0.0.1 started here: one that accepts and never answers, and a sink
(aiosmtpd) that records what it accepts. The processes must see the test's rows, so the
rows are committed: PostgreSQL only (SQLite's test database lives in this process's
memory).
"""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from leads.models import Lead
from leads.services import lead_subscribe
from tests.leads.conftest import make_lead, owed

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CONFIRM_SUBJECT = "Confirm your email to get the CSM and CSPO materials"
# Generous deadlines for a loaded machine; nothing is asserted about how long things take.
DEADLINE = 60


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("Other processes cannot see SQLite's in-memory test database.")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StallingSMTP:
    """Accepts connections and never says a word: a mail server that hangs."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connected = threading.Event()
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        try:
            while True:
                conn, _ = self.listener.accept()
                self.held.append(conn)
                self.connected.set()
        except OSError:
            return  # closed

    def close(self) -> None:
        self.listener.close()
        for conn in self.held:
            conn.close()


class Sink:
    """aiosmtpd handler that records every accepted message.

    With `overlap`, each message is held at DATA until messages from two different
    connections are waiting at once (or `hold` seconds pass), so two senders are proven
    to be sending at the same moment; after that the gate stays open.
    """

    def __init__(self, *, overlap: bool = False, hold: float = 15) -> None:
        self.messages: list[tuple[list[str], str]] = []
        self.overlapped = not overlap
        self.hold = hold
        self.waiting: set[int] = set()

    async def handle_DATA(self, server, session, envelope) -> str:
        if not self.overlapped:
            self.waiting.add(id(session))
            deadline = time.monotonic() + self.hold
            while len(self.waiting) < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            if len(self.waiting) >= 2:
                self.overlapped = True
        content = envelope.content.decode("utf8", errors="replace")
        subject = next(
            (line[9:] for line in content.splitlines() if line.startswith("Subject: ")), ""
        )
        self.messages.append((list(envelope.rcpt_tos), subject))
        return "250 Message accepted for delivery"


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


@pytest.fixture
def stalling() -> Iterator[StallingSMTP]:
    server = StallingSMTP()
    yield server
    server.close()


def process_env(*, smtp_port: int, **extra: str) -> dict[str, str]:
    """The environment of a manage.py process on the test database."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    url = f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"{url}/{quote(db['NAME'])}",
        "TASKS_BACKEND": "database",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "DJANGO_LOG_LEVEL": "WARNING",
        **extra,
    }


def manage(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), *args]


def sweep(*, smtp_port: int) -> str:
    """One send_pending_emails run to completion; its output."""
    done = subprocess.run(
        manage("send_pending_emails"),
        cwd=ROOT,
        env=process_env(smtp_port=smtp_port),
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=True,
    )
    return done.stdout


def wait_until_lease_ends(lead: Lead) -> None:
    lead.refresh_from_db()
    remaining = (lead.mail_due_at - timezone.now()).total_seconds()
    time.sleep(max(0.0, remaining) + 0.2)


def test_a_worker_killed_mid_send_leaves_the_mail_owed_and_the_next_run_sends_it_once(
    settings, stalling, sink
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    lead = lead_subscribe(email="ada@example.com", consent_version="v1")
    assert DBTaskResult.objects.count() == 1  # queued for the worker, not sent here

    worker = subprocess.Popen(
        manage("db_worker", "--no-startup-delay", "--interval", "0.1", "--no-reload"),
        cwd=ROOT,
        env=process_env(smtp_port=stalling.port, MAIL_SEND_LEASE_SECONDS="2"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert stalling.connected.wait(DEADLINE), "the worker never reached the mail server"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(DEADLINE)
    assert worker.returncode == -signal.SIGKILL

    # The task is left RUNNING for good; the mail is still owed, claimed by the dead worker.
    assert DBTaskResult.objects.get().status == "RUNNING"
    lead.refresh_from_db()
    assert (lead.mail_state, lead.mail_attempts, lead.last_emailed_at) == ("sending", 1, None)

    wait_until_lease_ends(lead)
    handler, port = sink
    first = sweep(smtp_port=port)
    again = sweep(smtp_port=port)

    assert handler.messages == [(["ada@example.com"], CONFIRM_SUBJECT)]
    assert "Sent 1 email(s); 0 failed" in first
    assert "Sent 0 email(s); 0 failed" in again
    lead.refresh_from_db()
    assert (lead.mail_state, lead.mail_attempts) == ("sent", 2)
    assert lead.last_emailed_at is not None


SUBSCRIBE_THEN_DIE = """
import os, signal
from django.db import transaction
from leads.services import lead_subscribe

with transaction.atomic():
    # Registered first, so it runs first at commit: the process dies right after the
    # commit, before anything lead_subscribe may have left for commit time.
    transaction.on_commit(lambda: os.kill(os.getpid(), signal.SIGKILL))
    lead_subscribe(email="grace@example.com", consent_version="v1")
"""


def test_a_process_killed_right_after_the_commit_leaves_the_mail_owed_and_queued(sink):
    """The nudge's task row commits with the owed mail (the database queue), so nothing is
    left for after the commit; whoever comes first, the sweep or the worker, sends it, and
    the other finds nothing due."""
    handler, port = sink
    died = subprocess.run(
        manage("shell", "--no-imports", "-c", SUBSCRIBE_THEN_DIE),
        cwd=ROOT,
        env=process_env(smtp_port=port),
        capture_output=True,
        timeout=DEADLINE,
        check=False,
    )

    assert died.returncode == -signal.SIGKILL
    lead = Lead.objects.get()
    assert (lead.mail_state, lead.mail_kind) == ("owed", "confirmation")
    assert DBTaskResult.objects.get().status == "READY"  # queued with the lead
    assert handler.messages == []

    sweep(smtp_port=port)
    subprocess.run(
        manage("db_worker", "--batch", "--no-startup-delay", "--no-reload"),
        cwd=ROOT,
        env=process_env(smtp_port=port),
        capture_output=True,
        timeout=DEADLINE,
        check=True,
    )

    assert handler.messages == [(["grace@example.com"], CONFIRM_SUBJECT)]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    lead.refresh_from_db()
    assert lead.mail_state == "sent"


def test_two_sweeps_at_once_deliver_each_mail_exactly_once():
    handler = Sink(overlap=True)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    addresses = [f"lead{n}@example.com" for n in range(20)]
    for address in addresses:
        make_lead(email=address, **owed("confirmation"))
    try:
        env = process_env(smtp_port=controller.port)
        runs = [
            subprocess.Popen(
                manage("send_pending_emails"),
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=DEADLINE)[0] for run in runs]
    finally:
        controller.stop()

    assert handler.overlapped, "the two runs never sent at the same time"
    assert Counter(to for (to,), _ in handler.messages) == Counter(addresses)
    assert sum(int(out.split()[1]) for out in outputs) == len(addresses)
    assert set(Lead.objects.values_list("mail_state", flat=True)) == {"sent"}

"""A real db_worker SIGKILLed in the middle of a delivery: after its lease runs out the
delivery is sent again with the same webhook-id, so the receiver can drop the repeat.

The worker and the commands run as separate processes on their own SQLite file (the
test database of either backend is not visible to another process on SQLite)."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.integrations.conftest import verified

pytestmark = pytest.mark.django_db


def wait_for(condition, what: str, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Gave up waiting for {what}")
        time.sleep(0.1)


def test_a_delivery_claimed_by_a_killed_worker_is_sent_again_with_the_same_id(server, tmp_path):
    database = tmp_path / "worker.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"sqlite:///{database}",
        "TASKS_BACKEND": "database",
        "INTEGRATIONS_LEASE_SECONDS": "2",
    }
    root = Path(settings.BASE_DIR)

    def manage(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        return done.stdout

    manage("migrate", "--no-input", "-v", "0")
    secret = manage("add_webhook", server.url, "--events", "lead.confirmed").strip()
    manage(
        "shell",
        "-c",
        "from leads.services import lead_confirm, lead_subscribe;"
        "lead_confirm(lead=lead_subscribe(email='ada@example.com', consent_version='t'))",
    )

    answered: list[str] = []

    def stall_the_first(seen):
        if not answered:
            answered.append("stalled")
            server.release.wait(60)  # Held until the worker is dead.
        return 200, {}, b"ok"

    server.respond = stall_the_first
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: len(server.seen) == 1, "the worker's first request")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
    finally:
        if worker.poll() is None:
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(30)
    server.release.set()

    def state() -> tuple:
        with sqlite3.connect(database) as db:
            return db.execute(
                "SELECT status, attempts, webhook_id FROM integrations_delivery"
            ).fetchone()

    assert state()[:2] == ("sending", 1)  # Claimed by the dead worker, not lost.

    # Past the lease, the periodic command takes it up again.
    def retried() -> bool:
        manage("retry_deliveries")
        return state()[0] == "delivered"

    wait_for(retried, "the retry after the lease", limit=120)

    status, attempts, webhook_id = state()
    assert (status, attempts) == ("delivered", 2)
    ids = [seen.headers["webhook-id"] for seen in server.seen]
    assert ids == [webhook_id, webhook_id]
    # A receiver that keeps the ids it has processed handles the event once.
    processed = {}
    for seen in server.seen:
        processed.setdefault(seen.headers["webhook-id"], verified(seen, secret))
    assert len(processed) == 1
    assert processed[webhook_id]["data"]["email"] == "ada@example.com"

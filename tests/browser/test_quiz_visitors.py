"""Many visitors take the quiz at once, each in a browser context of its own (own cookies,
own CSRF token, own attempt), interleaved step by step.

One test runs against live_server (two visitors on the suite's shared cache); the other
against what is deployed: gunicorn with the production settings, two workers and Redis as
the cache, twenty visitors. A CSRF token cached in a fragment shared by every visitor once
refused every visitor after the first at the first Next (issue 12); a single visitor
never sees that.
"""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.conftest import REQUIRED, RESULT, step
from tests.wizard.conftest import seeded_questionnaire
from tests.wizard.test_flow import SEEDED_PROFILES
from wizard.models import Recommendation

# A fixture from the wizard's own tests, reused here.
__all__ = ["seeded_questionnaire"]

ROOT = Path(__file__).resolve().parents[2]
REDIS_DB = 10
PORTS = range(8400, 8500)
# Tick the answers whose labels hold these texts (exactly one label each), then click the
# button that moves on: Next, and on the last step "See my result".
ANSWER = """texts => {
    const labels = [...document.querySelectorAll("main fieldset label")];
    for (const text of texts) {
        const matching = labels.filter(label => label.textContent.includes(text));
        if (matching.length !== 1) throw new Error(`${matching.length} answers read ${text}`);
        matching[0].control.checked = true;
    }
    const buttons = [...document.querySelectorAll("main form button")];
    buttons.find(b => /^(Next|See my result)$/.test(b.textContent.trim())).click();
}"""


@dataclass
class Visitor:
    """One browser context walking the seeded quiz with one profile's answers."""

    name: str
    answers: list[list[str]]
    expected: Recommendation
    page: object = None
    refused: list[str] = field(default_factory=list)

    def arrive(self, url: re.Pattern) -> None:
        """Wait for the page at ``url``; a refusal fails with what the server answered."""
        try:
            self.page.wait_for_url(url, wait_until="domcontentloaded")
        except PlaywrightTimeoutError:
            raise AssertionError(
                f"{self.name} stuck at {self.page.url}, refused: {self.refused}"
            ) from None

    def heard(self, response) -> None:
        if response.status == 403 or response.status >= 500:
            self.refused.append(f"{response.status} {response.request.method} {response.url}")


def expected_heading(outcome: Recommendation) -> str:
    if outcome == Recommendation.BOTH:
        return "Your recommendation: both CSM and CSPO"
    return f"Your recommendation: {outcome.label}"


def walk_interleaved(
    browser, base_url: str, count: int, *, side_by_side: bool = True
) -> list[Visitor]:
    """Start ``count`` visitors, then take every step round-robin: each visitor answers and
    presses Next without waiting, and only then does the test wait for all of them, so the
    server sees their requests side by side (with ``side_by_side=False``, each visitor's
    turn ends when its next page has loaded). Returns the visitors on their result pages."""

    def act(visitor: Visitor, action) -> None:
        if side_by_side:
            action()
            return
        with visitor.page.expect_navigation(wait_until="domcontentloaded"):
            action()

    profiles = list(SEEDED_PROFILES.items())
    visitors = []
    for index in range(count):
        name, (answers, expected) = profiles[index % len(profiles)]
        visitor = Visitor(f"visitor {index + 1} ({name})", answers, expected)
        context = browser.new_context()
        context.on("response", visitor.heard)
        visitor.page = context.new_page()
        visitor.page.set_default_timeout(20_000)
        visitors.append(visitor)

    for visitor in visitors:
        visitor.page.goto(base_url + "/wizard/")
    for visitor in visitors:
        start = visitor.page.get_by_role("button", name="Start the quiz")
        act(visitor, lambda start=start: start.click(no_wait_after=True))
    # Each profile's path has its own length (people new to Scrum get one more question).
    for number in range(1, max(len(v.answers) for v in visitors) + 1):
        on_step = [v for v in visitors if number <= len(v.answers)]
        for visitor in on_step:
            visitor.arrive(step(number))
        for visitor in on_step:
            # One round trip per visitor and step (twenty visitors' worth of Playwright's
            # actionability waits took over a minute): the page ticks the answers and
            # clicks the button itself, so the browser still posts the real form.
            answers = visitor.answers[number - 1]
            act(visitor, lambda v=visitor, a=answers: v.page.evaluate(ANSWER, a))
    for visitor in visitors:
        visitor.arrive(RESULT)
    return visitors


def assert_each_got_its_own_result(visitors: list[Visitor]) -> None:
    refused = [f"{v.name}: {r}" for v in visitors for r in v.refused]
    assert refused == [], "\n".join(refused)
    shown = {v.name: v.page.locator("h1").inner_text().strip() for v in visitors}
    wanted = {v.name: expected_heading(v.expected) for v in visitors}
    assert shown == wanted
    # Each visitor finished an attempt of their own.
    assert len({v.page.url for v in visitors}) == len(visitors)
    for visitor in visitors:
        visitor.page.context.close()


def test_two_visitors_interleaved_each_reach_their_own_result(
    browser, live_server, seeded_questionnaire
):
    # Django's live server hands one in-memory SQLite connection to all its request
    # threads, so two requests at the same instant collide in the test harness ("cannot
    # start a transaction within a transaction"); there the visitors take strict turns.
    # The gunicorn test below sends twenty side by side to real workers.
    from django.db import connection

    side_by_side = connection.vendor != "sqlite"
    visitors = walk_interleaved(browser, live_server.url, 2, side_by_side=side_by_side)

    assert [v.expected for v in visitors] == [Recommendation.CSM, Recommendation.CSPO]
    assert_each_got_its_own_result(visitors)


# --- gunicorn with the production settings, Redis as the cache ---------------------------


def redis_is_up() -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", 6379)) == 0


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def flush_redis() -> None:
    import redis

    redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()


class ScratchDatabase:
    """A database of the server's own: a file in ``directory`` on SQLite, or a fresh
    PostgreSQL database beside the suite's when DATABASE_URL names PostgreSQL."""

    def __init__(self, directory: Path) -> None:
        configured = os.environ.get("DATABASE_URL", "")
        self.postgres = configured.startswith(("postgres://", "postgresql://"))
        if self.postgres:
            parts = urlsplit(configured)
            self.name = (parts.path.lstrip("/") or "certguide") + "_gunicorn"
            self.url = urlunsplit(parts._replace(path="/" + self.name))
            self.admin_url = urlunsplit(parts._replace(path="/postgres"))
        else:
            # Two workers write at once: a deferred transaction that reads and then writes
            # cannot wait for the other's lock (SQLite answers "database is locked" at once,
            # served as a 503); IMMEDIATE takes the write lock first and waits its turn.
            path = directory / "db.sqlite3"
            self.url = f"sqlite:///{path}?transaction_mode=IMMEDIATE&timeout=20"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(sql)

    def create(self) -> None:
        if self.postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        if self.postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def production_env(directory: Path, database_url: str, port: int) -> dict[str, str]:
    """The production settings (DJANGO_DEBUG unset) on plain http, as bench/lib.sh sets
    them, with nothing inherited from the suite's own settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "GUNICORN_")) and k not in ("DATABASE_URL", "CACHE_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="certguide.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
        DJANGO_STATIC_ROOT=str(directory / "static"),
        DATABASE_URL=database_url,
        CACHE_URL=f"redis://127.0.0.1:6379/{REDIS_DB}",
        EMAIL_URL="dummymail://",
        TASKS_BACKEND="immediate",
        SITE_URL=f"http://127.0.0.1:{port}",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="2",
    )
    return env


def wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
    for _ in range(150):
        if server.poll() is not None:
            raise AssertionError(f"gunicorn exited during start-up:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (http://127.0.0.1)
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer {url} within 30 s:\n{log.read_text()}")


@pytest.fixture
def production_server(tmp_path) -> Iterator[tuple[str, Path]]:
    """gunicorn (two workers) with the production settings on a migrated database of its
    own and Redis database 10 as the cache, emptied before and after. Yields the base URL
    and the server's log."""
    if not redis_is_up():
        message = "no Redis on 127.0.0.1:6379: the production-server test needs one"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    database = ScratchDatabase(tmp_path)
    port = free_port()
    env = production_env(tmp_path, database.url, port)
    log = tmp_path / "gunicorn.log"
    database.create()
    flush_redis()
    server = None
    try:
        # Side by side: together they are most of the fixture's time.
        setup = [
            subprocess.Popen(
                [sys.executable, "manage.py", *command, "--no-input", "-v0"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for command in (["migrate"], ["collectstatic"])
        ]
        for process in setup:
            output, _ = process.communicate()
            assert process.returncode == 0, output
        with log.open("w") as out:
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        base_url = f"http://127.0.0.1:{port}"
        wait_until_up(base_url + "/healthz", server, log)
        yield base_url, log
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        flush_redis()
        database.drop()


def test_twenty_visitors_on_gunicorn_with_redis_each_get_the_result_they_deserve(
    browser, production_server
):
    base_url, log = production_server

    visitors = walk_interleaved(browser, base_url, 20)

    assert {v.expected for v in visitors} == set(Recommendation)
    assert_each_got_its_own_result(visitors)
    server_log = log.read_text()
    assert "CSRF" not in server_log, server_log
    assert " 500 " not in server_log, server_log

import os
from datetime import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from wizard.models import Attempt, Questionnaire, Recommendation


def pytest_collection_modifyitems(config, items):
    """Every transactional test restores the rows data migrations seed.

    A transactional test ends by flushing every table. Without serialized rollback the
    flush also re-runs post_migrate (content types, permissions), and the next test that
    does restore the seeded rows then collides with those; the seeded certifications,
    questionnaire, materials and Marketing group would be gone for every later test.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
            name in item.fixturenames for name in ("transactional_db", "live_server")
        )
        if transactional:
            kwargs = {**(marker.kwargs if marker else {}), "transaction": True}
            kwargs["serialized_rollback"] = True
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Make the serialized seed rows visible to every connection wrapper.

    Django keeps them on the connection object that created the test database. Once
    Playwright's event loop runs in the test thread, asgiref hands the test a different
    wrapper for the same database, which would have nothing to restore from; a class
    attribute reaches every wrapper of the backend.
    """
    from django.db import connections

    for alias in connections:
        contents = getattr(connections[alias], "_test_serialized_contents", None)
        if contents is not None:
            type(connections[alias])._test_serialized_contents = contents


@pytest.fixture(autouse=True)
def _clear_cache():
    """Every test starts with an empty cache (rate limits, cached pages)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(execute=True):` runs what the block left for commit time, as a real
    request's commit would (the cache bumps of certguide.generations wait for it)."""
    return django_capture_on_commit_callbacks


# Unique per test process: clear() then removes only this run's keys.
REDIS_TEST_PREFIX = f"test{os.getpid()}"


class Visitor:
    """One person with a browser of their own: own cookie jar, CSRF checks enforced, and
    every form posted the way a browser would, with the token of the page it came from."""

    def __init__(self, name: str) -> None:
        from django.test import Client

        self.name = name
        self.client = Client(enforce_csrf_checks=True)
        self.page = None

    def get(self, url: str, **kwargs):
        self.page = self.client.get(url, **kwargs)
        return self.page

    def submit(self, url: str, data: dict[str, object], **kwargs):
        """POST `data` from the current page's form: its hidden fields (the CSRF token, or
        an embed frame's form token, among them) are carried as a browser carries them."""
        from tests.certguide.conftest import form_data

        hidden = {
            name: value
            for name, value in form_data(self.page.content.decode()).items()
            if name in ("csrfmiddlewaretoken", "embed_token")
            or name.startswith("utm_")
            or name == "referrer"
        }
        return self.client.post(url, {**hidden, **data}, **kwargs)

    def secrets(self) -> set[str]:
        """Every value this visitor's browser holds that nobody else may see."""
        return {morsel.value for morsel in self.client.cookies.values() if morsel.value}


@pytest.fixture
def visitors():
    """`visitors(n)`: n visitors, each with a browser of their own."""
    return lambda n: [Visitor(f"visitor {i + 1}") for i in range(n)]


@pytest.fixture
def real_redis(settings):
    """The production cache backend on the machine's Redis (database 9), under a key prefix
    of this test run's own, so runs side by side do not see each other's keys."""
    import socket

    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 6379)) != 0:
            pytest.skip("no Redis on 127.0.0.1:6379")
    settings.CACHES = {
        "default": {
            "BACKEND": "certguide.cache.TolerantRedisCache",
            "LOCATION": "redis://127.0.0.1:6379/9",
            "KEY_PREFIX": REDIS_TEST_PREFIX,
        }
    }
    from django.core.cache import cache

    cache.clear()
    yield cache
    cache.clear()


def make_attempt(
    *,
    questionnaire: Questionnaire | None = None,
    outcome: str = Recommendation.CSPO,
    csm_score: int | None = 35,
    cspo_score: int | None = 80,
    at: datetime | None = None,
    **fields,
) -> Attempt:
    """A quiz attempt, completed with `outcome` and a frozen result like attempt_complete's;
    with outcome="" one still in progress (at its `step`). On `questionnaire` (or
    `questionnaire_id`), else on a new inactive one. `at`: when it started (and, if
    completed, finished), for tests that count by date."""
    if questionnaire is None and "questionnaire_id" not in fields:
        questionnaire = Questionnaire.objects.create(name="Test questionnaire")
    moment = at or timezone.now()
    defaults: dict = {"outcome": outcome}
    if questionnaire is not None:
        defaults["questionnaire"] = questionnaire
    if outcome:
        defaults |= {
            "completed_at": moment,
            "csm_score": csm_score,
            "cspo_score": cspo_score,
            "result": {
                "answers": [
                    {"question": "What energises you?", "choices": ["Shaping the product"]}
                ],
                "reasons": ["You are energised by deciding what the product should be."],
            },
        }
    attempt = Attempt.objects.create(**(defaults | fields))
    if at is not None:  # started_at is set on insert; move it as the test asks.
        Attempt.objects.filter(pk=attempt.pk).update(started_at=at)
        attempt.started_at = at
    return attempt

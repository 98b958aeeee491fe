"""The SSRF guard: https only and public addresses only, at save time and at connect time."""

import pytest
from django.core.exceptions import ValidationError

from integrations.http import UnsafeDestination, check_destination
from integrations.models import Delivery
from leads.services import lead_confirm, lead_subscribe
from tests.integrations.conftest import make_endpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def guarded(settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE = False


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.215.14/hook",  # plain http
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://172.16.5.4/hook",
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[fd00::1]/hook",
        "https://0.0.0.0/hook",
        "https://100.64.0.1/hook",  # carrier-grade NAT
    ],
)
def test_private_and_plain_http_destinations_are_refused(guarded, url):
    with pytest.raises(UnsafeDestination):
        check_destination(url)
    with pytest.raises(ValidationError):
        make_endpoint(url)


def test_a_public_https_address_is_accepted_and_pinned(guarded):
    assert check_destination("https://93.184.215.14/hook") == "93.184.215.14"


def test_the_guard_is_checked_again_at_connect_time(
    server, settings, django_capture_on_commit_callbacks
):
    # Saved while allowed (as if the name resolved to a public address then), sent after.
    make_endpoint(server.url)
    settings.INTEGRATIONS_ALLOW_PRIVATE = False
    with django_capture_on_commit_callbacks(execute=True):
        lead = lead_subscribe(email="ada@example.com", consent_version="2026-11")
        lead_confirm(lead=lead)

    delivery = Delivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.last_error.startswith("Refused: The address must start with https://")
    assert server.seen == []


def test_check_deploy_fails_without_an_encryption_key():
    from tests.test_security import PRODUCTION_ENV, run_production

    result = run_production("manage.py", "check", "--deploy", INTEGRATIONS_ENCRYPTION_KEYS="")
    assert result.returncode != 0
    assert "integrations.E001" in result.stderr
    assert PRODUCTION_ENV["INTEGRATIONS_ENCRYPTION_KEYS"]

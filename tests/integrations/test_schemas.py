"""Real payloads of every event validate against the JSON Schemas in docs/integrations.md."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from jsonschema import Draft202012Validator

from certguide.campaign import Tracking
from integrations.models import EventType
from integrations.services import endpoint_send_test
from leads.models import Lead
from leads.services import lead_confirm, lead_subscribe, lead_unsubscribe, leads_erase
from tests.conftest import make_attempt
from tests.integrations.conftest import make_endpoint, verified

pytestmark = pytest.mark.django_db

DOC = Path(settings.BASE_DIR) / "docs" / "integrations.md"


def documented_schemas() -> dict[str, dict]:
    blocks = re.findall(r"<!-- schema: ([\w.]+) -->\n```json\n(.*?)\n```", DOC.read_text(), re.S)
    return {name: json.loads(body) for name, body in blocks}


def test_every_event_type_has_a_valid_schema():
    schemas = documented_schemas()
    assert set(schemas) == set(EventType.values)
    for schema in schemas.values():
        Draft202012Validator.check_schema(schema)


def test_real_payloads_match_their_schemas(server, django_capture_on_commit_callbacks):
    endpoint, secret = make_endpoint(server.url, [t for t in EventType.values if t != "test"])
    commits = lambda: django_capture_on_commit_callbacks(execute=True)  # noqa: E731
    with commits():
        lead = lead_subscribe(
            email="ada@example.com",
            first_name="Ada",
            consent_version="2026-11",
            attempt=make_attempt(),
            tracking=Tracking(utm_source="newsletter"),
        )
        lead_confirm(lead=lead)
    with commits():
        changed = lead_subscribe(
            email="ada@example.com", first_name="Adele", consent_version="2026-11"
        )
        # The new name counts once the owner confirms it through the mailed link.
        lead_confirm(lead=changed)
    with commits():
        lead_unsubscribe(lead=Lead.objects.get())
    with commits():
        leads_erase(leads=Lead.objects.all())
    with commits():
        endpoint_send_test(endpoint=endpoint)
    with commits():
        bare = lead_subscribe(email="bob@example.com", consent_version="2026-11")
        lead_confirm(lead=bare)  # No quiz: outcome, scores and result_url are null.

    schemas = documented_schemas()
    bodies = [verified(seen, secret) for seen in server.seen]
    assert [b["type"] for b in bodies] == [
        "lead.confirmed",
        "lead.updated",
        "lead.unsubscribed",
        "lead.erased",
        "test",
        "lead.confirmed",
    ]
    for body in bodies:
        errors = [e.message for e in Draft202012Validator(schemas[body["type"]]).iter_errors(body)]
        assert errors == [], body["type"]

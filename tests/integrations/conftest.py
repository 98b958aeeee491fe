"""Real HTTP servers on 127.0.0.1 for webhooks and the email-service fakes."""

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from integrations.models import Connection, Endpoint
from integrations.services import endpoint_create
from leads.models import Lead
from leads.tokens import Purpose, make_token


@dataclass
class Seen:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


# (status, headers, body); a callable answer may also block (a stalled server).
Answer = tuple[int, dict, bytes]


@dataclass
class Server:
    """A threaded HTTP server that records every request and answers from a script:
    queued answers first, then `respond(seen)`, else 200."""

    httpd: ThreadingHTTPServer
    seen: list[Seen] = field(default_factory=list)
    queued: list[Answer] = field(default_factory=list)
    respond: Callable[[Seen], Answer] | None = None
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, seen: Seen) -> Answer:
        if self.queued:
            return self.queued.pop(0)
        if self.respond is not None:
            return self.respond(seen)
        return 200, {}, b"ok"


def start_server() -> Server:
    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            parts = urlsplit(self.path)
            seen = Seen(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            server.seen.append(seen)
            status, headers, body = server.answer(seen)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    server = Server(httpd=httpd)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def server():
    started = start_server()
    yield started
    started.release.set()  # Let a stalled answer finish before shutting down.
    started.httpd.shutdown()
    started.httpd.server_close()


@pytest.fixture
def server_factory():
    started: list[Server] = []

    def make() -> Server:
        started.append(start_server())
        return started[-1]

    yield make
    for one in started:
        one.release.set()
        one.httpd.shutdown()
        one.httpd.server_close()


def verified(seen: Seen, secret: str) -> dict:
    """The body, if the official Standard Webhooks verifier accepts the request."""
    return Webhook(secret).verify(seen.body, seen.headers)


def verifies(seen: Seen, secret: str) -> bool:
    try:
        verified(seen, secret)
    except WebhookVerificationError:
        return False
    return True


def make_endpoint(url: str, events: list[str] | None = None) -> tuple[Endpoint, str]:
    return endpoint_create(url=url, events=events or ["lead.confirmed"], description="CRM")


def make_connection(kind: str, url: str, **fields) -> Connection:
    connection = Connection(
        name=f"{kind} test", kind=kind, api_base_url=url, **({"list_id": "7"} | fields)
    )
    connection.set_api_key("key-123-us9")
    connection.save()
    return connection


def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def sign_up_and_confirm(client: Client, email: str, first_name: str = "Ada") -> Lead:
    """Sign up and confirm through the site, as a visitor with a CSRF-checking client."""
    page = client.get("/free-training/")
    token = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else None
    token = token or client.cookies["csrftoken"].value
    response = client.post(
        "/free-training/",
        {"email": email, "first_name": first_name, "consent": "on", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302, response.content[:500]
    lead = Lead.objects.with_email(email).get()
    confirm_url = f"/free-training/confirm/{make_token(lead=lead, purpose=Purpose.CONFIRM)}/"
    client.get(confirm_url)
    response = client.post(confirm_url, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert response.status_code in (200, 302)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONFIRMED
    return lead


def confirm_lead(email: str = "ada@example.com") -> Lead:
    """Sign up and confirm through the services, as the site's views do."""
    from leads.services import lead_confirm, lead_subscribe

    return lead_confirm(lead=lead_subscribe(email=email, consent_version="2026-11"))

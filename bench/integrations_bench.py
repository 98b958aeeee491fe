"""Benchmark of integrations (issue 14): webhook delivery throughput and the visitor's cost.

In one run, on a PostgreSQL database of its own (dropped and created again at the start,
dropped at the end unless --keep):

1. Visitor cost. With the database tasks backend (production's), a visitor signs up and
   confirms through Django's test client (the whole request: middleware, view, services,
   the outbox, the task queued at commit), in alternating blocks with 0 and with 10
   active endpoints. Median and 95th percentile per request; the 0-endpoint figures are
   the floor.
2. Delivery. N confirmed leads (10,000 by default) are written to the outbox for one
   endpoint, a local receiver on 127.0.0.1 (verifying every signature with the official
   standardwebhooks verifier, counting webhook-ids), and `manage.py db_worker`
   processes drain the queue. Time to drain and throughput, for 1 and 2 workers. The
   floor: one thread signing and posting the same N bodies with the same client, no
   database and no queue.

Run from the project root, with PostgreSQL reachable:

    .venv/bin/python bench/integrations_bench.py
    .venv/bin/python bench/integrations_bench.py --leads 10000 --workers 1 2 --visits 200
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
sys.path.insert(0, str(ROOT))


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def bench_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "certguide.settings",
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-secret-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "SITE_URL": "http://127.0.0.1",
        "TASKS_BACKEND": "database",
        "EMAIL_URL": "dummymail://",
        "DJANGO_LOG_LEVEL": "WARNING",
        "SIGNUP_RATE_LIMIT": "1000000/m",
        "SIGNUP_DAILY_LIMIT": "1000000/d",
        "INTEGRATIONS_ALLOW_PRIVATE": "1",
        "INTEGRATIONS_ENCRYPTION_KEYS": "YmVuY2gtb25seS1rZXktZm9yLWNlcnRndWlkZS14eHg=",
    }


class Receiver:
    """A webhook receiver that verifies each request and counts distinct webhook-ids."""

    def __init__(self) -> None:
        self.secret = ""
        self.ids: set[str] = set()
        self.requests = 0
        self.bad = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # Keep-alive, as a real receiver would.

            def do_POST(self) -> None:
                from standardwebhooks.webhooks import Webhook, WebhookVerificationError

                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    Webhook(receiver.secret).verify(body, dict(self.headers))
                    ok = True
                except WebhookVerificationError:
                    ok = False
                with receiver.lock:
                    receiver.requests += 1
                    if ok:
                        receiver.ids.add(self.headers["webhook-id"])
                    else:
                        receiver.bad += 1
                self.send_response(200 if ok else 400)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks"

    def reset(self) -> None:
        with self.lock:
            self.ids, self.requests, self.bad = set(), 0, 0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def visitor_cost(visits: int) -> dict[int, dict[str, list[float]]]:
    """Sign-up and confirmation times, alternating blocks of 0 and 10 active endpoints."""
    from django.test import Client

    from integrations.models import Endpoint
    from integrations.services import endpoint_create
    from leads.models import Lead
    from leads.tokens import Purpose, make_token

    for n in range(10):
        endpoint_create(url=f"http://127.0.0.1:9/hook{n}", events=["lead.confirmed"])
    timings: dict[int, dict[str, list[float]]] = {0: {"signup": [], "confirm": []}}
    timings[10] = {"signup": [], "confirm": []}
    block = 10
    # Round 0 warms up (imports, caches, connections) and is not counted.
    for round_number in range(visits // block + 1):
        endpoints = 10 if round_number % 2 else 0
        Endpoint.objects.update(is_active=bool(endpoints))
        for n in range(block):
            client = Client()
            email = f"visitor{round_number}-{n}@example.com"
            start = time.perf_counter()
            response = client.post("/free-training/", {"email": email, "consent": "on"})
            signup = time.perf_counter() - start
            assert response.status_code == 302, response.status_code
            lead = Lead.objects.get(email=email)
            url = f"/free-training/confirm/{make_token(lead=lead, purpose=Purpose.CONFIRM)}/"
            start = time.perf_counter()
            response = client.post(url)
            confirm = time.perf_counter() - start
            assert response.status_code == 302, response.status_code
            if round_number:
                timings[endpoints]["signup"].append(signup)
                timings[endpoints]["confirm"].append(confirm)
    Endpoint.objects.all().delete()
    return timings


def fill_outbox(count: int, endpoint_url: str) -> str:
    """N confirmed leads and their lead.confirmed events for one endpoint; the secret."""
    from django.db import transaction
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from integrations.models import Delivery, Endpoint, Event
    from integrations.payloads import lead_data
    from integrations.services import endpoint_create, event_record
    from leads.models import Lead

    Event.objects.all().delete()
    Delivery.objects.all().delete()
    Endpoint.objects.all().delete()
    DBTaskResult.objects.all().delete()
    _, secret = endpoint_create(url=endpoint_url, events=["lead.confirmed"])
    now = timezone.now()
    Lead.objects.filter(email__startswith="bench").delete()
    leads = Lead.objects.bulk_create(
        Lead(
            email=f"bench{n}@example.com",
            first_name="Ada",
            status=Lead.Status.CONFIRMED,
            consent_at=now,
            consent_version="bench",
            confirmed_at=now,
        )
        for n in range(count)
    )
    for start in range(0, count, 500):
        with transaction.atomic():
            for lead in leads[start : start + 500]:
                event_record(type="lead.confirmed", data=lead_data(lead), lead_id=lead.pk)
    return secret


def floor(count: int, receiver: Receiver) -> float:
    """One thread signing and posting every body with the shared client: no database."""
    import json

    from django.utils import timezone

    from integrations.http import send, shared_client
    from integrations.models import Endpoint, Event
    from integrations.services import sign

    endpoint = Endpoint.objects.get()
    events = list(Event.objects.all()[:count])
    bodies = [
        (f"msg_floor{n}", json.dumps(e.envelope(), separators=(",", ":")))
        for n, e in enumerate(events)
    ]
    client = shared_client()
    start = time.perf_counter()
    for webhook_id, body in bodies:
        headers = sign(endpoint=endpoint, webhook_id=webhook_id, body=body, at=timezone.now())
        response = send(client, "POST", endpoint.url, headers=headers, content=body.encode())
        assert response.status_code == 200
    return time.perf_counter() - start


def drain(count: int, workers: int, env: dict[str, str]) -> tuple[float, float]:
    """Start the workers; seconds until every delivery is delivered, and CPU seconds."""
    from integrations.models import Delivery

    processes = [
        subprocess.Popen(
            [PYTHON, "manage.py", "db_worker", "--interval", "0.05", "--no-startup-delay"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    start = time.perf_counter()
    before = os.times()
    try:
        while Delivery.objects.filter(status="delivered").count() < count:
            if time.perf_counter() - start > 3600:
                raise SystemExit("Gave up after an hour")
            time.sleep(0.25)
        elapsed = time.perf_counter() - start
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(60)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--name", default="certguide_i14_bench")
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--visits", type=int, default=200)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    database_url = f"{args.server}/{args.name}"
    env = bench_env(database_url)
    os.environ.update(env)
    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.name}"')
    try:
        log("migrating")
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        import django

        django.setup()

        log(f"visitor cost: {args.visits} sign-ups and confirmations")
        timings = visitor_cost(args.visits)
        print("\n| endpoints | step | requests | median | p95 |")
        print("|---:|---|---:|---:|---:|")
        for endpoints, steps in timings.items():
            for step, values in steps.items():
                print(
                    f"| {endpoints} | {step} | {len(values)} | "
                    f"{statistics.median(values) * 1000:.1f} ms | "
                    f"{percentile(values, 0.95) * 1000:.1f} ms |"
                )
        for step in ("signup", "confirm"):
            ratio = statistics.median(timings[10][step]) / statistics.median(timings[0][step])
            print(f"\n{step}: median with 10 endpoints / with none = {ratio:.2f}x")

        receiver = Receiver()
        print("\n| delivery of | workers | drain | throughput | worker CPU | vs floor |")
        print("|---:|---:|---:|---:|---:|---:|")
        log(f"outbox: {args.leads} leads")
        receiver.secret = fill_outbox(args.leads, receiver.url)
        floor_seconds = floor(args.leads, receiver)
        print(
            f"| {args.leads:,} | floor (1 thread, no DB) | {floor_seconds:.1f} s | "
            f"{args.leads / floor_seconds:.0f}/s | | 1.00x |"
        )
        for workers in args.workers:
            log(f"outbox: {args.leads} leads, {workers} worker(s)")
            receiver.secret = fill_outbox(args.leads, receiver.url)
            receiver.reset()
            elapsed, cpu = drain(args.leads, workers, env)
            assert receiver.bad == 0
            assert len(receiver.ids) == args.leads, (len(receiver.ids), args.leads)
            print(
                f"| {args.leads:,} | {workers} | {elapsed:.1f} s | {args.leads / elapsed:.0f}/s | "
                f"{cpu:.1f} s | {elapsed / floor_seconds:.2f}x |"
            )
            print(f"  receiver: {receiver.requests} requests, {len(receiver.ids)} distinct ids")
        receiver.httpd.shutdown()
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{args.name}" WITH (FORCE)')


if __name__ == "__main__":
    main()

"""Benchmark of the leads CSV export on PostgreSQL.

In one run, on a database of its own (dropped and created again at the start, dropped
at the end unless --keep; with --reuse, one that already holds the largest size is kept
and measured at that size alone):

1. migrates it, then fills it by COPY with 100k leads (and half as many wizard
   attempts, which the export joins for the scores);
2. measures `manage.py export_leads --output FILE`: wall time and peak memory (maximum
   RSS from /usr/bin/time -v) of the whole command, and the same for a command that
   exports no row (the fixed cost of starting Django), against psql's `\\copy` of the
   same columns, joined and ordered the same way, as the floor;
3. adds 900k leads (1M in all) and measures again;
4. at 1M, starts gunicorn (one sync worker) on a free port and times the admin's
   "Export all matching leads" over real HTTP as a logged-in superuser: time to the
   first byte, to the first data row, and to the last byte.

It prints a table with the ratios and the targets: peak memory at 1M within 10% of
100k; export within 2x of \\copy; first byte under 1 s.

Run from the project root, with PostgreSQL reachable:

    python3 bench/export_bench.py
    python3 bench/export_bench.py --server postgres://postgres@127.0.0.1:5432 \\
        --sizes 100000 1000000 --repeat 3 --keep
    python3 bench/export_bench.py --database certguide_bench --reuse --keep  # filled before
"""

import argparse
import datetime as dt
import http.client
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
# From a fresh clone too: make the virtualenv, then run this script again inside it.
if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
    subprocess.run(["make", "--no-print-directory", "-s", "install"], cwd=ROOT, check=True)
    os.execv(PYTHON, [PYTHON, *sys.argv])  # noqa: S606 (our own virtualenv's interpreter)

import psycopg  # noqa: E402 (needs the virtualenv above)

BASE_TIME = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)

FIRST_NAMES = ["Ada", "Zoë", "李小龍", "Ólafur", "", "Сергей", '=HYPERLINK("x")', "-minus", "Bob"]
PLACEMENTS = ["home-hero", "result", "compare", "choose", "", "csm-page", "cspo-page"]
SOURCES = ["newsletter", "linkedin", "google", "", "twitter", "partner", "@handle", "bing"]
STATUSES = ["confirmed"] * 6 + ["pending"] * 3 + ["unsubscribed"]
OUTCOMES = ["CSM", "CSPO", "BOTH"]

LEAD_COLUMNS = [
    "email",
    "first_name",
    "status",
    "consent_at",
    "consent_version",
    "placement",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "referrer",
    "outcome",
    "created_at",
    "confirmed_at",
    "last_email_error",
    "attempt_id",
    "public_id",
    "signup_round",
    "pending_signup",
]
ATTEMPT_COLUMNS = [
    "id",
    "answers",
    "step",
    "started_at",
    "updated_at",
    "completed_at",
    "csm_score",
    "cspo_score",
    "outcome",
    "result",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "referrer",
    "questionnaire_id",
    "path",
]

# The export's columns, raw: what psql's \copy writes as the floor.
FLOOR_SELECT = """
SELECT l.email, l.first_name, l.status, l.outcome, a.csm_score, a.cspo_score, l.placement,
       l.utm_source, l.utm_medium, l.utm_campaign, l.utm_term, l.utm_content, l.consent_at,
       l.consent_version, l.created_at, l.confirmed_at
FROM leads_lead l LEFT OUTER JOIN wizard_attempt a ON a.id = l.attempt_id
ORDER BY l.created_at, l.id
"""

# The yardstick: the whole table as it is, no join, no order.
PLAIN_SELECT = "SELECT * FROM leads_lead"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def site_env(database_url: str) -> dict[str, str]:
    """The environment of a production-like certguide process on the bench database."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-secret-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "SITE_URL": "http://127.0.0.1",
        "TASKS_BACKEND": "immediate",
        "EMAIL_URL": "consolemail://",
        "DJANGO_LOG_LEVEL": "WARNING",
        "GUNICORN_LOG_LEVEL": "warning",
    }


def recreate_database(server: str, name: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(server: str, name: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def lead_count(database_url: str) -> int | None:
    try:
        with psycopg.connect(database_url) as conn:
            return conn.execute("SELECT count(*) FROM leads_lead").fetchone()[0]
    except psycopg.Error:
        return None


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def fill(database_url: str, start: int, count: int) -> None:
    """Add leads start..start+count-1 by COPY; every second lead links an attempt."""
    rng = random.Random(start)
    with psycopg.connect(database_url) as conn:
        questionnaire = conn.execute(
            "SELECT id FROM wizard_questionnaire ORDER BY is_active DESC, id LIMIT 1"
        ).fetchone()[0]
        attempts: dict[int, tuple[uuid.UUID, str]] = {}
        with conn.cursor() as cur:
            with cur.copy(f"COPY wizard_attempt ({', '.join(ATTEMPT_COLUMNS)}) FROM STDIN") as cp:
                for i in range(start, start + count, 2):
                    when = BASE_TIME + dt.timedelta(seconds=i)
                    attempt_id, outcome = uuid.UUID(int=rng.getrandbits(128)), OUTCOMES[i % 3]
                    attempts[i] = (attempt_id, outcome)
                    csm = rng.randrange(101)
                    cp.write_row(
                        (attempt_id, "{}", 5, when, when, when, csm, 100 - csm, outcome, "{}")
                        + ("",) * 6
                        + (questionnaire, "[]")
                    )
            with cur.copy(f"COPY leads_lead ({', '.join(LEAD_COLUMNS)}) FROM STDIN") as cp:
                for i in range(start, start + count):
                    when = BASE_TIME + dt.timedelta(seconds=i)
                    status = STATUSES[i % len(STATUSES)]
                    attempt_id, outcome = attempts.get(i, (None, ""))
                    cp.write_row(
                        (
                            f"lead{i}@example.com",
                            FIRST_NAMES[i % len(FIRST_NAMES)],
                            status,
                            when,
                            "2026-11",
                            PLACEMENTS[i % len(PLACEMENTS)],
                            SOURCES[i % len(SOURCES)],
                            "email" if i % 2 else "cpc",
                            f"campaign-{i % 40}",
                            "scrum master" if i % 3 else "",
                            "",
                            "",
                            outcome,
                            when,
                            when + dt.timedelta(hours=1) if status != "pending" else None,
                            "",
                            attempt_id,
                            uuid.UUID(int=rng.getrandbits(128)),
                            1,
                            "{}",
                        )
                    )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE leads_lead")
        conn.execute("VACUUM ANALYZE wizard_attempt")


def timed_run(command: list[str], env: dict[str, str]) -> tuple[float, int, float]:
    """Wall seconds, peak RSS (KiB) and CPU seconds of a command (/usr/bin/time -v)."""
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-v", *command], cwd=ROOT, env=env, capture_output=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"{command} failed:\n{done.stderr.decode()[-2000:]}")
    rss = int(re.search(rb"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    cpu = sum(
        float(re.search(rb"%s time \(seconds\): ([\d.]+)" % kind, done.stderr).group(1))
        for kind in (b"User", b"System")
    )
    return elapsed, rss, cpu


def line_count(path: Path) -> int:
    # The generated data holds no line break inside a value.
    with path.open("rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


def measure(env: dict[str, str], database_url: str, workdir: Path, rows: int, repeat: int):
    out = workdir / "export.csv"
    floor_out = workdir / "floor.csv"
    export_command = [PYTHON, "manage.py", "export_leads", "--output", str(out)]
    empty_command = [
        *export_command[:-1],
        str(workdir / "empty.csv"),
        "--placement",
        "no-such-placement",
    ]
    floor_command = [
        "psql",
        database_url,
        "-q",
        "-c",
        f"\\copy ({' '.join(FLOOR_SELECT.split())}) TO '{floor_out}' WITH (FORMAT csv)",
    ]
    plain_command = [
        "psql",
        database_url,
        "-q",
        "-c",
        f"\\copy ({PLAIN_SELECT}) TO '{workdir / 'plain.csv'}' WITH CSV",
    ]
    exports, floors, plains, empties, rss, cpus = [], [], [], [], [], []
    for _ in range(repeat):
        seconds, peak, cpu = timed_run(export_command, env)
        exports.append(seconds)
        rss.append(peak)
        cpus.append(cpu)
        empties.append(timed_run(empty_command, env)[0])
        floors.append(timed_run(floor_command, env)[0])
        plains.append(timed_run(plain_command, env)[0])
    # Both files hold every row; the export has a header line too.
    assert line_count(out) - 1 == rows == line_count(floor_out), (line_count(out), rows)
    return {
        "rows": rows,
        "export_s": statistics.median(exports),
        "empty_s": statistics.median(empties),
        "floor_s": statistics.median(floors),
        "plain_s": statistics.median(plains),
        "rss_kib": max(rss),
        "cpu_s": statistics.median(cpus),
        "load": os.getloadavg()[0],
        "bytes": out.stat().st_size,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def superuser_session(env: dict[str, str]) -> tuple[str, str]:
    """Create a superuser and a logged-in session; return (cookie name, session key)."""
    script = (
        "from django.conf import settings\n"
        "from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY\n"
        "from django.contrib.auth.models import User\n"
        "from django.contrib.sessions.backends.db import SessionStore\n"
        "user = User.objects.filter(username='bench').first() or User.objects.create_superuser(\n"
        "    'bench', 'bench@example.com', 'bench-pass-123'\n"
        ")\n"
        "s = SessionStore()\n"
        "s[SESSION_KEY] = str(user.pk)\n"
        "s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'\n"
        "s[HASH_SESSION_KEY] = user.get_session_auth_hash()\n"
        "s.create()\n"
        "print(settings.SESSION_COOKIE_NAME, s.session_key)\n"
    )
    done = subprocess.run(
        [PYTHON, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=True,
    )
    name, key = done.stdout.decode().split()[-2:]
    return name, key


def time_admin_export(env: dict[str, str], workdir: Path) -> dict[str, float]:
    cookie_name, session_key = superuser_session(env)
    port = free_port()
    server_env = {
        **env,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_TIMEOUT": "300",
    }
    log_file = (workdir / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [str(Path(PYTHON).parent / "gunicorn")],
        cwd=ROOT,
        env=server_env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"gunicorn did not start; see {workdir / 'gunicorn.log'}")
            time.sleep(0.2)
        # A warm-up request so the worker has imported the admin and opened its connection.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        headers = {"Cookie": f"{cookie_name}={session_key}", "Host": "127.0.0.1"}
        conn.request("GET", "/admin/leads/lead/?q=no-such-lead", headers=headers)
        warm = conn.getresponse()
        warm.read()
        assert warm.status == 200, warm.status
        # The export is a POST behind the CSRF check: its page hands out the token.
        conn.request("GET", "/admin/leads/lead/export/", headers=headers)
        page = conn.getresponse()
        page.read()
        assert page.status == 200, page.status
        token = SimpleCookie(page.headers["Set-Cookie"])["csrftoken"].value
        headers = {
            **headers,
            "Cookie": f"{cookie_name}={session_key}; csrftoken={token}",
            "X-CSRFToken": token,
            "Content-Length": "0",
        }

        started = time.perf_counter()
        conn.request("POST", "/admin/leads/lead/export/", headers=headers)
        response = conn.getresponse()
        assert response.status == 200, response.status
        first = response.read1(1 << 16)
        first_byte = time.perf_counter() - started
        received = len(first)
        data_row_at = None
        while chunk := response.read1(1 << 16):
            if data_row_at is None:
                data_row_at = time.perf_counter() - started
            received += len(chunk)
        total = time.perf_counter() - started
        conn.close()
        return {
            "first_byte_s": first_byte,
            "first_row_s": data_row_at or total,
            "total_s": total,
            "bytes": received,
        }
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log_file.close()


def report(results: list[dict], admin: dict[str, float] | None) -> str:
    small, large = results[0], results[-1]
    lines = [
        "| leads | export_leads | start-up alone | psql \\copy, same columns | export / that "
        "| \\copy of SELECT * | export / that "
        "| export CPU (user+sys) | peak RSS | CSV size | load avg |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['rows']:,} | {r['export_s']:.2f} s | {r['empty_s']:.2f} s "
            f"| {r['floor_s']:.2f} s | {r['export_s'] / r['floor_s']:.2f}x "
            f"| {r['plain_s']:.2f} s | {r['export_s'] / r['plain_s']:.2f}x "
            f"| {r['cpu_s']:.2f} s | {r['rss_kib'] / 1024:.1f} MiB | {r['bytes'] / 1e6:.0f} MB "
            f"| {r['load']:.1f} |"
        )
    memory_ratio = large["rss_kib"] / small["rss_kib"]
    export_ratio = large["export_s"] / large["floor_s"]
    plain_ratio = large["export_s"] / large["plain_s"]
    lines += [
        "",
        "| target | measured | met |",
        "|---|---:|:---:|",
        f"| peak memory at {large['rows']:,} within 10% of {small['rows']:,} "
        f"| {memory_ratio:.3f}x | {'yes' if memory_ratio <= 1.10 else 'NO'} |",
        f"| export within 2x of \\copy (same columns) at {large['rows']:,} "
        f"| {export_ratio:.2f}x | {'yes' if export_ratio <= 2 else 'NO'} |",
        f"| export within 2x of \\copy ({PLAIN_SELECT}) at {large['rows']:,} "
        f"| {plain_ratio:.2f}x | {'yes' if plain_ratio <= 2 else 'NO'} |",
    ]
    if admin:
        lines.append(
            f"| admin export first byte under 1 s at {large['rows']:,} "
            f"| {admin['first_byte_s'] * 1000:.0f} ms "
            f"| {'yes' if admin['first_byte_s'] < 1 else 'NO'} |"
        )
        lines += [
            "",
            f"Admin export over HTTP (gunicorn, 1 sync worker) at {large['rows']:,} leads: "
            f"first byte {admin['first_byte_s'] * 1000:.0f} ms, first data row "
            f"{admin['first_row_s'] * 1000:.0f} ms, last byte {admin['total_s']:.2f} s "
            f"({admin['bytes'] / 1e6:.0f} MB).",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="certguide_bench")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measure; medians")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database if it holds the largest size; measure at that size alone",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    sizes = sorted(args.sizes)
    database_url = f"{args.server}/{args.database}"
    env = site_env(database_url)
    workdir = Path(tempfile.mkdtemp(prefix="certguide-export-bench-"))
    # Production settings name static files from a manifest: the admin pages need it.
    env["DJANGO_STATIC_ROOT"] = str(workdir / "static")
    try:
        results, filled = [], 0
        if args.reuse and lead_count(database_url) == sizes[-1]:
            log(f"reusing {args.database} with {sizes[-1]:,} leads")
            filled = sizes[-1]
            sizes = [filled]
        else:
            log(f"recreating {args.database}")
            recreate_database(args.server, args.database)
        manage(env, "migrate", "--no-input", "-v", "0")
        manage(env, "collectstatic", "--no-input", "-v", "0")
        for size in sizes:
            if size > filled:
                log(f"filling to {size:,} leads by COPY")
                started = time.perf_counter()
                fill(database_url, filled, size - filled)
                filled = size
                log(f"filled in {time.perf_counter() - started:.1f} s; measuring")
            results.append(measure(env, database_url, workdir, size, args.repeat))
            log(f"{results[-1]}")
        log("admin export over HTTP")
        admin = time_admin_export(env, workdir)
        log(f"{admin}")
        print(report(results, admin))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if not args.keep:
            drop_database(args.server, args.database)
            log(f"dropped {args.database}")


if __name__ == "__main__":
    main()

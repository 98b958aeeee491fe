"""Benchmark of the leads admin at a million leads on PostgreSQL.

In one run, on a database of its own (created and migrated unless it already holds the
leads, see --reuse; dropped at the end unless --keep):

1. fills it in SQL (generate_series, a few seconds a million rows) with --leads leads
   spread over two years up to now, a third of them German, and as many wizard
   attempts, then VACUUM ANALYZE;
2. logs in a staff user with view access to leads (Django's test Client, in this
   process, production settings: DEBUG off) and requests each admin page the marketers
   use: the changelist, a search by email and by first name, every list filter, the
   date hierarchy's drill-down (year, month, day) and the dashboard (last 30 days and a
   whole year); one warm-up, then --repeat timed requests each;
3. prints a table: median and slowest time, queries per request and the slowest query.

The target (issue 18) is each page under 300 ms. Timings are of the view in-process,
without HTTP; run it on an idle machine.

    python3 bench/admin_bench.py
    python3 bench/admin_bench.py --database certguide_admin_bench --leads 1000000 --keep
    python3 bench/admin_bench.py --reuse --keep     # the database filled by an earlier run
"""

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
# From a fresh clone too: make the virtualenv, then run this script again inside it.
if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
    subprocess.run(["make", "--no-print-directory", "-s", "install"], cwd=ROOT, check=True)
    os.execv(PYTHON, [PYTHON, *sys.argv])  # noqa: S606 (our own virtualenv's interpreter)

import psycopg  # noqa: E402 (needs the virtualenv above)

sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
from export_bench import drop_database, log, recreate_database, site_env  # noqa: E402

TARGET_MS = 300

# Leads i = 1..n: newest first, evenly over two years up to now. The values cycle like
# the export benchmark's, with a few formula-looking and non-Latin names.
FILL_ATTEMPTS = """
INSERT INTO wizard_attempt (id, questionnaire_id, answers, path, step, started_at,
    updated_at, completed_at, csm_score, cspo_score, outcome, result, utm_source,
    utm_medium, utm_campaign, utm_term, utm_content, referrer)
SELECT gen_random_uuid(), %(questionnaire)s, '{}', '[]', i %% 5, t, t,
    CASE WHEN i %% 3 > 0 THEN t END,
    CASE WHEN i %% 3 > 0 THEN i %% 101 END, CASE WHEN i %% 3 > 0 THEN 100 - i %% 101 END,
    CASE WHEN i %% 3 > 0 THEN (ARRAY['CSM', 'CSPO', 'BOTH'])[1 + i %% 3] ELSE '' END,
    '{}', '', '', '', '', '', ''
FROM generate_series(1, %(n)s) AS i,
    LATERAL (SELECT now() - interval '2 years' * i / %(n)s AS t) AS at
"""

FILL_LEADS = """
INSERT INTO leads_lead (email, first_name, status, consent_at, consent_version, language,
    placement, utm_source, utm_medium, utm_campaign, utm_term, utm_content, referrer,
    outcome, created_at, confirmed_at, unsubscribed_at, last_email_error, mail_state,
    mail_kind, mail_attempts, public_id, signup_round, pending_signup)
SELECT 'lead' || i || '@example.com',
    (ARRAY['Ada', 'Zoë', '李小龍', 'Ólafur', '', 'Сергей', '=HYPERLINK("x")', 'Bob',
           'Grace', 'Linus', 'Margaret', 'Jürgen'])[1 + i %% 12] || CASE WHEN i %% 7 = 0
        THEN i::text ELSE '' END,
    (ARRAY['confirmed', 'confirmed', 'confirmed', 'pending', 'pending',
           'unsubscribed'])[1 + i %% 6],
    t, '2026-11', CASE WHEN i %% 3 = 0 THEN 'de' ELSE 'en' END,
    (ARRAY['home-hero', 'result', 'compare', 'choose', '', 'csm-page', 'cspo-page',
           'embed:blog'])[1 + i %% 8],
    (ARRAY['newsletter', 'linkedin', 'google', '', 'twitter', 'partner', 'bing'])[1 + i %% 7],
    CASE WHEN i %% 2 = 0 THEN 'email' ELSE 'cpc' END, 'campaign-' || i %% 40,
    '', '', '', (ARRAY['CSM', 'CSPO', 'BOTH', ''])[1 + i %% 4], t,
    CASE WHEN i %% 6 NOT IN (3, 4) THEN t + interval '1 hour' END,
    CASE WHEN i %% 6 = 5 THEN t + interval '2 days' END, '',
    CASE WHEN i %% 1000 = 0 THEN 'failed' ELSE 'sent' END, '', 0, gen_random_uuid(), 1,
    '{}'
FROM generate_series(1, %(n)s) AS i,
    LATERAL (SELECT now() - interval '2 years' * i / %(n)s AS t) AS at
"""


def lead_count(database_url: str) -> int:
    try:
        with psycopg.connect(database_url) as conn:
            return conn.execute("SELECT count(*) FROM leads_lead").fetchone()[0]
    except psycopg.Error:
        return 0


def fill(database_url: str, n: int) -> None:
    with psycopg.connect(database_url) as conn:
        questionnaire = conn.execute(
            "SELECT id FROM wizard_questionnaire ORDER BY is_active DESC, id LIMIT 1"
        ).fetchone()[0]
        conn.execute("SET LOCAL synchronous_commit = off")
        conn.execute(FILL_ATTEMPTS, {"questionnaire": questionnaire, "n": n})
        conn.execute(FILL_LEADS, {"n": n})
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE wizard_attempt")
        conn.execute("VACUUM ANALYZE leads_lead")


def pages(today: dt.date) -> list[tuple[str, str]]:
    """(what, admin path) for every page measured."""
    year_ago = today - dt.timedelta(days=364)
    month = today.replace(day=1) - dt.timedelta(days=40)
    lst = "/admin/leads/lead/"
    # As the created filter's own link writes it: an aware midnight.
    since = dt.datetime.combine(today - dt.timedelta(days=7), dt.time.min, tzinfo=dt.UTC)
    week = urlencode({"created_at__gte": since.isoformat(sep=" ")})
    return [
        ("changelist", lst),
        ("changelist, page 50", f"{lst}?p=50"),
        ("search: email (exact)", f"{lst}?q=lead123456@example.com"),
        ("search: email (part)", f"{lst}?q=lead12345"),
        ("search: first name", f"{lst}?q=Margaret"),
        ("search: no match", f"{lst}?q=nobody-at-all"),
        ("filter: status", f"{lst}?status__exact=pending"),
        ("filter: mail state (rare)", f"{lst}?mail_state__exact=failed"),
        ("filter: outcome", f"{lst}?outcome__exact=CSPO"),
        ("filter: placement", f"{lst}?placement=compare"),
        ("filter: UTM source", f"{lst}?utm_source=linkedin"),
        ("filter: UTM campaign", f"{lst}?utm_campaign=campaign-7"),
        ("filter: created, past 7 days", f"{lst}?{week}"),
        ("filters: status + source", f"{lst}?status__exact=confirmed&utm_source=google"),
        # Other pairs a marketer combines: a value filter with a short one, two short
        # ones, two value filters.
        ("filters: status + campaign", f"{lst}?status__exact=confirmed&utm_campaign=campaign-7"),
        ("filters: outcome + source", f"{lst}?outcome__exact=CSPO&utm_source=google"),
        ("filters: language + placement", f"{lst}?language__exact=de&placement=compare"),
        ("filters: status + outcome", f"{lst}?status__exact=confirmed&outcome__exact=CSPO"),
        ("filters: status + language", f"{lst}?status__exact=confirmed&language__exact=de"),
        ("filters: placement + source", f"{lst}?placement=compare&utm_source=google"),
        ("filters: source + campaign", f"{lst}?utm_source=google&utm_campaign=campaign-7"),
        ("date hierarchy: year", f"{lst}?created_at__year={month.year}"),
        (
            "date hierarchy: month",
            f"{lst}?created_at__year={month.year}&created_at__month={month.month}",
        ),
        (
            "date hierarchy: day",
            f"{lst}?created_at__year={month.year}&created_at__month={month.month}"
            f"&created_at__day=15",
        ),
        ("dashboard: last 30 days", "/admin/leads/lead/dashboard/"),
        (
            "dashboard: a whole year",
            f"/admin/leads/lead/dashboard/?start={year_ago}&end={today}",
        ),
    ]


def measure(repeat: int) -> list[dict]:
    import django

    django.setup()
    from django.contrib.auth.models import Permission, User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    user, _ = User.objects.get_or_create(username="bench-marketer", defaults={"is_staff": True})
    user.user_permissions.add(Permission.objects.get(codename="view_lead"))
    client = Client()
    client.force_login(user)
    results = []
    for what, path in pages(timezone.localdate()):
        response = client.get(path)  # warm-up
        assert response.status_code == 200, (path, response.status_code)
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, (path, response.status_code)
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        ranked = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))
        slowest = ranked[0]
        results.append(
            {
                "what": what,
                "path": path,
                "median_ms": 1000 * statistics.median(times),
                "max_ms": 1000 * max(times),
                "queries": len(queries.captured_queries),
                "slowest_query_ms": 1000 * float(slowest["time"]),
                "slowest_sql": slowest["sql"],
                "ranked": [(float(q["time"]), q["sql"]) for q in ranked[:3]],
            }
        )
        log(f"{what}: {results[-1]['median_ms']:.0f} ms")
    return results


def report(results: list[dict], leads: int, verbose: bool) -> str:
    lines = [
        f"Admin at {leads:,} leads (median of the timed requests; load average "
        f"{os.getloadavg()[0]:.1f}):",
        "",
        "| page | median | slowest | queries | slowest query | under 300 ms |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['what']} | {r['median_ms']:.0f} ms | {r['max_ms']:.0f} ms | {r['queries']} "
            f"| {r['slowest_query_ms']:.0f} ms | {'yes' if r['median_ms'] < TARGET_MS else 'NO'} |"
        )
    if verbose:
        lines.append("")
        for r in results:
            lines.append(f"{r['what']}: {r['path']}")
            lines += [f"    {1000 * t:.0f} ms {sql[:300]}" for t, sql in r["ranked"]]
    return "\n".join(lines)


def migrate() -> None:
    subprocess.run([PYTHON, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="certguide_admin_bench")
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per page")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database if it holds --leads leads"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--verbose", action="store_true", help="print each slowest query")
    args = parser.parse_args()
    database_url = f"{args.server}/{args.database}"
    os.environ.update(site_env(database_url))
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    # Production settings hash static file names from a manifest: collect into scratch.
    static_root = tempfile.mkdtemp(prefix="certguide-admin-bench-")
    os.environ["DJANGO_STATIC_ROOT"] = static_root
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certguide.settings")
    try:
        if args.reuse and lead_count(database_url) == args.leads:
            log(f"reusing {args.database}; migrating")
            migrate()
        else:
            log(f"recreating {args.database}")
            recreate_database(args.server, args.database)
            migrate()
            log(f"filling {args.leads:,} leads and attempts in SQL")
            started = time.perf_counter()
            fill(database_url, args.leads)
            log(f"filled in {time.perf_counter() - started:.1f} s")
        subprocess.run(
            [PYTHON, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, check=True
        )
        results = measure(args.repeat)
        print(report(results, args.leads, args.verbose))
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
        if not args.keep:
            drop_database(args.server, args.database)
            log(f"dropped {args.database}")


if __name__ == "__main__":
    main()

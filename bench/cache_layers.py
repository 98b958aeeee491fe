#!/usr/bin/env python3
"""What each layer of certguide.generations earns: pages, questionnaire, answers fragment.

    make install-dev && .venv/bin/python bench/cache_layers.py [--requests 400] [--redis]

Serves requests in-process through the full middleware stack (Django's test client, the
production settings on a scratch SQLite database) with each cache layer on and then off,
and prints the time per request and the throughput as a fraction of the floor's (a view
with no template and no query, measured in the same run). Every request is a new visitor
(no cookies), every quiz request on an attempt of its own. With --redis the cache is Redis
database 8 (emptied before and after), as in production; without, the per-process cache.
Timings are medians of three rounds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def configure(redis: bool, workdir: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",  # adds /_floor
        DJANGO_SECRET_KEY="cache-layers-benchmark-" + "k" * 40,
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        SITE_URL="http://testserver",
        DATABASE_URL=f"sqlite:///{workdir}/bench.sqlite3",
        DJANGO_STATIC_ROOT=f"{workdir}/static",
        CACHE_URL="redis://127.0.0.1:6379/8" if redis else "locmemcache://bench",
        EMAIL_URL="dummymail://",
        DJANGO_LOG_LEVEL="ERROR",
    )
    os.environ.pop("DJANGO_DEBUG", None)
    import django

    django.setup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per measurement")
    parser.add_argument("--redis", action="store_true", help="Redis database 8 as the cache")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="certguide-layers-")
    configure(args.redis, workdir)

    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from certguide import generations
    from wizard.questionnaires import active_weights
    from wizard.services import attempt_start

    setup_test_environment()  # the test client's response hooks; nothing else changes
    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    cache.clear()
    weights = active_weights()
    attempts = [attempt_start(questionnaire_id=weights.id) for _ in range(args.requests)]

    off: set[str] = set()
    real_lookup, real_keep = generations.lookup, generations.keep

    def lookup(family, name):
        generation, value = real_lookup(family, name)
        if name.split(":")[0] in off:
            return generation, generations.MISSING
        return generation, value

    def keep(family, name, generation, value):
        if name.split(":")[0] not in off:
            real_keep(family, name, generation, value)

    generations.lookup, generations.keep = lookup, keep

    def timed(urls: list[str]) -> float:
        """Median over three rounds of the seconds per request, each URL by a new visitor."""
        rounds = []
        for _ in range(3):
            start = time.perf_counter()
            for url in urls:
                browser.cookies.clear()  # a new visitor: no cookie from the one before
                response = browser.get(url)
                assert response.status_code == 200, (url, response.status_code)
            rounds.append((time.perf_counter() - start) / len(urls))
        return statistics.median(rounds)

    # One handler (a new Client loads the middleware again, whitenoise's file scan included).
    browser = Client()
    n = args.requests
    steps = [f"/wizard/{a.pk}/step/1/" for a in attempts]
    scenarios = [
        ("floor", ["/_floor"] * n, set()),
        ("home, every layer", ["/"] * n, set()),
        ("home, no page cache", ["/"] * n, {"page"}),
        ("role page, every layer", ["/certifications/csm/"] * n, set()),
        ("role page, no page cache", ["/certifications/csm/"] * n, {"page"}),
        ("quiz step GET, every layer", steps, set()),
        ("quiz step GET, no answers fragment", steps, {"answers"}),
        ("quiz step GET, no questionnaire cache", steps, {"weights", "active"}),
        ("quiz step GET, nothing cached", steps, {"answers", "weights", "active"}),
    ]
    print(f"cache: {'Redis' if args.redis else 'per-process'}; {n} requests per measurement")
    print("| what | ms per request | throughput / floor |")
    print("|---|---:|---:|")
    floor = None
    for name, urls, disabled in scenarios:
        off.clear()
        off.update(disabled)
        timed(urls[:20])  # warm what this variant caches
        seconds = timed(urls)
        floor = floor or seconds
        print(f"| {name} | {seconds * 1000:.2f} | {floor / seconds:.2f} |", flush=True)
    cache.clear()
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

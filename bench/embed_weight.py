#!/usr/bin/env python3
"""What a host page downloads for the embed: /embed.js plus the first frame page.

    make install-dev && .venv/bin/python bench/embed_weight.py [--requests 200]

Serves requests in-process through the full middleware stack (Django's test client, the
production settings on a scratch SQLite database, static files collected as in a deploy),
every request as a browser sends it (Accept-Encoding: gzip, br). Prints the bytes on the
wire of the script, the intro page in the frame and each file the page loads, beside the
same for the site's own quiz intro (/wizard/, the floor: what a visitor downloads without
the embed), and the time to serve each page against /_floor (a view with no template and
no query). Timings are medians of three rounds.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HOST = "https://blog.example.com"
ASSET = re.compile(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per timing")
    args = parser.parse_args()

    from bench.cache_layers import configure  # the same scratch production set-up

    workdir = tempfile.mkdtemp(prefix="certguide-embed-")
    configure(False, workdir)

    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from embed.services import embed_site_add

    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    embed_site_add(origin=HOST, name="bench")
    browser = Client(headers={"accept-encoding": "gzip, br"})

    def wire_bytes(url: str) -> tuple[int, str]:
        """Bytes of the body as sent, and the page's text when it is HTML."""
        response = browser.get(url)
        assert response.status_code == 200, (url, response.status_code)
        body = (
            b"".join(response.streaming_content) if response.streaming else bytes(response.content)
        )
        assert not response.cookies, f"{url} set a cookie"
        text = "" if response.has_header("Content-Encoding") else body.decode(errors="ignore")
        return len(body), text

    def page_weight(url: str) -> tuple[int, int, list[tuple[str, int]]]:
        """The page's HTML bytes, with every stylesheet and script it loads."""
        # HTML comes uncompressed from Django: gzip it as a proxy in front would.
        import gzip

        response = browser.get(url, headers={"accept-encoding": "identity"})
        html = response.content
        assets = [(href, wire_bytes(href)[0]) for href in ASSET.findall(html.decode())]
        return len(html), len(gzip.compress(html)), assets

    def timed(url: str) -> float:
        rounds = []
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(args.requests):
                browser.cookies.clear()
                assert browser.get(url).status_code == 200
            rounds.append((time.perf_counter() - start) / args.requests)
        return statistics.median(rounds)

    script, _ = wire_bytes("/embed.js")
    frame_url = "/embed/quiz/?site=bench&utm_source=bench"
    embed_raw, embed_html, embed_assets = page_weight(frame_url)
    site_raw, site_html, site_assets = page_weight("/wizard/")
    embed_total = script + embed_html + sum(n for _, n in embed_assets)
    site_total = site_html + sum(n for _, n in site_assets)

    print("| what | bytes on the wire (brotli or gzip, as served) |")
    print("|---|---:|")
    print(f"| /embed.js | {script:,} |")
    print(f"| frame intro HTML ({embed_raw:,} uncompressed) | {embed_html:,} |")
    for href, n in embed_assets:
        print(f"| frame: {href} | {n:,} |")
    print(f"| **embed total (script + first frame page)** | **{embed_total:,}** |")
    print(f"| site quiz intro HTML ({site_raw:,} uncompressed) | {site_html:,} |")
    for href, n in site_assets:
        print(f"| site: {href} | {n:,} |")
    print(f"| **site quiz intro total (the floor)** | **{site_total:,}** |")
    print(f"\nembed / site quiz intro: {embed_total / site_total:.2f}")
    print(f"of which ours beyond the site's own files: {script:,} B script, "
          f"{sum(n for h, n in embed_assets if 'embed/' in h):,} B frame css and js")  # fmt: skip

    floor = timed("/_floor")
    print("\n| page | ms per request | time / floor |")
    print("|---|---:|---:|")
    for name, url in [("floor", "/_floor"), ("/embed.js", "/embed.js"), ("frame intro", frame_url),
                      ("site quiz intro", "/wizard/")]:  # fmt: skip
        seconds = timed(url) if url != "/_floor" else floor
        print(f"| {name} | {seconds * 1000:.2f} | {seconds / floor:.2f} |", flush=True)
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

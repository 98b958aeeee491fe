"""The benchmarks' floor is served only where a benchmark asks for it."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_site_does_not_serve_the_benchmark_floor(client):
    assert client.get("/_floor").status_code == 404


def test_the_benchmark_urlconf_serves_the_floor_beside_every_page(db, settings, client):
    settings.ROOT_URLCONF = "bench.urls"

    floor = client.get("/_floor")

    assert floor.status_code == 200
    assert floor.content == b"ok"
    assert client.get("/compare/").status_code == 200
    assert client.get("/no-such-page/").status_code == 404


def test_the_benchmark_settings_are_the_production_settings_with_the_floor():
    """What bench/load.py and bench/cache_layers.py select, in a process of its own."""
    probe = (
        "import django; django.setup()\n"
        "from django.conf import settings; from django.urls import resolve\n"
        "print(settings.ROOT_URLCONF, resolve('/_floor').url_name, resolve('/compare/').url_name)"
    )
    env = {"DJANGO_SETTINGS_MODULE": "bench.settings", "DJANGO_DEBUG": "1", "PATH": ""}
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.stdout.split() == ["bench.urls", "floor", "compare"], out.stderr

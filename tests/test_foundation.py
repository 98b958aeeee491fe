import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import DatabaseError, connection

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k != "SITE_URL"}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "certguide.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_start_without_secret_key_is_refused_in_one_line():
    result = run_manage("check", DJANGO_ALLOWED_HOSTS="example.com")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_production_start_without_allowed_hosts_is_refused():
    result = run_manage("check", DJANGO_SECRET_KEY="s" * 50)

    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("missing", "env"),
    [
        ("SITE_URL", {}),
        (
            "DJANGO_TRUSTED_PROXIES",
            {"SITE_URL": "https://x.example", "DJANGO_TRUSTED_PROXY_HOPS": "1"},
        ),
    ],
)
def test_production_start_without_a_required_setting_is_refused(missing, env):
    result = run_manage(
        "check", DJANGO_SECRET_KEY="s" * 50, DJANGO_ALLOWED_HOSTS="x.example", **env
    )

    assert result.returncode != 0
    assert missing in result.stderr
    assert "Traceback" not in result.stderr


def test_debug_start_needs_no_configuration():
    result = run_manage("check", DJANGO_DEBUG="1")

    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_healthz_reports_database_up(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}


@pytest.mark.django_db
def test_healthz_answers_503_when_database_is_unreachable(client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(connection, "cursor", unreachable)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "down"


@pytest.mark.django_db
def test_home_page_renders_the_base_layout(client):
    response = client.get("/")
    html = response.content.decode()

    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert 'href="#main"' in html
    for landmark in ("<header", "<nav", "<main", "<footer"):
        assert landmark in html
    assert "<script>" not in html
    assert "style=" not in html


@pytest.mark.django_db
def test_unknown_page_is_a_branded_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert b"We could not find that page" in response.content


@pytest.mark.postgres
@pytest.mark.django_db
def test_suite_really_runs_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("DATABASE_URL does not point at PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        (version,) = cursor.fetchone()
    assert version.startswith("PostgreSQL")

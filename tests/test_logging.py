import io
import json
import logging
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from certguide.logging import JsonFormatter, PersonalDataFilter, mask_personal_data

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("signed up jane.doe@example.com", "signed up j***@example.com"),
        (
            "Key (lower(email))=(JANE@Example.CO.UK) exists",
            "Key (lower(email))=(J***@Example.CO.UK) exists",
        ),
        ("two: a@b.io, zed+tag@mail.example.org", "two: a***@b.io, z***@mail.example.org"),
        ("GET /?email=jane%40example.com", "GET /?email=j***@example.com"),
        ("GET /free-training/confirm/AbC.dEf:123/ 200", "GET /free-training/confirm/***/ 200"),
        (
            "GET /free-training/materials/tok/guide.pdf",
            "GET /free-training/materials/***/guide.pdf",
        ),
        ("POST /free-training/unsubscribe/tok/", "POST /free-training/unsubscribe/***/"),
        (
            "GET /wizard/result/0b6e2f0c-8a55-4c1e-9d3e-1f2a3b4c5d6e/",
            "GET /wizard/result/***/",
        ),
        (
            "GET /wizard/0b6e2f0c-8a55-4c1e-9d3e-1f2a3b4c5d6e/step/3/ 200",
            "GET /wizard/***/step/3/ 200",
        ),
        ("POST /wizard/ 302", "POST /wizard/ 302"),
        ("bounced o'brien@example.com", "bounced o***@example.com"),
        ("GET /?email=o%27brien%40example.com", "GET /?email=o***@example.com"),
        ("no personal data here: /compare/ 200", "no personal data here: /compare/ 200"),
    ],
)
def test_personal_data_is_masked(text, masked):
    assert mask_personal_data(text) == masked


def make_record(msg, *args, exc_info=None, **extra) -> logging.LogRecord:
    record = logging.LogRecord("leads", logging.WARNING, __file__, 1, msg, args, exc_info)
    for name, value in extra.items():
        setattr(record, name, value)
    return record


def format_like_production(record: logging.LogRecord) -> dict:
    assert PersonalDataFilter().filter(record) is True
    return json.loads(JsonFormatter().format(record))


class Lead:
    def __str__(self) -> str:
        return "Jane <jane@example.com>"


def test_a_record_becomes_one_parseable_json_line_with_emails_masked():
    line = JsonFormatter().format(make_record("x"))
    entry = format_like_production(make_record("lead %s signed up as %s", 42, "jane@example.com"))

    assert "\n" not in line
    assert entry["message"] == "lead 42 signed up as j***@example.com"
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "leads"
    assert entry["time"].endswith("+00:00")


def test_objects_whose_text_holds_an_address_are_masked_too():
    entry = format_like_production(make_record("saving %s", Lead()))

    assert entry["message"] == "saving Jane <j***@example.com>"


def test_tracebacks_are_masked():
    try:
        raise ValueError("duplicate jane@example.com")
    except ValueError:
        import sys

        record = make_record("failed", exc_info=sys.exc_info())

    entry = format_like_production(record)

    assert "ValueError: duplicate j***@example.com" in entry["exception"]
    assert "jane@example.com" not in json.dumps(entry)


@contextmanager
def captured_stdout_logs():
    """Swap the stream of the handler settings.LOGGING put on the root logger."""
    handler = next(
        h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


@pytest.mark.django_db
def test_django_request_logs_reach_stdout_as_masked_json(client):
    with captured_stdout_logs() as stream:
        client.get("/no-such-page/jane.doe@example.com/?token=abc")

    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    not_found = [e for e in entries if e["logger"] == "django.request"]
    assert len(not_found) == 1
    assert not_found[0]["status_code"] == 404
    assert not_found[0]["path"] == "/no-such-page/j***@example.com/"
    assert "jane.doe" not in stream.getvalue()
    assert "token=abc" not in stream.getvalue()


@pytest.mark.django_db
def test_an_unhandled_error_is_logged_once_with_its_traceback(client, settings):
    settings.ROOT_URLCONF = "tests.test_security"
    client.raise_request_exception = False

    with captured_stdout_logs() as stream:
        response = client.get("/broken/")

    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    errors = [e for e in entries if e["level"] == "ERROR"]
    assert response.status_code == 500
    assert len(errors) == 1
    assert "RuntimeError: secret detail j***@example.com" in errors[0]["exception"]
    assert "jane@example.com" not in stream.getvalue()


GUNICORN_PROBE = """
import datetime, json, runpy
from gunicorn.config import Config
from gunicorn.glogging import Logger

namespace = runpy.run_path("gunicorn.conf.py")
cfg = Config()
for name, value in namespace.items():
    if name in cfg.settings:
        cfg.set(name, value)
logger = Logger(cfg)

class Response:
    status = "200 OK"
    sent = 1234
    headers = []

logger.access(Response(), [], {
    "REQUEST_METHOD": "GET",
    "RAW_URI": "/free-training/confirm/s3cr3t-token/?email=jane@example.com",
    "PATH_INFO": "/free-training/confirm/s3cr3t-token/",
    "QUERY_STRING": "email=jane@example.com&utm_source=x",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "REMOTE_ADDR": "203.0.113.9",
    "HTTP_X_FORWARDED_FOR": "198.51.100.4",
    "HTTP_REFERER": "https://certguide.example.com/free-training/materials/other-token/",
    "HTTP_USER_AGENT": "Firefox",
}, datetime.timedelta(milliseconds=7))
print(json.dumps({
    "bind": cfg.bind, "workers": cfg.workers, "timeout": cfg.timeout,
    "control_socket_disable": cfg.control_socket_disable,
}))
"""


def test_gunicorn_reads_the_environment_and_logs_access_as_masked_json():
    result = subprocess.run(
        [sys.executable, "-c", GUNICORN_PROBE],
        cwd=ROOT,
        env={**os.environ, "PORT": "9123", "GUNICORN_WORKERS": "3", "GUNICORN_TIMEOUT": "20"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    access_line, config_line = result.stdout.strip().splitlines()[-2:]
    access = json.loads(access_line)
    assert json.loads(config_line) == {
        "bind": ["0.0.0.0:9123"],
        "workers": 3,
        "timeout": 20,
        "control_socket_disable": True,
    }
    assert access["logger"] == "gunicorn.access"
    assert access["message"] == 'GET /free-training/confirm/***/ 200 1234 7ms "Firefox"'
    for secret in ("s3cr3t", "jane", "utm_source", "203.0.113.9", "198.51.100.4", "other-token"):
        assert secret not in access_line

"""Structured logs on stdout with no personal data: one JSON object per line.

Used by settings.LOGGING for Django and by gunicorn.conf.py for gunicorn's own logs,
both built by :func:`json_stdout_config`.
"""

import json
import logging
import re
from datetime import UTC, datetime

# An address, also percent-encoded (%40) as it appears in a logged URL. The first
# character of the local part stays so an operator can tell two addresses apart; the
# rest is every character RFC 5322 allows there (o'brien), so none of it survives; all
# but = / ? &, which end a URL's query parameter before the address.
EMAIL = re.compile(
    r"([A-Za-z0-9_+-])[A-Za-z0-9.!#$%'*+^_`{|}~-]*(?:@|%40)([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
)
# Capability URLs: whoever holds the token may confirm, read the materials, unsubscribe,
# see a result or answer an attempt's questions, so the token (or attempt id) is a secret
# and never reaches a log line.
CAPABILITY_URL = re.compile(
    r"(/free-training/(?:confirm|materials|unsubscribe)/|/wizard/result/"
    r"|/wizard/(?=[0-9a-fA-F-]{36}/))[^/\s\"'?#]+"
)


def mask_personal_data(text: str) -> str:
    """Return text with email addresses shortened to j***@example.com and tokens hidden."""
    text = EMAIL.sub(r"\1***@\2", text)
    return CAPABILITY_URL.sub(r"\1***", text)


class PersonalDataFilter(logging.Filter):
    """Mask personal data in a record's message and arguments before any handler sees it.

    The arguments are merged into the message first: an argument may be any object whose
    str() holds an address (a Lead, an exception), not only a string.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            # A malformed call (wrong argument count): log the raw template, masked.
            message = str(record.msg)
        record.msg = mask_personal_data(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, and what a request adds."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        status_code = getattr(record, "status_code", None)
        if status_code is not None:
            entry["status_code"] = status_code
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path"):
            # Method and path only: headers, cookies and bodies hold personal data.
            entry["method"] = getattr(request, "method", None)
            entry["path"] = mask_personal_data(request.path)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = mask_personal_data(record.exc_text)
        return json.dumps(entry, ensure_ascii=False, default=str)


def json_stdout_config(*, root: dict, loggers: dict) -> dict:
    """A logging.dictConfig with one "stdout" handler: JSON lines, personal data masked."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"personal_data": {"()": "certguide.logging.PersonalDataFilter"}},
        "formatters": {"json": {"()": "certguide.logging.JsonFormatter"}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "json",
                "filters": ["personal_data"],
            }
        },
        "root": root,
        "loggers": loggers,
    }

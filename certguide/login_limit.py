"""How django-axes, which limits admin log-ins, sees a client (settings AXES_*)."""

from django.http import HttpRequest

from leads.ratelimit import client_key

# AccessAttempt.username holds 255 characters; a longer guess must not become a 500.
USERNAME_MAX_LENGTH = 150  # the User model's


def username(request: HttpRequest, credentials: dict | None) -> str:
    """The username tried, cut to what a username can be and without NUL (which
    PostgreSQL cannot store): the lockout is by client, this is only kept for the admin."""
    value = (credentials or {}).get("username") or request.POST.get("username") or ""
    return str(value).replace("\0", "")[:USERNAME_MAX_LENGTH]


def log_name(
    username: str, ip_address: str, user_agent: str, path_info: str, request: HttpRequest
) -> str:
    """How a client is named in django-axes' log lines: the keyed hash, never the address
    or the username (logs keep no personal data)."""
    return f"client {client_key(request)}"

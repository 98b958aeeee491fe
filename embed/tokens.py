"""The frame's stand-in for the CSRF cookie, which a third-party frame cannot keep.

Each form carries a signed, expiring token naming what it may change: the start form its
embed site, every later form its attempt. A forged or copied token from another attempt
fails, and so does one older than MAX_AGE. The attempt id alone is not enough: a page on
another site could post a guessed form, but it cannot read our page to learn the token.
"""

from django.core import signing

SALT = "embed.form"
MAX_AGE = 60 * 60 * 2  # a quiz and a sign-up fit well inside two hours
FIELD = "embed_token"


def form_token(*, scope: str) -> str:
    return signing.TimestampSigner(salt=SALT).sign(scope)


def token_matches(token: str, *, scope: str) -> bool:
    """True when ``token`` was signed by us for ``scope`` less than MAX_AGE ago."""
    try:
        return signing.TimestampSigner(salt=SALT).unsign(token, max_age=MAX_AGE) == scope
    except signing.BadSignature:
        return False


def start_scope(site_name: str) -> str:
    return f"start:{site_name}"


def attempt_scope(attempt_id: object) -> str:
    return f"attempt:{attempt_id}"

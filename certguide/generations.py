"""The site's one caching scheme: values derived from admin-edited data, kept per generation.

Each family of admin-edited data (the site's copy, the questionnaires) has a generation: a
random token in the cache. Every cached value of a family is stored as
``(generation, value)`` and read together with the current generation in one round trip
(``get_many``); a value stored under another generation is a miss. Saving or deleting a
row of the family replaces the generation **after the transaction commits**, so a request
that reads while an edit is still uncommitted can only store the old data under the old
generation, which nobody reads once the edit is visible.

Rules for whatever is cached through this module:
- Nothing per visitor: no CSRF token, no cookie value, no attempt of another visitor.
  `cached()` refuses a value that carries a CSRF token (the bug that once served one
  visitor's token to everyone).
- Kept per language: every name is read and stored under the active language (texts are
  translated), so callers never put the language in a name themselves.
- Plain data or HTML strings, never model instances. When the shape of a cached value
  changes, bump SCHEMA: the keys change and a deploy on a warm Redis reads nothing the old
  code wrote.
- Generations are random, never counters: a counter restarted after an eviction could come
  back to a number whose stale values are still cached.

With the per-process cache (no CACHE_URL), a bump reaches only the process that made the
edit, so entries then live SHORT_TIMEOUT; with a shared cache (Redis) they live a day.

Each process also remembers what it read lately (`_Recent`, per family): while the family's
generation was confirmed in the shared cache less than CACHE_RECHECK_SECONDS ago, a value
it holds for that generation is answered without a round trip. An edit through this
process is seen at once (its bump forgets the memory); one through another process or
instance within CACHE_RECHECK_SECONDS (one second by default; 0 turns the memory off).
"""

import collections
import enum
import logging
import threading
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from modeltranslation.utils import get_language

logger = logging.getLogger(__name__)

# Bump when the shape of any value cached through this module changes.
# 6: stored pages carry their slot-free copy's headers and ETag; 5: texts in English and
# German (questionnaire keys carry the language; German pages kept before the German copy
# existed showed the English); 4: stored pages carry their slot-free copy; 3: questions
# carry their jumps.
SCHEMA = 6
SHARED_TIMEOUT = 60 * 60 * 24
SHORT_TIMEOUT = 5 * 60
# What `{% csrf_token %}` and `get_token()` put in a page; never in a shared value.
CSRF_MARKERS = ("csrfmiddlewaretoken", "csrftoken")


class Family(enum.StrEnum):
    """A family of admin-edited data; an edit to any row of it bumps its generation."""

    CONTENT = "content"  # certifications, their points, page sections
    QUESTIONNAIRE = "questionnaire"  # questionnaires, questions, choices


class PerVisitorValue(ValueError):
    """A value about to be shared between visitors carries one visitor's secret."""


# What lookup() answers when nothing is kept for the current generation (None may be a
# value worth keeping).
MISSING = object()


def _prefix(family: Family) -> str:
    return f"cg:{SCHEMA}:{family}"


def _generation_key(family: Family) -> str:
    return f"{_prefix(family)}:generation"


def _named(name: str, language: str | None = None) -> str:
    """The name under the language (the active one unless given): every value is kept per
    language, as the texts in it are (a page's path says its language too; the rule costs
    it nothing)."""
    return f"{language or get_language()}:{name}"


def _value_key(family: Family, name: str, language: str | None = None) -> str:
    return f"{_prefix(family)}:{_named(name, language)}"


def _timeout() -> int:
    shared = settings.CACHES["default"]["BACKEND"] == "certguide.cache.TolerantRedisCache"
    return SHARED_TIMEOUT if shared else SHORT_TIMEOUT


def _new_generation(family: Family) -> str:
    fresh = uuid.uuid4().hex
    # add(): two first readers agree on one generation instead of overwriting each other.
    cache.add(_generation_key(family), fresh, timeout=None)
    current = cache.get(_generation_key(family))
    if isinstance(current, str):
        return current
    # Something that is not a generation (left by other code): replace it.
    cache.set(_generation_key(family), fresh, timeout=None)
    return fresh


def _shareable(value: object, *, name: str) -> bool:
    text = value.decode(errors="ignore") if isinstance(value, bytes) else value
    if not (isinstance(text, str) and any(marker in text for marker in CSRF_MARKERS)):
        return True
    message = f"refusing to cache {name!r}: it carries a CSRF token"
    if settings.DEBUG or getattr(settings, "GENERATIONS_STRICT", False):
        raise PerVisitorValue(message)
    # In production the page is still served, uncached: a visitor gets the page and no
    # visitor gets another's token.
    logger.error(message)
    return False


class _Recent:
    """What this process read lately of one family, valid while its generation is."""

    SIZE = 512

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.forget()

    def forget(self) -> None:
        self.values: collections.OrderedDict[str, object] = collections.OrderedDict()
        self.generation = ""
        self.checked_at = -float("inf")

    def get(self, name: str) -> tuple[str, object]:
        """(generation, value) while the generation is fresh, else ("", MISSING)."""
        with self.lock:
            if time.monotonic() - self.checked_at >= settings.CACHE_RECHECK_SECONDS:
                return "", MISSING
            value = self.values.get(name, MISSING)
            if value is not MISSING:
                self.values.move_to_end(name)
            return self.generation, value

    def confirm(self, generation: str) -> None:
        """The shared cache just said `generation` is current."""
        with self.lock:
            if generation != self.generation:
                self.values.clear()
                self.generation = generation
            self.checked_at = time.monotonic()

    def put(self, name: str, generation: str, value: object) -> None:
        with self.lock:
            if generation != self.generation:
                return  # read under a generation since replaced
            self.values[name] = value
            self.values.move_to_end(name)
            while len(self.values) > self.SIZE:
                self.values.popitem(last=False)


_recent = {family: _Recent() for family in Family}


def forget_recent() -> None:
    """Drop what this process remembers (its next reads ask the shared cache)."""
    for recent in _recent.values():
        with recent.lock:
            recent.forget()


def lookup(family: Family, name: str, *, language: str | None = None) -> tuple[str, object]:
    """The family's current generation and the value kept for it under `name` (MISSING
    when there is none): from this process's memory while the generation is fresh, else
    in one round trip.

    `name` must say everything the value depends on besides the family's data (a question
    id, a page path, the answers shown as picked). `language`: the one the value is kept
    under, for a caller that knows it without activating it; the active one by default.
    """
    recent, named = _recent[family], _named(name, language)
    generation, value = recent.get(named)
    if value is not MISSING:
        return generation, value
    generation_key, value_key = _generation_key(family), _value_key(family, name, language)
    found = cache.get_many([generation_key, value_key])
    generation = found.get(generation_key)
    if not isinstance(generation, str):
        generation = _new_generation(family)
    recent.confirm(generation)
    entry = found.get(value_key)
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == generation:
        recent.put(named, generation, entry[1])
        return generation, entry[1]
    return generation, MISSING


def keep(family: Family, name: str, generation: str, value: object) -> None:
    """Store `value` under the generation read (by lookup) BEFORE the data was: if an edit
    committed in between, the value lands under the old generation and is never read."""
    if _shareable(value, name=name):
        cache.set(_value_key(family, name), (generation, value), _timeout())
        _recent[family].put(_named(name), generation, value)


def cached[T](family: Family, name: str, compute: Callable[[], T]) -> T:
    """`compute()`'s value for the family's current generation: from the cache when it is
    there (one round trip), else computed, kept and returned."""
    generation, value = lookup(family, name)
    if value is MISSING:
        value = compute()
        keep(family, name, generation, value)
    return value


def _replace_generation(family: Family) -> None:
    fresh = uuid.uuid4().hex
    cache.set(_generation_key(family), fresh, timeout=None)
    _recent[family].confirm(fresh)  # this process knows at once


def bump(family: Family) -> None:
    """Make every cached value of the family stale once the current transaction commits
    (at once outside a transaction)."""
    transaction.on_commit(lambda: _replace_generation(family), robust=True)


def bump_on_change(family: Family, *models: type) -> None:
    """Connect the family's bump to every save and delete of `models` (from an AppConfig's
    ready()). QuerySet.update() sends no signal; no code edits these rows that way."""
    from django.db.models.signals import post_delete, post_save

    def receiver(**kwargs: object) -> None:
        bump(family)

    for model in models:
        uid = f"generations-{family}-{model._meta.label_lower}"
        post_save.connect(receiver, sender=model, weak=False, dispatch_uid=f"{uid}-saved")
        post_delete.connect(receiver, sender=model, weak=False, dispatch_uid=f"{uid}-deleted")

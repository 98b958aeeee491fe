"""Fixed-window sign-up limits per client, counted in the cache named by CACHE_URL.

The client is a keyed hash of its address: the raw IP is never stored anywhere.
"""

import ipaddress
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "5/m" -> (5, 60): how many requests per how many seconds."""
    count, _, period = rate.strip().partition("/")
    if not count.isdigit() or period not in PERIODS or int(count) < 1:
        raise ValueError(f"A rate looks like 5/m (count/s, m, h or d), not {rate!r}.")
    return int(count), PERIODS[period]


def client_network(address: str) -> str:
    """Who a limit counts: an IPv4 address, or the /64 an IPv6 address belongs to.

    One IPv6 subscriber usually holds a whole /64 and may use any address in it, so
    counting single addresses would give one client 2**64 fresh limits.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:  # ::ffff:203.0.113.9 is that IPv4 client
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def client_address(request: HttpRequest) -> str:
    """The address a limit counts this request under: the client's IPv4 address, or the
    first address of its IPv6 /64 (also what django-axes counts admin log-ins by)."""
    network = client_network(request.META.get("REMOTE_ADDR", ""))
    return network.split("/", 1)[0]


def client_key(request: HttpRequest) -> str:
    """A stable, non-reversible name for the client behind this request."""
    network = client_address(request)
    return salted_hmac("leads.ratelimit", network, algorithm="sha256").hexdigest()[:32]


def _count(periods: dict[str, int]) -> dict[str, int]:
    """Count one hit in each counter (key -> seconds it lives); the new counts.

    On Redis (certguide.cache) every counter in one round trip; on other caches add()
    then incr() each, both atomic. A counter the cache cannot keep counts as a first hit:
    the limits fail open, the cache being down is no reason to refuse sign-ups."""
    if hasattr(cache, "count_many"):
        counts = cache.count_many(periods)
        return {key: counts.get(key, 1) for key in periods}
    counts = {}
    for key, seconds in periods.items():
        cache.add(key, 0, timeout=seconds)
        try:
            counts[key] = cache.incr(key)
        except ValueError:
            # The counter expired between add() and incr(): this is the window's first hit.
            cache.set(key, 1, timeout=seconds)
            counts[key] = 1
    return counts


def signup_retry_after(request: HttpRequest) -> int | None:
    """Count a sign-up post; None when allowed, else the seconds until it would be."""
    key = client_key(request)
    now = time.time()
    limits = []  # (counter key, limit, period, window); one counter per period
    for rate in (settings.SIGNUP_RATE_LIMIT, settings.SIGNUP_DAILY_LIMIT):
        limit, period = parse_rate(rate)
        window = int(now // period)
        limits.append((f"leads:signup:{period}:{window}:{key}", limit, period, window))
    counts = _count({name: period + 1 for name, _, period, _ in limits})
    waits = [
        max(1, int((window + 1) * period - now))
        for name, limit, period, window in limits
        if counts[name] > limit
    ]
    return max(waits) if waits else None

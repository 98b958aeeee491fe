"""The one HTTP client of integrations (httpx), with the SSRF guard.

In production a destination must be https and resolve only to public addresses. The
address is checked when an endpoint or connection is saved and again for every request
(DNS can change in between): the request then goes to the address that was checked, with
the host name kept for the Host header and TLS, so a second lookup cannot swap it.
"""

import functools
import ipaddress
import socket
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError

USER_AGENT = "certguide-integrations/1"


class UnsafeDestination(Exception):
    """The URL is not https, or resolves to an address we must not reach."""


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    # is_global excludes loopback, private, link-local (169.254.169.254, the cloud
    # metadata address), shared, reserved and unspecified ranges.
    return ip.is_global and not ip.is_multicast


def check_destination(url: str) -> str | None:
    """The public address to connect to, or None when private addresses are allowed
    (then the client resolves as usual). Raises UnsafeDestination otherwise."""
    if settings.INTEGRATIONS_ALLOW_PRIVATE:
        return None
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise UnsafeDestination("The address must start with https://.")
    if not parts.hostname:
        raise UnsafeDestination("The address has no host.")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise UnsafeDestination(f"The host {parts.hostname} cannot be resolved.") from error
    addresses = [info[4][0] for info in infos]
    if not addresses or not all(_is_public(a) for a in addresses):
        raise UnsafeDestination(
            f"The host {parts.hostname} resolves to a private or local address."
        )
    return addresses[0]


def validate_destination(url: str) -> None:
    """Form validator: the save-time half of the guard."""
    try:
        check_destination(url)
    except UnsafeDestination as error:
        raise ValidationError(str(error)) from error


@functools.cache
def shared_client() -> httpx.Client:
    """One client per process: its TLS context is costly to build and its pool keeps
    connections to busy receivers open. No redirects (a 3xx could point past the guard),
    no proxies from the environment."""
    return httpx.Client(
        timeout=settings.INTEGRATIONS_TIMEOUT,
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": USER_AGENT},
    )


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    **kwargs,
) -> httpx.Response:
    """One request through the guard; raises UnsafeDestination or httpx errors."""
    address = check_destination(url)
    extensions = {}
    headers = dict(headers or {})
    if address is not None:
        target = httpx.URL(url)
        headers["Host"] = target.netloc.decode("ascii")
        extensions["sni_hostname"] = target.host
        url = str(target.copy_with(host=address))
    # No cookies carried from one destination's answer to the next request.
    client.cookies.clear()
    timeout = settings.INTEGRATIONS_TIMEOUT
    return client.request(
        method, url, headers=headers, extensions=extensions, timeout=timeout, **kwargs
    )

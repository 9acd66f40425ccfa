"""The real client address of a request: the one answer every part of the portal records.

The sign-in lockout and throttle (django-axes, certportal.auth), the credential-reveal audit
and the security log all call `client_ip`, so a lock, an audit row and a denial record about
the same request name the same address.

Behind a TLS proxy REMOTE_ADDR is the proxy itself, for every visitor. The proxy's
X-Forwarded-For header names the visitor, but anyone can send that header too, so it is read
only when `settings.TRUSTED_PROXY_COUNT` says how many proxies of ours stand in front of the
app (0, the default, means none: REMOTE_ADDR is the client and the header is ignored).

Each trusted proxy appends the address it received the connection from, so with N trusted
proxies the client is the N-th entry from the right; anything further left came from the
client and is not believed. A header with fewer than N entries did not pass through all of
them, and REMOTE_ADDR is used instead (the rule of Werkzeug's ProxyFix `x_for=N`). Only
syntactically valid addresses are returned, so a caller may store them in a
GenericIPAddressField or write them to a log line as they are.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings

FORWARDED_FOR_HEADER = "HTTP_X_FORWARDED_FOR"
# An IPv6 client controls at least a /64: the throttle counts the network, not the address.
IPV6_THROTTLE_PREFIX = 64


def trusted_proxy_count() -> int:
    """How many proxies in front of the app append to X-Forwarded-For (0: none)."""
    return max(0, int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0))


def parse_address(value: str | None) -> str | None:
    """A normalised IP address from a header or REMOTE_ADDR value, or None when the value is
    not an address (a port some proxies add is dropped; an IPv4-mapped IPv6 address is
    written as IPv4, so one client is never counted under two spellings)."""
    text = (value or "").strip()
    if not text:
        return None
    if text.startswith("["):  # "[2001:db8::1]:443"
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # "203.0.113.7:51234"
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def client_ip(request: Any) -> str | None:
    """The client's address for this request (see the module docstring for the rules), or
    None when the request carries no usable address."""
    meta = getattr(request, "META", None) or {}
    remote = parse_address(meta.get("REMOTE_ADDR"))
    count = trusted_proxy_count()
    if count:
        hops = [hop for hop in str(meta.get(FORWARDED_FOR_HEADER, "")).split(",") if hop.strip()]
        if len(hops) >= count:
            forwarded = parse_address(hops[-count])
            if forwarded is not None:
                return forwarded
    return remote


def throttle_bucket(address: str) -> str:
    """The unit the per-address sign-in throttle counts: the address itself for IPv4, its
    /64 network for IPv6 (one subscriber's share; counting single IPv6 addresses would let a
    client start afresh with each of its 2**64 addresses)."""
    parsed = ipaddress.ip_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_THROTTLE_PREFIX}", strict=False))
    return str(parsed)

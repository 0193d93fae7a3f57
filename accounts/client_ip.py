"""The client's address, as far as it can be trusted.

Behind the platform's nginx (deploy/nginx.conf) the TCP peer is the proxy, and the client's address
is the `X-Real-IP` header that nginx sets from its own peer, overwriting whatever the client sent.
`X-Forwarded-For` is never read: its left part is written by the client, so an attacker who rotates
it would get a fresh lockout counter and throttle bucket on every try. Without a proxy (`make run`)
the header is not trusted at all (a client could set it) and the TCP peer is the client.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _valid(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """`X-Real-IP` when TRUST_X_REAL_IP is on (the app is reachable only through nginx), else the
    TCP peer. django-axes (AXES_CLIENT_IP_CALLABLE) and the sign-in throttle both ask here."""
    meta = request.META
    if settings.TRUST_X_REAL_IP:
        forwarded = _valid(meta.get("HTTP_X_REAL_IP"))
        if forwarded:
            return forwarded
    return _valid(meta.get("REMOTE_ADDR")) or meta.get("REMOTE_ADDR")

"""The sign-in throttle: token requests per client address."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .client_ip import client_ip


class SignInRateThrottle(SimpleRateThrottle):
    """SIGN_IN_RATE token requests per address, counted in the shared cache (every process sees the
    same count). The address is `client_ip`: DRF's own `get_ident` would take a client-written
    X-Forwarded-For, and a sprayer rotating it would never be throttled."""

    scope = "sign_in"

    def get_rate(self) -> str:
        return settings.SIGN_IN_RATE

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request._request) or "unknown"}

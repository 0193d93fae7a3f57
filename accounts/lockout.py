"""The answer to a locked-out login (django-axes calls `lockout_response`; the token endpoint too)."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_response(request, original_response=None, credentials=None):
    """429 with Retry-After: the username is locked from this address (only from this one: the
    lockout is per username and address, so a stranger cannot lock an officer out of her desk)."""
    seconds = round(settings.AXES_COOLOFF_TIME * 3600)
    message = _(
        "Too many failed login attempts: signing in to this account from your address is locked for "
        "%(minutes)d minutes. Try again later or ask an administrator to unlock it."
    ) % {"minutes": round(seconds / 60)}
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "registration/locked.html", {"message": message}, status=429)
    response["Retry-After"] = str(seconds)
    return response

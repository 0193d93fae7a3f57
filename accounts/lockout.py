"""The answer to a locked-out login (django-axes calls `lockout_response`)."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_response(request, original_response=None, credentials=None):
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    message = _(
        "Too many failed login attempts: this account is locked for %(minutes)d minutes. "
        "Try again later or ask an administrator to unlock it."
    ) % {"minutes": minutes}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    return render(request, "registration/locked.html", {"message": message}, status=429)

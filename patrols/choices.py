"""Choices of the patrols app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Period(models.TextChoices):
    """How often a plan's patrols are due: each period expects `patrols_per_period` patrols."""

    DAY = "day", _("Daily")
    WEEK = "week", _("Weekly")
    FORTNIGHT = "fortnight", _("Every other week")
    MONTH = "month", _("Monthly")


class PatrolState(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")
    CANCELLED = "cancelled", _("Cancelled")


class CheckInMethod(models.TextChoices):
    TAP = "tap", _("Tap nearby")
    QR = "qr", _("QR code")

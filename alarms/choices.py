from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """The kinds of external systems that send alarms (物联感知)."""

    FACE_GATE = "face_gate", _("Smart safe compound: face alarms at gates")
    FENCE = "fence", _("Electronic fence")
    VEHICLE = "vehicle", _("Three-vehicle theft prevention")
    SAND = "sand", _("Sand and gravel management")
    DUST = "dust", _("Dust monitoring")
    WASTE_TRUCK = "waste_truck", _("Construction-waste trucks")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    """What became of one alarm once processed."""

    PENDING = "pending", _("Waiting to be processed")
    EVENT = "event", _("Made an event")
    CLUSTERED = "clustered", _("Added to an event")
    BELOW_THRESHOLD = "below_threshold", _("Below the threshold")
    QUIET = "quiet", _("Quiet hours")
    THROTTLED = "throttled", _("Source throttled")
    UNPLACED = "unplaced", _("Device outside every grid")

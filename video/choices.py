"""The video app's choices."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Network(models.TextChoices):
    TIANWANG = "tianwang", _("Skynet (police)")
    XUELIANG = "xueliang", _("Sharp Eyes")
    HUIYAN = "huiyan", _("Household (Huiyan)")
    OTHER = "other", _("Other")


class CameraStatus(models.TextChoices):
    ONLINE = "online", _("Online")
    STALLED = "stalled", _("Stalled")  # publishing, but its playlist has no fresh segment
    OFFLINE = "offline", _("Offline")
    UNKNOWN = "unknown", _("Unknown")


class Codec(models.TextChoices):
    H264 = "h264", "H.264"
    H265 = "h265", "H.265"
    VP9 = "vp9", "VP9"
    AV1 = "av1", "AV1"
    UNKNOWN = "unknown", _("Unknown")


class ServerKind(models.TextChoices):
    NGINX_RTMP = "nginx_rtmp", "nginx-rtmp"
    MEDIAMTX = "mediamtx", "MediaMTX"
    ZLMEDIAKIT = "zlmediakit", "ZLMediaKit"
    WVP = "wvp", "wvp-GB28181-pro"


class Purpose(models.TextChoices):
    """Why someone watches a camera (recorded with every viewing; a household's consent lists the
    purposes it allows)."""

    ALARM = "alarm", _("Alarm / event response")
    PATROL = "patrol", _("Video patrol")
    INVESTIGATION = "investigation", _("Investigation")
    OWN = "own", _("Owner watching their own camera")


# What a household may allow in its consent (the owner's own watching needs none).
CONSENT_PURPOSES = (Purpose.ALARM, Purpose.PATROL, Purpose.INVESTIGATION)


class OwnerKind(models.TextChoices):
    HOUSEHOLD = "household", _("Household")
    ORGANISATION = "organisation", _("Organisation")


class StatusSource(models.TextChoices):
    HOOK = "hook", _("Media server hook")
    POLL = "poll", _("Polling")
    FRESHNESS = "freshness", _("Segment freshness")
    IMPORT = "import", _("Import")
    MANUAL = "manual", _("By hand")


class Tiles(models.IntegerChoices):
    ONE = 1, "1"
    FOUR = 4, "2×2"
    NINE = 9, "3×3"
    SIXTEEN = 16, "4×4"

"""The video app's tables: media servers, cameras with their status history, household consent,
the viewing audit, walls with saved layouts, patrol tours, camera groups and snapshots."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GistIndex
from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import CameraStatus, Codec, Network, OwnerKind, Purpose, ServerKind, StatusSource, Tiles

gb_code_validator = RegexValidator(r"^[0-9]{20}$", _("A GB/T 28181 code has exactly 20 digits."))
stream_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$", _("A stream name is letters, digits, '-', '_' and '.'.")
)


class MediaServer(models.Model):
    """A media server that carries camera streams (nginx-rtmp here; MediaMTX, ZLMediaKit or a
    wvp-GB28181-pro platform elsewhere), reached through `video.adapters.adapter_for(server)`.

    `slug` names the server in its hook URLs (/video/hooks/<slug>/…). `secret` is what a publisher
    (or the server's own hooks) must present; play tokens are signed with the site's key instead."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ServerKind.choices)
    api_url = models.URLField(_("API / status URL"), blank=True, help_text=_("nginx-rtmp: the /stat page."))
    rtmp_url = models.CharField(_("RTMP ingest URL"), max_length=200, blank=True)
    hls_url = models.CharField(
        _("HLS base URL"), max_length=200, blank=True, help_text=_("Where browsers fetch the HLS playlists.")
    )
    hls_dir = models.CharField(
        _("HLS directory"), max_length=300, blank=True, help_text=_("nginx-rtmp: hls_path, to check segment freshness.")
    )
    secret = models.CharField(_("secret"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("media server")
        verbose_name_plural = _("media servers")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


class Camera(models.Model):
    """A camera channel of one of the three networks (天网, 雪亮, 慧眼) or another.

    `code` is its GB/T 28181 20-digit code (validated and parsed by video.domain.gbcode: `gb_type`
    and `gb_network` are copies of its parts). `point` (WGS-84, a geography: distances in metres,
    KNN over its GiST index) places it in a `grid` and a `center` (the grid's community, or the
    center its civil code names when the point lies outside every grid). A household camera (慧眼)
    has an `owner` user and is watched by others only under the household's Consent."""

    code = models.CharField(_("GB/T 28181 code"), max_length=20, unique=True, validators=[gb_code_validator])
    name = models.CharField(_("name"), max_length=200)
    network = models.CharField(_("network"), max_length=16, choices=Network.choices)
    gb_type = models.CharField(_("device type"), max_length=3, editable=False)
    gb_network = models.CharField(_("network digit"), max_length=1, editable=False)
    point = models.PointField(_("position"), srid=4326, geography=True, spatial_index=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    grid = models.ForeignKey(
        "grids.Grid", verbose_name=_("grid"), null=True, blank=True, on_delete=models.SET_NULL, related_name="cameras"
    )
    center = models.ForeignKey(
        "grids.Center", verbose_name=_("center"), on_delete=models.PROTECT, related_name="cameras"
    )
    ptz = models.BooleanField(_("PTZ"), default=False, help_text=_("Pan-tilt-zoom (a dome); otherwise fixed."))
    codec = models.CharField(_("codec"), max_length=8, choices=Codec.choices, default=Codec.H264)
    media_server = models.ForeignKey(
        MediaServer,
        verbose_name=_("media server"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cameras",
    )
    stream = models.CharField(_("stream"), max_length=100, blank=True, validators=[stream_validator])
    device_code = models.CharField(
        _("device code"), max_length=20, blank=True, help_text=_("wvp: the GB device (NVR/DVR) the channel hangs on.")
    )
    owner_kind = models.CharField(_("owner kind"), max_length=16, choices=OwnerKind.choices, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("household owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="own_cameras",
    )
    owner_org = models.CharField(_("owner organisation"), max_length=200, blank=True)
    # The household consent in force, copied here by video.services (consent_give/consent_revoke, in
    # the same transaction as the Consent row, under the camera's lock) so that the nearest-camera
    # query checks it on each row of its KNN index scan instead of joining the consents: the centers
    # that may watch, for which purposes, until when (empty centers: no consent in force).
    consent_centers = ArrayField(models.IntegerField(), default=list, blank=True, editable=False)
    consent_purposes = ArrayField(models.CharField(max_length=16), default=list, blank=True, editable=False)
    consent_until = models.DateTimeField(null=True, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=8, choices=CameraStatus.choices, default=CameraStatus.UNKNOWN)
    status_changed_at = models.DateTimeField(_("status since"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    active = models.BooleanField(_("in service"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("camera")
        verbose_name_plural = _("cameras")
        ordering = ["code"]
        permissions = [("watch_cameras", _("Can watch the cameras of their area"))]
        indexes = [
            # The nearest online cameras (camera_nearest): KNN over the online ones only.
            GistIndex(fields=["point"], name="camera_point_online", condition=Q(status="online", active=True)),
            GistIndex(fields=["point"], name="camera_point"),
            models.Index(fields=["center", "network", "status"], name="camera_center_network"),
            models.Index(fields=["media_server", "stream"], name="camera_server_stream"),
            models.Index(fields=["owner"], name="camera_owner", condition=Q(owner__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["media_server", "stream"], condition=~Q(stream=""), name="camera_stream_once"
            ),
            models.CheckConstraint(
                condition=Q(owner__isnull=True) | Q(owner_kind=OwnerKind.HOUSEHOLD),
                name="camera_owner_is_household",
                violation_error_message=_("Only a household camera has a household owner."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def needs_transcoding(self) -> bool:
        """Browsers cannot play H.265: such a camera plays only through a transcoding server."""
        return self.codec == Codec.H265

    @property
    def household(self) -> bool:
        return self.network == Network.HUIYAN or self.owner_kind == OwnerKind.HOUSEHOLD


class CameraStatusChange(models.Model):
    """One change of a camera's status (written on change only, never on an unchanged poll)."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="status_changes", db_index=False)
    from_status = models.CharField(max_length=8, choices=CameraStatus.choices)
    to_status = models.CharField(max_length=8, choices=CameraStatus.choices)
    source = models.CharField(max_length=12, choices=StatusSource.choices)
    detail = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("camera status change")
        verbose_name_plural = _("camera status changes")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["camera", "-at"], name="camera_status_history")]


class Consent(models.Model):
    """A household's consent for its camera (慧眼) to be watched: by which centers (`centers`) and
    for which purposes (`purposes`, from CONSENT_PURPOSES), until `expires_at` (empty: until
    revoked). Revoked at any time from the household's phone page (`revoked_at`); at most one
    consent per camera is in force (not revoked) at once."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="consents")
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    centers = models.ManyToManyField("grids.Center", verbose_name=_("centers"), related_name="+")
    purposes = ArrayField(models.CharField(max_length=16, choices=Purpose.choices), verbose_name=_("purposes"))
    given_at = models.DateTimeField(_("given at"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("household consent")
        verbose_name_plural = _("household consents")
        ordering = ["-given_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["camera"], condition=Q(revoked_at__isnull=True), name="consent_one_in_force"
            )
        ]


class Viewing(models.Model):
    """Who watched which camera, when, how long and why: one row per play (camera_play). `ended_at`
    comes from the player's close call, or the last heartbeat when the player vanished."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    camera = models.ForeignKey(Camera, on_delete=models.PROTECT, related_name="viewings", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    center = models.ForeignKey("grids.Center", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    event = models.ForeignKey(
        "events.Event", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    tour = models.ForeignKey("video.Tour", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(_("started"))
    last_seen_at = models.DateTimeField(_("last heartbeat"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("viewing")
        verbose_name_plural = _("viewings")
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["camera", "-started_at"], name="viewing_camera"),
            models.Index(fields=["event"], name="viewing_event", condition=Q(event__isnull=False)),
        ]

    @property
    def duration_seconds(self) -> int:
        end = self.ended_at or self.last_seen_at
        return max(0, int((end - self.started_at).total_seconds()))


class CameraGroup(models.Model):
    """A named, ordered set of cameras of a center (a tour step may show a whole group)."""

    center = models.ForeignKey("grids.Center", verbose_name=_("center"), on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    cameras = models.ManyToManyField(Camera, through="GroupMember", related_name="+")

    class Meta:
        verbose_name = _("camera group")
        verbose_name_plural = _("camera groups")
        ordering = ["center", "name"]
        constraints = [models.UniqueConstraint(fields=["center", "name"], name="camera_group_name_once")]

    def __str__(self) -> str:
        return self.name


class GroupMember(models.Model):
    group = models.ForeignKey(CameraGroup, on_delete=models.CASCADE, related_name="members")
    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["group", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["group", "camera"], name="group_member_once")]


class Wall(models.Model):
    """A video wall (同屏显示) of a center, showing one of its saved layouts (`layout`) or a tour."""

    center = models.ForeignKey("grids.Center", verbose_name=_("center"), on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    layout = models.ForeignKey(
        "WallLayout", verbose_name=_("layout shown"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tour = models.ForeignKey(
        "Tour", verbose_name=_("tour running"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tour_started_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("video wall")
        verbose_name_plural = _("video walls")
        ordering = ["center", "name"]
        constraints = [models.UniqueConstraint(fields=["center", "name"], name="wall_name_once")]

    def __str__(self) -> str:
        return self.name


class WallLayout(models.Model):
    """A saved layout of a wall: 1/4/9/16 tiles and the camera in each (WallSlot)."""

    wall = models.ForeignKey(Wall, on_delete=models.CASCADE, related_name="layouts")
    name = models.CharField(_("name"), max_length=100)
    tiles = models.PositiveSmallIntegerField(_("tiles"), choices=Tiles.choices, default=Tiles.FOUR)

    class Meta:
        verbose_name = _("wall layout")
        verbose_name_plural = _("wall layouts")
        ordering = ["wall", "name"]
        constraints = [
            models.UniqueConstraint(fields=["wall", "name"], name="layout_name_once"),
            models.CheckConstraint(condition=Q(tiles__in=[1, 4, 9, 16]), name="layout_tiles"),
        ]

    def __str__(self) -> str:
        return self.name


class WallSlot(models.Model):
    layout = models.ForeignKey(WallLayout, on_delete=models.CASCADE, related_name="slots")
    position = models.PositiveSmallIntegerField()
    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["layout", "position"]
        constraints = [
            models.UniqueConstraint(fields=["layout", "position"], name="slot_position_once"),
            models.CheckConstraint(condition=Q(position__lt=16), name="slot_position_range"),
        ]


class Tour(models.Model):
    """A patrol tour (实时巡屏): ordered steps, each a camera or a group with a dwell time, shown on a
    wall of `tiles` tiles; the wall switches by itself (video.domain.walls.frame_at)."""

    center = models.ForeignKey("grids.Center", verbose_name=_("center"), on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    tiles = models.PositiveSmallIntegerField(_("tiles"), choices=Tiles.choices, default=Tiles.FOUR)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("patrol tour")
        verbose_name_plural = _("patrol tours")
        ordering = ["center", "name"]
        constraints = [
            models.UniqueConstraint(fields=["center", "name"], name="tour_name_once"),
            models.CheckConstraint(condition=Q(tiles__in=[1, 4, 9, 16]), name="tour_tiles"),
        ]

    def __str__(self) -> str:
        return self.name


class TourStep(models.Model):
    tour = models.ForeignKey(Tour, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    camera = models.ForeignKey(Camera, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(CameraGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    dwell_seconds = models.PositiveIntegerField(_("dwell (s)"), default=15)

    class Meta:
        ordering = ["tour", "position"]
        constraints = [
            models.UniqueConstraint(fields=["tour", "position"], name="tour_step_once"),
            models.CheckConstraint(
                condition=Q(camera__isnull=False, group__isnull=True) | Q(camera__isnull=True, group__isnull=False),
                name="tour_step_camera_or_group",
            ),
            models.CheckConstraint(condition=Q(dwell_seconds__gte=5, dwell_seconds__lte=3600), name="tour_step_dwell"),
        ]


def snapshot_path(instance: Snapshot, filename: str) -> str:
    return f"video/snapshots/{instance.camera_id}/{uuid.uuid4().hex}.jpg"


class Snapshot(models.Model):
    """A frame grabbed from a live camera; attached to an event as a timeline step (`attachment`,
    `action`: the events app's photo and step) when `event` is given. Served only through
    wenjiang_ops.files.private_file_response."""

    camera = models.ForeignKey(Camera, on_delete=models.PROTECT, related_name="snapshots")
    event = models.ForeignKey("events.Event", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    image = models.ImageField(upload_to=snapshot_path)
    attachment = models.ForeignKey(
        "events.Attachment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.ForeignKey("events.EventAction", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    viewing = models.ForeignKey(Viewing, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    taken_at = models.DateTimeField(_("taken at"))

    class Meta:
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")
        ordering = ["-taken_at"]


class AlarmResponse(models.Model):
    """The video app's answer to an event an alarm made (alarms.signals.alarm_event_made): the nearest
    cameras its holding center may watch, noted on its timeline (`note`), and a snapshot of the nearest
    live one attached (`snapshot`; `problem` says why not). One row per event — the event is the key —
    written in the same transaction as those steps, so a retried or repeated task changes nothing."""

    class Problem(models.TextChoices):
        NONE = "", _("None")
        NO_CAMERA = "no_camera", _("No camera nearby")
        NO_FRAME = "no_frame", _("No camera gave a frame")
        FINAL = "final", _("The event was already final")

    event = models.OneToOneField("events.Event", primary_key=True, on_delete=models.PROTECT, related_name="+")
    cameras = models.JSONField(_("cameras"), default=list, blank=True)  # [{id, name, distance_m}], nearest first
    note = models.ForeignKey("events.EventAction", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    snapshot = models.ForeignKey(Snapshot, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    problem = models.CharField(_("problem"), max_length=16, choices=Problem.choices, blank=True)
    made_at = models.DateTimeField(_("made at"))

    class Meta:
        verbose_name = _("alarm video response")
        verbose_name_plural = _("alarm video responses")

"""Every write of the video app: the registry, camera status, plays (tokens and the viewing audit),
household consent, walls, tours, groups, snapshots and the media servers' hooks.

Keyword-only arguments; each raises NotVisible (404: not in the user's scope), Refused (its
`status`: 400/403/404/409 with a stable `problem`), ValidationError (400, field errors) or
PermissionDenied (403), and then writes nothing.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from accounts.models import Role, User
from accounts.scope import EVERYTHING, SUBTREE, scope_for
from grids.models import Center, Grid

from . import tokens
from .choices import CONSENT_PURPOSES, CameraStatus, Codec, Network, OwnerKind, Purpose, StatusSource
from .domain import access, gbcode, walls
from .models import (
    Camera,
    CameraGroup,
    CameraStatusChange,
    Consent,
    GroupMember,
    MediaServer,
    Snapshot,
    Tour,
    TourStep,
    Viewing,
    Wall,
    WallLayout,
    WallSlot,
)
from .signals import camera_status_changed

log = logging.getLogger(__name__)


class NotVisible(Exception):
    """Not in the user's scope (404)."""


class Refused(Exception):
    """A play, consent or wall change refused: `problem` (a stable key) and `status` (HTTP)."""

    def __init__(self, message: str, *, problem: str, status: int):
        super().__init__(message)
        self.problem = problem
        self.status = status


REFUSALS = {
    "purpose": gettext_lazy("Choose why you watch: alarm response, patrol, investigation or your own camera."),
    "needs_event": gettext_lazy("Watching for an alarm response needs the event."),
    "needs_reason": gettext_lazy("An investigation needs a reason (at least a few words)."),
    "not_owner": gettext_lazy("Only the household that owns this camera watches it as its own."),
    "not_visible": gettext_lazy("No such camera in your area."),
    "no_consent": gettext_lazy(
        "The household has not consented to this camera being watched by your center for this purpose."
    ),
    "offline": gettext_lazy("The camera is offline."),
    "not_streamed": gettext_lazy("The camera has no stream on a media server."),
    "h265": gettext_lazy("The camera sends H.265, which browsers cannot play without a transcoding server."),
}


def refusal(problem: str, status: int) -> Refused:
    return Refused(str(REFUSALS.get(problem, problem)), problem=problem, status=status)


# --- the registry ----------------------------------------------------------------------------------

NAME_MAX = 200


@dataclass
class Places:
    """Lookups shared by the rows of one registry write (an import checks thousands of rows)."""

    centers: dict[str, Center]

    @classmethod
    def load(cls) -> Places:
        return cls(centers={c.code: c for c in Center.objects.only("id", "code", "path", "level", "name")})

    def center_for_code(self, parsed: gbcode.GbCode) -> Center | None:
        for code in parsed.center_codes():
            if code in self.centers:
                return self.centers[code]
        return None


def locate(point: Point) -> Grid | None:
    """The grid holding `point` (a comprehensive one before a dedicated one), or None."""
    return Grid.objects.filter(boundary__contains=point).select_related("center").order_by("kind", "code").first()


def camera_clean(data: dict, *, places: Places | None = None, instance: Camera | None = None) -> dict:
    """Checks one camera's fields (from a form, the API or an import row) and returns the model
    fields to write: code parsed, point → grid and center, owner rules. Raises ValidationError with
    field errors (all of them, not the first)."""
    places = places or Places.load()
    errors: dict[str, list[str]] = {}
    out: dict = {}
    try:
        parsed = gbcode.parse_camera(str(data.get("code") or ""))
        out.update(code=parsed.code, gb_type=parsed.type, gb_network=parsed.network)
    except gbcode.InvalidCode as exc:
        parsed = None
        errors["code"] = [_code_problem(exc, str(data.get("code") or ""))]
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = [_("A camera needs a name.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("A name has at most 200 characters.")]
    out["name"] = name
    network = data.get("network") or ""
    if network not in Network.values:
        errors["network"] = [_("Choose a network: tianwang, xueliang, huiyan or other.")]
    out["network"] = network
    point = None
    try:
        lat, lng = float(data.get("lat")), float(data.get("lng"))
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise ValueError
        point = Point(lng, lat, srid=4326)
    except (TypeError, ValueError):
        errors["lat"] = [_("A position is a latitude and a longitude (WGS-84 degrees).")]
    grid = locate(point) if point is not None else None
    center = grid.center if grid else (places.center_for_code(parsed) if parsed else None)
    if point is not None and parsed is not None and center is None:
        errors["lat"] = [_("The position lies outside every grid and the code's civil code names no center.")]
    out.update(point=point, grid=grid, center=center)
    codec = data.get("codec") or Codec.H264
    if codec not in Codec.values:
        errors["codec"] = [_("Unknown codec.")]
    out["codec"] = codec
    out["ptz"] = _boolean(data.get("ptz"))
    out["address"] = str(data.get("address") or "").strip()[:200]
    out["device_code"] = str(data.get("device_code") or "").strip()[:20]
    server = data.get("media_server")
    stream = str(data.get("stream") or "").strip()
    if server is not None and not isinstance(server, MediaServer):
        server = MediaServer.objects.filter(
            Q(slug=str(server)) | Q(pk=int(server) if str(server).isdigit() else None)
        ).first()
        if server is None:
            errors["media_server"] = [_("No such media server.")]
    if stream and server is None and "media_server" not in errors:
        errors["stream"] = [_("A stream needs its media server.")]
    if stream:
        from .models import stream_validator

        try:
            stream_validator(stream)
        except ValidationError as exc:
            errors["stream"] = exc.messages
    out.update(media_server=server, stream=stream)
    owner_kind = data.get("owner_kind") or ""
    owner = data.get("owner")
    if owner not in (None, "") and not isinstance(owner, User):
        owner = User.objects.filter(Q(username=str(owner)) | Q(pk=int(owner) if str(owner).isdigit() else None)).first()
        if owner is None:
            errors["owner"] = [_("No such household account.")]
    owner = owner or None
    if owner is not None:
        owner_kind = OwnerKind.HOUSEHOLD
        if owner.role != Role.RESIDENT:
            errors["owner"] = [_("A household owner is a resident's account.")]
    if network == Network.HUIYAN and not owner_kind:
        owner_kind = OwnerKind.HOUSEHOLD if owner else OwnerKind.ORGANISATION
    if owner_kind and owner_kind not in OwnerKind.values:
        errors["owner_kind"] = [_("Unknown kind of owner.")]
    owner_org = str(data.get("owner_org") or "").strip()[:200]
    if network == Network.HUIYAN and owner_kind == OwnerKind.ORGANISATION and not owner_org:
        errors["owner_org"] = [_("A Huiyan camera belongs to a household account or a named organisation.")]
    out.update(owner=owner, owner_kind=owner_kind, owner_org=owner_org)
    if errors:
        raise ValidationError(errors)
    return out


CODE_PROBLEMS = {
    "format": gettext_lazy("A GB/T 28181 code has exactly 20 digits."),
    "civil": gettext_lazy("Digits 1–8 (%(civil)s) are not a valid civil code."),
    "type": gettext_lazy("Digits 11–13 (%(type)s) are not a GB/T 28181 device type."),
    "not_camera": gettext_lazy("Digits 11–13 (%(type)s) name a device that is not a camera (131 or 132)."),
}


def _code_problem(exc: gbcode.InvalidCode, code: str) -> str:
    """The code's problem in the user's language (the domain's messages are English)."""
    message = CODE_PROBLEMS.get(exc.problem)
    if message is None:
        return str(exc)
    return str(message) % {"civil": code.strip()[:8], "type": code.strip()[10:13]}


def _boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in {"1", "true", "yes", "y", "ptz", "是", "球机"}


def _center_roles(user: User) -> None:
    scope = scope_for(user)
    if scope.video not in (EVERYTHING, SUBTREE):
        raise PermissionDenied(_("Only a center's staff or an administrator manage cameras, walls and tours."))


def _check_center(user: User, center: Center | None) -> None:
    if center is None:
        return
    if not scope_for(user).centers().filter(pk=center.pk).exists():
        raise ValidationError({"center": [_("The camera would lie outside your area.")]})


@transaction.atomic
def camera_create(*, actor: User, data: dict, now: datetime | None = None) -> Camera:
    """Registers one camera (center roles, inside their area)."""
    _center_roles(actor)
    fields = camera_clean(data)
    _check_center(actor, fields["center"])
    if Camera.objects.filter(code=fields["code"]).exists():
        raise ValidationError({"code": [_("A camera with this code is already registered.")]})
    _check_stream_free(fields, None)
    return Camera.objects.create(**fields, status=CameraStatus.UNKNOWN)


@transaction.atomic
def camera_update(*, actor: User, camera_id: int, data: dict) -> Camera:
    """Changes one camera's registry fields (not its status). Takes the camera's row lock."""
    _center_roles(actor)
    camera = scope_for(actor).cameras(Camera.objects.select_for_update()).filter(pk=camera_id).first()
    if camera is None:
        raise NotVisible(_("No such camera in your area."))
    current = camera_fields(camera)
    fields = camera_clean({**current, **data}, instance=camera)
    _check_center(actor, fields["center"])
    if Camera.objects.filter(code=fields["code"]).exclude(pk=camera.pk).exists():
        raise ValidationError({"code": [_("A camera with this code is already registered.")]})
    _check_stream_free(fields, camera.pk)
    for name, value in fields.items():
        setattr(camera, name, value)
    camera.save()
    return camera


def camera_fields(camera: Camera) -> dict:
    """A camera as the input of camera_clean (what an edit starts from)."""
    return {
        "code": camera.code,
        "name": camera.name,
        "network": camera.network,
        "lat": camera.point.y,
        "lng": camera.point.x,
        "address": camera.address,
        "ptz": camera.ptz,
        "codec": camera.codec,
        "media_server": camera.media_server,
        "stream": camera.stream,
        "device_code": camera.device_code,
        "owner_kind": camera.owner_kind,
        "owner": camera.owner,
        "owner_org": camera.owner_org,
    }


def _check_stream_free(fields: dict, pk: int | None) -> None:
    if fields["stream"] and fields["media_server"] is not None:
        taken = Camera.objects.filter(media_server=fields["media_server"], stream=fields["stream"]).exclude(pk=pk)
        if taken.exists():
            raise ValidationError({"stream": [_("Another camera already uses this stream on this server.")]})


# --- status ----------------------------------------------------------------------------------------


def cameras_set_status(
    changes: dict[int, str], *, source: str, now: datetime | None = None, detail: str = ""
) -> list[dict]:
    """Sets the status of cameras (`changes`: id → status). A history row only for a camera whose
    status really changes (a poll that finds everything as it was writes nothing but last_seen);
    the cameras' row locks are taken in id order. Sends camera_status_changed after the commit.
    Returns the changes made."""
    now = now or timezone.now()
    if not changes:
        return []
    made: list[dict] = []
    with transaction.atomic():
        rows = list(
            Camera.objects.select_for_update()
            .filter(pk__in=list(changes))
            .order_by("pk")
            .only("pk", "status", "center_id", "network")
        )
        history = []
        for camera in rows:
            new = changes[camera.pk]
            if new == CameraStatus.ONLINE:
                camera.last_seen_at = now
            if new == camera.status:
                continue
            history.append(
                CameraStatusChange(
                    camera_id=camera.pk,
                    from_status=camera.status,
                    to_status=new,
                    source=source,
                    detail=detail[:200],
                    at=now,
                )
            )
            made.append(
                {
                    "camera": camera.pk,
                    "center": camera.center_id,
                    "network": camera.network,
                    "from": camera.status,
                    "to": new,
                    "at": now.isoformat(),
                }
            )
            camera.status, camera.status_changed_at = new, now
        online = [c.pk for c in rows if changes[c.pk] == CameraStatus.ONLINE]
        if online:
            Camera.objects.filter(pk__in=online).update(last_seen_at=now)
        changed = {c["camera"]: c["to"] for c in made}
        for status in set(changed.values()):
            Camera.objects.filter(pk__in=[pk for pk, s in changed.items() if s == status]).update(
                status=status, status_changed_at=now
            )
        CameraStatusChange.objects.bulk_create(history)
        if made:
            transaction.on_commit(partial(_announce, made), robust=True)
    return made


def _announce(made: list[dict]) -> None:
    camera_status_changed.send_robust(sender=Camera, changes=made)


def server_apply_health(
    *, server: MediaServer, health: dict, now: datetime | None = None, source: str = StatusSource.POLL
) -> list[dict]:
    """Brings the status of a server's streamed cameras in line with what the server reports
    (`health`: stream name → StreamHealth): a stream not reported is offline; one publishing but
    with a stale playlist is stalled."""
    now = now or timezone.now()
    cameras = (
        Camera.objects.filter(media_server=server, active=True).exclude(stream="").values_list("pk", "stream", "status")
    )
    changes: dict[int, str] = {}
    touched = []
    for pk, stream, status in cameras:
        seen = health.get(stream)
        new = seen.status if seen is not None else CameraStatus.OFFLINE
        if new == CameraStatus.ONLINE:
            touched.append(pk)
        if new != status or new == CameraStatus.ONLINE:
            changes[pk] = new
    return cameras_set_status(changes, source=source, now=now)


def servers_poll(*, now: datetime | None = None) -> dict[str, object]:
    """Polls every active media server once (the Celery beat task video.poll): its streams and their
    segments' freshness, then the cameras' status. A server that cannot be reached marks nothing
    (its error is kept on the server row): an unreachable status page is not 2,000 cameras down."""
    from .adapters import AdapterError, adapter_for

    now = now or timezone.now()
    result: dict[str, object] = {}
    for server in MediaServer.objects.filter(active=True):
        try:
            health = adapter_for(server).streams()
        except (AdapterError, NotImplementedError) as exc:
            MediaServer.objects.filter(pk=server.pk).update(last_polled_at=now, last_error=str(exc)[:500])
            result[server.slug] = f"error: {exc}"
            continue
        made = server_apply_health(server=server, health=health, now=now)
        MediaServer.objects.filter(pk=server.pk).update(last_polled_at=now, last_error="")
        result[server.slug] = len(made)
    return result


# --- plays and the viewing audit ---------------------------------------------------------------------


@dataclass(frozen=True)
class Play:
    """What a player needs: the viewing (audit row), the token, the token-bearing URL and when it
    dies (the player renews it with viewing_heartbeat before then)."""

    viewing: Viewing
    token: str
    url: str
    expires_at: datetime
    camera: Camera


def consent_in_force(camera_id: int, *, now: datetime) -> access.ConsentFacts | None:
    consent = (
        Consent.objects.filter(camera_id=camera_id, revoked_at__isnull=True)
        .prefetch_related("centers")
        .order_by("-given_at")
        .first()
    )
    if consent is None:
        return None
    return access.ConsentFacts(
        center_ids=frozenset(c.pk for c in consent.centers.all()),
        purposes=frozenset(consent.purposes),
        revoked=consent.revoked_at is not None,
        expires_at=consent.expires_at,
    )


def play_refusal(
    user: User, camera: Camera, *, purpose: str, now: datetime, has_event: bool = False, reason: str = ""
) -> access.Refusal | None:
    """Why `user` may not watch `camera` for `purpose` now (None: they may). Scope, consent, state."""
    in_scope = scope_for(user).cameras(Camera.objects.filter(pk=camera.pk)).exists()
    facts = access.CameraFacts(
        network=camera.network, status=camera.status, owner_id=camera.owner_id, household=camera.household
    )
    consent = consent_in_force(camera.pk, now=now) if access.needs_consent(facts) else None
    viewer = access.ViewerFacts(user_id=user.pk, center_id=user.center_id, in_scope=in_scope)
    return access.may_watch(
        camera=facts, viewer=viewer, purpose=purpose, now=now, consent=consent, has_event=has_event, reason=reason
    )


def _sign(camera: Camera, viewing: Viewing, now: datetime) -> tuple[str, str, datetime]:
    from .adapters import adapter_for

    expires = int(now.timestamp()) + tokens.ttl_seconds()
    token = tokens.sign(server=camera.media_server.slug, stream=camera.stream, viewing=viewing.pk.hex, expires=expires)
    adapter = adapter_for(camera.media_server)
    if camera.media_server.kind == "wvp":  # wvp starts the channel and names the URL itself
        url = adapter.play_url_for(camera.device_code, camera.code, token)
    else:
        url = adapter.play_url(camera.stream, token)
    return token, url, datetime.fromtimestamp(expires, tz=timezone.get_current_timezone())


def camera_play(
    *,
    user: User,
    camera_id: int,
    purpose: str,
    event_id: int | None = None,
    reason: str = "",
    tour_id: int | None = None,
    now: datetime | None = None,
) -> Play:
    """Lets `user` watch a camera for `purpose` (with the event for an alarm response): checks the
    scope, a household's consent and the purpose, records a Viewing and returns a short-lived
    signed token with the token-bearing HLS URL. Raises Refused (400/403/404/409)."""
    now = now or timezone.now()
    camera = Camera.objects.select_related("media_server").filter(pk=camera_id, active=True).first()
    if camera is None:
        raise refusal("not_visible", 404)
    event = None
    if event_id is not None:
        from events.models import Event

        event = scope_for(user).events(Event.objects.filter(pk=event_id)).first()
        if event is None:
            raise Refused(_("No such event in your area."), problem="event", status=404)
    found = play_refusal(user, camera, purpose=purpose, now=now, has_event=event is not None, reason=reason)
    if found is not None:
        raise refusal(found.problem, found.status)
    if camera.media_server is None or not camera.stream:
        raise refusal("not_streamed", 409)
    if camera.codec == Codec.H265:
        raise refusal("h265", 409)
    tour = None
    if tour_id is not None:
        tour = visible_tours(user).filter(pk=tour_id).first()
        if tour is None:
            raise Refused(_("No such tour in your area."), problem="tour", status=404)
    viewing = Viewing.objects.create(
        id=uuid.uuid4(),
        camera=camera,
        user=user,
        center_id=user.center_id,
        purpose=purpose,
        reason=reason.strip()[:500],
        event=event,
        tour=tour,
        started_at=now,
        last_seen_at=now,
    )
    token, url, expires_at = _sign(camera, viewing, now)
    return Play(viewing=viewing, token=token, url=url, expires_at=expires_at, camera=camera)


def viewing_heartbeat(*, user: User, viewing_id, now: datetime | None = None) -> Play:
    """The player is still watching: extends the viewing and returns a fresh token, after checking
    again that the user may watch (a household that revoked its consent stops the play here, at the
    latest one token's lifetime after the revocation). Refused: 404 not theirs, 409 ended."""
    now = now or timezone.now()
    viewing = _own_viewing(user, viewing_id)
    if viewing.ended_at is not None:
        raise Refused(_("This viewing has ended."), problem="ended", status=409)
    camera = viewing.camera
    found = play_refusal(
        user, camera, purpose=viewing.purpose, now=now, has_event=viewing.event_id is not None, reason=viewing.reason
    )
    if found is not None:
        Viewing.objects.filter(pk=viewing.pk, ended_at__isnull=True).update(ended_at=now, last_seen_at=now)
        raise refusal(found.problem, found.status)
    Viewing.objects.filter(pk=viewing.pk).update(last_seen_at=now)
    viewing.last_seen_at = now
    token, url, expires_at = _sign(camera, viewing, now)
    return Play(viewing=viewing, token=token, url=url, expires_at=expires_at, camera=camera)


def viewing_end(*, user: User, viewing_id, now: datetime | None = None) -> Viewing:
    """The player closed: the viewing ends now (a second call changes nothing)."""
    now = now or timezone.now()
    viewing = _own_viewing(user, viewing_id)
    if viewing.ended_at is None:
        Viewing.objects.filter(pk=viewing.pk, ended_at__isnull=True).update(ended_at=now, last_seen_at=now)
        viewing.ended_at = viewing.last_seen_at = now
    return viewing


def _own_viewing(user: User, viewing_id) -> Viewing:
    try:
        pk = uuid.UUID(str(viewing_id))
    except ValueError:
        raise Refused(_("No such viewing."), problem="viewing", status=404) from None
    viewing = Viewing.objects.select_related("camera__media_server").filter(pk=pk, user=user).first()
    if viewing is None:
        raise Refused(_("No such viewing."), problem="viewing", status=404)
    return viewing


def viewings_close_idle(*, now: datetime | None = None, idle_seconds: int | None = None) -> int:
    """Ends the viewings whose player vanished (no heartbeat for a token's lifetime and more): their
    end is their last heartbeat. Part of the poll task."""
    now = now or timezone.now()
    idle = timedelta(seconds=idle_seconds or 2 * tokens.ttl_seconds())
    from django.db.models import F

    return Viewing.objects.filter(ended_at__isnull=True, last_seen_at__lt=now - idle).update(ended_at=F("last_seen_at"))


# --- household consent -------------------------------------------------------------------------------


def _own_camera(user: User, camera_id: int, *, lock: bool = False) -> Camera:
    queryset = Camera.objects.select_for_update() if lock else Camera.objects.all()
    camera = queryset.filter(pk=camera_id, owner=user).first()
    if camera is None:
        raise NotVisible(_("No such camera of yours."))
    return camera


@transaction.atomic
def consent_give(
    *,
    user: User,
    camera_id: int,
    center_ids: list[int],
    purposes: list[str],
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> Consent:
    """The household owner consents to their camera being watched by `center_ids` for `purposes`
    until `expires_at`: replaces the consent in force (revoked now). Takes the camera's row lock.
    The centers must be those of the camera's area (its center and the centers above it)."""
    now = now or timezone.now()
    camera = _own_camera(user, camera_id, lock=True)
    center_ids = sorted({int(pk) for pk in center_ids})
    problem = access.consent_check(center_ids=set(center_ids), purposes=set(purposes), expires_at=expires_at, now=now)
    messages = {
        "no_purpose": ("purposes", _("Choose at least one purpose.")),
        "bad_purpose": ("purposes", _("Unknown purpose.")),
        "no_center": ("centers", _("Choose at least one center.")),
        "expired": ("expires_at", _("The expiry must lie in the future.")),
    }
    if problem:
        field, message = messages[problem]
        raise ValidationError({field: [message]})
    allowed = set(camera_area_centers(camera).values_list("pk", flat=True))
    if not set(center_ids) <= allowed:
        raise ValidationError({"centers": [_("Only the centers of your camera's area can be chosen.")]})
    Consent.objects.filter(camera=camera, revoked_at__isnull=True).update(revoked_at=now)
    consent = Consent.objects.create(
        camera=camera,
        given_by=user,
        purposes=[p for p in CONSENT_PURPOSES if p in purposes],
        given_at=now,
        expires_at=expires_at,
    )
    consent.centers.set(center_ids)
    consent_sync(camera.pk)
    return consent


def consent_sync(camera_id: int) -> None:
    """Copies the consent in force (or its absence) onto the camera row (Camera.consent_*), where the
    nearest-camera query reads it. Called in the transaction that changes the consent, with the
    camera's row lock held."""
    consent = Consent.objects.filter(camera_id=camera_id, revoked_at__isnull=True).prefetch_related("centers").first()
    if consent is None:
        Camera.objects.filter(pk=camera_id).update(consent_centers=[], consent_purposes=[], consent_until=None)
        return
    Camera.objects.filter(pk=camera_id).update(
        consent_centers=sorted(c.pk for c in consent.centers.all()),
        consent_purposes=list(consent.purposes),
        consent_until=consent.expires_at,
    )


CONSENTS_COPY_SQL = """
update video_camera c set consent_centers = k.centers, consent_purposes = k.purposes, consent_until = k.expires_at
from (
    select k.camera_id, k.purposes, k.expires_at,
           coalesce(array_agg(kc.center_id order by kc.center_id) filter (where kc.center_id is not null), '{}') as centers
    from video_consent k left join video_consent_centers kc on kc.consent_id = k.id
    where k.revoked_at is null
    group by k.id
) k
where k.camera_id = c.id
"""  # noqa: E501


def consents_copy_all() -> int:
    """consent_sync for every camera with a consent in force, in one statement (bulk writers: the
    demo, the benchmark). Returns the rows updated."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(CONSENTS_COPY_SQL)
        return cursor.rowcount


def camera_area_centers(camera: Camera):
    """The centers a household may let watch its camera: the camera's center and its ancestors."""
    center = camera.center
    return Center.objects.filter(code__in=center.path.strip("/").split("/")).order_by("depth")


@transaction.atomic
def consent_revoke(*, user: User, camera_id: int, now: datetime | None = None) -> Consent | None:
    """The household withdraws its consent now (the next play and the next heartbeat are refused).
    Returns the consent revoked, or None when none was in force."""
    now = now or timezone.now()
    camera = _own_camera(user, camera_id, lock=True)
    consent = Consent.objects.filter(camera=camera, revoked_at__isnull=True).first()
    if consent is None:
        return None
    consent.revoked_at = now
    consent.save(update_fields=["revoked_at"])
    consent_sync(camera.pk)
    # Plays in progress stop at their next heartbeat (within one token's lifetime).
    return consent


# --- walls, tours, groups -------------------------------------------------------------------------------


def visible_walls(user: User):
    return (
        Wall.objects.filter(scope_for(user).center_q("center"))
        if scope_for(user).video in (EVERYTHING, SUBTREE)
        else Wall.objects.none()
    )


def visible_tours(user: User):
    scope = scope_for(user)
    return (
        Tour.objects.filter(scope.center_q("center")) if scope.video in (EVERYTHING, SUBTREE) else Tour.objects.none()
    )


def visible_groups(user: User):
    scope = scope_for(user)
    if scope.video not in (EVERYTHING, SUBTREE):
        return CameraGroup.objects.none()
    return CameraGroup.objects.filter(scope.center_q("center"))


def _writable_center(user: User, center_id) -> Center:
    _center_roles(user)
    center = scope_for(user).centers().filter(pk=center_id).first() if center_id not in (None, "") else user.center
    if center is None:
        raise NotVisible(_("No such center in your area."))
    return center


def _rule(exc: walls.WallRuleError, field: str) -> ValidationError:
    return ValidationError({field: [str(exc)]})


def _visible_camera_ids(user: User, ids: list[int]) -> set[int]:
    return set(scope_for(user).cameras(Camera.objects.filter(pk__in=ids)).values_list("pk", flat=True))


@transaction.atomic
def wall_create(*, user: User, center_id: int | None, name: str) -> Wall:
    center = _writable_center(user, center_id)
    name = (name or "").strip()[:100]
    if not name:
        raise ValidationError({"name": [_("A wall needs a name.")]})
    if Wall.objects.filter(center=center, name=name).exists():
        raise ValidationError({"name": [_("This center already has a wall of this name.")]})
    return Wall.objects.create(center=center, name=name, created_by=user)


@transaction.atomic
def wall_layout_save(
    *, user: User, wall_id: int, name: str, tiles: int, slots: list[dict], show: bool = True
) -> WallLayout:
    """Saves a layout of a wall (`slots`: [{"position": 0…tiles-1, "camera": id}]), replacing the
    layout of the same name; shows it on the wall when `show`. Every camera must be one the user
    sees. Takes the wall's row lock."""
    _center_roles(user)
    wall = visible_walls(user).select_for_update().filter(pk=wall_id).first()
    if wall is None:
        raise NotVisible(_("No such wall in your area."))
    name = (name or "").strip()[:100]
    if not name:
        raise ValidationError({"name": [_("A layout needs a name.")]})
    try:
        tiles = int(tiles)
        positions = [int(s["position"]) for s in slots]
        cameras = [int(s["camera"]) for s in slots]
        walls.check_layout(tiles, positions)
    except (KeyError, TypeError, ValueError):
        raise ValidationError({"slots": [_("Each tile is a position and a camera id.")]}) from None
    except walls.WallRuleError as exc:
        raise _rule(exc, "slots" if exc.problem != "tiles" else "tiles") from None
    missing = set(cameras) - _visible_camera_ids(user, cameras)
    if missing:
        raise ValidationError(
            {"slots": [_("No such camera in your area: %(ids)s") % {"ids": ", ".join(map(str, sorted(missing)))}]}
        )
    layout, _created = WallLayout.objects.update_or_create(wall=wall, name=name, defaults={"tiles": tiles})
    layout.slots.all().delete()
    WallSlot.objects.bulk_create(
        [WallSlot(layout=layout, position=p, camera_id=c) for p, c in zip(positions, cameras, strict=True)]
    )
    if show:
        wall.layout, wall.tour, wall.tour_started_at = layout, None, None
        wall.save(update_fields=["layout", "tour", "tour_started_at"])
    return layout


@transaction.atomic
def wall_show(
    *, user: User, wall_id: int, layout_id: int | None = None, tour_id: int | None = None, now: datetime | None = None
) -> Wall:
    """Shows a saved layout, or starts a tour (the tour's start time makes every screen agree on the
    frame: video.domain.walls.frame_at), on a wall."""
    _center_roles(user)
    wall = visible_walls(user).select_for_update().filter(pk=wall_id).first()
    if wall is None:
        raise NotVisible(_("No such wall in your area."))
    if (layout_id is None) == (tour_id is None):
        raise ValidationError({"detail": [_("Show either a layout or a tour.")]})
    if layout_id is not None:
        layout = wall.layouts.filter(pk=layout_id).first()
        if layout is None:
            raise NotVisible(_("No such layout of this wall."))
        wall.layout, wall.tour, wall.tour_started_at = layout, None, None
    else:
        tour = visible_tours(user).filter(pk=tour_id).first()
        if tour is None:
            raise NotVisible(_("No such tour in your area."))
        wall.layout, wall.tour, wall.tour_started_at = None, tour, now or timezone.now()
    wall.save(update_fields=["layout", "tour", "tour_started_at"])
    return wall


@transaction.atomic
def tour_save(
    *, user: User, center_id: int | None, name: str, tiles: int, steps: list[dict], tour_id: int | None = None
) -> Tour:
    """Creates or replaces a patrol tour (`steps`: [{"camera": id} or {"group": id}, with
    "dwell_seconds"], in order). Every camera and group must be visible to the user."""
    center = _writable_center(user, center_id)
    name = (name or "").strip()[:100]
    if not name:
        raise ValidationError({"name": [_("A tour needs a name.")]})
    try:
        tiles = int(tiles)
        walls.check_tiles(tiles)
    except (TypeError, ValueError):
        raise ValidationError({"tiles": [_("A wall has 1, 4, 9 or 16 tiles.")]}) from None
    except walls.WallRuleError as exc:
        raise _rule(exc, "tiles") from None
    parsed = []
    errors = []
    for index, step in enumerate(steps or []):
        try:
            camera = step.get("camera")
            group = step.get("group")
            dwell = int(step.get("dwell_seconds", 15))
            if (camera in (None, "")) == (group in (None, "")):
                raise ValueError
            parsed.append(
                (
                    int(camera) if camera not in (None, "") else None,
                    int(group) if group not in (None, "") else None,
                    dwell,
                )
            )
        except (AttributeError, TypeError, ValueError):
            errors.append(_("Step %(n)d: a camera or a group, and a dwell time in seconds.") % {"n": index + 1})
    if errors:
        raise ValidationError({"steps": errors})
    try:
        walls.check_steps([walls.Step(cameras=(), dwell=d) for _c, _g, d in parsed])
    except walls.WallRuleError as exc:
        raise _rule(exc, "steps") from None
    camera_ids = [c for c, _g, _d in parsed if c is not None]
    missing = set(camera_ids) - _visible_camera_ids(user, camera_ids)
    group_ids = [g for _c, g, _d in parsed if g is not None]
    missing_groups = set(group_ids) - set(visible_groups(user).filter(pk__in=group_ids).values_list("pk", flat=True))
    if missing or missing_groups:
        raise ValidationError({"steps": [_("No such camera or group in your area.")]})
    if tour_id is not None:
        tour = visible_tours(user).select_for_update().filter(pk=tour_id).first()
        if tour is None:
            raise NotVisible(_("No such tour in your area."))
        if Tour.objects.filter(center=tour.center, name=name).exclude(pk=tour.pk).exists():
            raise ValidationError({"name": [_("This center already has a tour of this name.")]})
        tour.name, tour.tiles = name, tiles
        tour.save(update_fields=["name", "tiles"])
        tour.steps.all().delete()
    else:
        if Tour.objects.filter(center=center, name=name).exists():
            raise ValidationError({"name": [_("This center already has a tour of this name.")]})
        tour = Tour.objects.create(center=center, name=name, tiles=tiles, created_by=user)
    TourStep.objects.bulk_create(
        [
            TourStep(tour=tour, position=i, camera_id=c, group_id=g, dwell_seconds=d)
            for i, (c, g, d) in enumerate(parsed)
        ]
    )
    return tour


@transaction.atomic
def group_save(
    *, user: User, center_id: int | None, name: str, camera_ids: list[int], group_id: int | None = None
) -> CameraGroup:
    """Creates or replaces a camera group (its cameras in order; each visible to the user)."""
    center = _writable_center(user, center_id)
    name = (name or "").strip()[:100]
    if not name:
        raise ValidationError({"name": [_("A group needs a name.")]})
    try:
        ids = list(dict.fromkeys(int(pk) for pk in camera_ids))
    except (TypeError, ValueError):
        raise ValidationError({"cameras": [_("Cameras are given by their ids.")]}) from None
    if not ids:
        raise ValidationError({"cameras": [_("Choose at least one camera.")]})
    missing = set(ids) - _visible_camera_ids(user, ids)
    if missing:
        raise ValidationError({"cameras": [_("No such camera in your area.")]})
    if group_id is not None:
        group = visible_groups(user).select_for_update().filter(pk=group_id).first()
        if group is None:
            raise NotVisible(_("No such group in your area."))
        group.name = name
        group.save(update_fields=["name"])
        group.members.all().delete()
    else:
        if CameraGroup.objects.filter(center=center, name=name).exists():
            raise ValidationError({"name": [_("This center already has a group of this name.")]})
        group = CameraGroup.objects.create(center=center, name=name)
    GroupMember.objects.bulk_create([GroupMember(group=group, camera_id=pk, position=i) for i, pk in enumerate(ids)])
    return group


# --- snapshots --------------------------------------------------------------------------------------------


def snapshot_take(
    *,
    user: User,
    camera_id: int,
    event_id: int | None = None,
    purpose: str = Purpose.ALARM,
    reason: str = "",
    now: datetime | None = None,
) -> Snapshot:
    """Grabs one frame of a live camera (through its media server's adapter) and, with an event,
    attaches it to the event as a timeline step (events.services.attachments_add: the event's own
    visibility and permission rules apply). The grab is a play: the same checks, and a viewing row.
    Raises Refused, NotVisible, the events app's errors, or AdapterError (502)."""
    from django.core.files.base import ContentFile

    from .adapters import AdapterError, adapter_for

    now = now or timezone.now()
    play = camera_play(user=user, camera_id=camera_id, purpose=purpose, event_id=event_id, reason=reason, now=now)
    camera = play.camera
    try:
        jpeg = adapter_for(camera.media_server).snapshot(camera.stream, token=play.token)
    except NotImplementedError:
        raise AdapterError(_("This media server gives no snapshots.")) from None
    finally:
        viewing_end(user=user, viewing_id=play.viewing.pk, now=timezone.now())
    attachment = action = None
    if event_id is not None:
        from events.models import Attachment
        from events.services import attachments_add

        upload = ContentFile(jpeg, name=f"camera-{camera.pk}.jpg")
        added = attachments_add(
            event_id=event_id,
            uploader=user,
            uploads=[upload],
            kind=Attachment.Kind.OTHER,
            reason=_("Video snapshot: %(camera)s") % {"camera": camera.name},
        )
        attachment = added[0]
        action = attachment.action
    snapshot = Snapshot(
        camera=camera,
        event_id=event_id,
        attachment=attachment,
        action=action,
        viewing=play.viewing,
        taken_by=user,
        taken_at=now,
    )
    snapshot.image.save(f"{camera.pk}.jpg", ContentFile(jpeg), save=False)
    try:
        snapshot.save()
    except BaseException:
        snapshot.image.storage.delete(snapshot.image.name)
        raise
    return snapshot


# --- the media servers' hooks -------------------------------------------------------------------------------


def hook_server(slug: str) -> MediaServer | None:
    return MediaServer.objects.filter(slug=slug, active=True).first()


def hook_publish(*, server: MediaServer, stream: str, key: str = "", now: datetime | None = None) -> bool:
    """A source starts publishing `stream` (nginx-rtmp on_publish, ZLMediaKit on_publish): allowed
    when the server has no secret or the publisher gave it as `key`, and the stream is a registered
    camera's; the camera goes online."""
    if server.secret and key != server.secret:
        return False
    camera = Camera.objects.filter(media_server=server, stream=stream, active=True).values_list("pk", flat=True).first()
    if camera is None:
        return False
    cameras_set_status({camera: CameraStatus.ONLINE}, source=StatusSource.HOOK, now=now, detail="publish")
    return True


def hook_publish_done(*, server: MediaServer, stream: str, now: datetime | None = None) -> None:
    """The source stopped publishing: the camera goes offline."""
    camera = Camera.objects.filter(media_server=server, stream=stream).values_list("pk", flat=True).first()
    if camera is not None:
        cameras_set_status({camera: CameraStatus.OFFLINE}, source=StatusSource.HOOK, now=now, detail="publish done")


def hook_play(*, server_slug: str, stream: str, token: str) -> bool:
    """An RTMP play (nginx-rtmp on_play, ZLMediaKit on_play): allowed only with a valid token for
    this stream on this server. No database work."""
    return tokens.check(token, server=server_slug, stream=stream) is not None


def hook_auth_uri(*, server_slug: str, uri: str) -> bool:
    """An HLS request that nginx asks about (auth_request, X-Original-URI): allowed only when its
    path carries a valid token for its stream. No database work."""
    return tokens.check_hls_uri(uri, server=server_slug) is not None


def now_seconds() -> float:
    return time.time()


# --- the alarm response: the nearest cameras and a snapshot on an alarm's event ---------------------------

ALARM_ACCOUNT = "video-alarm-response"


def alarm_account() -> User:
    """The account the alarm response writes as (the viewings, the timeline steps): center staff of no
    center, inactive, without a password — it never signs in, and no one urges or tells it anything."""
    user = User.objects.filter(username=ALARM_ACCOUNT).first()
    if user is not None:
        return user
    user = User(username=ALARM_ACCOUNT, first_name=_("Video linkage"), role=Role.CENTER_STAFF, is_active=False)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # made by a concurrent task
        user = User.objects.get(username=ALARM_ACCOUNT)
    return user


def _acting_for(account: User, center: Center) -> User:
    """`account` standing at `center`, in memory only (never saved): every check the response goes
    through — the cameras' scope, a household's consent for the center, the holder's right to add
    photos — is the center's staff's, and every row it writes names the account and the center."""
    acting = User(
        pk=account.pk,
        username=account.username,
        first_name=account.first_name,
        role=Role.CENTER_STAFF,
        center=center,
        is_active=True,
    )
    acting._state.adding = False
    acting._state.db = account._state.db
    return acting


def alarm_response_make(*, event_id: int, now: datetime | None = None):
    """Answers an event an alarm made (the receiver of alarms.signals.alarm_event_made queues it):
    the nearest online cameras within VIDEO_ALARM_RADIUS_M that the event's holding center may watch
    for an alarm response (a household's only with its consent for that center and purpose), noted
    on the timeline as one step (names and distances), and a snapshot of the nearest one that gives a
    frame attached as a step of its own (snapshot_take: a viewing of the account, for the center).
    No camera, or none giving a frame: the note says so; the event is never harmed.

    Exactly once per event: the AlarmResponse row (keyed by the event) is inserted first and
    committed with the steps; a second run waits on it, then finds it and does nothing (None). A
    run cut short commits nothing, and the retry does it all. The frame grab runs inside that
    transaction, holding only the new row (and the event's row lock briefly at the end)."""
    from events.domain.states import FINAL_STATES
    from events.models import Event
    from events.services import event_notes_add

    from .models import AlarmResponse
    from .selectors import camera_nearest

    now = now or timezone.now()
    # Written in the platform's language (the timeline and the audit are read by everyone in it).
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        event = Event.objects.select_related("center").filter(pk=event_id).first()
        if event is None:
            return None
        try:
            with transaction.atomic():
                response = AlarmResponse.objects.create(event=event, made_at=now)
        except IntegrityError:
            return None  # answered before: a retried or repeated task
        if event.state in FINAL_STATES:
            response.problem = AlarmResponse.Problem.FINAL
            response.save(update_fields=["problem"])
            return response
        acting = _acting_for(alarm_account(), event.center)
        radius = settings.VIDEO_ALARM_RADIUS_M
        cameras = [
            c
            for c in camera_nearest(acting, event.location, n=settings.VIDEO_ALARM_CAMERAS, now=now)
            if c.distance_m <= radius
        ]
        snapshot = None
        for camera in cameras:
            snapshot = _alarm_snapshot(acting, camera, event)
            if snapshot is not None:
                break
        response.cameras = [{"id": c.pk, "name": c.name, "distance_m": round(c.distance_m)} for c in cameras]
        response.snapshot = snapshot
        if not cameras:
            response.problem = AlarmResponse.Problem.NO_CAMERA
        elif snapshot is None:
            response.problem = AlarmResponse.Problem.NO_FRAME
        data = {"video": True, "cameras": response.cameras, "snapshot": snapshot.pk if snapshot else None}
        (response.note,) = event_notes_add(
            event_id=event.pk, actor=acting, notes=[(now, _alarm_note(response, snapshot, radius), data)]
        )
        response.save(update_fields=["cameras", "snapshot", "problem", "note"])
    return response


def _alarm_snapshot(acting: User, camera: Camera, event) -> Snapshot | None:
    """A snapshot of `camera` attached to `event`, or None when it gives none (logged): under a savepoint,
    so that a refusal or a failed grab leaves the response's transaction whole."""
    from .adapters import AdapterError

    try:
        with transaction.atomic():
            return snapshot_take(
                user=acting,
                camera_id=camera.pk,
                event_id=event.pk,
                purpose=Purpose.ALARM,
                reason=_("Alarm linkage"),
            )
    except (AdapterError, Refused, NotVisible) as exc:
        log.info("alarm response: no snapshot of camera %s for event %s: %s", camera.pk, event.pk, exc)
    except Exception:  # the events app refusing the photo, a broken frame: never the event's harm
        log.exception("alarm response: the snapshot of camera %s for event %s failed", camera.pk, event.pk)
    return None


def _alarm_note(response, snapshot: Snapshot | None, radius: int) -> str:
    if not response.cameras:
        return _("No online camera within %(radius)d m that this center may watch: no snapshot.") % {"radius": radius}
    listed = pgettext("list separator", ", ").join(
        _("%(name)s (%(distance)d m)") % {"name": c["name"], "distance": c["distance_m"]} for c in response.cameras
    )
    if snapshot is not None:
        return _("Cameras nearby: %(cameras)s. Snapshot from %(camera)s attached.") % {
            "cameras": listed,
            "camera": snapshot.camera.name,
        }
    return _("Cameras nearby: %(cameras)s. No snapshot: none of them gave a frame.") % {"cameras": listed}

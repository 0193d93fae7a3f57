"""Every write of the patrols app: plans, and a patrol from its start to its end — the track the
phone sends, the check-ins, the events and disputes reported on the way.

Only the patroller writes to their patrol. Each service locks the patrol row (`select_for_update`),
checks (`domain.permissions.may` over plain facts, then the state), writes, and sends
`patrol_changed` (and `patrol_ended`) after the commit. Refusals: PatrolNotFound (404: not yours, or
not in your area), PermissionDenied (403), PatrolConflict (409: the patrol is not active, another is
under way), ValidationError (400, field errors)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from functools import partial

from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.scope import scope_for
from grids.models import Grid, Place, VolunteerOrganization

from . import clocks
from .choices import CheckInMethod, PatrolState, Period
from .domain import periods
from .domain import permissions as perms
from .models import CheckIn, Patrol, PatrolPlan, PatrolReport, PlanStop
from .signals import patrol_changed, patrol_ended

DEFAULT_CHECK_IN_RADIUS_M = 60  # a free patrol's tap radius (a plan sets its own)
MAX_BATCH = 500  # track points in one request (a phone that was offline for over an hour sends several)
MAX_CLOCK_SKEW_S = 300  # a point stamped further in the future than this is refused


class PatrolNotFound(Exception):
    """No such patrol (or plan, or place) that this user may act on: 404."""


class PatrolConflict(Exception):
    """The patrol's state does not allow the action (or another patrol is under way): 409."""

    def __init__(self, message: str, *, state: str = "", patrol_id: int | None = None) -> None:
        super().__init__(message)
        self.message, self.state, self.patrol_id = message, state, patrol_id


# --- plans ----------------------------------------------------------------------------------------------


@transaction.atomic
def plan_create(
    *,
    actor: User,
    name: str,
    place_ids: Iterable[int],
    grid_id: int | None = None,
    organization_id: int | None = None,
    period: str = Period.WEEK,
    patrols_per_period: int = 1,
    assignee_ids: Iterable[int] = (),
    duty_ids: Iterable[int] = (),
    check_in_radius_m: int | None = None,
    now: datetime | None = None,
) -> PatrolPlan:
    """A patrol plan of a grid (or a volunteer organisation) in the actor's area, with its route in
    the given order, its people and its checklist; its clock starts with the current period."""
    if not perms.may_plan(actor.role, actor.is_superuser):
        raise PermissionDenied(_("Only center staff make patrol plans."))
    now = now or timezone.now()
    scope = scope_for(actor)
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or len(name) > 100:
        errors["name"] = [_("Give the plan a name of at most 100 characters.")]
    if period not in Period.values:
        errors["period"] = [_("Unknown period.")]
    try:
        patrols_per_period = int(patrols_per_period)
        if not 1 <= patrols_per_period <= 100:
            raise ValueError
    except (TypeError, ValueError):
        errors["patrols_per_period"] = [_("Patrols per period must be a number from 1 to 100.")]
    grid = organization = None
    if grid_id:
        grid = scope.grids().select_related("center").filter(pk=grid_id).first()
        if grid is None:
            errors["grid"] = [_("No such grid in your area.")]
    if organization_id:
        organization = (
            (scope.filter_by_center(VolunteerOrganization.objects.all()).select_related("center"))
            .filter(pk=organization_id)
            .first()
        )
        if organization is None:
            errors["organization"] = [_("No such volunteer organization in your area.")]
    if grid is None and organization is None and "grid" not in errors and "organization" not in errors:
        errors["grid"] = [_("A plan belongs to a grid or a volunteer organization.")]
    center = grid.center if grid is not None else organization.center if organization is not None else None
    place_ids = list(dict.fromkeys(int(pk) for pk in place_ids))
    places: dict[int, Place] = {}
    if center is not None:
        candidates = Place.objects.filter(pk__in=place_ids, active=True)
        candidates = (
            candidates.filter(grid=grid)
            if grid is not None
            else candidates.filter(grid__center__path__startswith=center.path)
        )
        places = {p.pk: p for p in candidates.only("pk")}
        missing = [pk for pk in place_ids if pk not in places]
        if missing:
            errors["places"] = [_("These places are not active places of the plan's area: %(ids)s") % {"ids": missing}]
    if not place_ids:
        errors["places"] = [_("A plan needs at least one place on its route.")]
    assignee_ids = list(dict.fromkeys(int(pk) for pk in assignee_ids))
    found = set(
        User.objects.filter(pk__in=assignee_ids, is_active=True, role__in=perms.PATROLLER_ROLES).values_list(
            "pk", flat=True
        )
    )
    if set(assignee_ids) - found:
        errors["assignees"] = [_("Only active grid workers and volunteers can be assigned to patrol.")]
    if check_in_radius_m is not None and not 10 <= int(check_in_radius_m) <= 500:
        errors["check_in_radius_m"] = [_("The check-in radius is between 10 and 500 metres.")]
    if errors:
        raise ValidationError(errors)
    plan = PatrolPlan(
        name=name,
        grid=grid,
        organization=organization,
        center=center,
        period=period,
        patrols_per_period=patrols_per_period,
        created_by=actor,
        **({"check_in_radius_m": int(check_in_radius_m)} if check_in_radius_m is not None else {}),
    )
    clocks.start_period(plan, now)
    plan.save()
    PlanStop.objects.bulk_create([PlanStop(plan=plan, place_id=pk, order=i) for i, pk in enumerate(place_ids)])
    plan.assignees.set(assignee_ids)
    plan.duties.set(list(duty_ids))
    clocks.write_schedule(plan)
    return plan


@transaction.atomic
def plan_set_active(*, actor: User, plan_id: int, active: bool, now: datetime | None = None) -> PatrolPlan:
    """Suspends a plan (its clock stops, nothing more is expected) or resumes it (from the current
    period)."""
    if not perms.may_plan(actor.role, actor.is_superuser):
        raise PermissionDenied(_("Only center staff change patrol plans."))
    plan = scope_for(actor).patrol_plans(PatrolPlan.objects.select_for_update()).filter(pk=plan_id).first()
    if plan is None:
        raise PatrolNotFound(_("No such patrol plan in your area."))
    if plan.active != active:
        plan.active = active
        if active:
            clocks.start_period(plan, now or timezone.now())
        plan.save()
        clocks.write_schedule(plan)
    return plan


# --- a patrol -------------------------------------------------------------------------------------------


def _announce(patrol_id: int, action: str) -> None:
    patrol_changed.send(sender=Patrol, patrol_ids=[patrol_id], action=action)


def _announce_end(patrol_id: int, user_id: int) -> None:
    patrol_changed.send(sender=Patrol, patrol_ids=[patrol_id], action="end")
    patrol_ended.send(sender=Patrol, patrol_id=patrol_id, user_id=user_id)


def _home(user: User) -> tuple[int | None, int | None]:
    """A patroller's grid and community center, for a free patrol: a grid worker's first grid, a
    volunteer's grid, or the user's own center."""
    grid = None
    if user.role == Role.GRID_WORKER:
        grid = Grid.objects.filter(workers=user).order_by("code").values_list("pk", "center_id").first()
    elif user.role == Role.VOLUNTEER:
        grid = Grid.objects.filter(volunteers__user=user).values_list("pk", "center_id").first()
    if grid is not None:
        return grid
    return None, user.center_id


def _uuid(value, field: str = "client_id") -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise ValidationError({field: [_("client_id must be a UUID made by the client.")]}) from None


@transaction.atomic
def patrol_start(
    *, user: User, plan_id: int | None = None, client_id=None, now: datetime | None = None
) -> tuple[Patrol, bool]:
    """Starts a patrol on one of the user's plans (or a free one). Returns (patrol, created): the
    same `client_id` again returns the patrol started the first time. One patrol under way per
    person (patrol_one_active_per_user): a second start is a conflict naming the first."""
    now = now or timezone.now()
    client_uuid = _uuid(client_id) if client_id is not None else uuid.uuid4()
    existing = Patrol.objects.filter(client_id=client_uuid).first()
    if existing is not None:
        if existing.user_id != user.pk:
            raise ValidationError({"client_id": [_("This client_id was used for another patrol.")]})
        return existing, False
    plan = None
    if plan_id is not None:
        plan = PatrolPlan.objects.filter(pk=plan_id, active=True).select_related("center").first()
        if plan is None or not plan.assignees.filter(pk=user.pk).exists():
            raise PatrolNotFound(_("No such patrol plan of yours."))
    facts = _facts(user, on_plan=plan is not None, assigned=plan is not None)
    if not perms.may(perms.START, facts):
        raise PermissionDenied(_("Only grid workers and volunteers patrol."))
    if plan is not None:
        grid_id, center_id = plan.grid_id, plan.center_id
    else:
        grid_id, center_id = _home(user)
    if center_id is None:
        raise ValidationError({"detail": [_("Your account has no grid or center to patrol in.")]})
    patrol = Patrol(client_id=client_uuid, user=user, plan=plan, grid_id=grid_id, center_id=center_id, started_at=now)
    try:
        with transaction.atomic():
            patrol.save()
    except IntegrityError:
        again = Patrol.objects.filter(client_id=client_uuid).first()
        if again is not None and again.user_id == user.pk:
            return again, False
        under_way = Patrol.objects.filter(user=user, state=PatrolState.ACTIVE).values_list("pk", flat=True).first()
        raise PatrolConflict(
            _("You already have a patrol under way: end it first."), state=PatrolState.ACTIVE, patrol_id=under_way
        ) from None
    transaction.on_commit(partial(_announce, patrol.pk, "start"), robust=True)
    return patrol, True


def _facts(user: User, **kwargs) -> perms.Facts:
    return perms.Facts(role=user.role, superuser=user.is_superuser, **kwargs)


def _own_active(user: User, patrol_id, action: str, *, with_plan: bool = True) -> Patrol:
    """The patrol, locked, checked: the user's own (else 404, or 403 when they may read it) and
    active (else 409). The track's hot path reads the patrol row alone (`with_plan=False`)."""
    try:
        pk = int(patrol_id)
    except (TypeError, ValueError):
        raise PatrolNotFound(_("No such patrol.")) from None
    patrols = Patrol.objects.select_for_update(of=("self",)).filter(pk=pk)
    patrol = (patrols.select_related("plan") if with_plan else patrols).first()
    if patrol is None:
        raise PatrolNotFound(_("No such patrol."))
    facts = _facts(user, own_patrol=patrol.user_id == user.pk, active=patrol.state == PatrolState.ACTIVE)
    if not perms.may(action, facts):
        if scope_for(user).patrols().filter(pk=pk).exists():
            raise PermissionDenied(_("Only the patroller writes to their patrol."))
        raise PatrolNotFound(_("No such patrol."))
    if not perms.allowed_in_state(action, facts.active):
        raise PatrolConflict(
            _("This patrol is %(state)s.") % {"state": PatrolState(patrol.state).label}, state=patrol.state
        )
    return patrol


def _track_points(points, now: datetime) -> list[tuple[int, datetime, float, float, float | None]]:
    """The batch as (seq, at, lat, lng, accuracy), validated; field errors name the point's index."""
    if not isinstance(points, list) or not points:
        raise ValidationError({"points": [_("Send a non-empty list of points.")]})
    if len(points) > MAX_BATCH:
        raise ValidationError({"points": [_("At most %(n)d points at a time.") % {"n": MAX_BATCH}]})
    out, errors = [], {}
    for i, p in enumerate(points):
        try:
            seq = int(p["seq"])
            at = p["at"] if isinstance(p["at"], datetime) else parse_datetime(str(p["at"]))
            lat, lng = float(p["lat"]), float(p["lng"])
            accuracy = None if p.get("accuracy") in (None, "") else float(p["accuracy"])
            if at is None or at.tzinfo is None:
                raise ValueError(_("a time with an offset"))
            if not (0 <= seq < 2**31 and -90 <= lat <= 90 and -180 <= lng <= 180):
                raise ValueError(_("a seq and a position on Earth"))
            if (at - now).total_seconds() > MAX_CLOCK_SKEW_S:
                raise ValueError(_("a time that is not in the future"))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            errors[f"points[{i}]"] = [_("Each point needs seq, at (ISO 8601), lat and lng: %(e)s") % {"e": exc}]
            continue
        out.append((seq, at, lat, lng, accuracy))
    if errors:
        raise ValidationError(errors)
    return out


_INSERT_TRACK = """
    INSERT INTO patrols_trackpoint (patrol_id, seq, at, point, accuracy)
    SELECT %s, v.seq, v.at, ST_SetSRID(ST_MakePoint(v.lng, v.lat), 4326), v.acc
    FROM unnest(%s::int[], %s::timestamptz[], %s::float8[], %s::float8[], %s::float8[]) AS v(seq, at, lat, lng, acc)
    ON CONFLICT (patrol_id, seq) DO NOTHING
    RETURNING seq
"""


@transaction.atomic
def patrol_track(*, user: User, patrol_id, points, now: datetime | None = None) -> dict:
    """Takes a batch of the phone's track points. The phone keeps each point until it is
    acknowledged and sends it again otherwise: a point already stored (same seq) is acknowledged
    and ignored. The patrol's distance, point count and last position follow the new points.

    The phone's hot path: the patrol row locked, one INSERT of the batch, one UPDATE of the patrol,
    and after the commit one push of the patrol (none when the batch held nothing new).
    Returns `{"acked": [seq, ...], "stored": n}`."""
    now = now or timezone.now()
    batch = _track_points(points, now)
    patrol = _own_active(user, patrol_id, perms.TRACK, with_plan=False)
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_TRACK,
            [
                patrol.pk,
                [b[0] for b in batch],
                [b[1] for b in batch],
                [b[2] for b in batch],
                [b[3] for b in batch],
                [b[4] for b in batch],
            ],
        )
        new = {row[0] for row in cursor.fetchall()}
    if new:
        fresh = sorted((b for b in batch if b[0] in new), key=lambda b: (b[1], b[0]))
        fresh = list({b[0]: b for b in fresh}.values())  # a seq twice in one batch was stored once
        last = None
        if patrol.last_point is not None and patrol.last_at is not None:
            last = (patrol.last_point.y, patrol.last_point.x, patrol.last_at.timestamp())
        later = [b for b in fresh if last is None or b[1].timestamp() >= last[2]]
        walked = periods.walked_m([(b[2], b[3], b[1].timestamp()) for b in later], last)
        fields = {"distance_m": patrol.distance_m + round(walked), "point_count": patrol.point_count + len(new)}
        if later:
            newest = later[-1]
            fields.update(last_point=Point(newest[3], newest[2], srid=4326), last_at=newest[1])
        Patrol.objects.filter(pk=patrol.pk).update(**fields)
        transaction.on_commit(partial(_announce, patrol.pk, "track"), robust=True)
    return {"acked": sorted({b[0] for b in batch}), "stored": len(new)}


@transaction.atomic
def patrol_check_in(
    *,
    user: User,
    patrol_id,
    place_id=None,
    qr_token: str | None = None,
    lat=None,
    lng=None,
    now: datetime | None = None,
) -> tuple[CheckIn, bool]:
    """Checks the patrol in at a place: by QR token (the code at the door), or by a tap within the
    plan's radius of the place (the phone's position). Once per place per patrol: a repeat returns
    the first check-in. The place must be an active place of the patrol's plan, or, on a free
    patrol, of its community."""
    now = now or timezone.now()
    patrol = _own_active(user, patrol_id, perms.CHECK_IN)
    places = Place.objects.filter(active=True).select_related("grid")
    if qr_token:
        place = places.filter(qr_token=str(qr_token)).first()
        if place is None or (place_id not in (None, "") and str(place.pk) != str(place_id)):
            raise ValidationError({"qr_token": [_("This QR code is not a place's code.")]})
        method = CheckInMethod.QR
    else:
        try:
            place = places.filter(pk=int(place_id)).first()
        except (TypeError, ValueError):
            place = None
        if place is None:
            raise ValidationError({"place": [_("Choose a place, or scan its QR code.")]})
        method = CheckInMethod.TAP
    if patrol.plan_id is not None:
        if not PlanStop.objects.filter(plan_id=patrol.plan_id, place=place).exists():
            raise ValidationError({"place": [_("%(place)s is not on this patrol's route.") % {"place": place.name}]})
    elif place.grid.center_id != patrol.center_id:
        raise ValidationError({"place": [_("%(place)s is not in this patrol's community.") % {"place": place.name}]})
    here, distance = None, None
    if lat not in (None, "") and lng not in (None, ""):
        try:
            here = Point(float(lng), float(lat), srid=4326)
        except (TypeError, ValueError):
            raise ValidationError({"lat": [_("Latitude and longitude must be decimal numbers.")]}) from None
        distance = round(periods.distance_m(here.y, here.x, place.point.y, place.point.x))
    if method == CheckInMethod.TAP:
        radius = patrol.plan.check_in_radius_m if patrol.plan_id else DEFAULT_CHECK_IN_RADIUS_M
        if distance is None:
            raise ValidationError({"lat": [_("A check-in by tap needs your position.")]})
        if distance > radius:
            raise ValidationError(
                {
                    "place": [
                        _("You are %(d)d m from %(place)s: come within %(r)d m, or scan the code at the door.")
                        % {"d": distance, "place": place.name, "r": radius}
                    ]
                }
            )
    existing = CheckIn.objects.filter(patrol=patrol, place=place).first()
    if existing is not None:
        return existing, False
    check_in = CheckIn.objects.create(
        patrol=patrol, place=place, at=now, method=method, point=here, distance_m=distance
    )
    Patrol.objects.filter(pk=patrol.pk).update(check_in_count=patrol.check_in_count + 1)
    transaction.on_commit(partial(_announce, patrol.pk, "check_in"), robust=True)
    return check_in, True


@transaction.atomic
def patrol_end(*, user: User, patrol_id, now: datetime | None = None) -> Patrol:
    """Ends the patrol: it counts for its plan's period, and its points are due (patrol_ended)."""
    patrol = _own_active(user, patrol_id, perms.END)
    patrol.state = PatrolState.ENDED
    patrol.ended_at = max(now or timezone.now(), patrol.started_at)
    patrol.save(update_fields=["state", "ended_at"])
    transaction.on_commit(partial(_announce_end, patrol.pk, patrol.user_id), robust=True)
    return patrol


@transaction.atomic
def patrol_cancel(*, user: User, patrol_id, now: datetime | None = None) -> Patrol:
    """Cancels the patrol (started by mistake): it counts for nothing; its track stays for the record."""
    patrol = _own_active(user, patrol_id, perms.CANCEL)
    patrol.state = PatrolState.CANCELLED
    patrol.ended_at = max(now or timezone.now(), patrol.started_at)
    patrol.save(update_fields=["state", "ended_at"])
    transaction.on_commit(partial(_announce, patrol.pk, "cancel"), robust=True)
    return patrol


def _where(patrol: Patrol, place_id, lat, lng) -> tuple[Place | None, float, float, str]:
    """The report's place: a place of the patrol's area (its point and address), or the position
    given, or the patrol's last position."""
    place = None
    if place_id not in (None, ""):
        try:
            place = Place.objects.filter(pk=int(place_id), active=True, grid__center_id=patrol.center_id).first()
        except (TypeError, ValueError):
            place = None
        if place is None:
            raise ValidationError({"place": [_("No such place in this patrol's community.")]})
        return place, place.point.y, place.point.x, place.address or place.name
    if lat not in (None, "") and lng not in (None, ""):
        return None, lat, lng, ""
    if patrol.last_point is not None:
        return None, patrol.last_point.y, patrol.last_point.x, ""
    raise ValidationError({"lat": [_("Choose a place or send your position.")]})


@transaction.atomic
def patrol_report_event(
    *,
    user: User,
    patrol_id,
    category_id,
    description: str,
    client_id,
    place_id=None,
    lat=None,
    lng=None,
    address: str = "",
    urgent: bool | None = None,
    now: datetime | None = None,
):
    """Reports an event from the patrol, at the place (its point and address filled in) or the
    phone's position, through the events' own intake (events.services.event_report: source patrol
    for a grid worker, volunteer for a volunteer), and links it to the patrol. Returns
    (event, created); a retry with the same client_id returns the same event."""
    from events.choices import Source
    from events.services import event_report

    patrol = _own_active(user, patrol_id, perms.REPORT)
    place, lat, lng, place_address = _where(patrol, place_id, lat, lng)
    source = Source.VOLUNTEER if user.role == Role.VOLUNTEER else Source.PATROL
    event, created = event_report(
        reporter=user,
        category_id=category_id,
        description=description,
        lat=lat,
        lng=lng,
        client_id=client_id,
        address=address or place_address,
        urgent=urgent,
        source=source,
        now=now,
    )
    PatrolReport.objects.get_or_create(event=event, defaults={"patrol": patrol, "place": place})
    return event, created


@transaction.atomic
def patrol_report_dispute(
    *,
    user: User,
    patrol_id,
    client_id,
    place_id=None,
    lat=None,
    lng=None,
    address: str = "",
    now: datetime | None = None,
    **dispute,
):
    """Reports a dispute found on the patrol (排查), at the place or the phone's position, through
    the disputes' intake (disputes.services.dispute_report, which decides who may take one in), and
    links it to the patrol. `dispute` holds the intake's own fields (type_id, title, facts, parties …).
    Returns (dispute, created)."""
    from disputes.choices import Intake
    from disputes.services import dispute_report

    patrol = _own_active(user, patrol_id, perms.REPORT)
    place, lat, lng, place_address = _where(patrol, place_id, lat, lng)
    case, created = dispute_report(
        reporter=user,
        lat=lat,
        lng=lng,
        client_id=client_id,
        intake=Intake.SWEEP,
        address=address or place_address,
        now=now,
        **dispute,
    )
    PatrolReport.objects.get_or_create(dispute=case, defaults={"patrol": patrol, "place": place})
    return case, created

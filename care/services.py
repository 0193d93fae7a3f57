"""Every write of the care app: records, visits, the status actions, the view log.

Each service locks the person's row, checks the actor's right (care.domain.permissions over facts
from accounts.scope), checks the status (care.domain.rules), writes, records one timeline row and
sends its signals and messages after the commit. A person outside the actor's scope is not found
(PersonNotFound, 404); a step the status does not allow is IllegalTransition (409); a step the actor
may not take PermissionDenied (403); bad input ValidationError with field errors (400).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from accounts.scope import scope_for
from grids.models import Center, Department, Grid
from grids.selectors import BadCoordinates, GridNotFound, grid_at, point_from_lat_lng
from grids.services import id_number_hash, id_number_mask, id_number_validate
from inbox.services import inbox_send

from . import clocks as care_clocks
from .choices import Action, EndReason, Gender, PersonType, Risk, Status, TeamRole, Via, VisitMethod
from .domain import rules
from .domain.masking import mask_name
from .domain.permissions import CENTER_ROLES, ActorFacts, may
from .models import CareAction, HelperMember, PersonView, SpecialPerson, Visit, VisitPhoto
from .signals import care_alarm, care_changed

CENTER_INBOX_ROLES = (Role.CENTER_STAFF, Role.DUTY_OFFICER, Role.DUTY_LEADER)
# The police of an area: the departments whose code starts so (温江区公安分局 "police", a station
# "police-yongning" …) serving the person's center or a center above it, and the grid's community police.
POLICE_CODE_PREFIX = "police"
FUTURE_TOLERANCE = timedelta(minutes=10)  # a phone's clock a little ahead is not an error
MAX_PHOTOS = 3

LOST_MESSAGE = gettext_lazy(
    "URGENT: %(type)s %(name)s (%(center)s) has lost contact (失联). Please locate the person at once."
)
FOUND_MESSAGE = gettext_lazy("%(type)s %(name)s (%(center)s) has been found again and is back in care.")


class PersonNotFound(Exception):
    """The person does not exist or is outside the user's scope (answered 404)."""


# --- facts -----------------------------------------------------------------------------------------


def actor_facts(actor: User, person: SpecialPerson) -> ActorFacts:
    """The facts about `actor` and `person` that care.domain.permissions decides on."""
    scope = scope_for(actor)
    if scope.everything:
        return ActorFacts(role=actor.role, admin=True)
    in_area = scope.center_path is not None and person.center.path.startswith(scope.center_path)
    return ActorFacts(
        role=actor.role,
        assigned=person.workers.filter(pk=actor.pk).exists(),
        team=actor.role != Role.VOLUNTEER and HelperMember.objects.filter(person=person, user=actor).exists(),
        department=actor.role == Role.DEPARTMENT_STAFF and actor.department_id == person.department_id and in_area,
        authorised=actor.role in CENTER_ROLES and in_area and scope.may_see_care(),
    )


def _check(actor: User, person: SpecialPerson, action: str) -> None:
    if not may(actor_facts(actor, person), action):
        raise PermissionDenied(_("You may not do this for this person."))


def _locked(person_id, actor: User) -> SpecialPerson:
    """The person's row, locked, if `actor` may see it (PersonNotFound otherwise)."""
    try:
        pk = int(person_id)
    except (TypeError, ValueError):
        raise PersonNotFound(_("No such person in your care.")) from None
    visible = scope_for(actor).special_people(SpecialPerson.objects.filter(pk=pk))
    if not visible.exists():
        raise PersonNotFound(_("No such person in your care."))
    return SpecialPerson.objects.select_for_update(of=("self",)).select_related("center", "grid").get(pk=pk)


def _record(
    person: SpecialPerson, *, action: str, actor: User | None, before: str, now: datetime, **fields
) -> CareAction:
    return CareAction.objects.create(
        person=person, action=action, actor=actor, from_status=before, to_status=person.status, created_at=now, **fields
    )


def _announce(person_ids: list[int], action: str) -> None:
    care_changed.send_robust(sender=SpecialPerson, person_ids=list(person_ids), action=action)


def _alarm(person_id: int, kind: str) -> None:
    care_alarm.send_robust(sender=SpecialPerson, person_id=person_id, kind=kind)


# --- who hears -----------------------------------------------------------------------------------


def center_staff(center_id: int) -> list[int]:
    """The active staff, duty officers and duty leaders of a center."""
    return list(
        User.objects.filter(center_id=center_id, role__in=CENTER_INBOX_ROLES, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def police_for(person: SpecialPerson) -> list[int]:
    """The police who answer a lost-contact alarm: the staff of the police departments serving the
    person's center or a center above it, and the community police of the person's grid."""
    codes = person.center.path.strip("/").split("/")
    departments = Department.objects.filter(
        code__startswith=POLICE_CODE_PREFIX, center__code__in=codes, active=True
    ).values("pk")
    staff = User.objects.filter(department__in=departments, is_active=True).values_list("pk", flat=True)
    grid_police = Grid.police.through.objects.filter(grid_id=person.grid_id, user__is_active=True).values_list(
        "user_id", flat=True
    )
    return sorted(set(staff) | set(grid_police))


def _tell(users: Iterable[int], kind: str, template, person: SpecialPerson, **values) -> None:
    """One inbox message to each user, in the platform's language, naming the person masked only
    (messages are pushed and sent by SMS)."""
    with translation.override(settings.LANGUAGE_CODE):
        text = str(template) % {
            "type": PersonType(person.person_type).label,
            "name": mask_name(person.name),
            "center": person.center.name,
            **values,
        }
    inbox_send(users=users, kind=kind, message=text, subject=person)


def _raise_lost(person: SpecialPerson) -> None:
    """The urgent alarm of lost contact: inbox and SMS (inbox.notify.SMS_KINDS) to the police and the
    holding center's staff and the assigned workers, and the dashboards' alarm channel."""
    people = police_for(person) + center_staff(person.center_id) + list(person.workers.values_list("pk", flat=True))
    _tell(people, "care_lost_contact", LOST_MESSAGE, person)
    transaction.on_commit(partial(_alarm, person.pk, "lost_contact"), robust=True)


def _tell_found(person: SpecialPerson) -> None:
    people = police_for(person) + center_staff(person.center_id)
    _tell(people, "care_found", FOUND_MESSAGE, person)
    transaction.on_commit(partial(_alarm, person.pk, "found"), robust=True)


# --- records -------------------------------------------------------------------------------------


def _choice(value, choices, field: str, errors: dict, *, required: bool = True) -> str:
    value = "" if value is None else str(value).strip()
    if not value and not required:
        return ""
    if value not in choices.values:
        errors[field] = [_("Choose one of: %(values)s.") % {"values": ", ".join(choices.values)}]
    return value


def _point(lat, lng, errors: dict, field: str = "lat") -> Point | None:
    try:
        return point_from_lat_lng(lat, lng)
    except BadCoordinates as exc:
        errors[field] = [str(exc)]
        return None


def _users(ids, errors: dict, field: str, roles: Sequence[str] | None = None) -> list[User]:
    ids = list(dict.fromkeys(int(i) for i in ids or []))
    users = list(User.objects.filter(pk__in=ids, is_active=True).select_related("center"))
    if len(users) != len(ids):
        errors[field] = [_("Some of these users do not exist.")]
    elif roles and any(u.role not in roles for u in users):
        errors[field] = [_("Only grid workers may be assigned.")]
    return users


def _team_rows(team, errors: dict) -> list[HelperMember]:
    rows = []
    for i, member in enumerate(team or []):
        role = str(member.get("role", ""))
        if role not in TeamRole.values:
            errors[f"team[{i}].role"] = [_("Choose one of: %(values)s.") % {"values": ", ".join(TeamRole.values)}]
            continue
        user_id = member.get("user")
        name = str(member.get("name", "") or "").strip()[:50]
        if user_id in (None, "") and not name:
            errors[f"team[{i}].name"] = [_("A team member is a user of the platform or has a name.")]
            continue
        rows.append(
            HelperMember(
                user_id=int(user_id) if user_id not in (None, "") else None,
                name=name,
                phone=str(member.get("phone", "") or "")[:20],
                role=role,
            )
        )
    users = [r.user_id for r in rows if r.user_id]
    if users and User.objects.filter(pk__in=users).exclude(role=Role.VOLUNTEER).count() != len(set(users)):
        errors["team"] = [_("A team member's account does not exist or is a volunteer's.")]
    return rows


def person_validate(*, actor: User, data: dict, within: str = "") -> dict:
    """The cleaned fields of a new record, or ValidationError with every field's error. Used by
    `person_create` and by the import (which reports all rows' errors before writing any)."""
    errors: dict = {}
    person_type = _choice(data.get("person_type"), PersonType, "person_type", errors)
    name = str(data.get("name", "") or "").strip()
    if not name or len(name) > 50:
        errors["name"] = [_("A name of 1 to 50 characters is required.")]
    masked = digest = ""
    if data.get("id_number"):
        try:
            value = id_number_validate(str(data["id_number"]))
            masked, digest = id_number_mask(value), id_number_hash(value)
        except ValidationError as exc:
            errors["id_number"] = exc.message_dict["id_number"]
    gender = _choice(data.get("gender"), Gender, "gender", errors, required=False)
    birth_year = data.get("birth_year")
    if birth_year not in (None, ""):
        try:
            birth_year = int(birth_year)
            if not 1900 <= birth_year <= timezone.localdate().year:
                raise ValueError
        except (TypeError, ValueError):
            errors["birth_year"] = [_("A birth year such as 1975.")]
    else:
        birth_year = None
    risk = _choice(data.get("risk") or Risk.LOW, Risk, "risk", errors)
    point = _point(data.get("lat"), data.get("lng"), errors)
    grid = None
    if point is not None:
        try:
            grid = grid_at(point, within=within)
        except GridNotFound:
            errors["lat"] = [_("The place is not inside a grid of your area.")]
    department = None
    dep = data.get("department")
    if dep in (None, ""):
        errors["department"] = [_("The responsible department is required.")]
    else:
        lookup = {"code": dep} if isinstance(dep, str) and not str(dep).isdigit() else {"pk": int(dep)}
        department = Department.objects.filter(active=True, **lookup).first()
        if department is None:
            errors["department"] = [_("No such department.")]
    workers = _users(data.get("workers") or [], errors, "workers", roles=[Role.GRID_WORKER])
    team = _team_rows(data.get("team"), errors)
    if (
        digest
        and person_type
        and SpecialPerson.objects.filter(id_number_hash=digest, person_type=person_type)
        .exclude(status=Status.ENDED)
        .exists()
    ):
        errors["id_number"] = [_("This person is already in care under this type.")]
    if errors:
        raise ValidationError(errors)
    return {
        "person_type": person_type,
        "name": name,
        "id_number_masked": masked,
        "id_number_hash": digest,
        "gender": gender,
        "birth_year": birth_year,
        "phone": str(data.get("phone", "") or "").strip()[:20],
        "address": str(data.get("address", "") or "").strip()[:200],
        "point": point,
        "grid": grid,
        "department": department,
        "risk": risk,
        "notes": str(data.get("notes", "") or "").strip(),
        "workers": workers,
        "team": team,
    }


def _may_create(actor: User, department: Department, center: Center) -> bool:
    scope = scope_for(actor)
    if scope.everything:
        return True
    if scope.center_path is None or not center.path.startswith(scope.center_path):
        return False
    if actor.role == Role.DEPARTMENT_STAFF:
        return actor.department_id == department.pk
    return actor.role in CENTER_ROLES and scope.may_see_care()


@transaction.atomic
def person_create(
    *, actor: User, data: dict, now: datetime | None = None, cleaned: dict | None = None
) -> SpecialPerson:
    """A new record, in care from now, its first visit due by its rule. The creator is an
    administrator, staff of the responsible department in its area, or authorised center staff
    (PermissionDenied otherwise). `cleaned` skips the validation already made (the import)."""
    now = now or timezone.now()
    scope = scope_for(actor)
    fields = cleaned or person_validate(
        actor=actor, data=data, within="" if scope.everything else scope.center_path or ""
    )
    grid = Grid.objects.select_related("center").defer("boundary", "center__boundary").get(pk=fields["grid"].pk)
    if not _may_create(actor, fields["department"], grid.center):
        raise PermissionDenied(_("You may not add persons of this department or area."))
    workers, team = fields.pop("workers"), fields.pop("team")
    fields["grid"] = grid
    person = SpecialPerson(center=grid.center, created_by=actor, **fields)
    care_clocks.start_cycle(person, now)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        raise ValidationError({"id_number": [_("This person is already in care under this type.")]}) from None
    person.workers.set(workers)
    for member in team:
        member.person = person
    HelperMember.objects.bulk_create(team)
    _record(person, action=Action.CREATE, actor=actor, before=Status.IN_CARE, now=now)
    care_clocks.write_schedule(person)
    transaction.on_commit(partial(_announce, [person.pk], Action.CREATE), robust=True)
    return person


# --- visits --------------------------------------------------------------------------------------


def _clean_photos(photos) -> list:
    """The photos checked and re-encoded (events.attachments, the platform's one photo path)
    before any lock is taken. Raises TooLarge / NotAnImage."""
    from events.attachments import check_request, clean_image

    photos = list(photos or [])
    if not photos:
        return []
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": [_("At most %(n)d photos.") % {"n": MAX_PHOTOS}]})
    check_request(photos)
    return [clean_image(upload) for upload in photos]


def visit_record(
    *,
    person_id,
    actor: User,
    method: str,
    found: bool = True,
    findings: str = "",
    visited_at: datetime | None = None,
    lat=None,
    lng=None,
    photos=(),
    client_id: uuid.UUID | None = None,
    corrects_id: int | None = None,
    now: datetime | None = None,
) -> tuple[Visit, bool]:
    """Records a visit (or a correction of one) from the phone; returns (visit, created).

    Idempotent by `client_id`: the same one again returns the visit first recorded (phones retry).
    A visit starts the next cycle of the clock. Not found twice in a row sets lost contact and
    raises the urgent alarm; found while lost puts the person back in care. Takes the person's lock."""
    now = now or timezone.now()
    if client_id is not None:
        existing = Visit.objects.filter(client_id=client_id).first()
        if existing is not None:
            if existing.visitor_id != actor.pk:
                raise PersonNotFound(_("No such person in your care."))
            return existing, False
    errors: dict = {}
    method = _choice(method, VisitMethod, "method", errors)
    visited_at = visited_at or now
    if visited_at > now + FUTURE_TOLERANCE:
        errors["visited_at"] = [_("A visit cannot be recorded in the future.")]
    point = None
    if lat not in (None, "") or lng not in (None, ""):
        point = _point(lat, lng, errors)
    if errors:
        raise ValidationError(errors)
    cleaned_photos = _clean_photos(photos)
    with transaction.atomic():
        person = _locked(person_id, actor)
        action = Action.CORRECT if corrects_id else Action.VISIT
        _check(actor, person, action)
        rules.next_status(person.status, action)
        corrected = None
        if corrects_id:
            corrected = Visit.objects.filter(pk=corrects_id, person=person).first()
            if corrected is None:
                raise ValidationError({"corrects": [_("No such visit of this person.")]})
        if visited_at < person.created_at - timedelta(days=366):
            raise ValidationError({"visited_at": [_("The visit is too long before the record was made.")]})
        try:
            with transaction.atomic():
                visit = Visit.objects.create(
                    person=person,
                    visitor=actor,
                    visited_at=visited_at,
                    point=point,
                    method=method,
                    found=bool(found),
                    findings=(findings or "").strip(),
                    corrects=corrected,
                    client_id=client_id,
                )
        except IntegrityError:  # the same client_id raced in: the first one stands
            existing = Visit.objects.filter(client_id=client_id).first()
            if existing is None:
                raise
            return existing, False
        for image, thumb, size in cleaned_photos:
            VisitPhoto.objects.create(visit=visit, image=image, thumbnail=thumb, size=size)
        before = person.status
        _record(
            person,
            action=action,
            actor=actor,
            before=before,
            now=now,
            visit=visit,
            data={"found": bool(found), "method": method},
        )
        if corrected is None:
            _after_visit(person, visit, actor, now)
        person.save()
        care_clocks.write_schedule(person)
    transaction.on_commit(partial(_announce, [person.pk], action), robust=True)
    return visit, True


def _after_visit(person: SpecialPerson, visit: Visit, actor: User, now: datetime) -> None:
    """A new visit's effects on the record (the caller holds the lock and saves)."""
    newest = person.last_visit_at is None or visit.visited_at >= person.last_visit_at
    if newest:
        person.last_visit_at = visit.visited_at
    if not newest:
        return  # a visit recorded late, before the last one: the record's state stands
    if visit.found:
        person.not_found_streak = 0
        if person.status == Status.LOST:
            before = person.status
            person.status, person.lost_at = rules.next_status(before, Action.FOUND), None
            _record(person, action=Action.FOUND, actor=actor, before=before, now=now, visit=visit)
            _tell_found(person)
    else:
        person.not_found_streak += 1
        if person.status == Status.IN_CARE and person.not_found_streak >= rules.NOT_FOUND_TO_LOSE:
            person.status, person.lost_at = rules.next_status(person.status, Action.LOST_CONTACT), now
            _record(
                person,
                action=Action.LOST_CONTACT,
                actor=actor,
                before=Status.IN_CARE,
                now=now,
                visit=visit,
                reason=_("Not found at %(n)d visits in a row.") % {"n": person.not_found_streak},
            )
            _raise_lost(person)
    care_clocks.start_cycle(person, person.last_visit_at)


# --- status actions ------------------------------------------------------------------------------


@transaction.atomic
def person_action(
    *,
    person_id,
    actor: User,
    action: str,
    reason: str = "",
    risk: str | None = None,
    end_reason: str | None = None,
    workers: Sequence[int] | None = None,
    team: list[dict] | None = None,
    now: datetime | None = None,
) -> SpecialPerson:
    """One action on a record: `risk` (a new level, with the reason), `lost_contact` (raises the urgent
    alarm), `found` (back in care, a new cycle from now), `end` (with an end reason), `assign` (the
    grid workers and/or the helping team replaced). Takes the person's lock."""
    now = now or timezone.now()
    reason = (reason or "").strip()[:500]
    try:
        action = Action(action)
    except ValueError:
        raise ValidationError({"action": [_("Unknown action.")]}) from None
    if action not in (Action.RISK, Action.LOST_CONTACT, Action.FOUND, Action.END, Action.ASSIGN):
        raise ValidationError({"action": [_("Unknown action.")]})
    person = _locked(person_id, actor)
    _check(actor, person, action)
    before = person.status
    after = rules.next_status(before, action)
    errors: dict = {}
    data: dict = {}
    if action == Action.RISK:
        new = _choice(risk, Risk, "risk", errors)
        if not errors and new == person.risk:
            errors["risk"] = [_("The person is at this risk level already.")]
        if not reason:
            errors["reason"] = [_("Say why the risk level changes.")]
        if errors:
            raise ValidationError(errors)
        data = {"from": person.risk, "to": new}
        person.risk = new
        # The new level's rule counts from the last visit (or from now when there was none).
        care_clocks.start_cycle(person, person.last_visit_at or now)
    elif action == Action.LOST_CONTACT:
        person.status, person.lost_at = after, now
        care_clocks.start_cycle(person, None)
    elif action == Action.FOUND:
        person.status, person.lost_at, person.not_found_streak = after, None, 0
        care_clocks.start_cycle(person, now)
    elif action == Action.END:
        code = _choice(end_reason, EndReason, "end_reason", errors)
        if errors:
            raise ValidationError(errors)
        person.status, person.end_reason = after, code
        care_clocks.start_cycle(person, None)
        data = {"end_reason": code}
    elif action == Action.ASSIGN:
        if workers is None and team is None:
            raise ValidationError({"workers": [_("Give the grid workers or the helping team.")]})
        chosen = _users(workers, errors, "workers", roles=[Role.GRID_WORKER]) if workers is not None else None
        rows = _team_rows(team, errors) if team is not None else None
        if errors:
            raise ValidationError(errors)
        if chosen is not None:
            person.workers.set(chosen)
            data["workers"] = [u.pk for u in chosen]
        if rows is not None:
            HelperMember.objects.filter(person=person).delete()
            for row in rows:
                row.person = person
            HelperMember.objects.bulk_create(rows)
            data["team"] = len(rows)
    person.save()
    _record(person, action=action, actor=actor, before=before, now=now, reason=reason, data=data)
    care_clocks.write_schedule(person)
    if action == Action.LOST_CONTACT:
        _raise_lost(person)
    elif action == Action.FOUND:
        _tell_found(person)
    transaction.on_commit(partial(_announce, [person.pk], action), robust=True)
    return person


# --- the view log ----------------------------------------------------------------------------------


def person_view_log(*, person: SpecialPerson | int, user: User, via: str, path: str = "", reason: str = "") -> None:
    """One row of the view log: `user` saw this person's whole record (detail page, API detail)."""
    PersonView.objects.create(
        person_id=getattr(person, "pk", person), user=user, via=Via(via), path=path[:200], reason=reason[:200]
    )


def people_view_log(*, person_ids: Iterable[int], user: User, via: str, path: str = "", reason: str = "") -> int:
    """The view log of many persons at once (an export): one row each."""
    rows = [
        PersonView(person_id=pk, user=user, via=Via(via), path=path[:200], reason=reason[:200]) for pk in person_ids
    ]
    PersonView.objects.bulk_create(rows, batch_size=1000)
    return len(rows)

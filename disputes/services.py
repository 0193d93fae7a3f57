"""Every write to disputes: intake, the workflow actions, sessions and records, the agreement and its
documents, performance, follow-up visits, judicial confirmation, and the log of views of personal data.

Each service checks that the case is in the actor's scope (404 otherwise), takes the case's row lock,
checks the state table (409) and the permissions (403) and its input (400), writes, records one
timeline row, and sends `dispute_changed` after the commit. Only these functions change a case.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from accounts.scope import scope_for
from grids.models import Center
from grids.selectors import BadCoordinates, GridNotFound, grid_at, point_from_lat_lng
from grids.services import id_number_hash, id_number_mask, id_number_validate
from inbox.services import inbox_send

from . import clocks
from .choices import (
    Action,
    AgreementForm,
    Channel,
    ConfirmationRuling,
    DocumentKind,
    DocumentState,
    Intake,
    Light,
    PartyKind,
    PartyRole,
    Performance,
    Phase,
    Risk,
    Satisfaction,
    Signal,
    State,
    VisitMethod,
)
from .domain import states
from .domain.permissions import CENTER_ROLES, ActorFacts, DisputeFacts, may
from .models import (
    CaseView,
    Committee,
    Confirmation,
    Dispute,
    DisputeAction,
    DisputeMediator,
    DisputeType,
    Document,
    FollowUp,
    Investigation,
    Obligation,
    Party,
    RepeatLink,
    Session,
    dispute_number,
)
from .signals import dispute_alarm, dispute_changed

log = logging.getLogger(__name__)

A, S = Action, State
TEXT_MAX = 4000
REASON_MAX = 2000
MAX_EXTENSION_DAYS = 30
FOLLOW_UP_DAYS = 15  # the first follow-up visit, after the performance time limit (or the agreement)
CONFIRMATION_DAYS = 30  # 法释〔2011〕5号 art. 2: both parties apply within 30 days of the agreement
SCAN_MAX_BYTES = 20 * 1024 * 1024
# The signals that a dispute may turn criminal (民转刑) or is a group dispute: an urgent alarm.
ALARM_SIGNALS = frozenset({Signal.THREATS, Signal.VIOLENCE, Signal.WEAPONS, Signal.POLICE_HISTORY, Signal.GROUP})
GROUP_PEOPLE = 5  # 群体性纠纷: five people or more on one side
INTAKE_ROLES = frozenset({*CENTER_ROLES, Role.MEDIATOR, Role.GRID_WORKER})
GRID_INTAKES = frozenset({Intake.GRID, Intake.SWEEP})
CENTER_INBOX_ROLES = (Role.CENTER_STAFF, Role.DUTY_OFFICER, Role.DUTY_LEADER)


class DisputeNotFound(Exception):
    """The case does not exist or is outside the user's scope (answered 404)."""


# --- facts and the one gate --------------------------------------------------------------------------


def actor_facts(user: User) -> ActorFacts:
    center = user.center
    return ActorFacts(
        user_id=user.pk,
        role=user.role,
        center_path=center.path if center else None,
        is_admin=user.is_superuser or user.role == Role.ADMIN,
    )


def mediator_ids(dispute: Dispute) -> frozenset[int]:
    return frozenset(DisputeMediator.objects.filter(dispute=dispute, active=True).values_list("user_id", flat=True))


def dispute_facts(dispute: Dispute, mediators: frozenset[int] | None = None) -> DisputeFacts:
    return DisputeFacts(
        state=dispute.state,
        center_path=dispute.center.path,
        reporter_id=dispute.reporter_id,
        mediator_ids=mediator_ids(dispute) if mediators is None else mediators,
    )


def dispute_available_actions(dispute: Dispute, user: User, mediators: frozenset[int] | None = None) -> list[str]:
    """The actions `user` may take on the case now (the state table and the permissions)."""
    actor, facts = actor_facts(user), dispute_facts(dispute, mediators)
    return [a.value for a in states.allowed_actions(dispute.state) if may(actor, facts, a)]


@dataclass
class _Step:
    dispute: Dispute
    action: Action
    actor: User
    now: datetime
    from_state: str
    mediators: frozenset[int]


def _begin(dispute_id, action: str, actor: User, now: datetime | None) -> _Step:
    """The checks every step starts with, in order: the case is visible (404), its row is locked,
    the state allows the action (409), the actor may take it (403)."""
    try:
        action = Action(action)
    except ValueError:
        raise ValidationError({"action": _("Unknown action: %(a)s.") % {"a": action}}) from None
    try:
        pk = int(dispute_id)
    except (TypeError, ValueError):
        raise DisputeNotFound(_("No such dispute in your area.")) from None
    if not scope_for(actor).disputes(Dispute.objects.filter(pk=pk)).exists():
        raise DisputeNotFound(_("No such dispute in your area."))
    dispute = Dispute.objects.select_for_update(of=("self",)).select_related("center").get(pk=pk)
    states.next_state(dispute.state, action)  # IllegalTransition (409)
    mediators = mediator_ids(dispute)
    if not may(actor_facts(actor), dispute_facts(dispute, mediators), action):
        raise PermissionDenied(
            _("You may not take the action “%(action)s” on this dispute.") % {"action": action.label}
        )
    return _Step(dispute, action, actor, now or timezone.now(), dispute.state, mediators)


def _finish(step: _Step, *, reason: str = "", data: dict | None = None, save: bool = True) -> DisputeAction:
    """Saves the case and its schedule, writes the step's timeline row, and sends the change after
    the commit."""
    dispute = step.dispute
    if save:
        dispute.save()
        clocks.write_schedule(dispute)
    row = DisputeAction.objects.create(
        dispute=dispute,
        action=step.action,
        actor=step.actor,
        actor_role=step.actor.role if step.actor else "",
        actor_center_id=step.actor.center_id if step.actor else None,
        center_id=dispute.center_id,
        level=dispute.level,
        from_state=step.from_state,
        to_state=dispute.state,
        reason=reason,
        data=data or {},
        created_at=step.now,
    )
    pk, action = dispute.pk, str(step.action)
    transaction.on_commit(lambda: dispute_changed.send(sender=Dispute, dispute_ids=[pk], action=action), robust=True)
    return row


# --- input checks -------------------------------------------------------------------------------------


def _text(value, field: str, *, required: bool = False, limit: int = TEXT_MAX, errors: dict | None = None) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    problem = None
    if required and not text:
        problem = _("This field is required.")
    elif len(text) > limit:
        problem = _("The text is too long: %(n)d characters, at most %(max)d.") % {"n": len(text), "max": limit}
    if problem:
        if errors is None:
            raise ValidationError({field: [problem]})
        errors[field] = [problem]
    return text


def _date(value, field: str, *, required: bool = False) -> date | None:
    if value in (None, ""):
        if required:
            raise ValidationError({field: [_("Give a date.")]})
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, date):
        return value
    parsed = parse_date(str(value)) if isinstance(value, str) else None
    if parsed is None:
        raise ValidationError({field: [_("Give a date as YYYY-MM-DD.")]})
    return parsed


def _moment(value, field: str, *, required: bool = False) -> datetime | None:
    if value in (None, ""):
        if required:
            raise ValidationError({field: [_("Give a date and time.")]})
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = parse_datetime(str(value))
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationError({field: [_("Give a date and time in ISO 8601, e.g. 2026-05-01T09:30+08:00.")]})
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _choice(value, choices, field: str, *, required: bool = True) -> str:
    if value in (None, "") and not required:
        return ""
    if value not in choices.values:
        raise ValidationError({field: [_("Choose one of: %(values)s.") % {"values": ", ".join(choices.values)}]})
    return value


PHONE = re.compile(r"^[0-9+\-() ]{5,20}$")


def parties_clean(parties) -> list[tuple[Party, int | None]]:
    """Checks the parties of an intake and builds them (unsaved), each with the index of the party
    an agent represents. The ID number is kept only masked and as a keyed hash."""
    if not isinstance(parties, list | tuple) or not parties:
        raise ValidationError({"parties": [_("Name the parties: at least an applicant and a respondent.")]})
    if len(parties) > 50:
        raise ValidationError({"parties": [_("At most 50 parties; a group dispute names its representatives.")]})
    built, errors = [], {}
    for i, raw in enumerate(parties):
        if not isinstance(raw, dict):
            raise ValidationError({"parties": [_("Each party is an object with a role and a name.")]})
        problems: dict[str, list[str]] = {}
        role = raw.get("role")
        if role not in PartyRole.values:
            problems["role"] = [_("Choose the party's role.")]
        kind = raw.get("kind") or PartyKind.PERSON
        if kind not in PartyKind.values:
            problems["kind"] = [_("A party is a person or an organisation.")]
        name = _text(raw.get("name"), "name", required=True, limit=100, errors=problems)
        phone = _text(raw.get("phone"), "phone", limit=20, errors=problems)
        if phone and not PHONE.match(phone):
            problems["phone"] = [_("A phone number has digits only (and + - ( ) or spaces).")]
        masked = digest = ""
        if raw.get("id_number"):
            try:
                value = id_number_validate(str(raw["id_number"]))
                masked, digest = id_number_mask(value), id_number_hash(value)
            except ValidationError as exc:
                problems["id_number"] = exc.message_dict["id_number"]
        sex = raw.get("sex") or ""
        if sex not in ("", "M", "F"):
            problems["sex"] = [_("M or F.")]
        birth_year = raw.get("birth_year")
        if birth_year not in (None, ""):
            try:
                birth_year = int(birth_year)
                if not 1900 <= birth_year <= timezone.now().year:
                    raise ValueError
            except (TypeError, ValueError):
                problems["birth_year"] = [_("A year of birth such as 1968.")]
        else:
            birth_year = None
        represents = raw.get("represents")
        if role == PartyRole.AGENT:
            if not isinstance(represents, int) or not 0 <= represents < len(parties) or represents == i:
                problems["represents"] = [_("An agent names the party they act for (its index in the list).")]
        else:
            represents = None
        if problems:
            errors[f"parties[{i}]"] = [f"{k}: {' '.join(map(str, v))}" for k, v in problems.items()]
            continue
        party = Party(
            role=role,
            kind=kind,
            name=name,
            sex=sex,
            birth_year=birth_year,
            ethnicity=_text(raw.get("ethnicity"), "ethnicity", limit=20),
            occupation=_text(raw.get("occupation"), "occupation", limit=100),
            phone=phone,
            address=_text(raw.get("address"), "address", limit=200),
            id_number_masked=masked,
            id_number_hash=digest,
            organisation_code=_text(raw.get("organisation_code"), "organisation_code", limit=18),
            order=i,
        )
        built.append((party, represents))
    if errors:
        raise ValidationError(errors)
    roles = {p.role for p, _ in built}
    if PartyRole.APPLICANT not in roles or PartyRole.RESPONDENT not in roles:
        raise ValidationError({"parties": [_("A dispute has two sides: name at least an applicant and a respondent.")]})
    return built


# --- numbers (一案一码) ---------------------------------------------------------------------------------


def committee_for(center: Center) -> Committee:
    """The committee that numbers a case taken in at `center`: its own, else the nearest above."""
    codes = [c for c in center.path.strip("/").split("/") if c]
    found = {c.center.code: c for c in Committee.objects.filter(center__code__in=codes).select_related("center")}
    for code in reversed(codes):
        if code in found:
            return found[code]
    raise ValidationError({"center": [_("No mediation committee is set up for %(c)s or above it.") % {"c": center}]})


def case_number_next(committee: Committee, year: int) -> int:
    """The committee's next serial number in `year` (its counter row stays locked until the commit:
    two intakes at one committee take numbers one after the other, never the same one)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO disputes_casecounter (committee_id, year, last) VALUES (%s, %s, 1) "
            "ON CONFLICT (committee_id, year) DO UPDATE SET last = disputes_casecounter.last + 1 RETURNING last",
            [committee.pk, year],
        )
        return cursor.fetchone()[0]


# --- intake ---------------------------------------------------------------------------------------------


def dispute_report(
    *,
    reporter: User,
    type_id,
    title: str,
    facts: str,
    lat,
    lng,
    client_id,
    intake: str,
    parties,
    claims: str = "",
    address: str = "",
    amount=None,
    people=2,
    intake_reference: str = "",
    signals=(),
    center_id=None,
    event_id=None,
    now: datetime | None = None,
) -> tuple[Dispute, bool]:
    """Takes a dispute in from any channel. Returns (dispute, created): the same `client_id` again
    returns the case made the first time (phones retry on bad networks).

    The place gives the grid and its community; a center in the reporter's scope may be named
    instead (a walk-in at the town's window is the town's case). The case gets its number from the
    committee there (一案一码), the acceptance clock starts, earlier cases of the same party or
    address are linked, and the signals of a dispute turning criminal raise an alarm."""
    if reporter.role not in INTAKE_ROLES and not reporter.is_superuser:
        raise PermissionDenied(_("Your role does not take disputes in."))
    try:
        client_uuid = uuid.UUID(str(client_id))
    except (TypeError, ValueError, AttributeError):
        raise ValidationError({"client_id": [_("client_id must be a UUID made by the client.")]}) from None
    existing = Dispute.objects.filter(client_id=client_uuid).first()
    if existing is not None:
        return _same_reporter(existing, reporter), False

    errors: dict[str, list[str]] = {}
    title = _text(title, "title", required=True, limit=100, errors=errors)
    facts = _text(facts, "facts", required=True, errors=errors)
    claims = _text(claims, "claims", errors=errors)
    address = _text(address, "address", limit=200, errors=errors)
    intake_reference = _text(intake_reference, "intake_reference", limit=100, errors=errors)
    if intake not in Intake.values:
        errors["intake"] = [_("Choose how the dispute came in.")]
    elif reporter.role == Role.GRID_WORKER and intake not in GRID_INTAKES:
        errors["intake"] = [_("A grid worker takes disputes in from the grid or a sweep.")]
    dispute_type = None
    try:
        dispute_type = DisputeType.objects.filter(active=True).get(pk=int(type_id))
    except (TypeError, ValueError, DisputeType.DoesNotExist):
        errors["type"] = [_("Choose a dispute type from the list.")]
    try:
        amount = None if amount in (None, "") else Decimal(str(amount))
        if amount is not None and (amount < 0 or amount >= Decimal("1e12") or amount != round(amount, 2)):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["amount"] = [_("An amount in yuan, at most two decimals, not negative.")]
    try:
        people = int(people)
        if not 1 <= people <= 1_000_000:
            raise ValueError
    except (TypeError, ValueError):
        errors["people"] = [_("The number of people involved: 1 or more.")]
    signals = _signals(signals, errors)
    event = None
    if event_id not in (None, ""):
        from events.models import Event

        try:
            event = scope_for(reporter).events(Event.objects.filter(pk=int(event_id))).get()
        except (TypeError, ValueError, Event.DoesNotExist):
            errors["event"] = [_("No such event in your area.")]
        else:
            if Dispute.objects.filter(event=event).exists():
                errors["event"] = [_("This event was already converted into a dispute.")]
    point = grid = center = None
    try:
        point = point_from_lat_lng(lat, lng)
    except BadCoordinates as exc:
        errors["location"] = [str(exc)]
    if point is not None:
        try:
            grid = grid_at(point)
            center = grid.center
        except GridNotFound as exc:
            if center_id in (None, ""):
                errors["location"] = [str(exc) + " " + _("Choose the center by hand.")]
    if center_id not in (None, ""):
        try:
            center = scope_for(reporter).centers().get(pk=int(center_id))
        except (Center.DoesNotExist, TypeError, ValueError):
            errors["center"] = [_("Choose a center in your area.")]
    try:
        built = parties_clean(parties)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)

    now = now or timezone.now()
    committee = committee_for(center)
    year = timezone.localtime(now).year
    try:
        with transaction.atomic():
            serial = case_number_next(committee, year)
            dispute = Dispute(
                client_id=client_uuid,
                committee=committee,
                year=year,
                serial=serial,
                number=dispute_number(committee.number_prefix, year, serial),
                type=dispute_type,
                title=title,
                facts=facts,
                claims=claims,
                intake=intake,
                intake_reference=intake_reference,
                amount=amount,
                people=people,
                location=point,
                address=address,
                grid=grid,
                origin_center=center,
                center=center,
                level=center.level,
                reporter=reporter,
                event=event,
                signals=signals,
                created_at=now,
            )
            clocks.start_phase(dispute, Phase.ACCEPT, now)
            dispute.save(force_insert=True)
            parties_saved = _parties_save(dispute, built)
            step = _Step(dispute, A.REPORT, reporter, now, "", frozenset())
            clocks.write_schedule(dispute)
            earlier = _repeats_link(dispute, parties_saved)
            data = {"intake": intake, "parties": len(parties_saved)}
            if earlier:
                data["repeat_of"] = earlier
            if event is not None:
                data["event"] = event.pk
            _finish(step, data=data, save=False)
            _alarm_if_signalled(dispute, reporter, now)
    except IntegrityError:
        existing = Dispute.objects.filter(client_id=client_uuid).first()
        if existing is None:
            raise
        return _same_reporter(existing, reporter), False
    return dispute, True


def _same_reporter(dispute: Dispute, reporter: User) -> Dispute:
    if dispute.reporter_id != reporter.pk:
        raise ValidationError({"client_id": [_("This client_id was already used for another dispute.")]})
    return dispute


def _signals(values, errors: dict) -> list[str]:
    if values in (None, ""):
        return []
    if isinstance(values, str):
        values = [values]
    try:
        cleaned = list(dict.fromkeys(str(v) for v in values))
    except TypeError:
        cleaned = ["?"]
    if any(v not in Signal.values for v in cleaned):
        errors["signals"] = [_("Choose signals from: %(values)s.") % {"values": ", ".join(Signal.values)}]
    return cleaned


def _parties_save(dispute: Dispute, built: list[tuple[Party, int | None]]) -> list[Party]:
    parties = []
    for party, _represents in built:
        party.dispute = dispute
    Party.objects.bulk_create([p for p, _ in built])
    parties = [p for p, _ in built]
    agents = [(p, parties[i]) for p, i in built if i is not None]
    for agent, principal in agents:
        agent.represents = principal
    if agents:
        Party.objects.bulk_update([a for a, _ in agents], ["represents"])
    return parties


REPEAT_MONTHS = getattr(settings, "DISPUTE_REPEAT_MONTHS", 12)


def _repeats_link(dispute: Dispute, parties: list[Party]) -> list[int]:
    """Links earlier cases of the same party (by ID hash or phone) or the same address within
    DISPUTE_REPEAT_MONTHS: a repeat dispute (重复纠纷) is flagged at intake. Returns their ids."""
    since = dispute.created_at - timedelta(days=30 * REPEAT_MONTHS)
    hashes = {p.id_number_hash for p in parties if p.id_number_hash}
    phones = {p.phone for p in parties if p.phone}
    found: dict[int, str] = {}
    recent = Party.objects.filter(dispute__created_at__gte=since).exclude(dispute=dispute)
    if hashes:
        for pk in recent.filter(id_number_hash__in=hashes).values_list("dispute_id", flat=True):
            found.setdefault(pk, "id_number")
    if phones:
        for pk in recent.filter(phone__in=phones).values_list("dispute_id", flat=True):
            found.setdefault(pk, "phone")
    if dispute.address:
        same_place = Dispute.objects.filter(address=dispute.address, created_at__gte=since).exclude(pk=dispute.pk)
        for pk in same_place.values_list("pk", flat=True):
            found.setdefault(pk, "address")
    RepeatLink.objects.bulk_create([RepeatLink(dispute=dispute, earlier_id=pk, reason=r) for pk, r in found.items()])
    return sorted(found)


# --- alarms and messages ----------------------------------------------------------------------------------

MESSAGES = {
    "dispute_assigned": gettext_lazy("Dispute %(number)s (%(title)s) was given to you to mediate."),
    "dispute_alarm": gettext_lazy(
        "Alarm: dispute %(number)s (%(title)s) shows signs of turning violent or of a group dispute: %(signals)s."
    ),
    "dispute_escalated": gettext_lazy(
        "Dispute %(number)s (%(title)s) was escalated to your center by %(by)s: %(reason)s"
    ),
    "dispute_urge": gettext_lazy("Dispute %(number)s (%(title)s) was urged by %(by)s: %(reason)s"),
}


def _tell(dispute: Dispute, kind: str, people, *, actor: User | None = None, **values) -> None:
    """Inbox messages about the case, stored in the platform's language (inbox.services.inbox_send:
    written under a savepoint, delivered after the commit)."""
    people = [pk for pk in dict.fromkeys(people) if actor is None or pk != actor.pk]
    if not people:
        return
    with translation.override(settings.LANGUAGE_CODE):
        text = str(MESSAGES[kind]) % {
            "number": dispute.number,
            "title": dispute.title,
            **{k: str(v) for k, v in values.items()},
        }
    inbox_send(users=people, kind=kind, message=text, subject=dispute)


def center_people(center_id: int) -> list[int]:
    return list(
        User.objects.filter(center_id=center_id, role__in=CENTER_INBOX_ROLES, is_active=True).values_list(
            "pk", flat=True
        )
    )


def alarm_people(dispute: Dispute) -> list[int]:
    """Who hears an alarm: the holding center's staff and the police (the departments named in
    DISPUTE_ALARM_DEPARTMENTS, by code)."""
    codes = getattr(settings, "DISPUTE_ALARM_DEPARTMENTS", ["police"])
    police = User.objects.filter(department__code__in=codes, role=Role.DEPARTMENT_STAFF, is_active=True).values_list(
        "pk", flat=True
    )
    return center_people(dispute.center_id) + list(police)


def _alarm_if_signalled(dispute: Dispute, actor: User | None, now: datetime) -> bool:
    """Raises the case's alarm once: a signal of 民转刑 (threats, violence, weapons, a history of
    police calls) or of a group dispute sends an urgent message (inbox and SMS) to the police and the
    holding center, and the dashboards' alarm after the commit."""
    alarming = [s for s in dispute.signals if s in ALARM_SIGNALS]
    if dispute.people >= GROUP_PEOPLE * 10 and Signal.GROUP not in alarming:
        alarming.append(Signal.GROUP)
    if not alarming or dispute.alarmed_at is not None:
        return False
    dispute.alarmed_at = now
    if dispute.risk in ("", Risk.BLUE, Risk.YELLOW):
        dispute.risk = Risk.ORANGE
    Dispute.objects.filter(pk=dispute.pk).update(alarmed_at=now, risk=dispute.risk)
    labels = "、".join(str(Signal(s).label) for s in alarming)
    DisputeAction.objects.create(
        dispute=dispute,
        action=A.ALARM,
        actor=None,
        center_id=dispute.center_id,
        level=dispute.level,
        from_state=dispute.state,
        to_state=dispute.state,
        data={"signals": alarming},
        created_at=now,
    )
    with translation.override(settings.LANGUAGE_CODE):
        labels = "、".join(str(Signal(s).label) for s in alarming)
    _tell(dispute, "dispute_alarm", alarm_people(dispute), signals=labels)
    pk = dispute.pk
    transaction.on_commit(lambda: dispute_alarm.send(sender=Dispute, dispute_id=pk), robust=True)
    return True


# --- the workflow ----------------------------------------------------------------------------------------


def _reason(value, *, required: bool) -> str:
    reason = _text(value, "reason", limit=REASON_MAX)
    if required and not reason:
        raise ValidationError({"reason": [_("Give a reason.")]})
    return reason


def _users(values, field: str, dispute: Dispute, *, required: bool = True) -> list[User]:
    """Mediators for a case: active mediators or center staff at the holding center or inside its
    area, by id."""
    if values in (None, "", []) and not required:
        return []
    if not isinstance(values, list | tuple) or not values:
        raise ValidationError({field: [_("Name at least one mediator.")]})
    try:
        ids = list(dict.fromkeys(int(v) for v in values))
    except (TypeError, ValueError):
        raise ValidationError({field: [_("Mediators are given by their user ids.")]}) from None
    users = {
        u.pk: u
        for u in User.objects.filter(
            pk__in=ids,
            is_active=True,
            role__in=[Role.MEDIATOR, *CENTER_INBOX_ROLES],
            center__path__startswith=dispute.center.path,
        )
    }
    missing = [pk for pk in ids if pk not in users]
    if missing:
        raise ValidationError({field: [_("Not a mediator of this center's area: %(ids)s.") % {"ids": missing}]})
    return [users[pk] for pk in ids]


def _name_mediators(dispute: Dispute, users: list[User], lead_id, now: datetime) -> list[int]:
    """Makes `users` the case's active mediators (lead: `lead_id`, else the first); returns the ids
    newly named."""
    lead = users[0].pk
    if lead_id not in (None, ""):
        try:
            lead = int(lead_id)
        except (TypeError, ValueError):
            lead = -1
        if lead not in {u.pk for u in users}:
            raise ValidationError({"lead": [_("The lead mediator must be one of the mediators.")]})
    before = mediator_ids(dispute)
    DisputeMediator.objects.filter(dispute=dispute).update(active=False, lead=False)
    for user in users:
        DisputeMediator.objects.update_or_create(
            dispute=dispute, user=user, defaults={"active": True, "lead": user.pk == lead, "named_at": now}
        )
    return [u.pk for u in users if u.pk not in before]


@transaction.atomic
def dispute_transition(*, dispute_id, action: str, actor: User, now: datetime | None = None, **params) -> Dispute:
    """Applies one workflow action (the state table: disputes.domain.states). Takes the case's row
    lock. Raises DisputeNotFound (404), IllegalTransition (409), PermissionDenied (403) or
    ValidationError (400), and then writes nothing.

    Sessions, records, documents, follow-ups, performance and confirmation have services of their
    own (session_record …), which take the same steps."""
    step = _begin(dispute_id, action, actor, now)
    effect = _EFFECTS.get(step.action)
    if effect is None:
        raise ValidationError({"action": [_("“%(a)s” has a form of its own.") % {"a": step.action.label}]})
    unknown = set(params) - _PARAMS.get(step.action, set()) - {"reason"}
    if unknown:
        raise ValidationError({"action": [_("Unexpected fields: %(f)s.") % {"f": ", ".join(sorted(unknown))}]})
    step.dispute.state = states.next_state(step.from_state, step.action)
    reason, data = effect(step, **params)
    _finish(step, reason=reason, data=data)
    return step.dispute


def _accept(step: _Step, *, mediators=None, lead=None, consent=None, reason=""):
    """Accepts the case for people's mediation: both parties consent (人民调解法 art. 17) and the
    committee names one or more mediators (art. 19). The mediation clock starts (one month:
    司法部《人民调解工作若干规定》art. 33)."""
    dispute = step.dispute
    if consent is not True:
        raise ValidationError(
            {
                "consent": [
                    _("People's mediation needs both parties' consent (人民调解法 art. 17); record a refusal instead.")
                ]
            }
        )
    if mediators in (None, "", []) and step.actor.role == Role.MEDIATOR:
        mediators = [step.actor.pk]
    users = _users(mediators, "mediators", dispute)
    named = _name_mediators(dispute, users, lead, step.now)
    Party.objects.filter(dispute=dispute).exclude(role=PartyRole.AGENT).update(consents=True)
    dispute.accepted_at = step.now
    dispute.channel = Channel.PEOPLES
    clocks.start_phase(dispute, Phase.MEDIATE, step.now)
    _tell(dispute, "dispute_assigned", named, actor=step.actor)
    return _reason(reason, required=False), {"mediators": [u.pk for u in users]}


def _refer(step: _Step, *, channel=None, referred_to=None, reason=""):
    """Hands the case to another channel (警调, 诉调, 访调, arbitration …), with a record of to whom."""
    channel = _choice(channel, Channel, "channel")
    if channel == Channel.PEOPLES:
        raise ValidationError({"channel": [_("Referring hands the case to another channel than people's mediation.")]})
    dispute = step.dispute
    dispute.channel = channel
    dispute.referred_to = _text(referred_to, "referred_to", required=True, limit=100)
    _conclude(dispute, step.now)
    return _reason(reason, required=True), {"channel": channel, "referred_to": dispute.referred_to}


def _conclude(dispute: Dispute, now: datetime) -> None:
    dispute.concluded_at = now
    clocks.start_phase(dispute, None, now)
    dispute.light = Light.GREEN
    from .engine import reminders_cancel

    reminders_cancel(dispute)


def _escalate(step: _Step, *, reason=""):
    """Sends a hard case up to the next center (大事不出镇): the clocks restart there."""
    reason = _reason(reason, required=True)
    from .engine import escalate_to_parent

    before = step.dispute.center_id
    if not escalate_to_parent(step.dispute, now=step.now):
        raise ValidationError({"action": [_("This center has no higher center to escalate to.")]})
    _tell(
        step.dispute,
        "dispute_escalated",
        center_people(step.dispute.center_id),
        actor=step.actor,
        by=_by(step.actor),
        reason=reason,
    )
    return reason, {"from_center": before, "to_center": step.dispute.center_id}


def _by(actor: User) -> str:
    return actor.center.name if actor.center_id else (actor.get_full_name() or actor.username)


def _assign(step: _Step, *, mediators=None, lead=None, reason=""):
    users = _users(mediators, "mediators", step.dispute)
    named = _name_mediators(step.dispute, users, lead, step.now)
    _tell(step.dispute, "dispute_assigned", named, actor=step.actor)
    return _reason(reason, required=False), {"mediators": [u.pk for u in users]}


def _refuse(step: _Step, *, party=None, channel=None, reason=""):
    """A party refuses mediation: people's mediation ends (人民调解法 art. 17), and the parties are
    told where to go next (`channel`)."""
    dispute = step.dispute
    try:
        refusing = Party.objects.get(dispute=dispute, pk=int(party))
    except (TypeError, ValueError, Party.DoesNotExist):
        raise ValidationError({"party": [_("Name the party that refuses.")]}) from None
    channel = _choice(channel, Channel, "channel")
    if channel == Channel.PEOPLES:
        raise ValidationError({"channel": [_("Say where the parties may go instead of people's mediation.")]})
    Party.objects.filter(pk=refusing.pk).update(consents=False)
    dispute.channel = channel
    dispute.outcome_reason = _reason(reason, required=True)
    _conclude(dispute, step.now)
    return dispute.outcome_reason, {"party": refusing.pk, "channel": channel}


def _extend(step: _Step, *, days=None, consent=None, reason=""):
    """Extends the mediation with both parties' consent (recorded): the deadline moves, and a new
    clock cycle starts (its warning may come again)."""
    try:
        days = int(days)
        if not 1 <= days <= MAX_EXTENSION_DAYS:
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationError({"days": [_("Between 1 and %(max)d days.") % {"max": MAX_EXTENSION_DAYS}]}) from None
    if consent is not True:
        raise ValidationError({"consent": [_("An extension needs both parties' consent; record it.")]})
    dispute = step.dispute
    clocks.shift_clocks(dispute, timedelta(days=days))
    dispute.extension_days += days
    dispute.clock_cycle += 1
    dispute.clock_marks = 0
    dispute.light = Light.GREEN
    return _reason(reason, required=True), {"days": days, "consent": True}


def _suspend(step: _Step, *, reason=""):
    """Pauses the mediation (中止): its time does not count; the moments stay and move on resume."""
    dispute = step.dispute
    dispute.suspended_from = dispute.state
    dispute.suspended_at = step.now
    return _reason(reason, required=True), {}


def _resume(step: _Step, *, reason=""):
    dispute = step.dispute
    if dispute.suspended_at is not None:
        clocks.shift_clocks(dispute, step.now - dispute.suspended_at)
    dispute.suspended_from, dispute.suspended_at = "", None
    return _reason(reason, required=False), {}


def _agree(
    step: _Step,
    *,
    form=None,
    terms=None,
    responsibility="",
    performance_method="",
    performance_place="",
    performance_due=None,
    obligations=(),
    follow_up_due=None,
    reason="",
):
    """The parties agree: in writing, or orally for a simple matter, recorded by the mediator
    (人民调解法 art. 28). A written agreement states what art. 29 and 司法部 arts. 34–35 list: the
    terms, each side's responsibility, and the method, place and time limit of performance. Each
    obligation gets its due date, a follow-up visit is planned, and the reminders start."""
    dispute = step.dispute
    form = _choice(form, AgreementForm, "form")
    errors: dict = {}
    dispute.agreement_terms = _text(terms, "terms", required=True, limit=8000, errors=errors)
    dispute.responsibility = _text(responsibility, "responsibility", errors=errors)
    dispute.performance_method = _text(performance_method, "performance_method", limit=200, errors=errors)
    dispute.performance_place = _text(performance_place, "performance_place", limit=200, errors=errors)
    if errors:
        raise ValidationError(errors)
    due = _date(performance_due, "performance_due", required=form == AgreementForm.WRITTEN)
    today = timezone.localtime(step.now).date()
    if due is not None and due < today:
        raise ValidationError({"performance_due": [_("The time limit of performance cannot be in the past.")]})
    if form == AgreementForm.WRITTEN and not dispute.performance_method:
        raise ValidationError({"performance_method": [_("A written agreement states how it is performed.")]})
    rows = _obligations_clean(dispute, obligations, today)
    dispute.agreement_form = form
    dispute.performance_due = due
    dispute.agreed_at = step.now
    _conclude(dispute, step.now)
    Obligation.objects.bulk_create(rows)
    visit = _date(follow_up_due, "follow_up_due") or (due or today) + timedelta(days=FOLLOW_UP_DAYS)
    FollowUp.objects.create(dispute=dispute, due_date=visit)
    dispute.save()
    from .engine import reminders_plan

    reminders_plan(dispute, now=step.now)
    return _reason(reason, required=False), {"form": form, "obligations": len(rows)}


def _obligations_clean(dispute: Dispute, obligations, today: date) -> list[Obligation]:
    if obligations in (None, ""):
        return []
    if not isinstance(obligations, list | tuple) or len(obligations) > 50:
        raise ValidationError({"obligations": [_("A list of at most 50 obligations.")]})
    parties = set(Party.objects.filter(dispute=dispute).values_list("pk", flat=True))
    rows = []
    for i, raw in enumerate(obligations):
        if not isinstance(raw, dict):
            raise ValidationError({"obligations": [_("Each obligation has a description and a due date.")]})
        party = raw.get("party")
        if party not in (None, ""):
            try:
                party = int(party)
            except (TypeError, ValueError):
                party = -1
            if party not in parties:
                raise ValidationError({f"obligations[{i}]": [_("The party must be one of this dispute's parties.")]})
        due = _date(raw.get("due_date"), f"obligations[{i}]", required=True)
        if due < today:
            raise ValidationError({f"obligations[{i}]": [_("The due date cannot be in the past.")]})
        text = _text(raw.get("description"), f"obligations[{i}]", required=True, limit=500)
        rows.append(Obligation(dispute=dispute, party_id=party or None, description=text, due_date=due))
    return rows


def _terminate(step: _Step, *, channel=None, reason=""):
    """Mediation failed (or a breached agreement goes to court): the parties are guided to `channel`."""
    channel = _choice(channel, Channel, "channel")
    if channel == Channel.PEOPLES:
        raise ValidationError({"channel": [_("Say where the parties were guided to.")]})
    dispute = step.dispute
    dispute.channel = channel
    dispute.outcome_reason = _reason(reason, required=True)
    _conclude(dispute, step.now)
    return dispute.outcome_reason, {"channel": channel}


def _withdraw(step: _Step, *, reason=""):
    _conclude(step.dispute, step.now)
    return _reason(reason, required=True), {}


def _breach(step: _Step, *, reason=""):
    """The agreement was not performed: the case is mediated again, on a new mediation clock."""
    dispute = step.dispute
    dispute.concluded_at = None
    from .engine import reminders_cancel

    reminders_cancel(dispute)
    clocks.start_phase(dispute, Phase.MEDIATE, step.now)
    return _reason(reason, required=True), {}


def _close(step: _Step, *, reason=""):
    """The agreement is performed: every obligation done."""
    dispute = step.dispute
    open_ones = list(
        Obligation.objects.filter(dispute=dispute, performed_at__isnull=True).values_list("description", flat=True)
    )
    if open_ones:
        raise ValidationError(
            {"action": [_("Obligations not yet performed: %(o)s.") % {"o": "; ".join(open_ones[:5])}]}
        )
    dispute.closed_at = step.now
    from .engine import reminders_cancel

    reminders_cancel(dispute, kind="obligation")
    return _reason(reason, required=False), {}


def _risk(step: _Step, *, risk=None, signals=None, risk_plan=None, joint_meeting_at=None, reason=""):
    """Sets the risk level (four colours) and the signals seen; a red case has its own plan and a
    joint meeting (一案一策). New alarming signals raise the alarm."""
    dispute = step.dispute
    data: dict = {}
    if risk is not None:
        dispute.risk = _choice(risk, Risk, "risk", required=False)
        data["risk"] = dispute.risk
    if signals is not None:
        errors: dict = {}
        dispute.signals = _signals(signals, errors)
        if errors:
            raise ValidationError(errors)
        data["signals"] = dispute.signals
    if risk_plan is not None:
        dispute.risk_plan = _text(risk_plan, "risk_plan")
    if joint_meeting_at is not None:
        dispute.joint_meeting_at = _moment(joint_meeting_at, "joint_meeting_at")
    if dispute.risk == Risk.RED and not (dispute.risk_plan and dispute.joint_meeting_at):
        raise ValidationError(
            {"risk_plan": [_("A red case has its own plan and a joint meeting of the departments: give both.")]}
        )
    _alarm_if_signalled(dispute, step.actor, step.now)
    return _reason(reason, required=False), data


def _urge(step: _Step, *, reason=""):
    reason = _reason(reason, required=True)
    people = center_people(step.dispute.center_id) + list(step.mediators)
    _tell(step.dispute, "dispute_urge", people, actor=step.actor, by=_by(step.actor), reason=reason)
    return reason, {}


def _link(step: _Step, *, event=None, reason=""):
    from events.models import Event

    dispute = step.dispute
    if dispute.event_id:
        raise ValidationError({"event": [_("This dispute is already linked to an event.")]})
    try:
        found = scope_for(step.actor).events(Event.objects.filter(pk=int(event))).get()
    except (TypeError, ValueError, Event.DoesNotExist):
        raise ValidationError({"event": [_("No such event in your area.")]}) from None
    if Dispute.objects.filter(event=found).exists():
        raise ValidationError({"event": [_("This event was already converted into a dispute.")]})
    dispute.event = found
    return _reason(reason, required=False), {"event": found.pk}


_EFFECTS = {
    A.ACCEPT: _accept,
    A.REFER: _refer,
    A.ESCALATE: _escalate,
    A.ASSIGN: _assign,
    A.REFUSE: _refuse,
    A.EXTEND: _extend,
    A.SUSPEND: _suspend,
    A.RESUME: _resume,
    A.AGREE: _agree,
    A.TERMINATE: _terminate,
    A.WITHDRAW: _withdraw,
    A.BREACH: _breach,
    A.CLOSE: _close,
    A.RISK: _risk,
    A.URGE: _urge,
    A.LINK: _link,
}
# The fields each action takes (besides `reason`): anything else is refused with a 400.
_PARAMS: dict[Action, set[str]] = {
    A.ACCEPT: {"mediators", "lead", "consent"},
    A.REFER: {"channel", "referred_to"},
    A.ASSIGN: {"mediators", "lead"},
    A.REFUSE: {"party", "channel"},
    A.EXTEND: {"days", "consent"},
    A.AGREE: {
        "form",
        "terms",
        "responsibility",
        "performance_method",
        "performance_place",
        "performance_due",
        "obligations",
        "follow_up_due",
    },
    A.TERMINATE: {"channel"},
    A.RISK: {"risk", "signals", "risk_plan", "joint_meeting_at"},
    A.LINK: {"event"},
}
ACTION_PARAMS = _PARAMS  # the API and the pages read which fields an action takes


# --- sessions and records ------------------------------------------------------------------------------------


@transaction.atomic
def session_record(
    *,
    dispute_id,
    actor: User,
    starts_at,
    place: str,
    mediators=(),
    attendees: str = "",
    notes: str = "",
    ends_at=None,
    held: bool = True,
    session_id=None,
    now: datetime | None = None,
) -> Session:
    """Plans a mediation session (held=False: it is on the mediators' calendar) or records one held,
    new or planned before (`session_id`). Its mediators are the case's (default: the actor)."""
    step = _begin(dispute_id, A.SESSION, actor, now)
    dispute = step.dispute
    errors: dict = {}
    place = _text(place, "place", required=True, limit=200, errors=errors)
    attendees = _text(attendees, "attendees", limit=2000, errors=errors)
    notes = _text(notes, "notes", limit=20000, errors=errors)
    if errors:
        raise ValidationError(errors)
    starts = _moment(starts_at, "starts_at", required=True)
    ends = _moment(ends_at, "ends_at")
    if ends is not None and ends < starts:
        raise ValidationError({"ends_at": [_("A session ends after it starts.")]})
    held = bool(held)
    if held and starts > step.now + timedelta(minutes=5):
        raise ValidationError({"starts_at": [_("A session held cannot start in the future; plan it instead.")]})
    if held and not notes:
        raise ValidationError({"notes": [_("Write what was said and agreed at the session.")]})
    users = _users(list(mediators) or [actor.pk], "mediators", dispute)
    if session_id not in (None, ""):
        try:
            session = Session.objects.select_for_update().get(dispute=dispute, pk=int(session_id))
        except (TypeError, ValueError, Session.DoesNotExist):
            raise ValidationError({"session": [_("No such session of this dispute.")]}) from None
        if session.held:
            raise ValidationError({"session": [_("This session is recorded already; record a new one.")]})
    else:
        session = Session(dispute=dispute, created_by=actor)
    session.starts_at, session.ends_at, session.place = starts, ends, place
    session.attendees, session.notes, session.held = attendees, notes, held
    session.save()
    session.mediators.set(users)
    _finish(step, data={"session": session.pk, "held": held, "starts_at": starts.isoformat()}, save=False)
    return session


@transaction.atomic
def investigation_record(
    *, dispute_id, actor: User, interviewed: str, at, content: str, place: str = "", now: datetime | None = None
) -> Investigation:
    """An investigation record (调查笔录): who was interviewed, when, where, what they said."""
    step = _begin(dispute_id, A.INVESTIGATE, actor, now)
    errors: dict = {}
    interviewed = _text(interviewed, "interviewed", required=True, limit=200, errors=errors)
    content = _text(content, "content", required=True, limit=20000, errors=errors)
    place = _text(place, "place", limit=200, errors=errors)
    if errors:
        raise ValidationError(errors)
    when = _moment(at, "at", required=True)
    if when > step.now + timedelta(minutes=5):
        raise ValidationError({"at": [_("An interview is recorded after it took place.")]})
    record = Investigation.objects.create(
        dispute=step.dispute, interviewed=interviewed, at=when, place=place, content=content, recorded_by=actor
    )
    _finish(step, data={"investigation": record.pk}, save=False)
    return record


# --- after the agreement ----------------------------------------------------------------------------------------


@transaction.atomic
def follow_up_record(
    *,
    dispute_id,
    actor: User,
    visited_at,
    method: str,
    performance: str,
    satisfaction: str = "",
    new_risks: str = "",
    notes: str = "",
    follow_up_id=None,
    next_due=None,
    now: datetime | None = None,
) -> FollowUp:
    """Records a follow-up visit (回访): the planned one (`follow_up_id`, default the earliest not
    made) or an extra one; `next_due` plans another. Performance found breached is recorded; the
    mediator then mediates again or guides the parties to court (breach / terminate)."""
    step = _begin(dispute_id, A.FOLLOW_UP, actor, now)
    dispute = step.dispute
    method = _choice(method, VisitMethod, "method")
    performance = _choice(performance, Performance, "performance")
    satisfaction = _choice(satisfaction, Satisfaction, "satisfaction", required=False)
    errors: dict = {}
    new_risks = _text(new_risks, "new_risks", limit=2000, errors=errors)
    notes = _text(notes, "notes", errors=errors)
    if errors:
        raise ValidationError(errors)
    when = _moment(visited_at, "visited_at", required=True)
    if when > step.now + timedelta(minutes=5):
        raise ValidationError({"visited_at": [_("A visit is recorded after it took place.")]})
    planned = FollowUp.objects.select_for_update().filter(dispute=dispute, visited_at__isnull=True)
    if follow_up_id not in (None, ""):
        try:
            visit = planned.get(pk=int(follow_up_id))
        except (TypeError, ValueError, FollowUp.DoesNotExist):
            raise ValidationError({"follow_up": [_("No such planned visit of this dispute.")]}) from None
    else:
        visit = planned.order_by("due_date", "id").first() or FollowUp(dispute=dispute, due_date=when.date())
    visit.visitor, visit.visited_at, visit.method = actor, when, method
    visit.performance, visit.satisfaction, visit.new_risks, visit.notes = performance, satisfaction, new_risks, notes
    visit.save()
    planned_next = _date(next_due, "next_due")
    if planned_next is not None:
        if planned_next <= timezone.localtime(step.now).date():
            raise ValidationError({"next_due": [_("The next visit is planned for a later day.")]})
        FollowUp.objects.create(dispute=dispute, due_date=planned_next)
    from .engine import reminders_plan

    reminders_plan(dispute, now=step.now)
    _finish(step, data={"follow_up": visit.pk, "performance": performance}, save=False)
    return visit


@transaction.atomic
def obligation_perform(*, dispute_id, actor: User, obligation_id, now: datetime | None = None) -> Obligation:
    """Records one obligation of the agreement as performed."""
    step = _begin(dispute_id, A.PERFORM, actor, now)
    try:
        obligation = Obligation.objects.select_for_update().get(dispute=step.dispute, pk=int(obligation_id))
    except (TypeError, ValueError, Obligation.DoesNotExist):
        raise ValidationError({"obligation": [_("No such obligation of this dispute.")]}) from None
    if obligation.performed_at is not None:
        raise ValidationError({"obligation": [_("This obligation is recorded as performed already.")]})
    obligation.performed_at = step.now
    obligation.save(update_fields=["performed_at"])
    from .engine import reminders_cancel

    reminders_cancel(step.dispute, kind="obligation", key=obligation.pk)
    _finish(step, data={"obligation": obligation.pk}, save=False)
    return obligation


@transaction.atomic
def confirmation_record(
    *,
    dispute_id,
    actor: User,
    applied_on,
    court: str,
    case_number: str = "",
    accepted_on=None,
    ruling: str = "",
    ruled_on=None,
    extended: bool = False,
    now: datetime | None = None,
) -> Confirmation:
    """Records the judicial confirmation of a written agreement and its progress (法释〔2011〕5号):
    applied for by both parties within 30 days of the agreement; accepted (or not) by the court;
    the ruling. Each call records the whole current state; a ruling is final."""
    step = _begin(dispute_id, A.CONFIRM, actor, now)
    dispute = step.dispute
    if dispute.agreement_form != AgreementForm.WRITTEN:
        raise ValidationError({"action": [_("Judicial confirmation is of a written agreement.")]})
    applied = _date(applied_on, "applied_on", required=True)
    agreed = timezone.localtime(dispute.agreed_at).date()
    today = timezone.localtime(step.now).date()
    if not agreed <= applied <= agreed + timedelta(days=CONFIRMATION_DAYS):
        raise ValidationError(
            {"applied_on": [_("Both parties apply within 30 days of the agreement (法释〔2011〕5号 art. 2).")]}
        )
    accepted = _date(accepted_on, "accepted_on")
    ruled = _date(ruled_on, "ruled_on")
    for field, value in (("applied_on", applied), ("accepted_on", accepted), ("ruled_on", ruled)):
        if value is not None and value > today:
            raise ValidationError({field: [_("The date cannot be in the future.")]})
    if accepted is not None and accepted < applied:
        raise ValidationError({"accepted_on": [_("The court accepts after the application.")]})
    ruling = _choice(ruling, ConfirmationRuling, "ruling", required=False)
    if ruling in (ConfirmationRuling.VALID, ConfirmationRuling.INVALID) and (accepted is None or ruled is None):
        raise ValidationError({"ruled_on": [_("A ruling has its date, after the court accepted the application.")]})
    if ruled is not None and accepted is not None and ruled < accepted:
        raise ValidationError({"ruled_on": [_("The court rules after accepting.")]})
    errors: dict = {}
    court = _text(court, "court", required=True, limit=100, errors=errors)
    case_number = _text(case_number, "case_number", limit=60, errors=errors)
    if errors:
        raise ValidationError(errors)
    record = Confirmation.objects.select_for_update().filter(dispute=dispute).first()
    if record is not None and record.ruling in (ConfirmationRuling.VALID, ConfirmationRuling.INVALID):
        raise ValidationError({"ruling": [_("The court has ruled; the record is final.")]})
    record = record or Confirmation(dispute=dispute)
    record.applied_on, record.court, record.case_number = applied, court, case_number
    record.accepted_on, record.ruling, record.ruled_on, record.extended = accepted, ruling, ruled, bool(extended)
    record.save()
    from .engine import reminders_cancel

    reminders_cancel(dispute, kind="confirmation")
    _finish(step, data={"ruling": ruling, "court": court}, save=False)
    return record


# --- documents -------------------------------------------------------------------------------------------------


def _next_version(dispute: Dispute, kind: str, session: Session | None) -> int:
    last = Document.objects.filter(dispute=dispute, kind=kind, session=session).order_by("-version").first()
    return (last.version + 1) if last else 1


@transaction.atomic
def document_generate(*, dispute_id, actor: User, kind: str, session_id=None, now: datetime | None = None) -> Document:
    """Generates the agreement (调解协议书) or a session's record (调解笔录) from the case, as PDF and
    .docx: a new version each time (earlier ones stay)."""
    step = _begin(dispute_id, A.DOCUMENT, actor, now)
    dispute = step.dispute
    kind = _choice(kind, DocumentKind, "kind")
    from . import documents

    session = None
    if kind == DocumentKind.AGREEMENT:
        if dispute.agreement_form != AgreementForm.WRITTEN:
            raise ValidationError({"kind": [_("The agreement document is made once a written agreement is reached.")]})
        content = documents.agreement_content(dispute)
    elif kind == DocumentKind.SESSION_RECORD:
        try:
            session = Session.objects.get(dispute=dispute, pk=int(session_id), held=True)
        except (TypeError, ValueError, Session.DoesNotExist):
            raise ValidationError({"session": [_("Choose a session held of this dispute.")]}) from None
        content = documents.session_content(session)
    else:
        raise ValidationError({"kind": [_("Only the agreement and session records are generated.")]})
    pdf, docx = documents.render_pdf(content), documents.render_docx(content)
    doc = Document(
        dispute=dispute,
        session=session,
        kind=kind,
        version=_next_version(dispute, kind, session),
        state=DocumentState.GENERATED,
        sha256=hashlib.sha256(pdf).hexdigest(),
        created_by=actor,
        created_at=step.now,
    )
    stem = f"{kind}-v{doc.version}"
    doc.pdf.save(f"{stem}.pdf", ContentFile(pdf), save=False)
    doc.docx.save(f"{stem}.docx", ContentFile(docx), save=False)
    doc.save()
    _finish(step, data={"document": doc.pk, "kind": kind, "version": doc.version}, save=False)
    return doc


def _scan_check(upload) -> str:
    """A signed scan: a PDF, JPEG or PNG of at most 20 MB, told by its first bytes. Returns its extension."""
    if upload is None:
        raise ValidationError({"scan": [_("Attach the signed scan.")]})
    if upload.size > SCAN_MAX_BYTES:
        raise ValidationError({"scan": [_("The scan is too large (at most 20 MB).")]})
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    raise ValidationError({"scan": [_("A scan is a PDF, JPEG or PNG file.")]})


@transaction.atomic
def document_sign(*, dispute_id, actor: User, document_id, scan, now: datetime | None = None) -> Document:
    """Stores the signed scan of a generated document as its next version, signed and immutable
    from then on (the database refuses to change or delete it)."""
    step = _begin(dispute_id, A.DOCUMENT, actor, now)
    dispute = step.dispute
    try:
        generated = Document.objects.get(dispute=dispute, pk=int(document_id))
    except (TypeError, ValueError, Document.DoesNotExist):
        raise ValidationError({"document": [_("No such document of this dispute.")]}) from None
    if generated.kind not in (DocumentKind.AGREEMENT, DocumentKind.SESSION_RECORD):
        raise ValidationError({"document": [_("Only the agreement and session records are signed.")]})
    ext = _scan_check(scan)
    body = scan.read()
    doc = Document(
        dispute=dispute,
        session=generated.session,
        kind=generated.kind,
        version=_next_version(dispute, generated.kind, generated.session),
        state=DocumentState.SIGNED,
        sha256=hashlib.sha256(body).hexdigest(),
        created_by=actor,
        created_at=step.now,
    )
    doc.scan.save(f"{generated.kind}-v{doc.version}-signed.{ext}", ContentFile(body), save=False)
    doc.save()
    _finish(step, data={"document": doc.pk, "signed": generated.pk, "version": doc.version}, save=False)
    return doc


@transaction.atomic
def file_attach(*, dispute_id, actor: User, upload, session_id=None, now: datetime | None = None) -> Document:
    """Adds a photo or a scan (a PDF, JPEG or PNG) to the case or to one of its sessions; kept
    as signed (immutable): a record, not a draft."""
    step = _begin(dispute_id, A.ATTACH, actor, now)
    dispute = step.dispute
    session = None
    if session_id not in (None, ""):
        try:
            session = Session.objects.get(dispute=dispute, pk=int(session_id))
        except (TypeError, ValueError, Session.DoesNotExist):
            raise ValidationError({"session": [_("No such session of this dispute.")]}) from None
    ext = _scan_check(upload)
    body = upload.read()
    doc = Document(
        dispute=dispute,
        session=session,
        kind=DocumentKind.OTHER,
        version=_next_version(dispute, DocumentKind.OTHER, session),
        state=DocumentState.SIGNED,
        sha256=hashlib.sha256(body).hexdigest(),
        created_by=actor,
        created_at=step.now,
    )
    doc.scan.save(f"file-v{doc.version}.{ext}", ContentFile(body), save=False)
    doc.save()
    _finish(step, data={"document": doc.pk}, save=False)
    return doc


# --- personal data ---------------------------------------------------------------------------------------------------


def case_view_log(*, dispute: Dispute, user: User, via: str) -> None:
    """Records that `user` saw the case's personal data (the parties) through `via` (page, api,
    document). A failure propagates: personal data is never shown unlogged."""
    CaseView.objects.create(dispute=dispute, user=user, via=via[:20])


def may_see_parties(user: User, dispute: Dispute) -> bool:
    """Parties' personal data: mediators and center staff in scope (and administrators); the
    grid worker who took the case in sees the case without them."""
    if user.is_superuser or user.role == Role.ADMIN:
        return True
    return user.role in (Role.MEDIATOR, *CENTER_INBOX_ROLES)

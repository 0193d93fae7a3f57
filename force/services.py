"""Every write of the force app: invitations and sign-up, the points ledger, recognitions.

Each service checks permissions over plain facts (force.domain), takes the row locks it names,
writes, and leaves the ledger consistent: a rule awards once per source (the database's
`point_once_per_source`), a wrong award is cancelled by a reversal entry, never edited."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from accounts.scope import scope_for
from events.models import Event
from grids.choices import VolunteerCategory
from grids.models import Grid, Volunteer, VolunteerOrganization
from grids.services import id_number_validate, volunteer_register
from inbox.services import inbox_send

from .choices import PointKind, RuleKind, SourceType
from .domain import invitations as invitation_rules
from .domain import permissions
from .domain import points as rules
from .models import PointEntry, PointRule, Recognition, VolunteerInvitation

MAX_INVITATION_DAYS = 90
MAX_INVITATION_USES = 500
PHONE_RE = re.compile(r"^1\d{10}$")


class InvitationNotFound(Exception):
    """No invitation with this code (or outside the user's area): answered 404."""


class InvitationUnusable(Exception):
    """The invitation expired, was used up or revoked: answered 409 with the reason."""

    MESSAGES = {
        "expired": gettext_lazy("This invitation has expired: ask for a new one."),
        "used": gettext_lazy("This invitation has been used up: ask for a new one."),
        "revoked": gettext_lazy("This invitation was withdrawn: ask for a new one."),
    }

    def __init__(self, problem: str):
        self.problem = problem
        super().__init__(str(self.MESSAGES[problem]))


class NotVisible(Exception):
    """The object is outside the user's scope: answered 404."""


def actor_facts(user: User) -> permissions.ActorFacts:
    center = user.center
    worker_grids = (
        frozenset(user.worker_grids.values_list("id", flat=True)) if user.role == Role.GRID_WORKER else frozenset()
    )
    return permissions.ActorFacts(
        role=user.role,
        center_path=center.path if center else None,
        is_admin=user.is_superuser or user.role == Role.ADMIN,
        worker_grid_ids=worker_grids,
    )


# --- invitations and sign-up -------------------------------------------------------------------


def invitation_create(
    *,
    inviter: User,
    grid_id: int | None = None,
    organization_id: int | None = None,
    days: int = 14,
    uses: int = 1,
    now: datetime | None = None,
) -> VolunteerInvitation:
    """An invitation to sign up as a volunteer of `grid_id` and/or `organization_id`, valid `days`
    days for `uses` sign-ups. PermissionDenied (403) unless `may_invite`; ValidationError (400)."""
    errors = {}
    if not 1 <= int(days) <= MAX_INVITATION_DAYS:
        errors["days"] = [_("Between 1 and %(n)d days.") % {"n": MAX_INVITATION_DAYS}]
    if not 1 <= int(uses) <= MAX_INVITATION_USES:
        errors["uses"] = [_("Between 1 and %(n)d sign-ups.") % {"n": MAX_INVITATION_USES}]
    grid = Grid.objects.select_related("center").filter(pk=grid_id).first() if grid_id else None
    organization = (
        VolunteerOrganization.objects.select_related("center").filter(pk=organization_id).first()
        if organization_id
        else None
    )
    if grid_id and grid is None:
        errors["grid"] = [_("No such grid.")]
    if organization_id and organization is None:
        errors["organization"] = [_("No such organization.")]
    if not grid_id and not organization_id:
        errors["grid"] = [_("Choose a grid or an organization.")]
    if errors:
        raise ValidationError(errors)
    target = permissions.InvitationFacts(
        grid_id=grid.pk if grid else None,
        grid_center_path=grid.center.path if grid else None,
        organization_center_path=organization.center.path if organization else None,
    )
    if grid and organization and not target.grid_center_path.startswith(target.organization_center_path):
        raise ValidationError({"organization": [_("The organization does not work where the grid lies.")]})
    if not permissions.may_invite(actor_facts(inviter), target):
        raise PermissionDenied(_("You may not invite volunteers to this grid or organization."))
    now = now or timezone.now()
    return VolunteerInvitation.objects.create(
        inviter=inviter,
        grid=grid,
        organization=organization,
        center=grid.center if grid else organization.center,
        expires_at=now + timedelta(days=int(days)),
        uses_left=int(uses),
        created_at=now,
    )


def invitation_revoke(*, invitation_id: int, actor: User) -> VolunteerInvitation:
    """Withdraws an invitation (its inviter, or a center over its area). Takes its row lock."""
    from . import selectors

    with transaction.atomic():
        if not selectors.invitations_visible(actor).filter(pk=invitation_id).exists():
            raise NotVisible(_("No such invitation in your area."))
        invitation = VolunteerInvitation.objects.select_for_update().get(pk=invitation_id)
        invitation.revoked = True
        invitation.save(update_fields=["revoked"])
    return invitation


def invitation_by_code(code: str) -> VolunteerInvitation:
    invitation = (
        VolunteerInvitation.objects.select_related("grid", "organization", "center", "center__parent")
        .filter(code=str(code)[:32])
        .first()
    )
    if invitation is None:
        raise InvitationNotFound(_("No such invitation."))
    return invitation


def invitation_problem(invitation: VolunteerInvitation, now: datetime | None = None) -> str | None:
    state = invitation_rules.InvitationState(invitation.expires_at, invitation.uses_left, invitation.revoked)
    return invitation_rules.invitation_problem(state, now or timezone.now())


def join_organizations(invitation: VolunteerInvitation):
    """The organizations a person invited by `invitation` may join: its own, or (a grid's
    invitation without one) those working where the grid lies — its community or above."""
    if invitation.organization_id:
        return VolunteerOrganization.objects.filter(pk=invitation.organization_id)
    codes = invitation.grid.center.path.strip("/").split("/")
    return VolunteerOrganization.objects.filter(center__code__in=codes).order_by("name")


def _split_name(real_name: str) -> tuple[str, str]:
    # Chinese names: the family name first (one character; the rare two-character ones read fine too).
    return real_name[:1], real_name[1:]


def volunteer_join(
    *,
    code: str,
    real_name: str,
    phone: str,
    id_number: str,
    category: str,
    password: str,
    organization_id: int | None = None,
    now: datetime | None = None,
) -> Volunteer:
    """Signs a person up by invitation: the account (role volunteer, username = phone) and the
    real-name Volunteer row (ID number masked + keyed hash, grids.services) in one transaction,
    using one of the invitation's uses. Takes the invitation's row lock. Raises InvitationNotFound
    (404), InvitationUnusable (409), ValidationError (400: field errors, a second sign-up of the
    same ID number or phone), and then writes nothing."""
    now = now or timezone.now()
    real_name, phone = (real_name or "").strip(), (phone or "").strip()
    errors: dict[str, list[str]] = {}
    if not 2 <= len(real_name) <= 50:
        errors["real_name"] = [_("Write your real name (2 to 50 characters).")]
    if not PHONE_RE.match(phone):
        errors["phone"] = [_("A mobile number has 11 digits and starts with 1.")]
    try:
        id_number_validate(id_number)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if category not in VolunteerCategory.values:
        errors["category"] = [_("Choose a category.")]
    try:
        validate_password(password or "", User(username=phone, last_name=real_name))
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    with transaction.atomic():
        invitation = invitation_by_code(code)
        invitation = VolunteerInvitation.objects.select_for_update().get(pk=invitation.pk)
        problem = invitation_problem(invitation, now)
        if problem:
            raise InvitationUnusable(problem)
        organizations = join_organizations(invitation)
        organization = (
            organizations.first() if invitation.organization_id else organizations.filter(pk=organization_id).first()
        )
        if organization is None:
            errors["organization"] = [_("Choose your organization.")]
        if errors:
            raise ValidationError(errors)
        if User.objects.filter(username=phone).exists():
            raise ValidationError({"phone": [_("An account with this mobile number already exists.")]})
        user = User(
            username=phone,
            role=Role.VOLUNTEER,
            center=invitation.center,
            phone=phone,
            last_name=_split_name(real_name)[0],
            first_name=_split_name(real_name)[1],
        )
        user.set_password(password)
        try:
            with transaction.atomic():  # a racing twin sign-up fails here, not the caller's transaction
                user.save()
                volunteer = volunteer_register(
                    real_name=real_name,
                    phone=phone,
                    id_number=id_number,
                    organization=organization,
                    grid=invitation.grid,
                    category=category,
                    user=user,
                )
        except IntegrityError:
            raise ValidationError(
                {"id_number": [_("A volunteer with this ID number or mobile number is already registered.")]}
            ) from None
        invitation.uses_left -= 1
        invitation.used += 1
        invitation.save(update_fields=["uses_left", "used"])
    return volunteer


# --- points ------------------------------------------------------------------------------------

# The event actions after which a report's worth may change (events/domain/states.py): taken in
# (accept, or handled on the spot from "reported"), or thrown out (reject, merge).
POINT_ACTIONS = frozenset({"accept", "self_handle", "reject", "merge"})


def point_rule(kind: str) -> PointRule | None:
    return PointRule.objects.filter(kind=kind, active=True).first()


def _report_entries(events, now: datetime) -> list[PointEntry]:
    """The ledger entries that make `events` (a queryset) worth what they are worth now."""
    rule = point_rule(RuleKind.REPORT)
    rows = list(
        events.filter(reporter__role=Role.VOLUNTEER).values("pk", "state", "accepted_at", "reporter_id", "created_at")
    )
    if not rows:
        return []
    ledger: dict[int, dict] = {}
    for source_id, kind, value in PointEntry.objects.filter(
        source_type=SourceType.EVENT, source_id__in=[r["pk"] for r in rows]
    ).values_list("source_id", "kind", "points"):
        ledger.setdefault(source_id, {})[kind] = value
    entries = []
    for row in rows:
        facts = rules.ReportFacts(state=row["state"], accepted=row["accepted_at"] is not None, by_volunteer=True)
        held = ledger.get(row["pk"], {})
        plan = rules.report_entries(
            rules.report_is_valid(facts),
            rules.LedgerFacts(awarded=held.get(PointKind.REPORT), reversed=PointKind.REPORT_REVERSAL in held),
            rule.points if rule else 0,
        )
        for kind, value in plan:
            at = row["accepted_at"] if kind == PointKind.REPORT else now
            entries.append(
                PointEntry(
                    user_id=row["reporter_id"],
                    kind=kind,
                    points=value,
                    source_type=SourceType.EVENT,
                    source_id=row["pk"],
                    at=at,
                    created_at=now,
                )
            )
    return entries


def points_for_events(*, event_ids: list[int], now: datetime | None = None) -> int:
    """Brings the ledger in line with what the reports `event_ids` are worth now (an award on
    acceptance, a reversal when an accepted report is merged away). Safe to repeat: entries are
    unique per kind and source. Returns the number of entries written."""
    now = now or timezone.now()
    entries = _report_entries(Event.objects.filter(pk__in=list(event_ids)), now)
    return len(PointEntry.objects.bulk_create(entries, ignore_conflicts=True)) if entries else 0


def _patrol_entries(patrols, now: datetime) -> list[PointEntry]:
    from patrols.choices import PatrolState

    rule = point_rule(RuleKind.PATROL)
    if rule is None or rule.points == 0:
        return []
    rows = (
        patrols.filter(state=PatrolState.ENDED, user__role=Role.VOLUNTEER, check_in_count__gte=rule.min_check_ins)
        .exclude(pk__in=PointEntry.objects.filter(kind=PointKind.PATROL).values("source_id"))
        .values("pk", "user_id", "ended_at", "check_in_count", "state")
    )
    return [
        PointEntry(
            user_id=row["user_id"],
            kind=PointKind.PATROL,
            points=rule.points,
            source_type=SourceType.PATROL,
            source_id=row["pk"],
            at=row["ended_at"],
            created_at=now,
        )
        for row in rows
        if rules.patrol_is_rewarded(
            rules.PatrolFacts(state=row["state"], check_ins=row["check_in_count"], by_volunteer=True),
            rule.min_check_ins,
        )
    ]


def points_for_patrol(*, patrol_id: int, now: datetime | None = None) -> int:
    """Awards the patrol rule's points for an ended patrol of a volunteer with enough check-ins
    (once: a repeated `patrol_ended` writes nothing). Returns the number of entries written."""
    from patrols.models import Patrol

    entries = _patrol_entries(Patrol.objects.filter(pk=patrol_id), now or timezone.now())
    return len(PointEntry.objects.bulk_create(entries, ignore_conflicts=True)) if entries else 0


@transaction.atomic
def points_rebuild(*, now: datetime | None = None) -> dict[str, int]:
    """Recomputes the ledger from what happened — reports of volunteers (events), their ended
    patrols, recognitions with a bonus — writing only the entries missing. Idempotent: a second run
    writes nothing. Bulk (a year of a district is a few thousand entries)."""
    from patrols.models import Patrol

    now = now or timezone.now()
    reports = _report_entries(Event.objects.all(), now)
    patrols = _patrol_entries(Patrol.objects.all(), now)
    bonuses = [
        PointEntry(
            user_id=r.user_id,
            kind=PointKind.RECOGNITION,
            points=r.bonus_points,
            source_type=SourceType.RECOGNITION,
            source_id=r.pk,
            at=r.at,
            note=r.reason[:200],
            created_at=now,
        )
        for r in Recognition.objects.filter(bonus_points__gt=0).exclude(
            pk__in=PointEntry.objects.filter(kind=PointKind.RECOGNITION).values("source_id")
        )
    ]
    written = {}
    for name, entries in (("reports", reports), ("patrols", patrols), ("recognitions", bonuses)):
        written[name] = len(PointEntry.objects.bulk_create(entries, ignore_conflicts=True, batch_size=2000))
    return written


RECOGNIZED = gettext_lazy("%(center)s commended you: %(reason)s")
BONUS = gettext_lazy("Bonus points: %(n)d.")


@transaction.atomic
def recognition_create(
    *, actor: User, user_id: int, reason: str, bonus_points: int = 0, now: datetime | None = None
) -> Recognition:
    """A center commends a volunteer of its area, with optional bonus points (one ledger entry) and
    a message in the volunteer's inbox (sent after the commit).
    NotVisible (404) for a volunteer outside the actor's scope, PermissionDenied (403) for a role
    that does not commend, ValidationError (400)."""
    volunteer = (
        scope_for(actor).volunteers().select_related("user__center").filter(user_id=user_id).first()
        if user_id
        else None
    )
    if volunteer is None:
        raise NotVisible(_("No such volunteer in your area."))
    if not permissions.may_recognize(actor_facts(actor), volunteer.user.center.path if volunteer.user.center else None):
        raise PermissionDenied(_("Only the centers over the volunteer's area commend volunteers."))
    reason = (reason or "").strip()
    errors = {}
    if not reason or len(reason) > 500:
        errors["reason"] = [_("Give the reason (up to 500 characters).")]
    try:
        bonus = int(bonus_points or 0)
    except (TypeError, ValueError):
        bonus = -1
    if not 0 <= bonus <= 100:
        errors["bonus_points"] = [_("Between 0 and 100 points.")]
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    recognition = Recognition.objects.create(
        user_id=user_id,
        by=actor,
        center=actor.center or volunteer.user.center,
        reason=reason,
        bonus_points=bonus,
        at=now,
    )
    message = RECOGNIZED % {"center": recognition.center.name, "reason": reason}
    if bonus:
        message = f"{message} {BONUS % {'n': bonus}}"
    inbox_send(users=[user_id], kind="recognition", message=message, subject=recognition)
    if bonus:
        PointEntry.objects.create(
            user_id=user_id,
            kind=PointKind.RECOGNITION,
            points=bonus,
            source_type=SourceType.RECOGNITION,
            source_id=recognition.pk,
            at=now,
            note=reason[:200],
            created_at=now,
        )
    return recognition

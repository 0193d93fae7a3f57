"""The disputes' sweep (预警督办, 层层向上呼叫): the clock steps of the running phase, and the reminders
after an agreement. It runs under the shared sweep driver (clocks.sweep: its batches, their
transactions, the beat task), registered as "disputes" (disputes.apps).

Clock steps. Each batch claims the cases whose schedule row is due (`FOR UPDATE SKIP LOCKED` over
DisputeSchedule's index, case row first, as the services lock), and for each one, inside its lock,
makes the marks whose moment has come (clocks.moments.due_marks), in order:
- the warning (at the limit's warning fraction): a yellow light, a message to the holding center's
  staff and the case's mediators;
- the deadline: a red light and a yellow card, told also to the next center up;
- a grace period later, the escalation to the parent center, where the clocks restart
  (`escalate_to_parent`); at the root, a red card to its staff and duty leaders instead.
Each step is a timeline row with its cycle and mark, unique per case (dispute_action_clock_once): a
repeated step fails on it under its own savepoint and is skipped. Disputes are few (≈1,500 open in a
district), so this is plain Python per claimed case, not the events' batch SQL.

Reminders. `reminders_plan` (called by the services under the case's lock) keeps one Reminder row per
follow-up visit and open obligation, and one for the judicial-confirmation window; the sweep's second
step claims the due ones and sends each once (`sent_at`, set in the transaction that writes the
message), or cancels it when its subject is done.

Messages are stored in the platform's language and delivered after the commit (inbox.services);
`disputes.signals.dispute_changed` is sent after each batch's commit.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from clocks import moments as clock_moments
from clocks import sweep as clock_sweep
from clocks.calendars import SHANGHAI
from grids.models import Center
from inbox.services import inbox_send

from . import clocks as dispute_clocks
from .choices import Action, AgreementForm, Light, Phase, ReminderKind, State
from .domain import states
from .models import Confirmation, Dispute, DisputeAction, DisputeMediator, FollowUp, Obligation, Reminder
from .signals import dispute_changed

log = logging.getLogger(__name__)

BATCH_SIZE = 200
# Who hears for a center (as for events: events.services.CENTER_INBOX_ROLES).
CENTER_INBOX_ROLES = (Role.CENTER_STAFF, Role.DUTY_OFFICER, Role.DUTY_LEADER)
WARN, OVERDUE, ESCALATE = clock_moments.WARN, clock_moments.OVERDUE, clock_moments.ESCALATE
STEP_ONCE = "dispute_action_clock_once"  # disputes.models.DisputeAction's constraint

# The judicial-confirmation window (法释〔2011〕5号: both parties apply within 30 days of the
# agreement taking effect); the reminder comes 5 days before it closes.
CONFIRMATION_WINDOW = timedelta(days=30)
CONFIRMATION_NOTICE = timedelta(days=25)
REMINDER_HOUR = time(9, 0)  # follow-ups and obligations are reminded of at 09:00 on their due date

_CLAIM_SQL = clock_sweep.claim_sql(
    schedule=dispute_clocks.SCHEDULE_TABLE, cases="disputes_dispute", key="dispute_id", columns=("id",)
)
# The due reminders, in due order, locking the case row before the reminder's (the services plan and
# cancel reminders under the case's lock: a case locked by an action is skipped, never waited on).
_REMINDER_CLAIM_SQL = """
    SELECT r.id FROM disputes_reminder r JOIN disputes_dispute d ON d.id = r.dispute_id
    WHERE r.due_at <= %(now)s AND r.sent_at IS NULL AND NOT r.cancelled
    ORDER BY r.due_at, r.id
    LIMIT %(limit)s
    FOR UPDATE OF d, r SKIP LOCKED
"""

# What the sweep writes on a case (escalation restarts the clocks at another center: all of them).
_CLOCK_FIELDS = (
    "light",
    "clock_marks",
    "clock_cycle",
    "phase",
    "phase_started_at",
    "warn_at",
    "due_at",
    "escalate_at",
    "mediation_due",
    "center",
    "level",
    "escalations",
)

MESSAGES = {
    ("dispute_warning", Phase.ACCEPT): _(
        "Dispute %(number)s “%(title)s” is still waiting to be accepted: the time limit ends at %(due)s."
    ),
    ("dispute_warning", Phase.MEDIATE): _(
        "Dispute %(number)s “%(title)s”: the time limit for its mediation ends at %(due)s."
    ),
    ("dispute_overdue", Phase.ACCEPT): _(
        "Dispute %(number)s “%(title)s” was not accepted within the time limit: yellow card."
    ),
    ("dispute_overdue", Phase.MEDIATE): _(
        "Dispute %(number)s “%(title)s” is past the time limit for its mediation: yellow card."
    ),
    "dispute_escalated": _(
        "Dispute %(number)s “%(title)s” was not dealt with in time at %(from)s and has come up to %(center)s."
    ),
    "dispute_red_card": _("Dispute %(number)s “%(title)s” is long overdue and there is no higher level: red card."),
    "dispute_follow_up_due": _("Dispute %(number)s “%(title)s”: a follow-up visit is due on %(date)s."),
    "dispute_obligation_due": _(
        "Dispute %(number)s “%(title)s”: “%(what)s” is due on %(date)s; please check that it is performed."
    ),
    "dispute_confirmation_window": _(
        "Dispute %(number)s “%(title)s”: the parties may apply together for judicial confirmation of the "
        "agreement until %(date)s (30 days after it took effect)."
    ),
}
REMINDER_KINDS = {
    ReminderKind.FOLLOW_UP: "dispute_follow_up_due",
    ReminderKind.OBLIGATION: "dispute_obligation_due",
    ReminderKind.CONFIRMATION: "dispute_confirmation_window",
}


# --- the sweep ------------------------------------------------------------------------------------


def sweep(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Makes every clock step whose moment is at or before `now`, then sends the reminders due by
    then. Safe to run concurrently and again: a case locked by another run is skipped, a repeated
    step is refused by the database, a reminder is sent once. Returns the number of clock steps made
    and reminders sent."""
    now = now or timezone.now()
    made = clock_sweep.run_claimed(_CLAIM_SQL, _clock_steps, now=now, batch_size=batch_size)
    return made + clock_sweep.run_claimed(_REMINDER_CLAIM_SQL, _send_reminders, now=now, batch_size=batch_size)


def _clock_steps(ids: list[int], now: datetime) -> int:
    """The steps of one claimed batch (the cases and their schedule rows are locked). Returns the
    number of steps made."""
    cases = Dispute.objects.select_related("center").defer("center__boundary").in_bulk(ids)
    audience = _Audience(ids)
    made, changed = 0, []
    for pk in ids:
        dispute = cases[pk]
        n = _tick(dispute, now, audience)
        if n:
            made += n
            changed.append(pk)
    if changed:
        transaction.on_commit(partial(_announce, changed, "clock"), robust=True)
    return made


def _tick(dispute: Dispute, now: datetime, audience: _Audience) -> int:
    """The due steps of one case, in order (a sweep long after them makes all three), then the case
    and its schedule row written. Returns the number of steps made."""
    made = 0
    moments = dispute_clocks.running_moments(dispute)
    running = moments is not None and states.PHASE_OF_STATE.get(State(dispute.state)) is not None
    for bit in clock_moments.due_marks(moments, dispute.clock_marks, now) if running else ():
        if bit == ESCALATE:
            made += _escalate_step(dispute, now, audience)
            break  # a new cycle has started (or the case is at the top): nothing more is due
        phase = dispute.phase
        if bit == WARN and _record(dispute, Action.WARN, bit, now, {"phase": phase}):
            dispute.light = Light.YELLOW
            people = audience.center(dispute.center_id) + audience.mediators(dispute.pk)
            _tell(dispute, people, "dispute_warning", phase=phase, due=_moment(dispute.due_at))
            made += 1
        elif bit == OVERDUE and _record(dispute, Action.WARN, bit, now, {"phase": phase, "card": "yellow_card"}):
            dispute.light = Light.RED
            people = audience.center(dispute.center_id) + audience.mediators(dispute.pk)
            if dispute.center.parent_id:
                people += audience.center(dispute.center.parent_id)
            _tell(dispute, people, "dispute_overdue", phase=phase)
            made += 1
        dispute.clock_marks |= bit  # made now, or by an earlier run (the row was there): marked either way
    dispute.save(update_fields=[*_CLOCK_FIELDS, "updated_at"])
    dispute_clocks.write_schedule(dispute)
    return made


def _escalate_step(dispute: Dispute, now: datetime, audience: _Audience) -> int:
    """The escalation moment: up to the parent center, or at the root a red card. Returns 1 if the
    step was made, 0 if an earlier run had made it."""
    phase, cycle, state = dispute.phase, dispute.clock_cycle, dispute.state
    before = {name: getattr(dispute, name) for name in _CLOCK_FIELDS}
    from_center, from_level = dispute.center, dispute.level
    moved = False
    if (State(state), Action.ESCALATE) in states.TRANSITIONS:
        try:
            moved = escalate_to_parent(dispute, now=now)
        except ValidationError:
            # No limit configured at the parent's level: the case stays and its staff get a red card,
            # rather than the whole batch failing at every sweep until an administrator notices.
            log.exception("dispute %s could not go up from %s: no time limit there", dispute.pk, from_center)
            _restore(dispute, before)
    if moved:
        data = {
            "phase": phase,
            "from_center": from_center.pk,
            "to_center": dispute.center_id,
            "from_level": from_level,
            "to_level": dispute.level,
        }
        if not _record(dispute, Action.ESCALATE, ESCALATE, now, data, cycle=cycle):
            _restore(dispute, before)  # an earlier run escalated this cycle: the case stays where it is
            dispute.clock_marks |= ESCALATE
            return 0
        people = audience.center(dispute.center_id)
        _tell(dispute, people, "dispute_escalated", **{"from": from_center.name, "center": dispute.center.name})
        return 1
    dispute.clock_marks |= ESCALATE
    if not _record(dispute, Action.WARN, ESCALATE, now, {"phase": phase, "card": "red_card"}):
        return 0
    _tell(dispute, audience.center(dispute.center_id), "dispute_red_card")
    return 1


def escalate_to_parent(dispute: Dispute, *, now: datetime) -> bool:
    """Moves the case to its holding center's parent, at the parent's level, and restarts the clock of
    its state's phase there (a new cycle; for the mediation, a new mediation deadline). Returns False,
    changing nothing, at the root. Raises ValidationError (from disputes.clocks) when no time limit is
    configured at the parent's level.

    Changes `dispute` in memory only: the caller holds the case's row lock, writes the timeline row,
    saves the case and its schedule (disputes.clocks.write_schedule). The sweep calls it at the
    escalation moment, the services for an escalation by hand."""
    parent_id = dispute.center.parent_id
    if parent_id is None:
        return False
    parent = Center.objects.defer("boundary").get(pk=parent_id)
    dispute.center, dispute.level = parent, parent.level
    dispute.escalations += 1
    dispute_clocks.start_phase(dispute, states.PHASE_OF_STATE.get(State(dispute.state)), now)
    return True


def _restore(dispute: Dispute, before: dict) -> None:
    for name, value in before.items():
        setattr(dispute, name, value)


def _record(
    dispute: Dispute, action: Action, mark: int | None, now: datetime, data: dict, *, cycle: int | None = None
) -> bool:
    """A system step of the timeline (no actor) at the holding center, under its own savepoint.
    With a mark, the row is unique per (case, cycle, mark): returns False, writing nothing, when an
    earlier run made the step already."""
    try:
        with transaction.atomic():
            DisputeAction.objects.create(
                dispute=dispute,
                action=action,
                actor=None,
                center_id=dispute.center_id,
                level=dispute.level,
                from_state=dispute.state,
                to_state=dispute.state,
                data=data,
                created_at=now,
                cycle=dispute.clock_cycle if cycle is None and mark is not None else cycle,
                mark=mark,
            )
    except IntegrityError as exc:
        if getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) != STEP_ONCE:
            raise
        log.info("dispute %s: step %s of cycle %s was made already", dispute.pk, mark, cycle or dispute.clock_cycle)
        return False
    return True


# --- who hears, and what ---------------------------------------------------------------------------


class _Audience:
    """Who hears for the centers and cases of one batch, each looked up once."""

    def __init__(self, dispute_ids: Iterable[int]) -> None:
        self._centers: dict[int, list[int]] = {}
        self._mediators: dict[int, list[int]] = defaultdict(list)
        rows = DisputeMediator.objects.filter(dispute_id__in=list(dispute_ids), active=True, user__is_active=True)
        for dispute_id, user_id in rows.order_by("user_id").values_list("dispute_id", "user_id"):
            self._mediators[dispute_id].append(user_id)

    def center(self, center_id: int) -> list[int]:
        """The active staff, duty officers and duty leaders of a center."""
        if center_id not in self._centers:
            people = User.objects.filter(center_id=center_id, role__in=CENTER_INBOX_ROLES, is_active=True)
            self._centers[center_id] = list(people.order_by("pk").values_list("pk", flat=True))
        return list(self._centers[center_id])

    def mediators(self, dispute_id: int) -> list[int]:
        """The case's active mediators."""
        return list(self._mediators.get(dispute_id, ()))


def _tell(dispute: Dispute, people: list[int], kind: str, *, phase: str | None = None, **values) -> None:
    """One inbox message to each of `people`, in the platform's language (stored text), with the case
    number and title; written under a savepoint, delivered after the commit (inbox.services)."""
    template = MESSAGES[(kind, phase)] if phase is not None else MESSAGES[kind]
    with translation.override(settings.LANGUAGE_CODE):
        text = str(template) % {"number": dispute.number, "title": dispute.title, **values}
    inbox_send(users=people, kind=kind, message=text, subject=dispute)


def _moment(value: datetime) -> str:
    return value.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%Y-%m-%d %H:%M")


def _day(value) -> str:
    return value.strftime("%Y-%m-%d")


def _announce(dispute_ids: list[int], action: str) -> None:
    dispute_changed.send(sender=Dispute, dispute_ids=list(dispute_ids), action=action)


# --- reminders ------------------------------------------------------------------------------------


def _at_nine(day) -> datetime:
    return datetime.combine(day, REMINDER_HOUR, SHANGHAI)


def reminders_plan(dispute: Dispute, *, now: datetime | None = None) -> None:
    """Brings the case's reminders up to date: one per follow-up visit not made yet and per obligation
    not performed yet (at 09:00, Asia/Shanghai, on its due date), and the judicial-confirmation
    reminder 25 days after the agreement (5 before the window closes) while no application is
    recorded. A reminder not sent yet follows its subject's date (and is revived if it was
    cancelled); one whose subject is gone or done is cancelled; one sent stays as it is.

    The services call it when a case reaches its agreement and when follow-ups or obligations are
    added or changed, holding the case's row lock."""
    now = now or timezone.now()
    wanted: dict[tuple[str, int], datetime] = {}
    for pk, due in FollowUp.objects.filter(dispute=dispute, visited_at__isnull=True).values_list("pk", "due_date"):
        wanted[(ReminderKind.FOLLOW_UP, pk)] = _at_nine(due)
    for pk, due in Obligation.objects.filter(dispute=dispute, performed_at__isnull=True).values_list("pk", "due_date"):
        wanted[(ReminderKind.OBLIGATION, pk)] = _at_nine(due)
    # Only a written agreement can be confirmed by a court (the application is made with it), and
    # a reminder after the window closed would tell nobody anything.
    if (
        dispute.agreed_at is not None
        and dispute.agreement_form != AgreementForm.ORAL
        and dispute.agreed_at + CONFIRMATION_WINDOW > now
        and not Confirmation.objects.filter(dispute=dispute).exists()
    ):
        wanted[(ReminderKind.CONFIRMATION, 0)] = dispute.agreed_at + CONFIRMATION_NOTICE
    existing = {(row.kind, row.key): row for row in Reminder.objects.filter(dispute=dispute)}
    for key, row in existing.items():
        if row.sent_at is not None:
            continue
        due = wanted.get(key)
        if due is None and not row.cancelled:
            row.cancelled = True
            row.save(update_fields=["cancelled"])
        elif due is not None and (row.due_at != due or row.cancelled):
            row.due_at, row.cancelled = due, False
            row.save(update_fields=["due_at", "cancelled"])
    Reminder.objects.bulk_create(
        [
            Reminder(dispute=dispute, kind=kind, key=key, due_at=due)
            for (kind, key), due in wanted.items()
            if (kind, key) not in existing
        ]
    )


def reminders_cancel(dispute: Dispute, kind: str | None = None, key: int | None = None) -> int:
    """Cancels the case's reminders not sent yet (of one kind, or one subject); returns how many.
    Called by the services when a case leaves the agreement or its subject is done."""
    pending = Reminder.objects.filter(dispute=dispute, sent_at__isnull=True, cancelled=False)
    if kind is not None:
        pending = pending.filter(kind=kind)
    if key is not None:
        pending = pending.filter(key=key)
    return pending.update(cancelled=True)


def _send_reminders(ids: list[int], now: datetime) -> int:
    """One claimed batch of due reminders (they and their cases are locked): each sent once, or
    cancelled when its subject is done or the case no longer stands on its agreement. Returns the
    number sent."""
    reminders = list(Reminder.objects.filter(pk__in=ids).select_related("dispute").order_by("due_at", "id"))
    case_ids = {r.dispute_id for r in reminders}
    follow_ups = {
        (row[0], row[1]): row[2]
        for row in FollowUp.objects.filter(dispute_id__in=case_ids, visited_at__isnull=True).values_list(
            "dispute_id", "pk", "due_date"
        )
    }
    obligations = {
        (row[0], row[1]): (row[2], row[3])
        for row in Obligation.objects.filter(dispute_id__in=case_ids, performed_at__isnull=True).values_list(
            "dispute_id", "pk", "description", "due_date"
        )
    }
    confirmed = set(Confirmation.objects.filter(dispute_id__in=case_ids).values_list("dispute_id", flat=True))
    audience = _Audience(case_ids)
    sent, cancelled, changed = [], [], []
    for reminder in reminders:
        dispute, kind, key = reminder.dispute, reminder.kind, reminder.key
        values: dict | None = None
        if kind == ReminderKind.FOLLOW_UP and dispute.state in (State.AGREED, State.CLOSED):
            # A follow-up visit (回访) is due after the agreement is performed too.
            if (dispute.pk, key) in follow_ups:
                values = {"date": _day(follow_ups[(dispute.pk, key)])}
        elif dispute.state == State.AGREED:
            if kind == ReminderKind.OBLIGATION and (dispute.pk, key) in obligations:
                what, due = obligations[(dispute.pk, key)]
                values = {"what": what if len(what) <= 60 else what[:59] + "…", "date": _day(due)}
            elif kind == ReminderKind.CONFIRMATION and dispute.pk not in confirmed and dispute.agreed_at:
                closes = (dispute.agreed_at + CONFIRMATION_WINDOW).astimezone(ZoneInfo(settings.TIME_ZONE))
                values = {"date": _day(closes)}
        if values is None:  # visited, performed, applied for, or the agreement no longer stands
            cancelled.append(reminder.pk)
            continue
        _record(dispute, Action.WARN, None, now, {"reminder": kind, "key": key})
        people = audience.mediators(dispute.pk) + audience.center(dispute.center_id)
        _tell(dispute, people, REMINDER_KINDS[kind], **values)
        sent.append(reminder.pk)
        changed.append(dispute.pk)
    Reminder.objects.filter(pk__in=sent).update(sent_at=now)
    Reminder.objects.filter(pk__in=cancelled).update(cancelled=True)
    if changed:
        transaction.on_commit(partial(_announce, list(dict.fromkeys(changed)), "reminder"), robust=True)
    return len(sent)

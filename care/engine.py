"""The care visit sweep (预警督办 for visits): a warning before a person's visit is due, an urge at
the due moment, an escalation to the parent center a grace period later. It runs under the shared
sweep driver (clocks.sweep), registered as "care" (care.apps).

Each batch claims the persons whose schedule row is due (FOR UPDATE SKIP LOCKED, person row first,
as the services lock) and makes, inside the lock, the marks whose moment has come
(clocks.moments.due_marks): each step is a CareAction with its cycle and mark, unique per person
(care_action_clock_once), written under its own savepoint, so a repeated step is refused and
skipped. A recorded visit starts the next cycle (care.services). Persons are few (a few thousand in a
district), so this is plain Python per claimed person.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clocks import moments as clock_moments
from clocks import sweep as clock_sweep

from . import clocks as care_clocks
from .choices import Action
from .models import CareAction, SpecialPerson
from .services import _alarm, _announce, _tell, center_staff

log = logging.getLogger(__name__)

BATCH_SIZE = 200
WARN, OVERDUE, ESCALATE = clock_moments.WARN, clock_moments.OVERDUE, clock_moments.ESCALATE
STEP_ONCE = "care_action_clock_once"

_CLAIM_SQL = clock_sweep.claim_sql(
    schedule=care_clocks.SCHEDULE_TABLE, cases="care_specialperson", key="person_id", columns=("id",)
)

MESSAGES = {
    "care_visit_warning": _("A visit to %(type)s %(name)s (%(center)s) is due by %(due)s."),
    "care_visit_overdue": _("The visit to %(type)s %(name)s (%(center)s) is overdue since %(due)s: please visit now."),
    "care_visit_escalated": _(
        "The visit to %(type)s %(name)s (%(center)s) is still overdue since %(due)s: escalated to you."
    ),
}


def sweep(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Makes every visit-clock step whose moment is at or before `now`. Safe to run concurrently and
    again. Returns the number of steps made."""
    return clock_sweep.run_claimed(_CLAIM_SQL, _steps, now=now or timezone.now(), batch_size=batch_size)


def _steps(ids: list[int], now: datetime) -> int:
    persons = SpecialPerson.objects.select_related("center").defer("center__boundary").in_bulk(ids)
    workers: dict[int, list[int]] = {}
    for person_id, user_id in SpecialPerson.workers.through.objects.filter(
        specialperson_id__in=ids, user__is_active=True
    ).values_list("specialperson_id", "user_id"):
        workers.setdefault(person_id, []).append(user_id)
    made, changed = 0, []
    for pk in ids:
        person = persons[pk]
        n = _tick(person, now, workers.get(pk, []))
        if n:
            made += n
            changed.append(pk)
    if changed:
        transaction.on_commit(partial(_announce, changed, "clock"), robust=True)
    return made


def _tick(person: SpecialPerson, now: datetime, workers: list[int]) -> int:
    made = 0
    moments = care_clocks.running_moments(person)
    due = timezone.localtime(person.due_at).strftime("%Y-%m-%d %H:%M") if person.due_at else ""
    for bit in clock_moments.due_marks(moments, person.clock_marks, now) if moments else ():
        if _record(person, bit, now):
            made += 1
            if bit == WARN:
                _tell(workers, "care_visit_warning", MESSAGES["care_visit_warning"], person, due=due)
            elif bit == OVERDUE:
                people = workers + center_staff(person.center_id)
                _tell(people, "care_visit_overdue", MESSAGES["care_visit_overdue"], person, due=due)
            else:
                people = center_staff(person.center_id)
                if person.center.parent_id:
                    people += center_staff(person.center.parent_id)
                _tell(people, "care_visit_escalated", MESSAGES["care_visit_escalated"], person, due=due)
                transaction.on_commit(partial(_alarm, person.pk, "escalated"), robust=True)
        person.clock_marks |= bit  # made now, or by an earlier run: marked either way
    SpecialPerson.objects.filter(pk=person.pk).update(clock_marks=person.clock_marks)
    care_clocks.write_schedule(person)
    return made


def _record(person: SpecialPerson, mark: int, now: datetime) -> bool:
    """The clock step's timeline row, unique per (person, cycle, mark): False when made already."""
    try:
        with transaction.atomic():
            CareAction.objects.create(
                person=person,
                action=Action.WARN,
                actor=None,
                from_status=person.status,
                to_status=person.status,
                data={"due_at": person.due_at.isoformat() if person.due_at else None},
                cycle=person.clock_cycle,
                mark=mark,
                created_at=now,
            )
    except IntegrityError as exc:
        if getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) != STEP_ONCE:
            raise
        log.info("care person %s: step %s of cycle %s was made already", person.pk, mark, person.clock_cycle)
        return False
    return True

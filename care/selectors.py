"""Reads of the care app; each figure defined once, for the API, the pages and the dashboards.

- in care: status "in_care"; lost contact: status "lost".
- overdue: in care and the visit's due moment passed (`overdue_q`).
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.scope import scope_for

from .choices import PersonType, Status
from .models import PersonView, SpecialPerson

LIST_FIELDS = (
    "id",
    "person_type",
    "name",
    "id_number_masked",
    "gender",
    "birth_year",
    "risk",
    "status",
    "due_at",
    "last_visit_at",
    "lost_at",
    "center_id",
    "center__name",
    "grid_id",
    "grid__name",
    "department_id",
    "department__name",
)


def overdue_q(now: datetime | None = None) -> Q:
    """The one definition of an overdue visit: a person in care whose visit is past its due moment."""
    return Q(status=Status.IN_CARE, due_at__lt=now or timezone.now())


def person_list(user, *, queryset: QuerySet | None = None) -> QuerySet:
    """The persons `user` may see (accounts.scope), newest due first, with what a list shows."""
    people = scope_for(user).special_people(queryset)
    return people.select_related("center", "grid", "department").defer(
        "center__boundary", "grid__boundary", "point", "notes"
    )


def person_filter(
    queryset: QuerySet,
    *,
    person_type: str = "",
    risk: str = "",
    status: str = "",
    overdue: bool | None = None,
    center=None,
    now: datetime | None = None,
) -> QuerySet:
    """The list's filters (the pages' and the API's)."""
    if person_type:
        queryset = queryset.filter(person_type=person_type)
    if risk:
        queryset = queryset.filter(risk=risk)
    if status:
        queryset = queryset.filter(status=status)
    if overdue is True:
        queryset = queryset.filter(overdue_q(now))
    elif overdue is False:
        queryset = queryset.exclude(overdue_q(now))
    if center is not None:
        queryset = queryset.filter(center__path__startswith=center.path)
    return queryset


def person_counts(queryset: QuerySet, *, now: datetime | None = None) -> dict:
    """Counts over a list: all, in care, lost contact, overdue, and per type (one query)."""
    now = now or timezone.now()
    figures = {
        "total": Count("pk"),
        "in_care": Count("pk", filter=Q(status=Status.IN_CARE)),
        "lost": Count("pk", filter=Q(status=Status.LOST)),
        "overdue": Count("pk", filter=overdue_q(now)),
        **{f"type_{t.value}": Count("pk", filter=Q(person_type=t.value)) for t in PersonType},
    }
    row = queryset.order_by().aggregate(**figures)
    row["by_type"] = {t.value: row.pop(f"type_{t.value}") for t in PersonType}
    return row


def my_people(user) -> QuerySet:
    """The worker's phone list: the persons they are assigned to or on the helping team of, not
    ended, the soonest due first (lost contact on top)."""
    from .models import HelperMember

    assigned = Q(workers=user) | Q(pk__in=HelperMember.objects.filter(user=user).values("person_id"))
    return (
        scope_for(user)
        .special_people(SpecialPerson.objects.filter(assigned).exclude(status=Status.ENDED))
        .select_related("center", "grid")
        .defer("center__boundary", "grid__boundary")
        .distinct()
        .order_by("-status", "due_at", "id")
    )


def view_log(*, person_id: int | None = None, user_id: int | None = None) -> QuerySet:
    """The view log, newest first (administrators only: the callers check)."""
    rows = PersonView.objects.select_related("user").order_by("-at", "-id")
    if person_id is not None:
        rows = rows.filter(person_id=person_id)
    if user_id is not None:
        rows = rows.filter(user_id=user_id)
    return rows


def care_figures(subtree: list[int], *, now: datetime | None = None) -> dict:
    """The dashboard's care figures for a subtree of centers, in one query: in care, lost contact,
    overdue visits. Counts only: no person is named."""
    now = now or timezone.now()
    return SpecialPerson.objects.filter(center_id__in=subtree).aggregate(
        in_care=Count("pk", filter=Q(status=Status.IN_CARE)),
        lost=Count("pk", filter=Q(status=Status.LOST)),
        overdue=Count("pk", filter=overdue_q(now)),
    )


ALARM_CAP = 100


_ALARM_COLUMNS = ("pk", "person_type", "status", "center_id", "center__name", "center__path", "due_at", "lost_at")


def _alarm_item(row, now: datetime) -> dict:
    pk, person_type, status, center_id, center_name, path, due_at, lost_at = row
    return {
        "id": pk,
        "kind": "lost_contact" if status == Status.LOST else "overdue",
        "person_type": person_type,
        "person_type_label": str(PersonType(person_type).label),
        "status": status,
        "center_id": center_id,
        "center_name": center_name,
        "center_codes": path.strip("/").split("/"),
        "since": lost_at if status == Status.LOST else due_at,
        "active": status == Status.LOST or (status == Status.IN_CARE and due_at is not None and due_at < now),
    }


def care_alarm_items(ids) -> dict[int, dict]:
    """A dashboard alarm item per person: no name, no ID, no address (the big screen is seen by
    many): the type, the holding center, the status and since when."""
    now = timezone.now()
    rows = SpecialPerson.objects.filter(pk__in=list(ids)).values_list(*_ALARM_COLUMNS)
    return {row[0]: _alarm_item(row, now) for row in rows}


def care_alarms(subtree: list[int], *, now: datetime | None = None) -> list[dict]:
    """The subtree's alarms, in one query: lost contact first (longest lost first), then the visits
    overdue past their escalation (longest overdue first)."""
    from django.db.models import Case, IntegerField, Value, When

    now = now or timezone.now()
    rows = (
        SpecialPerson.objects.filter(center_id__in=subtree)
        .filter(Q(status=Status.LOST) | Q(status=Status.IN_CARE, escalate_at__lt=now))
        .annotate(
            lost_first=Case(When(status=Status.LOST, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("lost_first", "lost_at", "due_at", "id")
        .values_list(*_ALARM_COLUMNS)[:ALARM_CAP]
    )
    return [_alarm_item(row, now) for row in rows]

"""The force app's part of the demo: volunteer categories, the duty ↔ category mapping and point
rules, the demo volunteer accounts tied to real-name volunteers, invitations of the demo grid
worker, and — after the year of events and patrols — the demo volunteer's own reports (through the
events services), the points ledger rebuilt from what happened (`points_rebuild`) and a few
recognitions (through `recognition_create`).

Deterministic (seeded random.Random) and idempotent: a second run changes nothing. The categories
are written with one bulk update (11,000 volunteers: a service per row would take minutes and do
nothing a service adds)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db.models import Sum
from django.test.utils import override_settings
from django.utils import timezone

from accounts.models import Role, User
from events.models import EventCategory
from grids.choices import GridKind, Level, VolunteerCategory
from grids.models import Center, Grid, Volunteer

from . import services
from .models import PointEntry, Recognition, VolunteerInvitation
from .reference import load_reference

SEED = 20261214
NAMESPACE = uuid.UUID("3b0e3f7c-9d55-4d5e-a7f1-41c0f3a4b2c9")
Log = Callable[[str], None]

C = VolunteerCategory
CATEGORY_WEIGHTS = {
    C.SECURITY_GUARD: 14,
    C.CLEANER: 8,
    C.DELIVERY_RIDER: 12,
    C.DRIVER: 8,
    C.NIGHT_MARKET_VENDOR: 5,
    C.PARKING_ATTENDANT: 5,
    C.PROPERTY_STAFF: 12,
    C.RESIDENT: 20,
    C.RETIRED_CADRE: 12,
    C.OTHER: 4,
}

# The demo volunteer's own reports: (days ago, category code, description, what the center did).
DEMO_REPORTS = [
    (52, "sa-garbage", "小区东门外垃圾堆放两天未清运", "accept"),
    (41, "fs-passage", "3栋楼道堆放纸箱，堵塞消防通道", "accept"),
    (33, "cm-parking", "人行道上长期停放一辆无牌车", "accept"),
    (27, "fs-ebike", "2单元有人从楼上拉线给电动车充电", "accept"),
    (19, "cm-street-vendor", "早市摊贩占用盲道", "reject"),
    (12, "rt-signals", "路口信号灯不亮", "accept"),
    (12, "rt-signals", "十字路口红绿灯坏了", "merge"),
    (4, "sa-noise", "夜间施工噪声扰民", "accept"),
]


def seed_force_reference(log: Log) -> None:
    """Point rules, duty coverage, volunteer categories, the demo volunteer accounts' records and
    the demo grid worker's invitations (no events needed)."""
    counts = load_reference()
    log(f"force: {counts['rules']} point rules, {counts['coverage']} duty ↔ category links")
    _categories(log)
    _link_volunteer_accounts(log)
    _invitations(log)


def _categories(log: Log) -> None:
    kinds, weights = list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values())
    changed = []
    for volunteer in Volunteer.objects.only("pk", "category").order_by("pk"):
        category = random.Random(f"{SEED}-{volunteer.pk}").choices(kinds, weights)[0]
        if volunteer.category == C.OTHER and category != C.OTHER:
            volunteer.category = category
            changed.append(volunteer)
    Volunteer.objects.bulk_update(changed, ["category"], batch_size=2000)
    if changed:
        log(f"force: categories given to {len(changed)} volunteers")


def _link_volunteer_accounts(log: Log) -> None:
    """Each community's demo volunteer account (vol + code, the events demo's volunteer reporter)
    is a real-name volunteer of that community, so that its points rank in an organization too."""
    linked = 0
    taken = set(Volunteer.objects.filter(user__isnull=False).values_list("user_id", flat=True))
    for user in User.objects.filter(role=Role.VOLUNTEER, username__startswith="vol").exclude(pk__in=taken):
        if user.center_id is None:
            continue
        volunteer = (
            Volunteer.objects.filter(grid__center_id=user.center_id, user__isnull=True, active=True)
            .order_by("pk")
            .first()
        )
        if volunteer is None:
            continue
        Volunteer.objects.filter(pk=volunteer.pk).update(user=user)
        User.objects.filter(pk=user.pk).update(last_name=volunteer.real_name[:1], first_name=volunteer.real_name[1:])
        linked += 1
    if linked:
        log(f"force: {linked} demo volunteer accounts tied to their real-name records")


def _invitations(log: Log) -> None:
    worker = User.objects.filter(username="gridworker").first()
    if worker is None or VolunteerInvitation.objects.filter(inviter=worker).exists():
        return
    grid = worker.worker_grids.order_by("code").first()
    if grid is None:
        return
    services.invitation_create(inviter=worker, grid_id=grid.pk, days=30, uses=20)
    services.invitation_create(inviter=worker, grid_id=grid.pk, days=7, uses=1)
    log("force: 2 invitations of the demo grid worker")


def seed_force_year(log: Log) -> None:
    """After the events and patrols: the demo volunteer's reports, the ledger, recognitions."""
    _demo_volunteer_reports(log)
    written = services.points_rebuild()
    log(f"force: points ledger rebuilt ({written})")
    _recognitions(log)


def _demo_volunteer_reports(log: Log) -> None:
    from events import services as events

    volunteer = User.objects.filter(username="volunteer").select_related("center").first()
    if volunteer is None or volunteer.center is None:
        return
    staff = User.objects.filter(username=f"cs{volunteer.center.code}").first()
    grid = Grid.objects.filter(center=volunteer.center, kind=GridKind.COMPREHENSIVE).order_by("code").first()
    if staff is None or grid is None:
        return
    now = timezone.now()
    categories = dict(EventCategory.objects.values_list("code", "id"))
    point = grid.boundary.point_on_surface
    # Written at once, weeks of reports: the intake's per-hour limit guards live phones, not a history
    # (and its counters live in Redis, which outlives a demo load rolled back halfway).
    unlimited = override_settings(INTAKE_RATE_LIMITS={**settings.INTAKE_RATE_LIMITS, Role.VOLUNTEER: None})
    with unlimited:
        made = _report_history(events, volunteer, staff, categories, point, now)
    if made:
        log(f"force: {made} reports of the demo volunteer")


def _report_history(events, volunteer, staff, categories, point, now) -> int:
    made, survivor = 0, None
    for index, (days, code, text, decision) in enumerate(DEMO_REPORTS):
        at = now - timedelta(days=days, hours=index % 5)
        event, created = events.event_report(
            reporter=volunteer,
            category_id=categories[code],
            description=text,
            lat=point.y,  # one point of the volunteer's grid: a report elsewhere may fall in another community
            lng=point.x,
            client_id=uuid.uuid5(NAMESPACE, f"volunteer-report-{index}"),
            center_id=volunteer.center_id,
            now=at,
        )
        if not created:
            survivor = event if decision == "accept" else survivor
            continue
        made += 1
        later = at + timedelta(minutes=40)
        if decision == "accept":
            events.event_transition(event_id=event.pk, action="accept", actor=staff, now=later)
            survivor = event
        elif decision == "reject":
            events.event_transition(
                event_id=event.pk, action="reject", actor=staff, now=later, reason="属于市场监管日常巡查范围"
            )
        elif decision == "merge" and survivor is not None:
            events.event_transition(event_id=event.pk, action="accept", actor=staff, now=later)
            events.event_transition(
                event_id=event.pk,
                action="merge",
                actor=staff,
                now=later + timedelta(minutes=20),
                reason="与同一路口信号灯报告重复",
                merge_into=survivor.pk,
            )
    return made


def _recognitions(log: Log) -> None:
    if Recognition.objects.exists():
        return
    made = 0
    # The three communities with the most points this year, each commending its best volunteer.
    top = (
        PointEntry.objects.filter(user__center__level=Level.COMMUNITY)
        .values("user__center_id")
        .annotate(total=Sum("points"))
        .order_by("-total", "user__center_id")[:3]
    )
    for community in Center.objects.filter(pk__in=[row["user__center_id"] for row in top]).order_by("code"):
        staff = User.objects.filter(username=f"cs{community.code}").first()
        best = (
            PointEntry.objects.filter(user__center=community)
            .values("user_id")
            .annotate(total=Sum("points"))
            .order_by("-total", "user_id")
            .first()
        )
        if staff is None or best is None:
            continue
        services.recognition_create(
            actor=staff,
            user_id=best["user_id"],
            reason="积极参与网格巡查，及时发现并报告安全隐患",
            bonus_points=10,
        )
        made += 1
    demo = User.objects.filter(username="volunteer").first()
    staff = User.objects.filter(username=f"cs{demo.center.code}").first() if demo and demo.center else None
    if staff and not Recognition.objects.filter(user=demo).exists():
        services.recognition_create(
            actor=staff, user_id=demo.pk, reason="及时报告消防通道堵塞隐患，避免了安全事故", bonus_points=5
        )
        made += 1
    log(f"force: {made} recognitions")

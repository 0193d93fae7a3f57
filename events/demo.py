"""A year of Wenjiang events for the demo, made by the rules of real use.

Every event is built by `services.report_build` and every later step goes through
`services.apply_action` (state table, permissions, input checks, deadlines) with an in-memory
store, acted by the staff who would act (the holding center's, the departments', the grid
workers); the result is then written in bulk. No figure is set by hand: closure and on-time rates
come out of the simulated behaviour (most events handled within their limits, a few late, a few
returned, reworked, escalated, or left open).
"""

from __future__ import annotations

import math
import random
import re
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from accounts.models import User
from grids.models import Center, Department, Grid

from . import clocks as event_clocks
from . import services
from .choices import Source, State
from .domain.states import FINAL_STATES, IllegalTransition
from .models import DemoDuplicate, Event, EventAction, EventAssignment, EventCategory, EventSchedule

NAMESPACE = uuid.UUID("6f1d1b7e-5c1a-4a43-9a0e-8f2b8c1e2d01")
EVENT_COUNT = 26_201
SEED = 20261201

Log = Callable[[str], None]

CATEGORY_WEIGHTS = {
    "sanitation": 20,
    "city-management": 22,
    "public-security": 12,
    "disputes": 10,
    "work-safety": 7,
    "fire-safety": 6,
    "livelihood": 9,
    "road-traffic": 8,
    "special-groups": 2,
    "food-drugs": 4,
}
SOURCE_WEIGHTS = {Source.PATROL: 60, Source.VOLUNTEER: 15, Source.CITIZEN: 15, Source.VIDEO: 6, Source.IOT: 4}
DETAILS = {
    "sanitation": ["群众反映影响出行和环境", "已拍照留存，需尽快清理", "气味较大，周边居民意见大"],
    "city-management": ["占用人行道，影响通行", "现场已劝导，需执法部门处理", "多次出现，需长效治理"],
    "public-security": ["存在治安隐患，请尽快核查", "群众举报，需民警到场", "夜间多次出现"],
    "disputes": ["双方情绪激动，需调解", "已初步劝解，仍有矛盾", "涉及多户居民"],
    "work-safety": ["现场未设置安全防护", "存在较大安全隐患", "需督促企业整改"],
    "fire-safety": ["存在火灾隐患，请立即处置", "楼道内堆放杂物", "消防设施不能正常使用"],
    "livelihood": ["群众求助，需上门了解情况", "独居老人需关注", "需相关部门协助办理"],
    "road-traffic": ["影响车辆和行人安全", "高峰时段尤为突出", "需设置警示标志"],
    "special-groups": ["走访中发现异常情况", "需相关部门及时介入", "家属反映近期状态不稳定"],
    "food-drugs": ["群众反映卫生条件差", "疑似无证经营", "需市场监管部门检查"],
}
# Reports of something already reported (并案): a share of the stories are a second report of an
# earlier event, by someone else, in other words, a little apart; stored as DemoDuplicate (the truth
# `manage.py duplicates_measure` scores the duplicate finder against).
DUPLICATE_SHARE = 0.05
DUPLICATE_WORDINGS = [
    "{place}这里{category}的问题还没人管，{detail}。",
    "再次反映：{place}附近{category}，{detail}。",
    "{street}上有{category}问题，就在{number}号旁边，请尽快处理。",
    "群众来电称{place}有{category}情况，{detail}。",
    "{community}{street}一带{category}，{detail}，请派人看看。",
]
HOURLY = [1, 1, 1, 1, 1, 2, 4, 8, 12, 12, 11, 10, 8, 9, 10, 10, 9, 8, 6, 5, 4, 3, 2, 1]
STREETS = [
    "光华大道",
    "凤溪大道",
    "柳台大道",
    "南熏大道",
    "杨柳东路",
    "江安路",
    "鱼凫路",
    "文化路",
    "德通桥路",
    "万春路",
    "学府路",
    "海科路",
    "西环路",
    "芙蓉大道",
    "天乡路",
    "科兴路",
]


@dataclass
class MemoryStore:
    """`services.DbStore`'s lookups answered from memory; assignments kept in lists."""

    departments: dict[int, Department]
    users: dict[int, User]
    centers: dict[int, Center]
    assignments: dict[int, list[EventAssignment]] = field(default_factory=lambda: defaultdict(list))

    def department(self, value, field_name: str) -> Department:
        department = self.departments.get(int(value))
        if department is None:
            raise ValidationError({field_name: "unknown department"})
        return department

    def serves(self, actor, department: Department) -> bool:
        return True  # the demo dispatches only to the district's departments, which serve everywhere

    def grid_worker(self, value) -> User:
        return self.users[int(value)]

    def parent_center(self, center: Center) -> Center | None:
        return self.centers.get(center.parent_id) if center.parent_id else None

    def merge_target(self, actor, event_id):
        return None

    def save_assignment(self, assignment, fields) -> None:
        pass  # in memory already; written at the end

    def add_assignments(self, event: Event, rows: list[EventAssignment]) -> None:
        self.assignments[id(event)].extend(rows)

    def active(self, event: Event) -> list[EventAssignment]:
        return [a for a in self.assignments[id(event)] if a.active]


class History:
    """Generates and runs each event's story."""

    def __init__(self, rng: random.Random, end: datetime):
        self.rng = rng
        self.end = end
        self.start = end - timedelta(days=365)
        centers = {c.pk: c for c in Center.objects.all()}
        for center in centers.values():
            center.parent = centers.get(center.parent_id)
        self.grids = list(Grid.objects.order_by("code"))
        for grid in self.grids:
            grid.center = centers[grid.center_id]
        self.grid_weights = [
            2.0 if grid.center.parent and "街道" in grid.center.parent.name else 1.0 for grid in self.grids
        ]
        self.prepared = {}
        users = list(User.objects.filter(is_active=True).select_related("center"))
        by_name = {u.username: u for u in users}
        self.users = {u.pk: u for u in users}
        self.staff = {c.pk: by_name[f"cs{c.code}"] for c in centers.values()}
        self.volunteers = {c.pk: by_name.get(f"vol{c.code}") for c in centers.values()}
        self.workers: dict[int, list[User]] = defaultdict(list)
        for user_id in Grid.workers.through.objects.values_list("user_id", flat=True):
            user = self.users[user_id]
            if user.username.startswith("gw"):
                self.workers[user.center_id].append(user)
        for workers in self.workers.values():
            workers.sort(key=lambda u: u.username)
        self.grid_worker = {g.pk: by_name.get(f"gw{g.code}") for g in self.grids}
        self.duty = by_name["duty"]
        self.departments = {d.pk: d for d in Department.objects.filter(active=True).order_by("code")}
        self.department_staff = {d.pk: by_name[f"ds-{d.code}"] for d in self.departments.values()}
        categories = list(EventCategory.objects.filter(active=True).select_related("parent"))
        self.leaves = defaultdict(list)
        for category in categories:
            if category.parent_id:
                self.leaves[category.parent.code].append(category)
        self.tops = {c.code: c for c in categories if c.parent_id is None}
        self.store = MemoryStore(self.departments, self.users, centers)

    # --- what happens ---------------------------------------------------------------------------

    def minutes(self, median: float, spread: float = 0.8) -> timedelta:
        return timedelta(minutes=median * math.exp(self.rng.gauss(0, spread)))

    def when(self) -> datetime:
        """A moment of the year, busier on working days and in office hours."""
        rng = self.rng
        while True:
            day = self.start + timedelta(days=rng.randrange(366))
            if day.weekday() >= 5 and rng.random() > 0.7:
                continue
            hour = rng.choices(range(24), weights=HOURLY)[0]
            moment = timezone.localtime(day).replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))
            if self.start <= moment < self.end:
                return moment

    def point_in(self, grid: Grid) -> Point:
        prepared = self.prepared.get(grid.pk)
        if prepared is None:
            prepared = self.prepared[grid.pk] = grid.boundary.prepared
        xmin, ymin, xmax, ymax = grid.boundary.extent
        for _ in range(200):
            point = Point(self.rng.uniform(xmin, xmax), self.rng.uniform(ymin, ymax), srid=4326)
            if prepared.contains(point):
                return point
        return grid.boundary.point_on_surface

    def reporter(self, source: str, grid: Grid) -> User:
        community = grid.center
        if source == Source.PATROL:
            return self.grid_worker.get(grid.pk) or self.rng.choice(self.workers[community.pk])
        if source == Source.VOLUNTEER:
            return self.volunteers[community.pk]
        return self.duty  # the hotline, the video patrol and the sensors come in at the district desk

    def report(self, index: int) -> tuple[Event, list[EventAction]]:
        rng = self.rng
        grid = rng.choices(self.grids, weights=self.grid_weights)[0]
        top = rng.choices(list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()))[0]
        category = rng.choice(self.leaves[top]) if self.leaves[top] else self.tops[top]
        source = rng.choices(list(SOURCE_WEIGHTS), weights=list(SOURCE_WEIGHTS.values()))[0]
        reporter = self.reporter(source, grid)
        point = self.point_in(grid)
        street = rng.choice(STREETS)
        place = f"{grid.center.name}{street}{rng.randrange(1, 300)}号"
        description = f"{place}附近发现{category.name}问题，{rng.choice(DETAILS[top])}。"
        now = self.when()
        event = services.report_build(
            reporter=reporter,
            category_id=category.pk,
            description=description,
            lat=point.y,
            lng=point.x,
            client_id=uuid.uuid5(NAMESPACE, str(index)),
            address=f"{street}{rng.randrange(1, 300)}号",
            urgent=True if rng.random() < 0.04 else None,
            source=source,
            grid=grid,
            now=now,
        )
        row = services.timeline_row(event, "report", reporter, from_state="", now=now, location=point)
        return event, [row]

    def duplicate(
        self, index: int, original: Event, original_rows: list[EventAction]
    ) -> tuple[Event, list[EventAction]] | None:
        """A second report of `original`, or None when it would come after the original was closed
        (or rejected: then it is a new report, not a duplicate) or after the end of the year."""
        rng = self.rng
        now = original.created_at + timedelta(hours=min(rng.lognormvariate(math.log(3), 1.1), 60))
        if now >= self.end:
            return None
        if any(row.to_state in FINAL_STATES and row.created_at <= now for row in original_rows):
            return None
        # Most stand where the first reporter stood (GPS error); some describe it from down the street.
        metres = rng.uniform(150, 400) if rng.random() < 0.1 else abs(rng.gauss(0, 40))
        bearing = rng.uniform(0, 2 * math.pi)
        lat = original.location.y + metres * math.cos(bearing) / 111_320
        lng = original.location.x + metres * math.sin(bearing) / (111_320 * math.cos(math.radians(lat)))
        categories = event_clocks.reference().categories
        category = categories[original.category_id]
        parent = categories.get(category.parent_id)
        top = parent.code if parent else category.code
        siblings = [c for c in self.leaves.get(top, []) if c.pk != category.pk]
        if siblings and rng.random() < 0.08:  # the second reporter files it under a neighbouring category
            category = rng.choice(siblings)
        parts = PLACE.match(original.description)
        street = parts["street"] if parts else rng.choice(STREETS)
        number = parts["number"] if parts else str(rng.randrange(1, 300))
        community = original.grid.center.name if original.grid_id else ""
        description = rng.choice(DUPLICATE_WORDINGS).format(
            place=f"{community}{street}{number}号",
            community=community,
            street=street,
            number=number,
            category=category.name,
            detail=rng.choice(DETAILS[top]),
        )
        source = rng.choices(list(SOURCE_WEIGHTS), weights=list(SOURCE_WEIGHTS.values()))[0]
        reporter = self.reporter(source, original.grid)
        event = services.report_build(
            reporter=reporter,
            category_id=category.pk,
            description=description,
            lat=lat,
            lng=lng,
            client_id=uuid.uuid5(NAMESPACE, f"duplicate-{index}"),
            address=original.address,
            source=source,
            grid=original.grid,  # a few metres apart: the same grid, as the holder sees it
            now=now,
        )
        point = event.location
        return event, [services.timeline_row(event, "report", reporter, from_state="", now=now, location=point)]

    def run(self, event: Event, rows: list[EventAction]) -> None:
        """Plays the event's story until it closes, stalls, or reaches the present."""
        rng = self.rng
        t = event.created_at
        stalls_at = rng.randrange(1, 9) if rng.random() < 0.025 else None  # a few get stuck: the backlog
        steps = 0

        def step(delay: timedelta, actor: User, action: str, **params) -> bool:
            nonlocal t, steps
            when = t + delay
            steps += 1
            if when > self.end or (stalls_at is not None and steps >= stalls_at):
                return False
            from_state = event.state
            action, data = services.apply_action(
                event,
                action=action,
                actor=actor,
                assignments=self.store.active(event),
                now=when,
                store=self.store,
                **params,
            )
            rows.append(
                services.timeline_row(
                    event, action, actor, from_state=from_state, now=when, reason=data.pop("_reason"), data=data
                )
            )
            t = when
            return True

        holder = lambda: self.staff[event.center_id]  # noqa: E731 (the holder changes on escalation)
        late = rng.random() < 0.06
        if rng.random() < 0.015:
            step(self.minutes(40), holder(), "reject", reason="经核实不属于受理范围")
            return
        if event.source == Source.PATROL and rng.random() < 0.45:
            if not step(self.minutes(15), event.reporter, "self_handle", reason="已现场处置"):
                return
            step(self.minutes(150), holder(), "verify_pass", satisfied=self._satisfied())
            return
        if not step(self.minutes(150 if late else 35), holder(), "accept"):
            return
        for _ in range(2):
            if rng.random() < (0.06 if event.level == "community" else 0.25) and event.center.parent_id:
                if not step(self.minutes(60), holder(), "escalate", reason="超出本级处置能力，呼叫上级"):
                    return
                if not step(self.minutes(20), holder(), "accept" if event.state == State.REPORTED else "urge"):
                    return
        lead = self._lead(event)
        assisting = [self._other(lead)] if rng.random() < 0.2 else []
        if not step(self.minutes(15), holder(), "dispatch", lead_department=lead, departments=assisting):
            return
        if rng.random() < 0.04:
            if not step(self.minutes(90), self.department_staff[lead], "return", reason="不属于本部门职责范围"):
                return
            lead = self._other(lead)
            assisting = []
            if not step(self.minutes(30), holder(), "dispatch", lead_department=lead):
                return
        for department in assisting:
            if not step(self.minutes(40), self.department_staff[department], "sign"):
                return
        if not step(self.minutes(60 if not late else 400), self.department_staff[lead], "sign"):
            return
        if rng.random() < 0.05:
            if not step(
                self.minutes(300),
                self.department_staff[lead],
                "request_extension",
                days=rng.randint(2, 7),
                reason="需协调多方，申请延期",
            ):
                return
            decision = "approve_extension" if rng.random() < 0.8 else "refuse_extension"
            reason = "同意延期" if decision == "approve_extension" else "请在原时限内完成"
            if not step(self.minutes(120), holder(), decision, reason=reason):
                return
        handle_median = 900 if not late else 4000
        if late and event.center.parent_id and rng.random() < 0.5:
            parent_staff = self.staff[event.center.parent_id]
            if not step(self.minutes(600), parent_staff, "supervise", card="yellow_card", reason="请加快处置进度"):
                return
        for department in assisting:
            if not step(
                self.minutes(handle_median / 2), self.department_staff[department], "handle", reason="已配合完成"
            ):
                return
        if not step(self.minutes(handle_median), self.department_staff[lead], "handle", reason="已处置完毕"):
            return
        if rng.random() < 0.25 and self.workers.get(event.origin_center_id):
            worker = self.workers[event.origin_center_id][0]
            if not step(self.minutes(30), holder(), "dispatch", assignee=worker.pk):
                return
            verifier = worker
        else:
            verifier = holder()
        if rng.random() < 0.03:
            if not step(self.minutes(240), verifier, "verify_fail", reason="现场核查未整改到位"):
                return
            for department in [*assisting, lead]:  # rework: every department handles again
                if not step(self.minutes(600), self.department_staff[department], "handle", reason="已返工整改"):
                    return
            verifier = holder()
        step(self.minutes(240), verifier, "verify_pass", satisfied=self._satisfied())

    def _lead(self, event: Event) -> int:
        category = event_clocks.reference().categories[event.category_id]
        top = event_clocks.reference().categories.get(category.parent_id) if category.parent_id else category
        if top.default_department_id in self.departments and self.rng.random() < 0.9:
            return top.default_department_id
        return self.rng.choice(list(self.departments))

    def _other(self, department_id: int) -> int:
        return self.rng.choice([d for d in self.departments if d != department_id])

    def _satisfied(self):
        return None if self.rng.random() < 0.15 else self.rng.random() < 0.97


PLACE = re.compile(r"^(?P<community>.*?)(?P<street>" + "|".join(STREETS) + r")(?P<number>\d+)号附近发现")


def event_rng(index: int) -> random.Random:
    return random.Random(f"{SEED}-{index}")


def duplicate_rng(index: int) -> random.Random:
    """The stream deciding whether story `index` is a second report (apart from the story's own, so
    that the other stories stay as they were)."""
    return random.Random(f"{SEED}-duplicate-{index}")


def seed_events(log: Log, *, count: int = EVENT_COUNT, end: datetime | None = None) -> None:
    """Writes `count` events of the year before `end` (default: now), once."""
    if Event.objects.filter(client_id=uuid.uuid5(NAMESPACE, "0")).exists():
        log("events: already there")
        return
    event_clocks.reference(fresh=True)
    end = end or timezone.now()
    history = History(event_rng(-1), end)
    events, rows_by_event = [], []
    duplicates: list[tuple[int, int]] = []  # (index of the second report, index of the original)
    for index in range(count):
        made = None
        chooser = duplicate_rng(index)
        if index >= 50 and chooser.random() < DUPLICATE_SHARE:
            original = chooser.randrange(index)
            history.rng = chooser
            made = history.duplicate(index, events[original], rows_by_event[original])
            if made is not None:
                duplicates.append((index, original))
        if made is None:
            history.rng = event_rng(index)  # each story its own stream: the same event whatever the count
            made = history.report(index)
        event, rows = made
        try:
            history.run(event, rows)
        except (IllegalTransition, ValidationError, PermissionDenied) as exc:  # a bug in the story, not data
            raise RuntimeError(f"demo event {index}: {exc}") from exc
        events.append(event)
        rows_by_event.append(rows)
    events_by_created = sorted(range(len(events)), key=lambda k: events[k].created_at)
    ordered = [events[k] for k in events_by_created]
    Event.objects.bulk_create(ordered, batch_size=2000)
    # The open events' next moments, for the escalation engine (what the services write one by one).
    schedules = [EventSchedule(event_id=e.pk, next_due_at=due) for e in ordered if (due := event_clocks.next_due(e))]
    EventSchedule.objects.bulk_create(schedules, batch_size=5000)
    assignments = [a for event in ordered for a in history.store.assignments[id(event)]]
    for assignment in assignments:
        assignment.event_id = assignment.event.pk
    EventAssignment.objects.bulk_create(assignments, batch_size=5000)
    rows = [row for k in events_by_created for row in rows_by_event[k]]
    for row in rows:
        row.event_id = row.event.pk
    EventAction.objects.bulk_create(rows, batch_size=5000)
    DemoDuplicate.objects.bulk_create(
        [DemoDuplicate(event_id=events[k].pk, original_id=events[o].pk) for k, o in duplicates], batch_size=5000
    )
    with connection.cursor() as cursor:  # fresh statistics, or the planner misjudges the new rows for a while
        for table in ("events_event", "events_eventschedule", "events_eventassignment", "events_eventaction"):
            cursor.execute(f"ANALYZE {table}")
    closed = sum(1 for e in events if e.state == State.CLOSED)
    log(
        f"events: {len(events)} ({closed} closed, {len(duplicates)} reported twice on purpose), "
        f"{len(rows)} timeline rows, {len(assignments)} assignments"
    )

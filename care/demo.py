"""The demo's special populations: a realistic number of records for the district (synthetic names,
clearly fake ID numbers), each with its helping team and a year of visits, the current state
following from the visits.

Scale, for a district of about half a million residents (the brief's rough figures): 250
community-correction subjects, 900 released prisoners, 300 drug-rehabilitation subjects and 1,800
severe-mental-disorder patients (`COUNTS`), spread over the comprehensive grids.

ID numbers: valid checksums (GB 11643, the platform refuses others) in an obviously fake range:
region 510115 with birth dates on 1 January of years 1900–1909 (no living subject was born then;
the record's birth year is a separate field), sequence = the record's index.

How it is written: the records of the demo accounts' grid (航天路社区第1网格: `gridworker` and its
`gw…` account) are made through the services (`person_create`, `visit_record`, `person_action` with
`now=` at each step), so that path makes live work too. The others (≈3,200 persons and ≈25,000
visits) are played in memory by the same rules (care.domain.rules for the status and the lost
contact, care.clocks for the cycle's moments) and written in bulk: through the services they would
take minutes on two cores. The visit clock's steps that came due before the end are then made by the
real sweep (care.engine), as the platform would have made them. A second run changes nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, time, timedelta

from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from clocks.calendars import SHANGHAI
from grids.choices import GridKind
from grids.demo import names
from grids.models import Department, Grid
from grids.services import id_number_check_digit, id_number_hash, id_number_mask

from . import clocks as care_clocks
from . import engine, services
from .choices import Action, EndReason, PersonType, Risk, Status, TeamRole, VisitMethod
from .domain import rules
from .models import CareAction, CareSchedule, HelperMember, SpecialPerson, Visit

Log = Callable[[str], None]
SEED = 20261201
COUNTS = {
    PersonType.CORRECTION: 250,
    PersonType.RELEASED: 900,
    PersonType.DRUG: 300,
    PersonType.MENTAL: 1800,
}
DEPARTMENT = {
    PersonType.CORRECTION: "justice",
    PersonType.RELEASED: "justice",
    PersonType.DRUG: "police",
    PersonType.MENTAL: "health",
}
RISKS = [(Risk.LOW, 0.70), (Risk.MEDIUM, 0.22), (Risk.HIGH, 0.08)]
LIVE_GRID = "510115001001001"  # the demo accounts' grid: its persons go through the services
LIVE_COUNT = 8
LOST_COUNT = 2  # persons who lost contact at the end (two visits in a row not finding them)
FINDINGS = {
    PersonType.CORRECTION: [
        "本人在家，按时到司法所报到，思想稳定。",
        "在务工单位见到本人，工作正常，无违规情况。",
        "按要求参加公益活动和教育学习，表现良好。",
        "家属反映近期作息规律，无异常。",
    ],
    PersonType.RELEASED: [
        "本人在家，已找到工作，家庭关系和睦。",
        "帮助联系就业培训，本人有意愿参加。",
        "生活基本稳定，无不良交往。",
        "了解低保申请进展，协助准备材料。",
    ],
    PersonType.DRUG: [
        "按时参加尿检，结果阴性。",
        "本人在家，精神状态良好，无复吸迹象。",
        "家属配合监督，近期表现稳定。",
        "提醒按期到社区戒毒康复工作站报到。",
    ],
    PersonType.MENTAL: [
        "按时服药，病情稳定，监护人在家。",
        "病情基本稳定，提醒按时复诊取药。",
        "监护人反映睡眠不好，已联系家庭医生随访。",
        "情绪平稳，生活能自理，以奖代补政策已落实。",
    ],
}
NOT_FOUND = ["家中无人，电话未接通。", "邻居称多日未见本人，电话关机。", "敲门无应答，已留联系卡。"]
FAMILY = ["父亲", "母亲", "配偶", "兄长", "姐姐", "儿子", "女儿"]


def fake_id_number(index: int) -> str:
    """A valid-checksum ID number in an obviously fake range (born 1 January 190x)."""
    first17 = f"510115190{index // 1000 % 10}0101{index % 1000:03d}"
    return first17 + id_number_check_digit(first17)


def _name(rng: random.Random) -> str:
    return rng.choice(names.SURNAMES) + "".join(rng.choices(names.GIVEN, k=rng.choice((1, 2, 2))))


def _weighted(rng: random.Random, pairs):
    x, total = rng.random(), 0.0
    for value, weight in pairs:
        total += weight
        if x < total:
            return value
    return pairs[-1][0]


def _point_in(rng: random.Random, grid: Grid) -> Point:
    xmin, ymin, xmax, ymax = grid.boundary.extent
    for _ in range(20):
        p = Point(rng.uniform(xmin, xmax), rng.uniform(ymin, ymax), srid=4326)
        if grid.boundary.contains(p):
            return p
    return grid.boundary.point_on_surface


def _at_work(day: datetime, rng: random.Random) -> datetime:
    """A visit in the afternoon or morning of that day, Asia/Shanghai."""
    local = day.astimezone(SHANGHAI).date()
    return datetime.combine(local, time(rng.choice((9, 10, 11, 14, 15, 16)), rng.randrange(60)), SHANGHAI)


class Plan:
    """One person's year, played in memory: the record, its team and its visits."""

    def __init__(self, index: int, person_type: str, grid: Grid, workers: list[int], police: list[int], end: datetime):
        rng = random.Random(f"{SEED}-{index}")
        self.rng, self.index, self.end = rng, index, end
        number = fake_id_number(index)
        self.person = SpecialPerson(
            person_type=person_type,
            name=_name(rng),
            id_number_masked=id_number_mask(number),
            id_number_hash=id_number_hash(number),
            gender=rng.choice("MMMF") if person_type != PersonType.MENTAL else rng.choice("MF"),
            birth_year=rng.randrange(1955, 2002),
            phone=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            address=f"{grid.center.name}{rng.randrange(1, 120)}号{rng.randrange(1, 6)}栋{rng.randrange(1, 4)}单元",
            point=_point_in(rng, grid),
            grid=grid,
            center=grid.center,
            risk=_weighted(rng, RISKS),
            status=Status.IN_CARE,
        )
        # Most were in care before the year began; the others came in during it.
        if rng.random() < 0.7:
            self.since = end - timedelta(days=365 + rng.randrange(30, 900))
        else:
            self.since = end - timedelta(days=rng.randrange(20, 365))
        self.workers = workers
        self.team = [HelperMember(name=_name(rng)[:1] + rng.choice(FAMILY), role=TeamRole.FAMILY)]
        if police and person_type in (PersonType.DRUG, PersonType.CORRECTION, PersonType.RELEASED):
            self.team.append(HelperMember(user_id=police[0], role=TeamRole.POLICE))
        if person_type == PersonType.MENTAL:
            self.team.append(HelperMember(name=_name(rng) + "医生", role=TeamRole.DOCTOR))
        self.visits: list[Visit] = []
        self.actions: list[tuple[str, datetime, dict]] = []

    def play(self, *, lose: bool = False, overdue: bool = False, end_care: bool = False) -> None:
        """The visits of the year by the person's rule (a little early or late, as people are), then
        the state they leave: due after the last visit; overdue when the last one was skipped;
        lost contact after two visits not finding the person; ended after a term completed."""
        rng, person = self.rng, self.person
        rule = care_clocks.rule_for(person.person_type, person.risk)
        year_start = self.end - timedelta(days=365)
        at = max(self.since, year_start - timedelta(days=rule.every_days * rng.random()))
        visitor = self.workers[0] if self.workers else None
        not_found = 0
        stop = self.end - timedelta(days=rule.every_days * (1.6 if overdue else 0.0)) - timedelta(hours=6)
        ending = self.end - timedelta(days=rng.randrange(20, 200)) if end_care else None
        while visitor is not None:
            at = at + timedelta(days=rule.every_days * rng.uniform(0.7, 1.0))
            when = _at_work(at, rng)
            if when >= stop or (ending and when >= ending):
                break
            if when < year_start:
                continue
            last_two = lose and when >= stop - timedelta(days=rule.every_days * 2.2)
            found = not last_two and (not_found > 0 or rng.random() > 0.02)  # one miss is followed up
            method = _weighted(
                rng,
                [
                    (VisitMethod.IN_PERSON, 0.72),
                    (VisitMethod.PHONE, 0.16),
                    (VisitMethod.WITH_POLICE, 0.06),
                    (VisitMethod.WITH_DOCTOR if person.person_type == PersonType.MENTAL else VisitMethod.VIDEO, 0.06),
                ],
            )
            self.visits.append(
                Visit(
                    visitor_id=visitor,
                    visited_at=when,
                    point=person.point if method in (VisitMethod.IN_PERSON, VisitMethod.WITH_POLICE) else None,
                    method=method,
                    found=found,
                    findings=rng.choice(FINDINGS[person.person_type] if found else NOT_FOUND),
                )
            )
            not_found = 0 if found else not_found + 1
            if not_found >= rules.NOT_FOUND_TO_LOSE and person.status == Status.IN_CARE:
                person.status = rules.next_status(person.status, Action.LOST_CONTACT)
                person.lost_at = when
                self.actions.append((Action.LOST_CONTACT, when, {"by_visits": True}))
                break
        person.not_found_streak = not_found
        person.last_visit_at = self.visits[-1].visited_at if self.visits else None
        if ending is not None and person.status == Status.IN_CARE:
            person.status = rules.next_status(person.status, Action.END)
            person.end_reason = EndReason.TERM_ENDED
            self.actions.append((Action.END, ending, {"end_reason": EndReason.TERM_ENDED}))
        person.clock_cycle = 0
        care_clocks.start_cycle(person, person.last_visit_at or self.since)
        person.clock_cycle = 1 + len(self.visits)  # one cycle at the record, one per visit since


def seed_care(log: Log, *, end: datetime | None = None) -> None:
    """The demo's special populations, once (a second run changes nothing)."""
    if SpecialPerson.objects.exists():
        log("special populations: already there")
        return
    end = end or timezone.now()
    care_clocks.rule_table(fresh=True)
    grids = list(Grid.objects.filter(kind=GridKind.COMPREHENSIVE).select_related("center").order_by("code"))
    workers: dict[int, list[int]] = {}
    for grid_id, user_id in (
        Grid.workers.through.objects.filter(grid__in=grids).order_by("user_id").values_list("grid_id", "user_id")
    ):
        workers.setdefault(grid_id, []).append(user_id)
    police: dict[int, list[int]] = {}
    for grid_id, user_id in Grid.police.through.objects.filter(grid__in=grids).values_list("grid_id", "user_id"):
        police.setdefault(grid_id, []).append(user_id)
    departments = {d.code: d for d in Department.objects.filter(code__in=set(DEPARTMENT.values()))}
    live_grid = next(g for g in grids if g.code == LIVE_GRID)
    others = [g for g in grids if g.code != LIVE_GRID]
    rng = random.Random(SEED)
    kinds = [t for t, n in COUNTS.items() for _ in range(n)]
    rng.shuffle(kinds)
    live_kinds, bulk_kinds = kinds[:LIVE_COUNT], kinds[LIVE_COUNT:]

    plans: list[Plan] = []
    lose = set(rng.sample(range(len(bulk_kinds)), LOST_COUNT))
    overdue = set(rng.sample(range(len(bulk_kinds)), len(bulk_kinds) // 80))
    ended = set(rng.sample(range(len(bulk_kinds)), len(bulk_kinds) // 30))
    for i, kind in enumerate(bulk_kinds):
        grid = others[rng.randrange(len(others))]
        plan = Plan(LIVE_COUNT + i, kind, grid, workers.get(grid.pk, []), police.get(grid.pk, []), end)
        plan.person.department = departments[DEPARTMENT[kind]]
        plan.play(lose=i in lose, overdue=i in overdue and i not in lose, end_care=i in ended and i not in lose)
        plans.append(plan)
    with transaction.atomic():
        _write_bulk(plans, end)
        _play_live(live_kinds, live_grid, workers.get(live_grid.pk, []), police.get(live_grid.pk, []), departments, end)
    made = engine.sweep(now=end)
    visits = Visit.objects.count()
    log(
        f"special populations: {SpecialPerson.objects.count()} persons, {visits} visits, "
        f"{SpecialPerson.objects.filter(status=Status.LOST).count()} lost contact, "
        f"{SpecialPerson.objects.filter(status=Status.IN_CARE, due_at__lt=end).count()} visits overdue; "
        f"the visit clock's steps made: {made}"
    )


def _write_bulk(plans: list[Plan], end: datetime) -> None:
    """The persons, teams, visits and timelines of the played plans, in bulk; then the times the
    database would have stamped (created_at) set to the story's."""
    people = SpecialPerson.objects.bulk_create([p.person for p in plans], batch_size=1000)
    through = SpecialPerson.workers.through
    through.objects.bulk_create(
        [through(specialperson_id=p.person.pk, user_id=w) for p in plans for w in p.workers[:2]], batch_size=2000
    )
    for p in plans:
        for member in p.team:
            member.person = p.person
        for visit in p.visits:
            visit.person = p.person
    HelperMember.objects.bulk_create([m for p in plans for m in p.team], batch_size=2000)
    Visit.objects.bulk_create([v for p in plans for v in p.visits], batch_size=2000)
    actions = []
    for p in plans:
        person = p.person
        actions.append(
            CareAction(
                person=person,
                action=Action.CREATE,
                from_status=Status.IN_CARE,
                to_status=Status.IN_CARE,
                created_at=p.since,
            )
        )
        for v in p.visits:
            actions.append(
                CareAction(
                    person=person,
                    action=Action.VISIT,
                    actor_id=v.visitor_id,
                    visit=v,
                    from_status=Status.IN_CARE,
                    to_status=Status.IN_CARE,
                    created_at=v.visited_at,
                    data={"found": v.found, "method": v.method},
                )
            )
        for action, at, data in p.actions:
            before = Status.IN_CARE if action != Action.END or person.lost_at is None else Status.LOST
            after = rules.next_status(before, action)
            actions.append(
                CareAction(
                    person=person,
                    action=action,
                    actor_id=p.workers[0] if p.workers else None,
                    from_status=before,
                    to_status=after,
                    created_at=at,
                    data=data,
                )
            )
    CareAction.objects.bulk_create(actions, batch_size=2000)
    CareSchedule.objects.bulk_create(
        [
            CareSchedule(person=p.person, next_due_at=care_clocks.next_due(p.person))
            for p in plans
            if care_clocks.next_due(p.person) is not None
        ],
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE care_specialperson p SET created_at = v.at, updated_at = %s "
            "FROM unnest(%s::bigint[], %s::timestamptz[]) AS v(id, at) WHERE p.id = v.id",
            [end, [p.pk for p in people], [p.since for p in plans]],
        )


def _play_live(kinds, grid: Grid, workers: list[int], police: list[int], departments, end: datetime) -> None:
    """The demo accounts' persons, through the services: made by the responsible department's staff
    a year ago, visited by the grid workers, one risk raised on the way."""
    worker_ids = list(
        dict.fromkeys([*workers, *User.objects.filter(username="gridworker").values_list("pk", flat=True)])
    )
    visitors = User.objects.in_bulk(worker_ids)
    staff = {
        code: User.objects.filter(department=d, is_active=True).order_by("pk").first()
        for code, d in departments.items()
    }
    for i, kind in enumerate(kinds):
        rng = random.Random(f"{SEED}-live-{i}")
        point = _point_in(rng, grid)
        since = end - timedelta(days=rng.randrange(200, 360))
        team = [{"name": _name(rng)[:1] + rng.choice(FAMILY), "role": TeamRole.FAMILY}]
        if police:
            team.append({"user": police[0], "role": TeamRole.POLICE})
        person = services.person_create(
            actor=staff[DEPARTMENT[kind]],
            data={
                "person_type": kind,
                "name": _name(rng),
                "id_number": fake_id_number(i),
                "gender": rng.choice("MF"),
                "birth_year": rng.randrange(1960, 2000),
                "phone": f"139{rng.randrange(10**8):08d}",
                "address": f"{grid.center.name}航天路{rng.randrange(1, 99)}号",
                "lat": point.y,
                "lng": point.x,
                "department": DEPARTMENT[kind],
                "risk": Risk.MEDIUM if i % 3 == 0 else Risk.LOW,
                "workers": worker_ids,
                "team": team,
            },
            now=since,
        )
        SpecialPerson.objects.filter(pk=person.pk).update(created_at=since)
        at = since
        visitor = visitors[worker_ids[i % len(worker_ids)]]
        while True:
            person.refresh_from_db(fields=["due_at", "risk", "status"])
            # The last person's visit is left to come due (a warning on the phone at once).
            at = person.due_at - timedelta(days=rng.uniform(0, 2)) if person.due_at else at + timedelta(days=30)
            if at > end - (timedelta(days=4) if i == 0 else timedelta(hours=1)):
                break
            when = _at_work(at, rng)
            if when > end:
                break
            services.visit_record(
                person_id=person.pk,
                actor=visitor,
                method=rng.choice((VisitMethod.IN_PERSON, VisitMethod.IN_PERSON, VisitMethod.PHONE)),
                findings=rng.choice(FINDINGS[kind]),
                visited_at=when,
                lat=point.y,
                lng=point.x,
                now=when,
            )
            if i == 1 and person.risk != Risk.HIGH and when > end - timedelta(days=90):
                services.person_action(
                    person_id=person.pk,
                    actor=staff[DEPARTMENT[kind]],
                    action=Action.RISK,
                    risk=Risk.HIGH,
                    reason="家属反映近期情绪波动较大",
                    now=when + timedelta(hours=2),
                )

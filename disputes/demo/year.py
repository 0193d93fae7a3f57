"""A year of Wenjiang's disputes for the demo, made by the rules of real use.

Each case's story is played in memory by the same rules as `disputes.services`: the state table
(`domain.states.next_state`), the permissions (`domain.permissions.may`, over the facts of the user
who would act: the holding center's staff or mediators, the town's after an escalation), the
clocks (`clocks.start_phase`, `shift_clocks`; the sweep's warnings, deadlines and escalations
marked when their moments pass), and a timeline row for every step. The rows are then written in
bulk; the most recent cases are played again through the real services (with `now=` at each
step), so that path makes live work too. No figure is set by hand: the success rate (agreements ÷
cases taken in) comes out of the stories (most agreed, a few refused, referred, withdrawn, failed).
"""

from __future__ import annotations

import io
import json
import math
import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from accounts.models import Role, User
from clocks import moments as clock_moments
from grids.choices import GridKind, Level
from grids.demo import names
from grids.demo.seed import DEMO_PASSWORD
from grids.models import Center, Grid
from grids.services import id_number_check_digit

from .. import clocks, engine, services
from ..choices import (
    Action,
    AgreementForm,
    Channel,
    ConfirmationRuling,
    Intake,
    Light,
    PartyKind,
    PartyRole,
    Performance,
    Phase,
    ReminderKind,
    Risk,
    Satisfaction,
    Signal,
    State,
    VisitMethod,
)
from ..domain import states
from ..domain.permissions import ActorFacts, DisputeFacts, may
from ..domain.states import IllegalTransition
from ..models import (
    CaseCounter,
    Committee,
    Confirmation,
    Dispute,
    DisputeAction,
    DisputeMediator,
    DisputeType,
    FollowUp,
    Investigation,
    Obligation,
    Party,
    Reminder,
    Session,
    dispute_number,
)
from . import texts

A, S = Action, State
NAMESPACE = uuid.UUID("3b0f8a52-9c1e-4f7d-8a36-2d5e0c7b9a14")
DISPUTE_COUNT = 18_742
SEED = 20261202
LIVE_CASES = 150  # the most recent cases, played through the real services
COURT = "成都市温江区人民法院"
LOCAL = ZoneInfo(settings.TIME_ZONE)  # the district's days (timezone.localtime, without its lookups)

Log = Callable[[str], None]

INTAKE_WEIGHTS = {
    Intake.WALK_IN: 30,
    Intake.GRID: 22,
    Intake.SWEEP: 12,
    Intake.HOTLINE: 11,
    Intake.POLICE: 8,
    Intake.EVENT: 7,
    Intake.COURT_DELEGATED: 4,
    Intake.COURT_ENTRUSTED: 2,
    Intake.PETITION: 3,
}
HOURLY = [1, 1, 1, 1, 1, 1, 2, 5, 10, 12, 12, 10, 6, 7, 10, 11, 10, 8, 5, 4, 3, 2, 1, 1]
# Where a case that leaves people's mediation goes, by type (labour disputes to labour arbitration).
REFER_TO = {
    Channel.POLICE: "温江区公安分局派出所（警调对接）",
    Channel.COURT: "成都市温江区人民法院诉调对接中心",
    Channel.PETITION: "温江区信访局（访调对接）",
    Channel.LABOUR_ARBITRATION: "温江区劳动人事争议仲裁委员会",
}


class PartyRef(int):
    """A party of the case by its index in the intake's list (its id is known only once saved)."""


@dataclass
class Case:
    """One dispute's story in memory: the case and the rows its steps make, and the steps themselves
    (to play them again through the services)."""

    index: int
    dispute: Dispute
    raw_parties: list[dict]
    parties: list[Party]
    agents: list[tuple[Party, int]]
    report: dict
    mediators: dict[int, DisputeMediator] = field(default_factory=dict)
    sessions: list[tuple[Session, list[int]]] = field(default_factory=list)
    investigations: list[Investigation] = field(default_factory=list)
    obligations: list[Obligation] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    confirmation: Confirmation | None = None
    rows: list[DisputeAction] = field(default_factory=list)
    steps: list[tuple] = field(default_factory=list)
    last: datetime | None = None  # the moment of the latest step
    applied_at: datetime | None = None  # the judicial confirmation's application, recorded

    def active_mediators(self) -> frozenset[int]:
        return frozenset(uid for uid, m in self.mediators.items() if m.active)

    def lead(self) -> int | None:
        return next((uid for uid, m in self.mediators.items() if m.active and m.lead), None)


class Stop(Exception):
    """The story reached the present: the case stays as it is."""


class History:
    """Generates and plays each case's story."""

    def __init__(self, end: datetime):
        self.rng = random.Random(SEED)
        self.end = end
        self.start = end - timedelta(days=365)
        self.centers = {c.pk: c for c in Center.objects.defer("boundary")}
        for center in self.centers.values():
            center.parent = self.centers.get(center.parent_id)
        self.grids = list(Grid.objects.order_by("code"))
        for grid in self.grids:
            grid.center = self.centers[grid.center_id]
        # Busier in the streets' (街道) communities and in comprehensive grids.
        self.grid_weights = [
            (2.0 if grid.center.parent and "街道" in grid.center.parent.name else 1.0)
            * (1.0 if grid.kind == GridKind.COMPREHENSIVE else 0.3)
            for grid in self.grids
        ]
        self.prepared: dict[int, object] = {}
        self.committees = {c.center_id: c for c in Committee.objects.all()}
        users = list(User.objects.filter(is_active=True))
        for user in users:
            user.center = self.centers.get(user.center_id)
        by_name = {u.username: u for u in users}
        self.users = {u.pk: u for u in users}
        self.facts = {
            u.pk: ActorFacts(
                user_id=u.pk,
                role=u.role,
                center_path=u.center.path if u.center else None,
                is_admin=u.is_superuser or u.role == Role.ADMIN,
            )
            for u in users
        }
        self.staff = {c.pk: by_name[f"cs{c.code}"] for c in self.centers.values()}
        self.mediators: dict[int, list[User]] = defaultdict(list)
        for user in sorted(users, key=lambda u: u.username):
            if user.role == Role.MEDIATOR and user.center_id:
                self.mediators[user.center_id].append(user)
        self.grid_worker = {g.pk: by_name.get(f"gw{g.code}") for g in self.grids}
        self.workers: dict[int, list[User]] = defaultdict(list)
        for user in sorted(users, key=lambda u: u.username):
            if user.role == Role.GRID_WORKER and user.username.startswith("gw"):
                self.workers[user.center_id].append(user)
        tops = {t.code: t for t in DisputeType.objects.filter(parent__isnull=True, active=True)}
        self.leaves: dict[str, list[DisputeType]] = defaultdict(list)
        for leaf in DisputeType.objects.filter(parent__isnull=False, active=True).order_by("order", "code"):
            self.leaves[leaf.parent.code].append(leaf)
        self.type_codes = [code for code in texts.TYPES if code in tops]
        self.type_weights = [texts.TYPES[code][0] for code in self.type_codes]
        self.tops = tops
        self.events_free = self._dispute_events()
        self.types_by_id = {t.pk: t for t in [*tops.values(), *(x for v in self.leaves.values() for x in v)]}

    def _dispute_events(self) -> dict[int, list[tuple[datetime, int]]]:
        """Events of the disputes category not yet converted, by community: a case 'converted from
        an event' takes one of them."""
        from events.models import Event

        taken = set(Dispute.objects.filter(event__isnull=False).values_list("event_id", flat=True))
        free: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
        rows = Event.objects.filter(category__parent__code="disputes", created_at__gte=self.start).values_list(
            "origin_center_id", "created_at", "pk"
        )
        for center_id, created_at, pk in rows.order_by("created_at", "pk"):
            if pk not in taken:
                free[center_id].append((created_at, pk))
        return free

    # --- chance ------------------------------------------------------------------------------------

    def minutes(self, median: float, spread: float = 0.8) -> timedelta:
        return timedelta(minutes=median * math.exp(self.rng.gauss(0, spread)))

    def days(self, median: float, spread: float = 0.6) -> timedelta:
        return self.minutes(median * 1440, spread)

    def daytime(self, moment: datetime) -> datetime:
        """The moment, moved into office hours (8:30–18:00) where it falls outside them."""
        local = moment.astimezone(LOCAL)
        if local.hour < 8 or (local.hour == 8 and local.minute < 30):
            return local.replace(hour=9, minute=self.rng.randrange(60))
        if local.hour >= 18:
            return (local + timedelta(days=1)).replace(hour=9, minute=self.rng.randrange(60))
        return local

    def when(self) -> datetime:
        """A moment of the year, busier on working days and in office hours."""
        rng = self.rng
        while True:
            day = self.start + timedelta(days=rng.randrange(366))
            if day.weekday() >= 5 and rng.random() > 0.6:
                continue
            hour = rng.choices(range(24), weights=HOURLY)[0]
            moment = day.astimezone(LOCAL).replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))
            if self.start <= moment < self.end:
                return moment

    def point_in(self, grid: Grid) -> Point:
        cached = self.prepared.get(grid.pk)
        if cached is None:  # the prepared outline and its extent, computed once per grid
            cached = self.prepared[grid.pk] = (grid.boundary.prepared, grid.boundary.extent)
        prepared, (xmin, ymin, xmax, ymax) = cached
        for _ in range(200):
            point = Point(self.rng.uniform(xmin, xmax), self.rng.uniform(ymin, ymax), srid=4326)
            if prepared.contains(point):
                return point
        return grid.boundary.point_on_surface

    def person_name(self) -> str:
        return self.rng.choice(names.SURNAMES) + "".join(self.rng.choices(names.GIVEN, k=self.rng.choice((1, 2, 2))))

    def phone(self) -> str:
        return f"1{self.rng.choice('35789')}{self.rng.randrange(10**9):09d}"

    def id_number(self, birth_year: int, sex: str) -> str:
        day = date(birth_year, 1, 1) + timedelta(days=self.rng.randrange(365))
        sequence = self.rng.randrange(100) * 10 + (self.rng.choice((1, 3, 5, 7, 9)) if sex == "M" else 2)
        first17 = f"510115{day:%Y%m%d}{sequence:03d}"
        return first17 + id_number_check_digit(first17)

    def address(self) -> str:
        rng = self.rng
        if rng.random() < 0.6:
            building, unit, floor, door = (
                rng.randrange(1, 30),
                rng.randrange(1, 5),
                rng.randrange(1, 33),
                rng.randrange(1, 5),
            )
            return f"{rng.choice(texts.ESTATES)}{building}栋{unit}单元{floor}0{door}号"
        return f"{rng.choice(texts.STREETS)}{rng.randrange(1, 400)}号"

    # --- intake ------------------------------------------------------------------------------------

    def take_in(self, index: int) -> Case:
        """The case as `services.dispute_report` makes it: parties checked by `parties_clean` (ID
        numbers masked and hashed), the acceptance clock started, the alarm raised on signals."""
        rng = self.rng
        grid = rng.choices(self.grids, weights=self.grid_weights)[0]
        community = grid.center
        intake = rng.choices(list(INTAKE_WEIGHTS), weights=list(INTAKE_WEIGHTS.values()))[0]
        now = self.when()
        center, event_id = community, None
        reporter = self.staff[community.pk]
        if intake in (Intake.GRID, Intake.SWEEP):
            reporter = self.grid_worker.get(grid.pk) or (
                rng.choice(self.workers[community.pk]) if self.workers[community.pk] else None
            )
            if reporter is None:
                intake, reporter = Intake.WALK_IN, self.staff[community.pk]
        if intake == Intake.WALK_IN:
            if rng.random() < 0.08 and community.parent is not None:  # at the town's window: the town's case
                center = community.parent
                reporter = self.staff[center.pk]
            elif rng.random() < 0.3 and self.mediators[community.pk]:
                reporter = rng.choice(self.mediators[community.pk])
        if intake == Intake.EVENT:
            free = [e for e in self.events_free.get(community.pk, []) if e[0] < now]
            if free:
                created, event_id = free[-1]
                self.events_free[community.pk].remove((created, event_id))
                now = max(now, created + self.minutes(240))
                if now >= self.end:
                    now = created + timedelta(minutes=30)
            else:
                intake = Intake.WALK_IN

        code = rng.choices(self.type_codes, weights=self.type_weights)[0]
        leaf = rng.choice(self.leaves[code]) if self.leaves[code] else self.tops[code]
        _weight, median, share, stories = texts.TYPES[code]
        title, facts, claims, terms = rng.choice(stories)
        amount = None
        if median and rng.random() < share:
            amount = Decimal(int(median * math.exp(rng.gauss(0, 0.7)) / 10) * 10 or 100)
        group = rng.random() < (0.08 if code in ("labour", "acquisition", "property", "environment") else 0.004)
        people = rng.randint(6, 80) if group else rng.choices((2, 3, 4, 5), weights=(80, 12, 6, 2))[0]
        signals: list[str] = []
        if rng.random() < 0.025:
            signals = rng.sample([Signal.THREATS, Signal.POLICE_HISTORY, Signal.VIOLENCE, Signal.EXTREME], k=1)
        if group and rng.random() < 0.4:
            signals.append(Signal.GROUP)
        raw = self.parties_for(code, community, people)
        a, b = raw[0]["name"], raw[1]["name"]
        values = {"a": a, "b": b, "amt": f"{amount:,.0f}" if amount else "若干", "addr": ""}
        street_address = self.address()
        reference = ""
        year = now.astimezone(LOCAL).year
        if intake == Intake.HOTLINE:
            reference = f"12345-{now.astimezone(LOCAL):%Y%m%d}{rng.randrange(10**4):04d}"
        elif intake == Intake.POLICE:
            reference = f"110-{now.astimezone(LOCAL):%Y%m%d}{rng.randrange(10**5):05d}"
        elif intake == Intake.COURT_DELEGATED:
            reference = f"({year})川0115民诉前调{rng.randrange(1, 9000)}号"
        elif intake == Intake.COURT_ENTRUSTED:
            reference = f"({year})川0115民初{rng.randrange(1, 9000)}号"
        elif intake == Intake.PETITION:
            reference = f"温信{year}{rng.randrange(1, 3000):04d}"
        point = self.point_in(grid)
        built = services.parties_clean(raw)
        report = {
            "reporter": reporter,
            "type_id": leaf.pk,
            "title": title,
            "facts": facts.format(**values),
            "claims": claims.format(**values),
            "lat": point.y,
            "lng": point.x,
            "client_id": str(uuid.uuid5(NAMESPACE, str(index))),
            "intake": intake,
            "parties": raw,
            "address": street_address,
            "amount": str(amount) if amount is not None else None,
            "people": people,
            "intake_reference": reference,
            "signals": signals,
            "center_id": center.pk if center.pk != community.pk else None,
            "event_id": event_id,
        }
        dispute = Dispute(
            client_id=uuid.UUID(report["client_id"]),
            committee=self.committees[center.pk],
            year=year,
            type=leaf,
            title=title,
            facts=report["facts"],
            claims=report["claims"],
            intake=intake,
            intake_reference=reference,
            amount=amount,
            people=people,
            location=point,
            address=street_address,
            grid=grid,
            origin_center=center,
            center=center,
            level=center.level,
            reporter=reporter,
            event_id=event_id,
            signals=signals,
            created_at=now,
        )
        dispute._terms = terms.format(**values)  # type: ignore[attr-defined]
        dispute._code = code  # type: ignore[attr-defined]
        clocks.start_phase(dispute, Phase.ACCEPT, now)
        parties = [p for p, _ in built]
        agents = [(p, i) for p, i in built if i is not None]
        case = Case(index, dispute, raw, parties, agents, report)
        data = {"intake": intake, "parties": len(parties)}
        if event_id:
            data["event"] = event_id
        self.row(case, A.REPORT, reporter, "", now, data=data)
        self.alarm(case, now)
        return case

    def parties_for(self, code: str, community: Center, people: int) -> list[dict]:
        rng = self.rng
        rows = []
        for role in (PartyRole.APPLICANT, PartyRole.RESPONDENT):
            organisation = role == PartyRole.RESPONDENT and code in texts.ORGANISATIONS and rng.random() < 0.85
            if organisation:
                stem = rng.choice(names.STEMS)
                rows.append(
                    {
                        "role": role,
                        "kind": PartyKind.ORGANISATION,
                        "name": rng.choice(texts.ORGANISATIONS[code]).format(s=stem),
                        "phone": f"028-8{rng.randrange(10**6):06d}",
                        "address": f"温江区{rng.choice(texts.STREETS)}{rng.randrange(1, 400)}号",
                    }
                )
                continue
            sex = rng.choice("MF")
            birth_year = rng.randint(1945, 2002)
            row = {
                "role": role,
                "name": self.person_name(),
                "sex": sex,
                "birth_year": birth_year,
                "ethnicity": "汉族" if rng.random() < 0.97 else rng.choice(["藏族", "彝族", "回族", "羌族"]),
                "occupation": rng.choice(texts.OCCUPATIONS),
                "phone": self.phone(),
                "address": f"温江区{community.name}{self.address()}",
            }
            if rng.random() < 0.4:
                row["id_number"] = self.id_number(birth_year, sex)
            rows.append(row)
        if people >= 3 and rng.random() < 0.5:
            rows.append({"role": PartyRole.THIRD_PARTY, "name": self.person_name(), "phone": self.phone()})
        if rng.random() < 0.04:
            rows.append(
                {
                    "role": PartyRole.AGENT,
                    "name": self.person_name(),
                    "occupation": rng.choice(["律师", "基层法律服务工作者", "亲属"]),
                    "phone": self.phone(),
                    "represents": 0,
                }
            )
        return rows

    # --- the rules, in memory (as disputes.services) ---------------------------------------------------

    def row(
        self,
        case: Case,
        action,
        actor: User | None,
        from_state: str,
        now: datetime,
        *,
        reason: str = "",
        data: dict | None = None,
        cycle: int | None = None,
        mark: int | None = None,
    ) -> None:
        """A timeline row as `services._finish` writes it, kept as a tuple (DisputeAction's columns,
        without the case's id) and copied into the table at the end."""
        d = case.dispute
        case.rows.append(
            (
                str(action),
                actor.pk if actor else None,
                actor.role if actor else "",
                actor.center_id if actor else None,
                d.center_id,
                d.level,
                from_state,
                d.state,
                reason,
                data or {},
                now,
                cycle,
                mark,
            )
        )

    def alarm(self, case: Case, now: datetime) -> None:
        """`services._alarm_if_signalled`: once, on a signal of 民转刑 or a group dispute."""
        d = case.dispute
        alarming = [s for s in d.signals if s in services.ALARM_SIGNALS]
        if d.people >= services.GROUP_PEOPLE * 10 and Signal.GROUP not in alarming:
            alarming.append(Signal.GROUP)
        if not alarming or d.alarmed_at is not None:
            return
        d.alarmed_at = now
        if d.risk in ("", Risk.BLUE, Risk.YELLOW):
            d.risk = Risk.ORANGE
        self.row(case, A.ALARM, None, d.state, now, data={"signals": alarming})

    def sweep(self, case: Case, until: datetime) -> None:
        """The sweep's steps whose moments passed before `until`: see `sweep_step`."""
        for moment, bit, action, data, cycle, state, center_id, level in sweep_steps(case.dispute, until):
            case.rows.append((action, None, "", None, center_id, level, state, state, "", data, moment, cycle, bit))

    def act(
        self, case: Case, when: datetime, actor: User, kind: str, action: Action | None = None, /, **params
    ) -> None:
        """One step at `when` by `actor`: the sweep first, then the state table and the permissions,
        then the effect and its timeline row. Past the present, the story stops."""
        when = max(when, case.last)  # a case's steps follow one another
        if when > self.end:
            raise Stop
        d = case.dispute
        self.sweep(case, when)
        action = Action(action or kind)
        before = d.state
        d.state = states.next_state(before, action)
        facts = DisputeFacts(
            state=before,
            center_path=d.center.path,
            reporter_id=d.reporter_id,
            mediator_ids=case.active_mediators(),
        )
        if not may(self.facts[actor.pk], facts, action):
            raise PermissionDenied(f"{actor.username} may not {action.value} case {case.index} in {before}")
        case.steps.append((when, kind, actor, action, params))
        reason, data = getattr(self, f"_{action.value}")(case, when, actor, **params)
        self.row(case, action, actor, before, when, reason=reason, data=data)
        case.last = when

    def _name(self, case: Case, users: list[int], now: datetime) -> None:
        for m in case.mediators.values():
            m.active = m.lead = False
        for k, uid in enumerate(users):
            m = case.mediators.get(uid) or DisputeMediator(dispute=case.dispute, user_id=uid)
            m.active, m.lead, m.named_at = True, k == 0, now
            case.mediators[uid] = m

    def _check_mediators(self, case: Case, users: list[int]) -> None:
        path = case.dispute.center.path
        for uid in users:
            user = self.users[uid]
            if user.role not in (Role.MEDIATOR, *services.CENTER_INBOX_ROLES) or not user.center.path.startswith(path):
                raise ValidationError(f"{user.username} is not a mediator of the area of case {case.index}")

    def _accept(self, case, now, actor, *, mediators=(), consent=None, reason=""):
        assert consent is True
        users = list(mediators) or [actor.pk]
        self._check_mediators(case, users)
        self._name(case, users, now)
        for p in case.parties:
            if p.role != PartyRole.AGENT:
                p.consents = True
        d = case.dispute
        d.accepted_at, d.channel = now, Channel.PEOPLES
        clocks.start_phase(d, Phase.MEDIATE, now)
        return reason, {"mediators": users}

    def _conclude(self, d: Dispute, now: datetime) -> None:
        d.concluded_at = now
        clocks.start_phase(d, None, now)
        d.light = Light.GREEN

    def _refer(self, case, now, actor, *, channel, referred_to, reason):
        d = case.dispute
        d.channel, d.referred_to = channel, referred_to
        self._conclude(d, now)
        return reason, {"channel": channel, "referred_to": referred_to}

    def _escalate(self, case, now, actor, *, reason):
        d = case.dispute
        before = d.center_id
        if not engine.escalate_to_parent(d, now=now):
            raise ValidationError("no higher center")
        return reason, {"from_center": before, "to_center": d.center_id}

    def _assign(self, case, now, actor, *, mediators, reason=""):
        self._check_mediators(case, list(mediators))
        self._name(case, list(mediators), now)
        return reason, {"mediators": list(mediators)}

    def _refuse(self, case, now, actor, *, party, channel, reason):
        d = case.dispute
        refusing = case.parties[party]
        refusing.consents = False
        d.channel, d.outcome_reason = channel, reason
        self._conclude(d, now)
        return reason, {"party": refusing, "channel": channel}

    def _extend(self, case, now, actor, *, days, consent, reason):
        assert consent is True and 1 <= days <= services.MAX_EXTENSION_DAYS
        d = case.dispute
        clocks.shift_clocks(d, timedelta(days=days))
        d.extension_days += days
        d.clock_cycle += 1
        d.clock_marks = 0
        d.light = Light.GREEN
        return reason, {"days": days, "consent": True}

    def _suspend(self, case, now, actor, *, reason):
        d = case.dispute
        d.suspended_from, d.suspended_at = S.MEDIATING, now
        return reason, {}

    def _resume(self, case, now, actor, *, reason=""):
        d = case.dispute
        clocks.shift_clocks(d, now - d.suspended_at)
        d.suspended_from, d.suspended_at = "", None
        return reason, {}

    def _agree(
        self,
        case,
        now,
        actor,
        *,
        form,
        terms,
        responsibility="",
        performance_method="",
        performance_place="",
        performance_due=None,
        obligations=(),
        reason="",
    ):
        d = case.dispute
        today = now.astimezone(LOCAL).date()
        if form == AgreementForm.WRITTEN and not (performance_due and performance_method):
            raise ValidationError("a written agreement states how and by when it is performed")
        if performance_due is not None and performance_due < today:
            raise ValidationError("performance due in the past")
        d.agreement_form, d.agreement_terms, d.responsibility = form, terms, responsibility
        d.performance_method, d.performance_place, d.performance_due = (
            performance_method,
            performance_place,
            performance_due,
        )
        d.agreed_at = now
        self._conclude(d, now)
        for raw in obligations:
            if raw["due_date"] < today:
                raise ValidationError("obligation due in the past")
            party = case.parties[raw["party"]] if raw.get("party") is not None else None
            case.obligations.append(
                Obligation(dispute=d, party=party, description=raw["description"], due_date=raw["due_date"])
            )
        visit = (performance_due or today) + timedelta(days=services.FOLLOW_UP_DAYS)
        case.follow_ups.append(FollowUp(dispute=d, due_date=visit))
        # The reminders (engine.reminders_plan on main) are written with the case: `reminders`.
        return reason, {"form": form, "obligations": len(obligations)}

    def _terminate(self, case, now, actor, *, channel, reason):
        d = case.dispute
        d.channel, d.outcome_reason = channel, reason
        self._conclude(d, now)
        return reason, {"channel": channel}

    def _withdraw(self, case, now, actor, *, reason):
        self._conclude(case.dispute, now)
        return reason, {}

    def _close(self, case, now, actor, *, reason=""):
        if any(o.performed_at is None for o in case.obligations):
            raise ValidationError("obligations not yet performed")
        case.dispute.closed_at = now
        return reason, {}

    def _risk(self, case, now, actor, *, risk, risk_plan=None, joint_meeting_at=None, reason=""):
        d = case.dispute
        d.risk = risk
        if risk_plan is not None:
            d.risk_plan, d.joint_meeting_at = risk_plan, joint_meeting_at
        if d.risk == Risk.RED and not (d.risk_plan and d.joint_meeting_at):
            raise ValidationError("a red case has its plan and joint meeting")
        self.alarm(case, now)
        return reason, {"risk": risk}

    def _session(self, case, now, actor, *, starts_at, ends_at, place, attendees, notes, mediators):
        self._check_mediators(case, list(mediators))
        session = Session(
            dispute=case.dispute,
            starts_at=starts_at,
            ends_at=ends_at,
            place=place,
            attendees=attendees,
            notes=notes,
            held=True,
            created_by=actor,
        )
        case.sessions.append((session, list(mediators)))
        return "", {"session": session, "held": True, "starts_at": starts_at.isoformat()}

    def _investigate(self, case, now, actor, *, interviewed, at, place, content):
        record = Investigation(
            dispute=case.dispute, interviewed=interviewed, at=at, place=place, content=content, recorded_by=actor
        )
        case.investigations.append(record)
        return "", {"investigation": record}

    def _follow_up(self, case, now, actor, *, visited_at, method, performance, satisfaction, notes):
        visit = next(v for v in sorted(case.follow_ups, key=lambda v: v.due_date) if v.visited_at is None)
        visit.visitor, visit.visited_at, visit.method = actor, visited_at, method
        visit.performance, visit.satisfaction, visit.notes = performance, satisfaction, notes
        return "", {"follow_up": visit, "performance": performance}

    def _perform(self, case, now, actor, *, obligation):
        row = case.obligations[obligation]
        assert row.performed_at is None
        row.performed_at = now
        return "", {"obligation": row}

    def _confirm(
        self, case, now, actor, *, applied_on, court, case_number="", accepted_on=None, ruling="", ruled_on=None
    ):
        d = case.dispute
        agreed = d.agreed_at.astimezone(LOCAL).date()
        today = now.astimezone(LOCAL).date()
        if d.agreement_form != AgreementForm.WRITTEN or not agreed <= applied_on <= agreed + timedelta(days=30):
            raise ValidationError("judicial confirmation: a written agreement, applied for within 30 days")
        if any(v is not None and v > today for v in (applied_on, accepted_on, ruled_on)):
            raise ValidationError("a date in the future")
        if case.confirmation is None:
            case.applied_at = now
        record = case.confirmation or Confirmation(dispute=d)
        record.applied_on, record.court, record.case_number = applied_on, court, case_number
        record.accepted_on, record.ruling, record.ruled_on = accepted_on, ruling, ruled_on
        case.confirmation = record
        return "", {"ruling": ruling, "court": court}

    # --- the story -----------------------------------------------------------------------------------

    def staff_at(self, case: Case, at: datetime) -> User:
        """The holding center's staff at `at` (the sweep may have handed the case up before)."""
        at = max(at, case.last)
        if at > self.end:
            raise Stop
        self.sweep(case, at)
        return self.staff[case.dispute.center_id]

    def pick_mediators(self, center_id: int) -> list[int]:
        pool = self.mediators[center_id]
        if not pool:
            return [self.staff[center_id].pk]
        first = self.rng.choice(pool)
        chosen = [first.pk]
        if len(pool) > 1 and self.rng.random() < 0.3:
            chosen.append(self.rng.choice([u for u in pool if u.pk != first.pk]).pk)
        return chosen

    def lead(self, case: Case, at: datetime) -> User:
        """The mediator who acts at `at`: the lead named on the case; after an escalation, the new
        holder's staff first name their own mediators."""
        d = case.dispute
        staff = self.staff_at(case, at)
        lead = case.lead()
        if lead is None or self.users[lead].center_id != d.center_id:
            self.act(case, at, staff, "assign", mediators=self.pick_mediators(d.center_id))
            lead = case.lead()
        return self.users[lead]

    def run(self, case: Case) -> None:
        try:
            self._run(case)
        except Stop:
            pass
        self.sweep(case, self.end)

    def _run(self, case: Case) -> None:
        rng, d = self.rng, case.dispute
        case.last = d.created_at
        code = d._code  # type: ignore[attr-defined]
        names_ab = {"a": case.raw_parties[0]["name"], "b": case.raw_parties[1]["name"]}
        slow = rng.random() < 0.03
        t = self.daytime(d.created_at + (self.minutes(1800, 0.5) if slow else self.minutes(150, 1.0)))
        if rng.random() < 0.01:  # a few wait: the backlog the sweep finds overdue (and hands up)
            t += timedelta(days=rng.randint(3, 8))
        # Triage at the holding center: a few leave people's mediation at once.
        staff = self.staff_at(case, t)
        r = rng.random()
        if r < 0.003:
            channel = Channel.LABOUR_ARBITRATION if code == "labour" else rng.choice([Channel.POLICE, Channel.COURT])
            reason = "不属于人民调解受理范围，依法移交"
            self.act(case, t, staff, "refer", channel=channel, referred_to=REFER_TO[channel], reason=reason)
            return
        if r < 0.0045:
            reason = "被申请人明确拒绝调解，已告知申请人通过诉讼途径解决"
            self.act(case, t, staff, "refuse", party=PartyRef(1), channel=Channel.LITIGATION, reason=reason)
            return
        if r < 0.006:
            self.act(case, t, staff, "withdraw", reason="双方已自行和解，申请人撤回调解申请")
            return
        if d.level == Level.COMMUNITY and (rng.random() < 0.03 or d.people >= 30):
            self.act(case, t, staff, "escalate", reason="案情复杂、涉及人数较多，提请街道（镇）调解")
            t = self.daytime(t + self.minutes(120))
            staff = self.staff_at(case, t)
        holder = d.center_id
        pool = self.mediators[holder]
        if pool and rng.random() < 0.6:  # a mediator of the committee takes the case (and leads it)
            actor = rng.choice(pool)
            others = [u.pk for u in pool if u.pk != actor.pk]
            mediators = [actor.pk] + (others[:1] if others and rng.random() < 0.25 else [])
        else:
            actor, mediators = staff, self.pick_mediators(holder)
        self.act(case, t, actor, "accept", mediators=mediators, consent=True)
        if rng.random() < 0.35 or d.risk:
            self.risk(case, self.daytime(case.last + self.minutes(60)))
        if rng.random() < 0.25:
            for k in range(rng.choice((1, 1, 2))):
                at = self.daytime(case.last + self.days(1.0))
                self.act(
                    case,
                    at + timedelta(minutes=40),
                    self.lead(case, at + timedelta(minutes=40)),
                    "investigate",
                    interviewed=case.raw_parties[k % 2]["name"],
                    at=at,
                    place=rng.choice(["当事人家中", "纠纷现场", "社区调解室"]),
                    content=rng.choice(texts.INVESTIGATION_NOTES).format(**names_ab),
                )
        if rng.random() < 0.008:
            at = self.daytime(case.last + self.days(2))
            staff = self.staff_at(case, at)
            if d.level == Level.COMMUNITY:
                self.act(case, at, staff, "escalate", reason="双方分歧较大，提请街道（镇）人民调解委员会调解")
        sessions = rng.choices((1, 2, 3), weights=(55, 33, 12))[0]
        gap = 6.0 if slow else 2.5
        for k in range(sessions):
            if k == 0 and rng.random() < 0.02:
                self.suspend(case)
                if d.state != S.MEDIATING:
                    return
            starts = self.daytime(case.last + self.days(gap))
            due = d.mediation_due
            if due is not None and d.extension_days == 0 and case.last < due < starts + timedelta(days=2):
                at = max(case.last, due - timedelta(days=3))
                reason = "案情复杂，经双方当事人同意延长调解期限"
                days = rng.choice((10, 15, 20, 30))
                self.act(case, at, self.lead(case, at), "extend", days=days, consent=True, reason=reason)
            ends = starts + self.minutes(75, 0.4)
            self.act(
                case,
                ends + timedelta(minutes=20),
                self.lead(case, ends + timedelta(minutes=20)),
                "session",
                starts_at=starts,
                ends_at=ends,
                place=f"{d.center.name}人民调解室",
                attendees=f"申请人{names_ab['a']}，被申请人{names_ab['b']}",
                notes=rng.choice(texts.SESSION_NOTES).format(**names_ab),
                mediators=sorted(case.active_mediators()),
            )
        self.outcome(case)

    def risk(self, case: Case, at: datetime) -> None:
        rng, d = self.rng, case.dispute
        risk = d.risk or rng.choices([Risk.BLUE, Risk.YELLOW, Risk.ORANGE, Risk.RED], weights=(55, 38, 6, 1))[0]
        params = {"risk": risk}
        if risk == Risk.RED:
            params |= {"risk_plan": "成立专班，一案一策，公安、司法所、社区联合稳控化解", "joint_meeting_at": at}
        actor = self.staff_at(case, at) if rng.random() < 0.5 else self.lead(case, at)
        self.act(case, at, actor, "risk", **params)

    def suspend(self, case: Case) -> None:
        at = self.daytime(case.last + self.days(2))
        mediator = self.lead(case, at)
        self.act(case, at, mediator, "suspend", reason="一方当事人住院治疗，暂无法参加调解")
        at = self.daytime(case.last + self.days(10))
        mediator = self.lead(case, at)
        if self.rng.random() < 0.1:
            self.act(case, at, mediator, "withdraw", reason="申请人撤回调解申请")
            return
        self.act(case, at, mediator, "resume", reason="当事人已出院，恢复调解")

    def outcome(self, case: Case) -> None:
        rng, d = self.rng, case.dispute
        t = case.last + timedelta(minutes=10)
        mediator = self.lead(case, t)
        r = rng.random()
        if r < 0.005:
            channel = rng.choice([Channel.LITIGATION, Channel.ARBITRATION, Channel.LEGAL_AID])
            if d._code == "labour":  # type: ignore[attr-defined]
                channel = Channel.LABOUR_ARBITRATION
            reason = "经多次调解，双方分歧较大，调解不成，已告知当事人依法通过其他途径解决"
            self.act(case, t, mediator, "terminate", channel=channel, reason=reason)
            return
        if r < 0.0065:
            reason = "被申请人不同意继续调解，已引导申请人依法诉讼"
            self.act(case, t, mediator, "refuse", party=PartyRef(1), channel=Channel.LITIGATION, reason=reason)
            return
        if r < 0.009:
            self.act(case, t, mediator, "withdraw", reason="双方自行达成和解，申请人撤回调解申请")
            return
        if r < 0.0105:
            channel = rng.choice([Channel.POLICE, Channel.COURT, Channel.PETITION])
            reason = "案情涉及其他部门职责，移交对接处理"  # the holding center refers, not the mediator
            self.act(
                case, t, self.staff_at(case, t), "refer", channel=channel, referred_to=REFER_TO[channel], reason=reason
            )
            return
        self.agree(case, t, mediator)

    def agree(self, case: Case, t: datetime, mediator: User) -> None:
        rng, d = self.rng, case.dispute
        today = t.astimezone(LOCAL).date()
        written = rng.random() < 0.72 or (d.amount is not None and d.amount > 5000)
        obligations = []
        due = None
        if written:
            due = today + timedelta(days=rng.choice((0, 3, 7, 15, 30, 60)))
            n = 1 if d.amount is None or rng.random() < 0.7 else 2
            for k in range(n):
                obligations.append(
                    {
                        "party": PartyRef(1),
                        "description": d._terms if k == 0 else "协议签订后双方不再就此事发生争执",  # type: ignore[attr-defined]
                        "due_date": today + (due - today) * (k + 1) // n if n > 1 else due,
                    }
                )
        elif rng.random() < 0.4:
            obligations.append(
                {
                    "party": PartyRef(1),
                    "description": d._terms,
                    "due_date": today + timedelta(days=rng.choice((1, 3, 7))),
                }
            )  # type: ignore[attr-defined]
        self.act(
            case,
            t,
            mediator,
            "agree",
            form=AgreementForm.WRITTEN if written else AgreementForm.ORAL,
            terms=d._terms,  # type: ignore[attr-defined]
            responsibility="双方对纠纷的发生均负有一定责任" if rng.random() < 0.5 else "",
            performance_method=rng.choice(texts.METHODS) if written else "",
            performance_place=f"{d.center.name}人民调解委员会" if written else "",
            performance_due=due,
            obligations=obligations,
        )
        # After the agreement: the obligations performed, then the case closed; the follow-up visit;
        # for some written agreements, judicial confirmation. In the order of their moments.
        later: list[tuple[datetime, int, str, dict]] = []
        done = t
        for k, o in enumerate(obligations):
            days = (o["due_date"] - today).days
            at = self.daytime(t + timedelta(days=rng.uniform(0, max(days, 0.2))))
            if rng.random() < 0.015:
                at += timedelta(days=rng.randint(5, 40))  # performed late
            later.append((at, 1, "perform", {"obligation": k}))
            done = max(done, at)
        later.append((self.daytime(done + self.minutes(240)), 2, "close", {}))
        visit_due = (due or today) + timedelta(days=services.FOLLOW_UP_DAYS)
        if rng.random() > 0.04:  # a few visits are still to be made
            visit = self.daytime(datetime.combine(visit_due, time(10), LOCAL) + timedelta(days=rng.randint(-3, 4)))
            visit = max(visit, done + timedelta(hours=1))
            later.append(
                (
                    visit,
                    3,
                    "follow_up",
                    {
                        "visited_at": visit - timedelta(minutes=30),
                        "method": rng.choices(
                            [VisitMethod.PHONE, VisitMethod.VISIT, VisitMethod.VIDEO], weights=(60, 35, 5)
                        )[0],
                        "performance": Performance.PERFORMED,
                        "satisfaction": rng.choices(
                            [Satisfaction.SATISFIED, Satisfaction.BASICALLY, Satisfaction.DISSATISFIED],
                            weights=(85, 14, 1),
                        )[0],
                        "notes": rng.choice(texts.FOLLOW_UP_NOTES),
                    },
                )
            )
        if written and rng.random() < 0.06:
            applied = today + timedelta(days=rng.randint(1, 28))
            accepted = applied + timedelta(days=rng.randint(0, 3))
            ruled = accepted + timedelta(days=rng.randint(2, 15))
            number = f"({applied.year})川0115民特{rng.randrange(100, 3000)}号"
            at = datetime.combine(applied, time(16), LOCAL)
            later.append((at, 4, "confirm", {"applied_on": applied, "court": COURT}))
            r = rng.random()
            if r < 0.01:
                ruling, accepted, ruled = ConfirmationRuling.REFUSED, None, None
            else:
                ruling = ConfirmationRuling.INVALID if r < 0.03 else ConfirmationRuling.VALID
            at = datetime.combine(ruled or applied + timedelta(days=3), time(16), LOCAL)
            later.append(
                (
                    at,
                    5,
                    "confirm",
                    {
                        "applied_on": applied,
                        "court": COURT,
                        "case_number": number,
                        "accepted_on": accepted,
                        "ruling": ruling,
                        "ruled_on": ruled,
                    },
                )
            )
        for at, _order, kind, params in sorted(later, key=lambda x: (x[0], x[1])):
            self.act(case, max(at, case.last), mediator, kind, **params)


# --- mediators -----------------------------------------------------------------------------------------------


def seed_mediators(log: Log) -> int:
    """People's mediators for the demo's stories: two at every community's committee and three at
    every town's and the district's (md + division code + number), beside the demo accounts."""
    rng = random.Random(SEED + 1)
    password = make_password(DEMO_PASSWORD)
    rows = []
    for center in Center.objects.defer("boundary").order_by("code"):
        count = 2 if center.level == Level.COMMUNITY else 3
        for k in range(1, count + 1):
            rows.append(
                User(
                    username=f"md{center.code}-{k}",
                    password=password,
                    role=Role.MEDIATOR,
                    center_id=center.pk,
                    last_name=rng.choice(names.SURNAMES),
                    first_name="".join(rng.choices(names.GIVEN, k=rng.choice((1, 2)))),
                    phone=f"1{rng.choice('35789')}{rng.randrange(10**9):09d}",
                )
            )
    have = set(User.objects.filter(username__startswith="md").values_list("username", flat=True))
    made = [u for u in rows if u.username not in have]
    User.objects.bulk_create(made)
    if made:
        log(f"mediators: {len(made)}")
    return len(made)


# --- the sweep, shared by both paths -------------------------------------------------------------------------------


def sweep_steps(d: Dispute, until: datetime) -> list[tuple]:
    """What the clocks' sweep (disputes.engine on main) does to the case up to `until`, applied to
    it: a warning at the warning moment (yellow light), a yellow card at the deadline (red light),
    and at the escalation moment the case handed up (`engine.escalate_to_parent`, its clock
    restarted there), or at the root a red card. Returns (moment, mark, action, data, cycle, state,
    center, level) for the timeline rows, as the sweep writes them."""
    made = []
    while d.phase and states.PHASE_OF_STATE.get(d.state) is not None:
        due = clock_moments.next_due(clocks.running_moments(d), d.clock_marks)
        if due is None or due > until:
            break
        bit = next(
            b for b in (clock_moments.WARN, clock_moments.OVERDUE, clock_moments.ESCALATE) if not d.clock_marks & b
        )
        cycle, phase, action = d.clock_cycle, d.phase, A.WARN
        d.clock_marks |= bit
        data: dict = {"phase": phase}
        if bit == clock_moments.WARN:
            d.light = Light.YELLOW
        elif bit == clock_moments.OVERDUE:
            d.light, data["card"] = Light.RED, "yellow_card"
        else:
            from_center, from_level = d.center_id, d.level
            if engine.escalate_to_parent(d, now=due):
                action = A.ESCALATE
                data |= {
                    "from_center": from_center,
                    "to_center": d.center_id,
                    "from_level": from_level,
                    "to_level": d.level,
                }
            else:
                data["card"] = "red_card"
        made.append((due, bit, action, data, cycle, d.state, d.center_id, d.level))
    return made


# --- writing ----------------------------------------------------------------------------------------------------


def _pk(value):
    return value.pk if hasattr(value, "_meta") else value


ACTION_COLUMNS = (
    "dispute_id",
    "action",
    "actor_id",
    "actor_role",
    "actor_center_id",
    "center_id",
    "level",
    "from_state",
    "to_state",
    "reason",
    "data",
    "created_at",
    "cycle",
    "mark",
)
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy(table: str, columns: tuple[str, ...], rows) -> None:
    """COPY rows into `table` (PostgreSQL's text format: tab-separated, \\N for NULL): the timeline
    is most of the year's rows, and COPY writes it several times faster than INSERT."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write(
            "\t".join(
                "\\N" if v is None else v.isoformat() if isinstance(v, datetime) else str(v).translate(_ESCAPES)
                for v in row
            )
        )
        buffer.write("\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        cursor.copy_expert(f"COPY {table} ({quoted}) FROM STDIN", buffer)


def _ids(model, n: int) -> list[int]:
    """`n` ids taken from the table's sequence, so that rows can be copied with their ids known."""
    if not n:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [model._meta.db_table, n]
        )
        return [row[0] for row in cursor.fetchall()]


def _copy_models(model, objects: list, *, now: datetime) -> None:
    """COPYs unsaved model instances (ids given) into their table, each concrete field as Django
    would store it; `auto_now` fields get `now`."""
    from django.contrib.gis.db.models import GeometryField
    from django.db.models import BooleanField, JSONField

    fields = model._meta.concrete_fields
    if any(isinstance(f, GeometryField) and f.srid != 4326 for f in fields):
        raise ValueError("only points in WGS 84")

    def value(obj, f):
        v = getattr(obj, f.attname)
        if getattr(f, "auto_now", False):
            return now
        if v is None:
            return None
        if isinstance(f, GeometryField):
            return f"SRID=4326;POINT({v.x!r} {v.y!r})"
        if isinstance(f, JSONField):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(f, BooleanField):
            return "t" if v else "f"
        return v

    _copy(model._meta.db_table, tuple(f.column for f in fields), ([value(o, f) for f in fields] for o in objects))


REMINDER_HOUR = time(9)  # engine.REMINDER_HOUR on main: reminders come at 09:00 on their day
CONFIRMATION_NOTICE = timedelta(days=25)  # engine.CONFIRMATION_NOTICE: 5 days before the window closes


def reminders(case: Case, end: datetime) -> list[Reminder]:
    """The case's reminders as the engine plans them at the agreement (engine.reminders_plan on main:
    one per follow-up visit and obligation, at 09:00 on its due date, and the judicial-confirmation
    window's 25 days after a written agreement), each then cancelled when its subject was done before
    it came (the services cancel it), sent at its moment when it came first (the sweep sends it), or
    still pending."""
    d = case.dispute
    if d.agreed_at is None:
        return []
    plans = [
        (ReminderKind.FOLLOW_UP, v.pk, datetime.combine(v.due_date, REMINDER_HOUR, LOCAL), v.visited_at)
        for v in case.follow_ups
    ]
    plans += [
        (ReminderKind.OBLIGATION, o.pk, datetime.combine(o.due_date, REMINDER_HOUR, LOCAL), o.performed_at)
        for o in case.obligations
    ]
    if d.agreement_form == AgreementForm.WRITTEN:
        plans.append((ReminderKind.CONFIRMATION, 0, d.agreed_at + CONFIRMATION_NOTICE, case.applied_at))
    rows = []
    for kind, key, due, done in plans:
        row = Reminder(dispute_id=d.pk, kind=kind, key=key, due_at=due, cancelled=False)
        sends_at = max(due, d.agreed_at)  # due the day it was planned: the next sweep sends it
        if done is not None and done < sends_at:
            row.cancelled = True
        elif sends_at <= end:
            row.sent_at = sends_at
        rows.append(row)
    return rows


def write_bulk(cases: list[Case], log: Log, *, end: datetime) -> None:
    """Numbers the cases (one number per committee and year, in the order they came in, after the
    counters' last) and writes them and their rows with COPY, their ids taken from the sequences
    first (children name their parents, timeline rows their sessions and visits)."""
    now = timezone.now()
    counters = {(c.committee_id, c.year): c.last for c in CaseCounter.objects.all()}
    disputes = [c.dispute for c in cases]
    for d, pk in zip(disputes, _ids(Dispute, len(disputes)), strict=True):
        key = (d.committee_id, d.year)
        counters[key] = d.serial = counters.get(key, 0) + 1
        d.number = dispute_number(d.committee.number_prefix, d.year, d.serial)
        d.pk = pk
    _copy_models(Dispute, disputes, now=now)
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO disputes_casecounter (committee_id, year, last) VALUES (%s, %s, %s) "
            "ON CONFLICT (committee_id, year) DO UPDATE SET last = EXCLUDED.last",
            [(committee, year, last) for (committee, year), last in sorted(counters.items())],
        )

    def children(model, objects_of) -> list:
        rows = [(case, obj) for case in cases for obj in objects_of(case)]
        for (case, obj), pk in zip(rows, _ids(model, len(rows)), strict=True):
            obj.pk, obj.dispute_id = pk, case.dispute.pk
        return [obj for _, obj in rows]

    parties = children(Party, lambda c: c.parties)
    for case in cases:
        for agent, i in case.agents:
            agent.represents_id = case.parties[i].pk
    _copy_models(Party, parties, now=now)
    mediators = children(DisputeMediator, lambda c: c.mediators.values())
    _copy_models(DisputeMediator, mediators, now=now)
    sessions = children(Session, lambda c: [s for s, _ in c.sessions])
    for session in sessions:
        session.created_at = session.ends_at or session.starts_at  # written at the end of the session
    _copy_models(Session, sessions, now=now)
    _copy(
        Session.mediators.through._meta.db_table,
        ("session_id", "user_id"),
        ((s.pk, u) for c in cases for s, users in c.sessions for u in users),
    )
    investigations = children(Investigation, lambda c: c.investigations)
    _copy_models(Investigation, investigations, now=now)
    obligations = children(Obligation, lambda c: c.obligations)
    for o in obligations:
        o.party_id = o.party.pk if o.party is not None else None
    _copy_models(Obligation, obligations, now=now)
    visits = children(FollowUp, lambda c: c.follow_ups)
    _copy_models(FollowUp, visits, now=now)
    confirmations = children(Confirmation, lambda c: [c.confirmation] if c.confirmation else [])
    _copy_models(Confirmation, confirmations, now=now)
    planned = [row for case in cases for row in reminders(case, end)]
    for row, pk in zip(planned, _ids(Reminder, len(planned)), strict=True):
        row.pk = pk
    _copy_models(Reminder, planned, now=now)
    rows = [
        (case.dispute.pk, *row[:9], json.dumps({k: _pk(v) for k, v in row[9].items()}, ensure_ascii=False), *row[10:])
        for case in cases
        for row in case.rows
    ]
    _copy("disputes_disputeaction", ACTION_COLUMNS, rows)
    schedules = [(c.dispute.pk, due) for c in cases if (due := clocks.next_due(c.dispute))]
    _copy("disputes_disputeschedule", ("dispute_id", "next_due_at"), schedules)
    log(
        f"disputes (copied): {len(cases)}, {len(rows)} timeline rows, {len(parties)} parties, "
        f"{len(sessions)} sessions, {len(schedules)} with running clocks, {len(planned)} reminders"
    )


def play_live(case: Case, history: History) -> Dispute:
    """Plays the case's steps again through the real services, at their moments."""
    report = dict(case.report)
    dispute, created = services.dispute_report(now=case.dispute.created_at, **report)
    assert created, f"demo dispute {case.index} exists already"
    parties = list(Party.objects.filter(dispute=dispute).order_by("order", "id").values_list("pk", flat=True))
    for at, kind, actor, action, params in case.steps:
        # The platform's sweep runs every few seconds: what came due before this step (a warning, a
        # reminder of a visit) was made before it.
        engine.sweep(now=at)
        params = dict(params)
        if "party" in params:
            params["party"] = parties[params["party"]]
        if "obligations" in params:
            params["obligations"] = [
                {**o, "party": parties[o["party"]] if o.get("party") is not None else None}
                for o in params["obligations"]
            ]
        common = {"dispute_id": dispute.pk, "actor": actor, "now": at}
        if kind == "session":
            services.session_record(**common, held=True, **params)
        elif kind == "investigate":
            services.investigation_record(**common, **params)
        elif kind == "follow_up":
            services.follow_up_record(**common, **params)
        elif kind == "perform":
            ids = list(Obligation.objects.filter(dispute_id=dispute.pk).order_by("id").values_list("pk", flat=True))
            services.obligation_perform(**common, obligation_id=ids[params["obligation"]])
        elif kind == "confirm":
            services.confirmation_record(**common, **params)
        else:
            services.dispute_transition(**common, action=action.value, **params)
    return dispute


def plan_sessions(cases, end: datetime) -> int:
    """The next session of each live case under mediation, planned on its lead mediator's calendar in
    the coming two weeks (the workbench shows them)."""
    planned = 0
    for n, case in enumerate(cases):
        dispute = Dispute.objects.filter(client_id=case.dispute.client_id, state="mediating").first()
        lead = DisputeMediator.objects.filter(dispute=dispute, lead=True, active=True).first() if dispute else None
        if lead is None:
            continue
        day = timezone.localtime(end).date() + timedelta(days=1 + n % 12)
        starts = timezone.make_aware(datetime.combine(day, time(9 + n % 3 * 2, 30)))
        services.session_record(
            dispute_id=dispute.pk,
            actor=lead.user,
            starts_at=starts,
            place=f"{dispute.committee.center.name}人民调解室",
            held=False,
            now=end,
        )
        planned += 1
    return planned


def seed_disputes(log: Log, *, count: int = DISPUTE_COUNT, end: datetime | None = None) -> None:
    """Writes `count` disputes of the year before `end` (default: now), once: the older ones in
    bulk, the most recent LIVE_CASES through the services."""
    if Dispute.objects.filter(client_id=uuid.uuid5(NAMESPACE, "0")).exists():
        log("disputes: already there")
        return
    seed_mediators(log)
    clocks.limits(fresh=True)
    end = end or timezone.now()
    history = History(end)
    cases = []
    for index in range(count):
        history.rng = random.Random(f"{SEED}-{index}")  # each story its own stream
        case = history.take_in(index)
        try:
            history.run(case)
        except (IllegalTransition, ValidationError, PermissionDenied, AssertionError) as exc:  # a bug in the story
            raise RuntimeError(f"demo dispute {index}: {exc!r}") from exc
        cases.append(case)
    cases.sort(key=lambda c: (c.dispute.created_at, c.index))
    live = min(LIVE_CASES, len(cases) // 10)
    write_bulk(cases[: len(cases) - live], log, end=end)
    for case in cases[len(cases) - live :]:
        try:
            play_live(case, history)
        except (IllegalTransition, ValidationError, PermissionDenied, services.DisputeNotFound) as exc:
            raise RuntimeError(f"demo dispute {case.index} (live): {exc!r}") from exc
    # The live cases' clock steps and reminders that came due before `end`, as the platform's sweep
    # makes them (the copied ones were played to `end` already: nothing of theirs is due).
    plan_sessions(cases[len(cases) - live :], end)
    swept = engine.sweep(now=end)
    if swept:
        log(f"disputes' sweep at the end of the demo: {swept} steps and reminders")
    with connection.cursor() as cursor:
        # Sessions are stamped when written: the live ones, as the copied ones, at their end.
        cursor.execute(
            "UPDATE disputes_session SET created_at = coalesce(ends_at, starts_at) WHERE dispute_id IN "
            "(SELECT id FROM disputes_dispute WHERE client_id = ANY(%s::uuid[]))",
            [[str(c.dispute.client_id) for c in cases[len(cases) - live :]]],
        )
        for table in ("disputes_dispute", "disputes_disputeaction", "disputes_party", "disputes_disputeschedule"):
            cursor.execute(f"ANALYZE {table}")
    log(f"disputes through the services: {live}")

"""Disputes made directly with the ORM, for tests that must not depend on the services: for the
engine, a case at a state and phase with its clocks started and its schedule row written
(`make_dispute`); for the documents, a case with the fields a document reads (`dispute`, `party` …)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.contrib.gis.geos import Point
from django.db.models import Max

from accounts.models import Role, User
from disputes import clocks as dispute_clocks
from disputes.choices import Intake, State
from disputes.models import (
    Committee,
    Dispute,
    DisputeMediator,
    DisputeType,
    Obligation,
    Party,
    Session,
    dispute_number,
)
from grids.models import Center


def committee_at(center_name: str = "航天路社区") -> Committee:
    """The mediation committee of a demo center (made once)."""
    center = Center.objects.get(name=center_name)
    committee, _ = Committee.objects.get_or_create(
        center=center, defaults={"name": f"{center.name}人民调解委员会", "number_prefix": "温航调"}
    )
    return committee


def make_dispute(
    *,
    now: datetime,
    center_name: str = "航天路社区",
    state: str = State.MEDIATING,
    phase: str | None = "mediate",
    mediators: tuple[str, ...] = ("mediator",),
    title: str = "邻里漏水纠纷",
    **fields,
) -> Dispute:
    """A case held by `center_name` since `now`, in `state`, with the clock of `phase` started at
    `now` (none for phase None or ""), its mediators named and its schedule row written."""
    committee = committee_at(center_name)
    year = now.year
    serial = (Dispute.objects.filter(committee=committee, year=year).aggregate(n=Max("serial"))["n"] or 0) + 1
    center = committee.center
    dispute = Dispute(
        committee=committee,
        year=year,
        serial=serial,
        number=dispute_number(committee.number_prefix, year, serial),
        type=DisputeType.objects.get(code="neighbour-nuisance"),
        title=title,
        facts="楼上住户卫生间漏水，楼下天花板受损，双方协商未果。",
        intake=Intake.WALK_IN,
        location=center.boundary.point_on_surface if center.boundary else "POINT(103.834 30.695)",
        origin_center=center,
        center=center,
        level=center.level,
        state=state,
        reporter=User.objects.get(username="hangtianlu"),
        created_at=now,
        accepted_at=now if state != State.RECEIVED else None,
        **fields,
    )
    dispute_clocks.start_phase(dispute, phase or None, now)
    dispute.save()
    for i, username in enumerate(mediators):
        DisputeMediator.objects.create(
            dispute=dispute, user=User.objects.get(username=username), lead=i == 0, named_at=now
        )
    dispute_clocks.write_schedule(dispute)
    return dispute


SHANGHAI = ZoneInfo("Asia/Shanghai")


def committee(*, level: str = "town") -> Committee:
    """The committee of the first demo center at that level, numbering as the example of the issue
    (温人调; the demo seeds each center's own prefix)."""
    center = Center.objects.filter(level=level).order_by("code").first()
    row, _ = Committee.objects.update_or_create(
        center=center, defaults={"name": f"{center.name}人民调解委员会", "number_prefix": "温人调"}
    )
    return row


def mediator(username: str, last_name: str, first_name: str, center: Center) -> User:
    return User.objects.create(
        username=username, last_name=last_name, first_name=first_name, role=Role.MEDIATOR, center=center
    )


def dispute(*, serial: int = 123, agreed_at: datetime | None = None, **fields) -> Dispute:
    """A case at its committee's center with the fields a document reads; `fields` override them."""
    com = committee()
    reporter = User.objects.filter(is_active=True).order_by("id").first()
    values = {
        "committee": com,
        "year": 2026,
        "serial": serial,
        "number": dispute_number(com.number_prefix, 2026, serial),
        "type": DisputeType.objects.filter(parent__isnull=True).order_by("order").first(),
        "title": "物业漏水赔偿纠纷",
        "facts": "2026年1月，申请人家中因楼上公共管道破裂发生漏水，导致吊顶和木地板受损。",
        "claims": "申请人要求被申请人赔偿财产损失人民币8000元。",
        "responsibility": "被申请人负主要责任，申请人负次要责任。",
        "agreement_terms": "被申请人一次性赔偿申请人财产损失人民币5000元。",
        "performance_method": "银行转账",
        "performance_place": "柳城街道人民调解委员会",
        "performance_due": date(2026, 3, 31),
        "intake": "walk_in",
        "location": Point(103.834, 30.695, srid=4326),
        "origin_center": com.center,
        "center": com.center,
        "level": com.center.level,
        "state": "agreed",
        "reporter": reporter,
        "created_at": datetime(2026, 3, 1, 9, 0, tzinfo=SHANGHAI),
        "agreed_at": agreed_at or datetime(2026, 3, 5, 16, 0, tzinfo=SHANGHAI),
    }
    values.update(fields)
    return Dispute.objects.create(**values)


def party(case: Dispute, role: str, name: str, **fields) -> Party:
    return Party.objects.create(dispute=case, role=role, name=name, **fields)


def name_mediators(case: Dispute, *users: User) -> None:
    """The first user leads."""
    for n, user in enumerate(users):
        DisputeMediator.objects.create(dispute=case, user=user, lead=n == 0, named_at=case.created_at)


def obligation(case: Dispute, by: Party | None, description: str, due: date) -> Obligation:
    return Obligation.objects.create(dispute=case, party=by, description=description, due_date=due)


def session(case: Dispute, *, mediators=(), **fields) -> Session:
    values = {
        "starts_at": datetime(2026, 3, 5, 14, 0, tzinfo=SHANGHAI),
        "ends_at": datetime(2026, 3, 5, 16, 30, tzinfo=SHANGHAI),
        "place": "柳城街道调解室",
        "attendees": "网格员 赵强",
        "notes": "调解员：请双方陈述。\n申请人：漏水已经三个月了。",
        "held": True,
        "created_by": case.reporter,
    }
    values.update(fields)
    row = Session.objects.create(dispute=case, **values)
    row.mediators.set(mediators)
    return row

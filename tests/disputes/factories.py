"""Disputes made directly with the ORM, with their fields set as the services set them (the engine's
tests do not depend on the services): a committee at a demo center, a case at a state and phase, its
clocks started (disputes.clocks.start_phase) and its schedule row written."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Max

from accounts.models import User
from disputes import clocks as dispute_clocks
from disputes.choices import Intake, State
from disputes.models import Committee, Dispute, DisputeMediator, DisputeType, dispute_number
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

"""Dispute rows made directly with the ORM, for tests of reads (statistics, lists, reports) that
must not depend on the workflow's services."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime

from django.contrib.gis.geos import Point
from django.utils import timezone

from accounts.models import User
from disputes.models import Committee, Dispute, DisputeType, dispute_number
from grids.models import Center

_serials = itertools.count(1)


def committee_for(center: Center) -> Committee:
    """The center's mediation committee (made once)."""
    committee, _ = Committee.objects.get_or_create(
        center=center, defaults={"name": f"{center.name}人民调解委员会", "number_prefix": f"测{center.code[-4:]}"}
    )
    return committee


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    """A moment in the platform's time zone."""
    return timezone.make_aware(datetime(year, month, day, hour), timezone.get_current_timezone())


def make_dispute(
    center: Center | str,
    *,
    created_at: datetime,
    type_code: str = "neighbour-nuisance",
    reporter: User | str = "liucheng",
    holding: Center | None = None,
    **fields,
) -> Dispute:
    """One case first taken in at `center` (a Center or its name), held there (or at `holding`),
    with whatever moments and outcome `fields` give it."""
    if isinstance(center, str):
        center = Center.objects.get(name=center)
    if isinstance(reporter, str):
        reporter = User.objects.get(username=reporter)
    committee = committee_for(center)
    serial = next(_serials)
    holder = holding or center
    values = dict(
        committee=committee,
        year=created_at.year,
        serial=serial,
        number=dispute_number(committee.number_prefix, created_at.year, serial),
        type=DisputeType.objects.get(code=type_code),
        title="邻里噪音纠纷",
        facts="楼上住户夜间噪音扰民",
        intake="walk_in",
        location=Point(103.834, 30.695, srid=4326),
        origin_center=center,
        center=holder,
        level=holder.level,
        state="received",
        reporter=reporter,
        created_at=created_at,
        client_id=uuid.uuid4(),
    )
    values.update(fields)
    return Dispute.objects.create(**values)

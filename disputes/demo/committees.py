"""A mediation committee at every center: the district's 人民调解委员会 numbers its cases 温人调,
each town's and community's its own prefix (一案一码: one number per committee and year)."""

from __future__ import annotations

from grids.choices import Level
from grids.models import Center

from ..models import Committee


def short(name: str) -> str:
    """柳城街道 → 柳城, 航天路社区 → 航天路, 天星村 → 天星."""
    for suffix in ("街道", "社区", "镇", "村", "区"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def seed_committees(log) -> int:
    """Creates the committees that are missing; returns how many were made."""
    have = set(Committee.objects.values_list("center_id", flat=True))
    used = set(Committee.objects.values_list("number_prefix", flat=True))
    rows = []
    for center in Center.objects.order_by("depth", "code").defer("boundary"):
        if center.pk in have:
            continue
        if center.level in (Level.DISTRICT, Level.CITY, Level.PROVINCE):
            prefix, name = "温人调", f"{center.name}人民调解委员会"
        elif center.level == Level.TOWN:
            prefix, name = f"温{short(center.name)}调", f"{center.name}人民调解委员会"
        else:
            prefix, name = f"温{short(center.name)}人调", f"{center.name}人民调解委员会"
        if prefix in used:
            prefix = f"{prefix}{center.code[-3:]}"
        used.add(prefix)
        rows.append(Committee(center=center, name=name, number_prefix=prefix))
    Committee.objects.bulk_create(rows)
    if rows:
        log(f"mediation committees: {len(rows)}")
    return len(rows)

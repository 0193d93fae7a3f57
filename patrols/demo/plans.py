"""The demo's patrol plans: one for every comprehensive grid, walked by its grid worker twice a week
over its compounds and buildings; and, for the demo volunteer, a fortnightly plan of their
organisation over the first grid of their community (姚大爷 walks every other week).

Made through the service (patrols.services.plan_create) — a few hundred plans, each with its clock
started and its schedule row — by the district's administrator; idempotent (skipped when there)."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import Role, User
from grids.choices import GridKind, PlaceKind
from grids.models import Grid, Place, Volunteer
from patrols.choices import Period
from patrols.models import PatrolPlan
from patrols.services import plan_create

ROUTE_KINDS = (PlaceKind.COMPOUND, PlaceKind.BUILDING, PlaceKind.STREET)
ROUTE_MAX = 14


def route_of(grid_id: int, places_by_grid: dict[int, list[tuple[int, str]]]) -> list[int]:
    """A walk over the grid's streets, compounds and buildings (entrances are checked at the door
    by QR when needed, not on every walk): at most ROUTE_MAX stops."""
    return [pk for pk, _kind in places_by_grid.get(grid_id, [])][:ROUTE_MAX]


def seed_plans(log, *, now=None) -> None:
    if PatrolPlan.objects.exists():
        log("patrol plans: already there")
        return
    now = now or timezone.now()
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    places_by_grid: dict[int, list[tuple[int, str]]] = {}
    for pk, grid_id, kind in (
        Place.objects.filter(kind__in=ROUTE_KINDS, active=True)
        .order_by("grid_id", "kind", "code")
        .values_list("pk", "grid_id", "kind")
    ):
        places_by_grid.setdefault(grid_id, []).append((pk, kind))
    workers = {}
    for grid_id, user_id in Grid.workers.through.objects.values_list("grid_id", "user_id"):
        workers.setdefault(grid_id, []).append(user_id)
    made = 0
    for grid in Grid.objects.filter(kind=GridKind.COMPREHENSIVE).order_by("code").defer("boundary"):
        route = route_of(grid.pk, places_by_grid)
        if not route:
            continue
        plan_create(
            actor=admin,
            name=f"{grid.name}日常巡查",
            grid_id=grid.pk,
            period=Period.WEEK,
            patrols_per_period=2,
            place_ids=route,
            assignee_ids=workers.get(grid.pk, []),
            now=now,
        )
        made += 1
    volunteer = User.objects.filter(username="volunteer", role=Role.VOLUNTEER).first()
    record = Volunteer.objects.filter(user=volunteer).select_related("organization").first() if volunteer else None
    if record is not None:
        grid = Grid.objects.filter(center=volunteer.center, kind=GridKind.COMPREHENSIVE).order_by("code").first()
        route = route_of(grid.pk, places_by_grid) if grid else []
        if route:
            plan_create(
                actor=admin,
                name=f"{record.organization.name}{grid.name}巡逻",
                grid_id=grid.pk,
                period=Period.FORTNIGHT,
                patrols_per_period=1,
                place_ids=route[:8],
                assignee_ids=[volunteer.pk],
                now=now,
            )
            made += 1
    log(f"patrol plans: {made}")

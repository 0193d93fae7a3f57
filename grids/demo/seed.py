"""The Wenjiang demo: centers, grids, departments, volunteers and an account for every role.

Deterministic (one seeded random generator) and idempotent: each part is written only when
it is not there yet, inside the caller's transaction, so a second run changes nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password

from accounts.models import Role, User
from grids.choices import DedicatedSubtype, GridKind, Level
from grids.models import Center, Department, DutyCategory, DutyItem, Grid, Volunteer, VolunteerOrganization
from grids.services import id_number_check_digit, id_number_hash, id_number_mask

from . import names
from .tiling import Lattice, district_cells, grow_regions, spread_seeds

SEED = 20261127
DISTRICT_CODE = "510115000000"
DISTRICT_NAME = "温江区"
DEMO_PASSWORD = "Wenjiang@2026"

Log = Callable[[str], None]


@dataclass
class DemoAccount:
    username: str
    role: str
    last_name: str
    first_name: str
    center_name: str | None = None
    department_code: str | None = None
    superuser: bool = False
    note: str = ""


DEMO_ACCOUNTS = [
    DemoAccount("admin", Role.ADMIN, "管", "理员", DISTRICT_NAME, superuser=True, note="administrator"),
    DemoAccount("duty", Role.DUTY_OFFICER, "王", "值班", DISTRICT_NAME, note="district duty officer"),
    DemoAccount("leader", Role.DUTY_LEADER, "李", "领导", DISTRICT_NAME, note="district duty leader"),
    DemoAccount("liucheng", Role.CENTER_STAFF, "张", "柳城", "柳城街道", note="town center staff"),
    DemoAccount("yongning", Role.CENTER_STAFF, "刘", "永宁", "永宁街道", note="town center staff"),
    DemoAccount("hangtianlu", Role.CENTER_STAFF, "陈", "航天", "航天路社区", note="community center staff"),
    DemoAccount("chengwu", Role.CENTER_STAFF, "杨", "城武", "城武社区", note="community center staff"),
    DemoAccount("tianxing", Role.CENTER_STAFF, "黄", "天星", "天星村", note="village center staff"),
    DemoAccount("gridworker", Role.GRID_WORKER, "赵", "网格", "航天路社区", note="grid worker"),
    DemoAccount("volunteer", Role.VOLUNTEER, "吴", "红袖", "航天路社区", note="volunteer (red armband)"),
    DemoAccount("police", Role.DEPARTMENT_STAFF, "周", "警官", DISTRICT_NAME, "police", note="department staff"),
    DemoAccount(
        "chengguan", Role.DEPARTMENT_STAFF, "徐", "执法", DISTRICT_NAME, "urban-management", note="department staff"
    ),
    DemoAccount("mediator", Role.MEDIATOR, "孙", "调解", "柳城街道", note="town mediator"),
    DemoAccount("tiaojie", Role.MEDIATOR, "钱", "调解", "航天路社区", note="community mediator"),
    DemoAccount("household1", Role.RESIDENT, "住户", "1", "航天路社区", note="resident (慧眼 household camera)"),
]


@dataclass
class Plan:
    """The computed layout: center rows, grid rows and the cells each covers."""

    centers: list[Center] = field(default_factory=list)
    grids: list[Grid] = field(default_factory=list)


def seed_all(log: Log) -> None:
    rng = random.Random(SEED)
    seed_duty_catalog(log)
    if not Center.objects.filter(code=DISTRICT_CODE).exists():
        plan = plan_divisions(rng, log)
        for depth in sorted({c.depth for c in plan.centers}):
            # Parents first: bulk_create fills in their ids (PostgreSQL returns them).
            level = [c for c in plan.centers if c.depth == depth]
            for center in level:
                center.parent_id = center.parent.pk if center.parent else None
            Center.objects.bulk_create(level)
        for grid in plan.grids:
            grid.center_id = grid.center.pk
        Grid.objects.bulk_create(plan.grids)
        log(f"centers: {len(plan.centers)}, grids: {len(plan.grids)}")
    else:
        log("centers and grids: already there")
    seed_departments(log)
    seed_accounts(log)
    seed_volunteers(random.Random(SEED + 1), log)


def seed_duty_catalog(log: Log) -> None:
    if DutyCategory.objects.exists():
        log("duty catalog: already there")
        return
    for order, (name, items) in enumerate(names.DUTY_CATALOG, start=1):
        category = DutyCategory.objects.create(order=order, name=name)
        DutyItem.objects.bulk_create(DutyItem(category=category, order=k, name=item) for k, item in enumerate(items, 1))
    log(f"duty catalog: {DutyCategory.objects.count()} categories, {DutyItem.objects.count()} items")


def _largest_remainder(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Splits `total` in proportion to `weights`, each share at least `minimum`."""
    base = [minimum] * len(weights)
    rest = total - minimum * len(weights)
    scale = rest / sum(weights)
    exact = [w * scale for w in weights]
    shares = [int(x) for x in exact]
    leftover = rest - sum(shares)
    for k in sorted(range(len(weights)), key=lambda k: exact[k] - shares[k], reverse=True)[:leftover]:
        shares[k] += 1
    return [b + s for b, s in zip(base, shares, strict=True)]


def _center(code: str, name: str, level: str, parent: Center | None, cells) -> Center:
    center = Center(code=code, name=name, level=level, parent=parent)
    center.path = f"{parent.path if parent else ''}{code}/"
    center.depth = center.path.count("/") - 1
    center._cells = cells  # type: ignore[attr-defined]
    return center


def plan_divisions(rng: random.Random, log: Log) -> Plan:
    """Computes the district, its towns, communities and grids, with boundaries that tile."""
    lattice = Lattice(rng, 0)
    cells = district_cells(rng, names.DISTRICT_AREA_KM2)
    plan = Plan()
    district = _center(DISTRICT_CODE, DISTRICT_NAME, Level.DISTRICT, None, cells)
    plan.centers.append(district)

    cell_list = sorted(cells)
    town_seeds = []
    for _code, _name, _kind, x_km, y_km, _n, _w in names.TOWNS:
        target = lattice.cell_at_km(x_km, y_km)
        town_seeds.append(min(cell_list, key=lambda c: (c[0] - target[0]) ** 2 + (c[1] - target[1]) ** 2))
    town_regions = grow_regions(rng, cells, town_seeds, [t[6] for t in names.TOWNS])

    stems = list(names.STEMS)
    rng.shuffle(stems)
    used_names = {n for known in names.KNOWN_COMMUNITIES.values() for _, n in known}
    stems = [s for s in stems if not any(n.startswith(s) for n in used_names)]
    communities: list[tuple[Center, str]] = []
    for (code, name, kind, _x, _y, n_comm, _w), region in zip(names.TOWNS, town_regions, strict=True):
        town = _center(code, name, Level.TOWN, district, region)
        plan.centers.append(town)
        seeds = spread_seeds(rng, region, n_comm)
        comm_regions = grow_regions(rng, set(region), seeds, [rng.uniform(0.8, 1.25) for _ in seeds])
        known = list(names.KNOWN_COMMUNITIES.get(code, []))
        taken_codes = {c for c, _ in known if c}
        next_comm, next_village = 1, 200
        for k, comm_region in enumerate(comm_regions):
            if k < len(known):
                comm_code, comm_name = known[k]
            else:
                is_village = kind == "town" and k >= 3
                comm_name = stems.pop() + ("村" if is_village else "社区")
                comm_code = ""
            if not comm_code:
                if comm_name.endswith("村"):
                    while f"{code[:9]}{next_village:03d}" in taken_codes:
                        next_village += 1
                    comm_code = f"{code[:9]}{next_village:03d}"
                else:
                    while f"{code[:9]}{next_comm:03d}" in taken_codes:
                        next_comm += 1
                    comm_code = f"{code[:9]}{next_comm:03d}"
                taken_codes.add(comm_code)
            community = _center(comm_code, comm_name, Level.COMMUNITY, town, comm_region)
            plan.centers.append(community)
            communities.append((community, kind))

    weights = [(1.35 if kind == "street" else 1.0) * rng.uniform(0.7, 1.3) for _, kind in communities]
    comprehensive = _largest_remainder(names.COMPREHENSIVE_GRIDS, weights, minimum=2)
    dedicated = _largest_remainder(names.DEDICATED_GRIDS, [w * rng.uniform(0.5, 1.5) for w in weights])
    subtypes = [s for s in DedicatedSubtype.values if s in names.DEDICATED_PLACES]
    for (community, _kind), n_comp, n_ded in zip(communities, comprehensive, dedicated, strict=True):
        seeds = spread_seeds(rng, community._cells, n_comp + n_ded)  # type: ignore[attr-defined]
        grid_weights = [rng.uniform(0.85, 1.15) for _ in range(n_comp)] + [0.45] * n_ded
        regions = grow_regions(rng, set(community._cells), seeds, grid_weights)  # type: ignore[attr-defined]
        for k, region in enumerate(regions):
            if k < n_comp:
                grid = Grid(
                    code=f"{community.code}{k + 1:03d}",
                    name=f"{community.name}第{k + 1}网格",
                    kind=GridKind.COMPREHENSIVE,
                    subtype="",
                )
            else:
                subtype = rng.choice(subtypes)
                place = community.name.removesuffix("社区").removesuffix("村") + rng.choice(
                    names.DEDICATED_PLACES[subtype]
                )
                grid = Grid(
                    code=f"{community.code}{901 + k - n_comp:03d}",
                    name=f"{place}专属网格",
                    kind=GridKind.DEDICATED,
                    subtype=subtype,
                )
            grid.center = community
            grid.boundary = lattice.union(region)
            plan.grids.append(grid)

    for center in plan.centers:
        center.boundary = lattice.union(center._cells)  # type: ignore[attr-defined]
    log(f"district area: {len(cells)} cells of the lattice")
    return plan


def seed_departments(log: Log) -> None:
    district = Center.objects.get(code=DISTRICT_CODE)
    Department.objects.bulk_create(
        [
            Department(code=code, name=name, short_name=short, center=district)
            for code, name, short in names.DEPARTMENTS
        ],
        ignore_conflicts=True,
    )
    log(f"departments: {Department.objects.count()}")


def seed_accounts(log: Log) -> None:
    password = make_password(DEMO_PASSWORD)
    centers = {c.name: c for c in Center.objects.filter(name__in={a.center_name for a in DEMO_ACCOUNTS})}
    departments = {d.code: d for d in Department.objects.all()}
    for account in DEMO_ACCOUNTS:
        User.objects.get_or_create(
            username=account.username,
            defaults={
                "password": password,
                "role": account.role,
                "last_name": account.last_name,
                "first_name": account.first_name,
                "center": centers.get(account.center_name),
                "department": departments.get(account.department_code) if account.department_code else None,
                "is_staff": account.superuser,
                "is_superuser": account.superuser,
            },
        )
    # A grid worker for every comprehensive grid (username gw + grid code), same demo password.
    grids = list(Grid.objects.filter(kind=GridKind.COMPREHENSIVE).order_by("code"))
    rng = random.Random(SEED + 2)
    User.objects.bulk_create(
        [
            User(
                username=f"gw{g.code}",
                password=password,
                role=Role.GRID_WORKER,
                center_id=g.center_id,
                last_name=rng.choice(names.SURNAMES),
                first_name="".join(rng.choices(names.GIVEN, k=rng.choice((1, 2)))),
                phone=_phone(rng),
            )
            for g in grids
        ],
        ignore_conflicts=True,
    )

    # Staff for every center (cs + division code) and every department (ds- + code): the demo
    # history is made by them, through the same permission rules as real use.
    def person(username: str, role: str, **fields) -> User:
        last_name = rng.choice(names.SURNAMES)
        return User(
            username=username,
            password=password,
            role=role,
            last_name=last_name,
            first_name="".join(rng.choices(names.GIVEN, k=2)),
            **fields,
        )

    staff = (
        [person(f"cs{c.code}", Role.CENTER_STAFF, center_id=c.pk) for c in Center.objects.order_by("code")]
        + [
            person(f"ds-{d.code}", Role.DEPARTMENT_STAFF, department_id=d.pk, center_id=d.center_id)
            for d in departments.values()
        ]
        + [
            person(f"vol{c.code}", Role.VOLUNTEER, center_id=c.pk)
            for c in Center.objects.filter(level=Level.COMMUNITY).order_by("code")
        ]
    )
    User.objects.bulk_create(staff, ignore_conflicts=True)
    users = dict(User.objects.filter(role=Role.GRID_WORKER).values_list("username", "id"))
    through = Grid.workers.through
    links = [through(grid_id=g.id, user_id=users[f"gw{g.code}"]) for g in grids]
    hangtianlu_first = (
        Grid.objects.filter(center__name="航天路社区", kind=GridKind.COMPREHENSIVE).order_by("code").first()
    )
    if hangtianlu_first:
        links.append(through(grid_id=hangtianlu_first.id, user_id=users["gridworker"]))
        police = User.objects.get(username="police")
        Grid.police.through.objects.bulk_create(
            [
                Grid.police.through(grid_id=g.id, user_id=police.id)
                for g in Grid.objects.filter(center__name="航天路社区")
            ],
            ignore_conflicts=True,
        )
    through.objects.bulk_create(links, ignore_conflicts=True)
    log(f"users: {User.objects.count()} (grid workers: {len(users)})")


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('35789')}{rng.randrange(10**9):09d}"


def seed_volunteers(rng: random.Random, log: Log) -> None:
    if Volunteer.objects.exists():
        log("volunteers: already there")
        return
    towns = list(Center.objects.filter(level=Level.TOWN).order_by("code"))
    organizations = []
    for town in towns:
        for org_name in names.ORGANIZATIONS.get(town.code, []) + [town.name + s for s in names.ORGANIZATION_SUFFIXES]:
            organizations.append(VolunteerOrganization(name=org_name, center=town))
    VolunteerOrganization.objects.bulk_create(organizations, ignore_conflicts=True)
    organizations = list(VolunteerOrganization.objects.filter(center__in=towns).order_by("id"))
    grids_by_town: dict[int, list[int]] = {}
    for grid_id, town_id in Grid.objects.filter(kind=GridKind.COMPREHENSIVE).values_list("id", "center__parent_id"):
        grids_by_town.setdefault(town_id, []).append(grid_id)

    volunteers, seen = [], set()
    born_from = date(1950, 1, 1)
    while len(volunteers) < names.VOLUNTEER_COUNT:
        birth = born_from + timedelta(days=rng.randrange(365 * 52))
        first17 = f"510115{birth:%Y%m%d}{rng.randrange(1000):03d}"
        id_number = first17 + id_number_check_digit(first17)
        if id_number in seen:
            continue
        seen.add(id_number)
        organization = rng.choice(organizations)
        volunteers.append(
            Volunteer(
                real_name=rng.choice(names.SURNAMES) + "".join(rng.choices(names.GIVEN, k=rng.choice((1, 2)))),
                phone=_phone(rng),
                id_number_masked=id_number_mask(id_number),
                id_number_hash=id_number_hash(id_number),
                organization=organization,
                grid_id=rng.choice(grids_by_town[organization.center_id]),
                active=rng.random() > 0.03,
            )
        )
    Volunteer.objects.bulk_create(volunteers, batch_size=2000)
    demo_user = User.objects.get(username="volunteer")
    first = Volunteer.objects.filter(grid__center=demo_user.center).order_by("id").first()
    home_organization = VolunteerOrganization.objects.filter(center=demo_user.center.parent).order_by("id").first()
    if first:
        Volunteer.objects.filter(pk=first.pk).update(
            user=demo_user, real_name=demo_user.get_full_name(), organization=home_organization
        )
    log(f"volunteers: {Volunteer.objects.count()} in {len(organizations)} organizations")

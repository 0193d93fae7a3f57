"""Reference data every deployment starts from: the event category tree and the phase limits.

Loaded by `manage.py load_reference` (and by `seed_demo`); existing rows are left as the
administrators edited them."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction

from clocks.models import Calendar, SpecialDay
from grids.choices import Level
from grids.models import Department

from .choices import Phase
from .models import ClockPolicy, DuplicateRule, EventCategory, PhaseLimit

# (code, name, default department code, urgent by default, [(code, name), ...])
CATEGORIES = [
    (
        "public-security",
        "治安隐患",
        "police",
        False,
        [
            ("ps-suspicious", "可疑人员物品"),
            ("ps-gathering", "聚集滋事"),
            ("ps-fraud", "电信诈骗线索"),
            ("ps-gambling", "涉黄赌毒线索"),
            ("ps-rental", "出租房屋隐患"),
        ],
    ),
    (
        "work-safety",
        "安全生产",
        "emergency",
        False,
        [
            ("ws-construction", "建筑施工安全"),
            ("ws-hazmat", "危险化学品"),
            ("ws-confined", "有限空间作业"),
            ("ws-gas", "燃气安全"),
        ],
    ),
    (
        "fire-safety",
        "消防安全",
        "fire",
        True,
        [
            ("fs-passage", "消防通道堵塞"),
            ("fs-ebike", "电动车违规充电"),
            ("fs-facilities", "消防设施损坏"),
            ("fs-open-fire", "违规用火"),
        ],
    ),
    (
        "sanitation",
        "环境卫生",
        "urban-management",
        False,
        [
            ("sa-garbage", "垃圾乱堆乱放"),
            ("sa-water", "水体污染"),
            ("sa-noise", "噪声扰民"),
            ("sa-dust", "扬尘污染"),
            ("sa-sorting", "垃圾分类"),
        ],
    ),
    (
        "city-management",
        "城市管理",
        "urban-management",
        False,
        [
            ("cm-illegal-building", "违法建设"),
            ("cm-street-vendor", "占道经营"),
            ("cm-facilities", "市政设施损坏"),
            ("cm-greening", "绿化损毁"),
            ("cm-parking", "违规停车"),
        ],
    ),
    (
        "disputes",
        "矛盾纠纷",
        "justice",
        False,
        [
            ("di-neighbour", "邻里纠纷"),
            ("di-family", "婚姻家庭纠纷"),
            ("di-property", "物业纠纷"),
            ("di-labour", "劳资纠纷"),
            ("di-land", "土地纠纷"),
        ],
    ),
    (
        "livelihood",
        "民生服务",
        "civil-affairs",
        False,
        [
            ("lv-assistance", "困难救助"),
            ("lv-elderly", "养老服务"),
            ("lv-employment", "就业社保"),
            ("lv-medical", "医疗卫生"),
        ],
    ),
    (
        "special-groups",
        "特殊人群",
        "justice",
        False,
        [
            ("sg-correction", "社区矫正对象异常"),
            ("sg-mental", "严重精神障碍患者异常"),
            ("sg-drug", "吸毒人员异常"),
            ("sg-released", "刑满释放人员异常"),
        ],
    ),
    (
        "road-traffic",
        "道路交通",
        "transport",
        False,
        [
            ("rt-road-damage", "道路损坏"),
            ("rt-signals", "交通设施损坏"),
            ("rt-congestion", "交通拥堵"),
            ("rt-three-vehicles", "三车违规"),
        ],
    ),
    (
        "food-drugs",
        "食品药品",
        "market-regulation",
        False,
        [("fd-food-safety", "食品安全"), ("fd-unlicensed", "无证经营"), ("fd-drugs", "药品安全")],
    ),
]

# Minutes per phase at each level: (normal, urgent).
DEFAULT_LIMITS = {
    Level.COMMUNITY: {
        Phase.ACCEPT: (120, 30),
        Phase.SIGN: (120, 30),
        Phase.HANDLE: (2880, 480),
        Phase.VERIFY: (1440, 240),
    },
    Level.TOWN: {Phase.ACCEPT: (60, 30), Phase.SIGN: (120, 30), Phase.HANDLE: (2880, 480), Phase.VERIFY: (1440, 240)},
    Level.DISTRICT: {Phase.ACCEPT: (60, 20), Phase.SIGN: (60, 30), Phase.HANDLE: (1440, 360), Phase.VERIFY: (720, 180)},
    Level.CITY: {Phase.ACCEPT: (60, 20), Phase.SIGN: (60, 30), Phase.HANDLE: (1440, 360), Phase.VERIFY: (720, 180)},
    Level.PROVINCE: {Phase.ACCEPT: (60, 20), Phase.SIGN: (60, 30), Phase.HANDLE: (1440, 360), Phase.VERIFY: (720, 180)},
}
# Category overrides of the handling limit (minutes, normal and urgent), at every level.
HANDLE_OVERRIDES = {"fire-safety": (480, 120), "disputes": (7200, 1440), "special-groups": (1440, 240)}


# China's public holidays (False) and make-up working days (True). 2026: the State Council's notice
# of 4 November 2025 (国办发明电〔2025〕7号). 2027: only the statutory days are known until the
# State Council publishes its notice (usually in November); edit them in the admin then.
SPECIAL_DAYS = {
    "元旦": [("2026-01-01", "2026-01-03", False), ("2026-01-04", None, True)],
    "春节": [("2026-02-15", "2026-02-23", False), ("2026-02-14", None, True), ("2026-02-28", None, True)],
    "清明节": [("2026-04-04", "2026-04-06", False)],
    "劳动节": [("2026-05-01", "2026-05-05", False), ("2026-05-09", None, True)],
    "端午节": [("2026-06-19", "2026-06-21", False)],
    "中秋节": [("2026-09-25", "2026-09-27", False)],
    "国庆节": [("2026-10-01", "2026-10-07", False), ("2026-09-20", None, True), ("2026-10-10", None, True)],
    "元旦（2027，法定）": [("2027-01-01", None, False)],
    "春节（2027，法定）": [("2027-02-05", "2027-02-08", False)],
    "清明节（2027，法定）": [("2027-04-05", None, False)],
    "劳动节（2027，法定）": [("2027-05-01", "2027-05-02", False)],
    "端午节（2027，法定）": [("2027-06-09", None, False)],
    "中秋节（2027，法定）": [("2027-09-15", None, False)],
    "国庆节（2027，法定）": [("2027-10-01", "2027-10-03", False)],
}
CALENDARS = [
    ("24小时值班", True, []),
    ("工作日（9:00–12:00，13:30–17:30）", False, [["09:00", "12:00"], ["13:30", "17:30"]]),
]
# Level -> (warning fraction, grace minutes before the automatic escalation).
CLOCK_POLICIES = {
    Level.COMMUNITY: (0.7, 60),
    Level.TOWN: (0.7, 60),
    Level.DISTRICT: (0.7, 120),
    Level.CITY: (0.7, 120),
    Level.PROVINCE: (0.7, 120),
}


def special_days() -> list[SpecialDay]:
    days = []
    for name, spans in SPECIAL_DAYS.items():
        for first, last, workday in spans:
            day, end = date.fromisoformat(first), date.fromisoformat(last or first)
            while day <= end:
                days.append(SpecialDay(date=day, workday=workday, name=name.split("（")[0]))
                day += timedelta(days=1)
    return days


# Categories whose events Open311 lists to anyone (EventCategory.public): the street's problems.
PUBLIC_CATEGORIES = frozenset({"sanitation", "city-management", "road-traffic"})


@transaction.atomic
def load_reference() -> dict[str, int]:
    DuplicateRule.objects.get_or_create(category=None)  # the default duplicate rule, for the admin to tune
    departments = {d.code: d for d in Department.objects.all()}
    for order, (code, name, department, urgent, children) in enumerate(CATEGORIES, start=1):
        parent, _ = EventCategory.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "order": order,
                "default_department": departments.get(department),
                "default_urgent": urgent,
                "public": code in PUBLIC_CATEGORIES,
            },
        )
        for k, (child_code, child_name) in enumerate(children, start=1):
            EventCategory.objects.get_or_create(
                code=child_code, defaults={"name": child_name, "parent": parent, "order": k}
            )
    rows = []
    for level, phases in DEFAULT_LIMITS.items():
        for phase, (normal, urgent) in phases.items():
            rows += [
                PhaseLimit(phase=phase, level=level, category=None, urgent=False, minutes=normal),
                PhaseLimit(phase=phase, level=level, category=None, urgent=True, minutes=urgent),
            ]
    categories = {c.code: c for c in EventCategory.objects.filter(code__in=HANDLE_OVERRIDES)}
    for code, (normal, urgent) in HANDLE_OVERRIDES.items():
        for level in DEFAULT_LIMITS:
            rows += [
                PhaseLimit(phase=Phase.HANDLE, level=level, category=categories[code], urgent=False, minutes=normal),
                PhaseLimit(phase=Phase.HANDLE, level=level, category=categories[code], urgent=True, minutes=urgent),
            ]
    PhaseLimit.objects.bulk_create(rows, ignore_conflicts=True)
    SpecialDay.objects.bulk_create(special_days(), ignore_conflicts=True)
    for name, round_the_clock, periods in CALENDARS:
        Calendar.objects.get_or_create(name=name, defaults={"round_the_clock": round_the_clock, "periods": periods})
    ClockPolicy.objects.bulk_create(
        [ClockPolicy(level=level, warning_fraction=f, grace_minutes=g) for level, (f, g) in CLOCK_POLICIES.items()],
        ignore_conflicts=True,
    )
    return {
        "categories": EventCategory.objects.count(),
        "limits": PhaseLimit.objects.count(),
        "special_days": SpecialDay.objects.count(),
        "calendars": Calendar.objects.count(),
    }

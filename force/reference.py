"""Reference data of the force app: the default point rules and which event categories each duty of
the catalog (grids/demo/names.py DUTY_CATALOG) covers, by the duty's meaning.

Loaded by `load_reference` (from `seed_demo`); rows that exist are left as administrators edited them.
Duties of record-keeping, publicity and organisation (采集, 宣传, 党建 …) find no events and map to
no category; a duty that watches for a whole family of problems maps to the parent category."""

from __future__ import annotations

from django.db import transaction

from events.models import EventCategory
from grids.models import DutyItem

from .choices import RuleKind
from .models import DutyCoverage, PointRule

# kind -> (points, minimum check-ins)
DEFAULT_RULES = {RuleKind.REPORT: (5, 0), RuleKind.PATROL: (3, 1)}

DUTY_COVERAGE: dict[str, list[str]] = {
    # 基础信息采集
    "出租房屋信息登记": ["ps-rental"],
    "房屋建筑信息核实": ["cm-illegal-building"],
    "城市部件与公共设施信息采集": ["cm-facilities"],
    # 社会治安防范
    "治安隐患巡查报告": ["public-security"],
    "群防群治队伍组织与巡逻": ["ps-suspicious", "ps-gathering"],
    "涉黄赌毒线索报告": ["ps-gambling"],
    "可疑人员与可疑物品报告": ["ps-suspicious"],
    "电信网络诈骗防范宣传": ["ps-fraud"],
    "寄递物流安全巡查": ["ps-suspicious"],
    "校园及周边安全巡查": ["ps-suspicious", "ps-gathering", "rt-congestion"],
    "平安小区创建协助": ["ps-rental", "fs-passage"],
    "重大活动安保协助": ["ps-gathering"],
    "视频监控点位完好巡查": ["cm-facilities"],
    # 矛盾纠纷排查化解
    "邻里纠纷排查": ["di-neighbour"],
    "婚姻家庭纠纷排查": ["di-family"],
    "物业纠纷排查": ["di-property"],
    "劳资纠纷排查": ["di-labour"],
    "土地与山林权属纠纷排查": ["di-land"],
    "征地拆迁矛盾排查": ["di-land"],
    "矛盾纠纷就地调处": ["disputes"],
    "重大矛盾纠纷上报": ["disputes"],
    "信访苗头报告": ["disputes"],
    # 特殊人群服务管理
    "社区矫正对象走访": ["sg-correction"],
    "刑满释放人员走访帮教": ["sg-released"],
    "社区戒毒康复人员走访": ["sg-drug"],
    "严重精神障碍患者走访": ["sg-mental"],
    "特殊人群动态异常报告": ["special-groups"],
    "监护责任落实督促": ["sg-mental"],
    "帮扶救助需求报告": ["lv-assistance"],
    # 安全隐患排查
    "消防安全隐患巡查": ["fire-safety"],
    "燃气安全隐患巡查": ["ws-gas"],
    "电动自行车违规充电巡查": ["fs-ebike"],
    "危旧房屋巡查": ["cm-illegal-building"],
    "建筑施工安全巡查": ["ws-construction"],
    "道路交通安全隐患巡查": ["road-traffic"],
    "食品安全隐患巡查": ["food-drugs"],
    "防汛与地质灾害隐患巡查": ["rt-road-damage"],
    "有限空间与危化品隐患报告": ["ws-confined", "ws-hazmat"],
    "森林草原防火巡查": ["fs-open-fire"],
    # 民生服务代办
    "困难群众救助需求报告": ["lv-assistance"],
    "高龄与独居老人关爱走访": ["lv-elderly"],
    "残疾人服务需求报告": ["lv-assistance"],
    "就业创业政策代办": ["lv-employment"],
    "社会保险业务代办": ["lv-employment"],
    "医保与健康服务代办": ["lv-medical"],
    "群众诉求受理与反馈": ["livelihood"],
    # 环境卫生与城市管理
    "环境卫生巡查": ["sanitation"],
    "违法建设巡查报告": ["cm-illegal-building"],
    "占道经营与乱堆乱放巡查": ["cm-street-vendor", "sa-garbage"],
    "生活垃圾分类督导": ["sa-sorting"],
    "建筑垃圾与扬尘巡查": ["sa-dust"],
    "河道水体污染巡查": ["sa-water"],
    "噪声扰民报告": ["sa-noise"],
    "市政设施损坏报告": ["cm-facilities", "rt-signals"],
    "绿化损毁报告": ["cm-greening"],
    "违规停车与僵尸车报告": ["cm-parking", "rt-three-vehicles"],
}


@transaction.atomic
def load_reference() -> dict[str, int]:
    """The default rules and the duty ↔ category mapping, where missing (idempotent)."""
    PointRule.objects.bulk_create(
        [PointRule(kind=kind, points=p, min_check_ins=m) for kind, (p, m) in DEFAULT_RULES.items()],
        ignore_conflicts=True,
    )
    duties = dict(DutyItem.objects.values_list("name", "id"))
    categories = dict(EventCategory.objects.values_list("code", "id"))
    DutyCoverage.objects.bulk_create(
        [
            DutyCoverage(duty_id=duties[name], category_id=categories[code])
            for name, codes in DUTY_COVERAGE.items()
            if name in duties
            for code in codes
            if code in categories
        ],
        ignore_conflicts=True,
    )
    return {"rules": PointRule.objects.count(), "coverage": DutyCoverage.objects.count()}

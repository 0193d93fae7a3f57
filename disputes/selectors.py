"""Reads of dispute cases beyond a `.get()`: lists, the statistics and the reports built on them.

Every read starts from `accounts.scope.Scope.disputes()`, the one gate for who sees which case.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.scope import DISPUTES_BY_ROLE, EVERYTHING, NOTHING, SUBTREE, Scope, subtree_ids
from events.selectors import Period
from grids.choices import Level
from grids.models import Center

from .choices import GroupBand, Intake, Risk, Signal, State
from .domain.states import OPEN_STATES
from .models import DisputeType, FollowUp

# --- statistics
#
# One definition per figure, for every page, report, dashboard and test. The base set is the cases
# taken in (created_at) in the period, first taken in within the center's subtree, limited to the
# user's scope. Every other count is a subset of it, so each rate's denominator is on the same page.
#
# A case's outcome, for counting, is decided in this order: an agreement was reached at some point
# (agreed_at is set: successful, even if the agreement was later breached — the performed rate shows
# that); else the state it ended in (failed, withdrawn, referred); else it is still pending.

SLICES = ("type", "intake", "town", "group_band", "risk")

# figure -> its definition (shown beside the figure on pages: the denominator must be visible).
DEFINITIONS = {
    "taken_in": gettext_lazy("Taken in: cases registered (taken in) in the period."),
    "mediated": gettext_lazy("Mediated: of the cases taken in, those accepted into mediation."),
    "successful": gettext_lazy("Successful: of the cases taken in, those that reached an agreement."),
    "failed": gettext_lazy("Failed: of the cases taken in, those whose mediation ended without an agreement."),
    "withdrawn": gettext_lazy("Withdrawn: of the cases taken in, those withdrawn before any agreement."),
    "referred": gettext_lazy("Referred: of the cases taken in, those handed to another channel."),
    "pending": gettext_lazy("Pending: of the cases taken in, those without an outcome yet."),
    "concluded": gettext_lazy("Concluded: successful plus failed (withdrawn and referred are shown apart)."),
    "success_rate": gettext_lazy("Success rate: successful ÷ taken in."),
    "success_of_concluded": gettext_lazy("Success of concluded cases: successful ÷ concluded."),
    "on_time_rate": gettext_lazy(
        "On time: concluded cases that ended by the mediation deadline (extensions included; a case "
        "refused before mediation began had no deadline and counts as on time) ÷ concluded."
    ),
    "performed_rate": gettext_lazy(
        "Performance rate: agreements closed as performed ÷ agreements whose performance date has passed."
    ),
    "confirmation_rate": gettext_lazy(
        "Judicial confirmation: agreements applied for confirmation; confirmed valid ÷ applied."
    ),
    "follow_up_rate": gettext_lazy("Follow-up rate: agreements with at least one visit made ÷ agreements."),
}

# Each rate: (numerator, denominator), both counts of the same result.
RATES = {
    "success_rate": ("successful", "taken_in"),
    "success_of_concluded": ("successful", "concluded"),
    "on_time_rate": ("on_time", "concluded"),
    "performed_rate": ("performed", "agreements_due"),
    "confirmation_rate": ("confirmed", "confirmation_applied"),
    "follow_up_rate": ("followed_up", "successful"),
}

AGREED = Q(agreed_at__isnull=False)


def _outcome(state: str) -> Q:
    """Ended in `state` without any agreement reached before."""
    return Q(agreed_at__isnull=True, state=state)


FAILED = _outcome(State.FAILED)
CONCLUDED = AGREED | FAILED
ON_TIME = CONCLUDED & (Q(mediation_due__isnull=True) | Q(concluded_at__lte=F("mediation_due")))


def _aggregates(today: date) -> dict:
    """The counts of a set of cases already limited to those taken in during the period.

    `has_visit` must be annotated on the queryset (`_with_visits`); the confirmation is a one-to-one
    LEFT JOIN, which cannot multiply rows."""
    return {
        "taken_in": Count("pk"),
        "mediated": Count("pk", filter=Q(accepted_at__isnull=False)),
        "successful": Count("pk", filter=AGREED),
        "failed": Count("pk", filter=FAILED),
        "withdrawn": Count("pk", filter=_outcome(State.WITHDRAWN)),
        "referred": Count("pk", filter=_outcome(State.REFERRED)),
        "concluded": Count("pk", filter=CONCLUDED),
        "on_time": Count("pk", filter=ON_TIME),
        "agreements_due": Count("pk", filter=AGREED & Q(performance_due__lt=today)),
        "performed": Count("pk", filter=AGREED & Q(performance_due__lt=today, closed_at__isnull=False)),
        "confirmation_applied": Count("pk", filter=AGREED & Q(confirmation__isnull=False)),
        "confirmed": Count("pk", filter=AGREED & Q(confirmation__ruling="valid")),
        "followed_up": Count("pk", filter=AGREED & Q(has_visit=True)),
    }


COUNTS = (
    "taken_in",
    "mediated",
    "successful",
    "failed",
    "withdrawn",
    "referred",
    "concluded",
    "on_time",
    "agreements_due",
    "performed",
    "confirmation_applied",
    "confirmed",
    "followed_up",
)


def _with_visits(disputes: QuerySet) -> QuerySet:
    made = FollowUp.objects.filter(dispute=OuterRef("pk"), visited_at__isnull=False)
    return disputes.annotate(has_visit=Exists(made))


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _figures(counts: dict) -> dict:
    """The counts with every rate beside them, each rate naming its numerator and denominator."""
    counts = {name: counts.get(name, 0) for name in COUNTS}
    counts["pending"] = counts["taken_in"] - (
        counts["successful"] + counts["failed"] + counts["withdrawn"] + counts["referred"]
    )
    rates = {
        name: {"value": _rate(counts[num], counts[den]), "numerator": num, "denominator": den}
        for name, (num, den) in RATES.items()
    }
    return {**counts, "rates": rates}


def _town_key():
    """The town (level town) a case was first taken in at: its community's parent, or the town
    itself; None for a case taken in above the towns (the district)."""
    return Case(
        When(origin_center__level=Level.COMMUNITY, then=F("origin_center__parent_id")),
        When(origin_center__level=Level.TOWN, then=F("origin_center_id")),
        default=None,
        output_field=IntegerField(),
    )


def _band_key():
    """The group-size band of `disputes.choices.group_band`, in SQL."""
    return Case(
        When(people__gt=500, then=Value(GroupBand.OVER_500)),
        When(people__gte=100, then=Value(GroupBand.FROM_100)),
        When(people__gte=50, then=Value(GroupBand.FROM_50)),
        default=Value(GroupBand.UNDER_50),
        output_field=CharField(),
    )


def top_type_key():
    """A case's top-level type (one of the 19 of the quarterly form): its type's parent, or the type."""
    return Coalesce(F("type__parent_id"), F("type_id"))


SLICE_KEYS = {
    "type": top_type_key,
    "intake": lambda: F("intake"),
    "town": _town_key,
    "group_band": _band_key,
    "risk": lambda: F("risk"),
}


def _slice_names(by: str, keys) -> dict:
    keys = [k for k in keys if k is not None]
    if by == "type":
        return dict(DisputeType.objects.filter(pk__in=keys).values_list("pk", "name"))
    if by == "town":
        return dict(Center.objects.filter(pk__in=keys).values_list("pk", "name"))
    choices = {"intake": Intake, "group_band": GroupBand, "risk": Risk}[by]
    return {value: str(label) for value, label in choices.choices}


def _slice_order(by: str):
    if by == "type":
        return lambda row: (-row["taken_in"], row["name"])
    choices = {"intake": Intake, "group_band": GroupBand, "risk": Risk, "town": None}[by]
    if choices is None:
        return lambda row: (row["id"] is None, row["name"])
    values = list(choices.values)
    return lambda row: values.index(row["id"]) if row["id"] in values else len(values)


def reads_dispute_area(scope: Scope) -> bool:
    """Whether the scope sees the cases of a whole area (accounts.scope.DISPUTES_BY_ROLE: SUBTREE or
    EVERYTHING): only those read the area's statistics, quarterly form and stability ledger. A grid
    worker's handful of own cases is no area; their figures would mislead."""
    rule = EVERYTHING if scope.everything else DISPUTES_BY_ROLE.get(scope.role, NOTHING)
    return rule in (SUBTREE, EVERYTHING)


def disputes_in(*, scope: Scope, center: Center | None = None) -> QuerySet:
    """The cases `scope` may see, first taken in within `center`'s subtree (all of the scope's if None)."""
    disputes = scope.disputes()
    if center is not None:
        disputes = disputes.filter(origin_center_id__in=subtree_ids(center.path))
    return disputes


def dispute_stats(
    *,
    scope: Scope,
    center: Center | None = None,
    date_from: date,
    date_to: date,
    by: str | tuple[str, ...] | list[str] | None = None,
    now: datetime | None = None,
) -> dict:
    """The dispute statistics of a subtree over the days `date_from` to `date_to` (inclusive).

    The base set: cases taken in (created_at) in the period, first taken in within `center`'s subtree
    (or anywhere the scope reaches), limited to `scope`. Every figure counts cases of that set:

    - taken_in (受理): all of them;
    - mediated (调处): accepted into mediation (accepted_at is set);
    - successful (成功): reached an agreement at some point (agreed_at is set);
    - failed / withdrawn / referred: ended in that state without an agreement; pending: the rest;
    - concluded = successful + failed (withdrawn and referred shown apart);
    - success_rate = successful ÷ taken_in. This is how the seed's figure is computed: Wenjiang's
      98.2% is 18,405 ÷ 18,742. DESIGN.md's successful ÷ concluded is `success_of_concluded`;
    - on_time_rate = concluded cases whose concluded_at ≤ mediation_due (extensions included; a case
      refused before mediation began has no deadline and is on time) ÷ concluded;
    - performed_rate (履约率) = agreements closed (performed) ÷ agreements whose performance_due is
      before today (`now`'s date);
    - confirmation_applied / confirmed: agreements applied for judicial confirmation / confirmed
      valid; confirmation_rate = confirmed ÷ applied;
    - follow_up_rate = agreements with at least one follow-up visit made ÷ agreements (successful).

    `by` names one or more slices of SLICES: type (the top-level type), intake, town (the town the
    case was first taken in at; None above the towns), group_band, risk. Returns
    `{"period", "definitions", "totals", "slices": {by: [{"id", "name", **figures}]}}`: every rate
    as `{"value", "numerator", "denominator"}` naming counts of the same row.

    Queries: the subtree's ids (one per subtree: the scope's and `center`'s), one for the totals, one
    per slice, and one for the names of type and town slices."""
    slices = (by,) if isinstance(by, str) else tuple(by or ())
    for name in slices:
        if name not in SLICE_KEYS:
            raise ValueError(f"unknown slice {name!r}")
    period = Period.from_dates(date_from, date_to)
    today = timezone.localdate(now or timezone.now())
    # The period on created_at: the dispute_created index.
    base = _with_visits(
        disputes_in(scope=scope, center=center).filter(created_at__gte=period.start, created_at__lt=period.end)
    )
    aggregates = _aggregates(today)
    result = {
        "period": {"date_from": date_from, "date_to": date_to},
        "definitions": {name: str(text) for name, text in DEFINITIONS.items()},
        "totals": _figures(base.aggregate(**aggregates)),
        "slices": {},
    }
    for name in slices:
        rows = list(base.annotate(slice_id=SLICE_KEYS[name]()).values("slice_id").annotate(**aggregates).order_by())
        names = _slice_names(name, [row["slice_id"] for row in rows])
        above = _("Above the towns")
        entries = []
        for row in rows:
            key = row.pop("slice_id")
            label = names.get(key, above if name == "town" and key is None else str(key or ""))
            entries.append({"id": key, "name": label, **_figures(row)})
        result["slices"][name] = sorted(entries, key=_slice_order(name))
    return result


# --- the Sichuan quarterly form (四川省矛盾纠纷排查调处情况统计表)
#
# The form's words are the province's own (a report filed upward in Chinese whatever the user's
# language), so they are written here in Chinese rather than translated.

# The form's three levels; a case taken in above the district (a city center) is counted with the
# district column, the county-level one.
FORM_LEVELS = (
    (Level.COMMUNITY, "村（社区）"),
    (Level.TOWN, "乡镇（街道）"),
    (Level.DISTRICT, "县（市、区）"),
)
FORM_FIGURES = (("taken_in", "排查数"), ("mediated", "调处数"), ("successful", "成功数"))


def _form_level(level: str) -> str:
    return level if level in (Level.COMMUNITY, Level.TOWN) else Level.DISTRICT


def quarterly_counts(*, scope: Scope, center: Center, year: int, quarter: int) -> dict:
    """{(top-level type id, form level): {taken_in, mediated, successful}} for the quarter, by the
    definitions of `dispute_stats` (the level is the first center's)."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError("quarter must be 1 to 4")
    first = date(year, 3 * quarter - 2, 1)
    next_first = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    last = next_first - timedelta(days=1)
    period = Period.from_dates(first, last)
    rows = (
        disputes_in(scope=scope, center=center)
        .filter(created_at__gte=period.start, created_at__lt=period.end)
        .annotate(top_type=top_type_key(), origin_level=F("origin_center__level"))
        .values("top_type", "origin_level")
        .annotate(
            taken_in=Count("pk"),
            mediated=Count("pk", filter=Q(accepted_at__isnull=False)),
            successful=Count("pk", filter=AGREED),
        )
        .order_by()
    )
    counts: dict = {}
    for row in rows:
        cell = counts.setdefault(
            (row["top_type"], _form_level(row["origin_level"])),
            dict.fromkeys(("taken_in", "mediated", "successful"), 0),
        )
        for name in cell:
            cell[name] += row[name]
    return {"first": first, "last": last, "counts": counts}


def quarterly_xlsx(*, scope: Scope, center: Center, year: int, quarter: int, today: date | None = None) -> bytes:
    """The quarter's 四川省矛盾纠纷排查调处情况统计表 for `center`'s subtree (limited to `scope`), as
    .xlsx bytes: one row per top-level type (the 19, in their order) and a total row; for each level
    (village/community, town/street, county) the cases taken in (排查数), mediated (调处数) and
    successful (成功数), then the totals and the success rate (successful ÷ taken in)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    from events.export import text_cell

    data = quarterly_counts(scope=scope, center=center, year=year, quarter=quarter)
    types = list(DisputeType.objects.filter(parent__isnull=True).order_by("order", "code").values_list("pk", "name"))
    today = today or timezone.localdate()

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"{year}年第{quarter}季度"
    columns = 2 + 3 * len(FORM_LEVELS) + 3 + 1  # 序号, 类型, 3 × levels, 3 totals, rate
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    centered = Alignment(horizontal="center", vertical="center", wrap_text=True)
    bold = Font(name="宋体", bold=True, size=11)
    plain = Font(name="宋体", size=11)

    def put(row: int, column: int, value, *, font=plain, align=centered, border=True):
        cell = sheet.cell(row=row, column=column)
        safe = text_cell(sheet, value) if isinstance(value, str) else value
        if isinstance(value, str) and not isinstance(safe, str):
            # A text the guard marked (it starts like a formula): kept as quoted text, never evaluated.
            cell.value, cell.data_type, cell.quotePrefix = safe.value, "s", True
        else:
            cell.value = safe
        cell.font, cell.alignment = font, align
        if border:
            cell.border = box
        return cell

    def merge(first_row, first_col, last_row, last_col, value, **kwargs):
        put(first_row, first_col, value, **kwargs)
        if kwargs.get("border", True):
            for r in range(first_row, last_row + 1):
                for c in range(first_col, last_col + 1):
                    sheet.cell(row=r, column=c).border = box
        if (first_row, first_col) != (last_row, last_col):
            sheet.merge_cells(start_row=first_row, start_column=first_col, end_row=last_row, end_column=last_col)

    merge(
        1, 1, 1, columns, "四川省矛盾纠纷排查调处情况统计表", font=Font(name="黑体", bold=True, size=16), border=False
    )
    sheet.row_dimensions[1].height = 32
    period = f"统计时段：{data['first']:%Y年%m月%d日}至{data['last']:%Y年%m月%d日}（{year}年第{quarter}季度）"
    left = Alignment(horizontal="left", vertical="center")
    merge(2, 1, 2, 7, f"填报单位：{center.name}", align=left, border=False)
    merge(2, 8, 2, columns, period, align=Alignment(horizontal="right", vertical="center"), border=False)
    # Header: two rows; levels and the total span three columns each.
    merge(3, 1, 4, 1, "序号", font=bold)
    merge(3, 2, 4, 2, "纠纷类型", font=bold)
    column = 3
    for _level, heading in (*FORM_LEVELS, (None, "合计")):
        merge(3, column, 3, column + 2, heading, font=bold)
        for k, (_figure, label) in enumerate(FORM_FIGURES):
            put(4, column + k, label, font=bold)
        column += 3
    merge(3, column, 4, column, "调处成功率", font=bold)
    sheet.row_dimensions[3].height = 22
    sheet.row_dimensions[4].height = 22

    totals = {level: dict.fromkeys(("taken_in", "mediated", "successful"), 0) for level, _ in FORM_LEVELS}
    row = 5
    for number, (type_id, name) in enumerate(types, start=1):
        put(row, 1, number)
        put(row, 2, name, align=Alignment(horizontal="left", vertical="center"))
        line = dict.fromkeys(("taken_in", "mediated", "successful"), 0)
        column = 3
        for level, _heading in FORM_LEVELS:
            cell = data["counts"].get((type_id, level), {})
            for k, (figure, _label) in enumerate(FORM_FIGURES):
                value = cell.get(figure, 0)
                put(row, column + k, value)
                line[figure] += value
                totals[level][figure] += value
            column += 3
        for k, (figure, _label) in enumerate(FORM_FIGURES):
            put(row, column + k, line[figure])
        put(row, column + 3, _rate(line["successful"], line["taken_in"])).number_format = "0.0%"
        row += 1
    put(row, 1, "")
    put(row, 2, "合计", font=bold)
    column = 3
    grand = dict.fromkeys(("taken_in", "mediated", "successful"), 0)
    for level, _heading in FORM_LEVELS:
        for k, (figure, _label) in enumerate(FORM_FIGURES):
            put(row, column + k, totals[level][figure], font=bold)
            grand[figure] += totals[level][figure]
        column += 3
    for k, (figure, _label) in enumerate(FORM_FIGURES):
        put(row, column + k, grand[figure], font=bold)
    put(row, column + 3, _rate(grand["successful"], grand["taken_in"]), font=bold).number_format = "0.0%"
    row += 1
    note = (
        "说明：排查数为本期受理的纠纷数（按首次受理的中心层级统计）；调处数为其中进入调解的数；"
        "成功数为其中达成调解协议的数；调处成功率＝成功数÷排查数。"
    )
    merge(
        row, 1, row, columns, note, align=Alignment(horizontal="left", vertical="center", wrap_text=True), border=False
    )
    sheet.row_dimensions[row].height = 32
    merge(row + 1, 1, row + 1, 7, "单位负责人：", align=left, border=False)
    merge(row + 1, 8, row + 1, 11, "制表人：", align=left, border=False)
    merge(row + 1, 12, row + 1, columns, f"制表日期：{today:%Y年%m月%d日}", align=left, border=False)

    sheet.column_dimensions["A"].width = 6
    sheet.column_dimensions["B"].width = 22
    for k in range(3, columns + 1):
        sheet.column_dimensions[get_column_letter(k)].width = 9
    sheet.freeze_panes = "C5"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.print_title_rows = "3:4"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- the stability ledger (维稳台账)

LEDGER_PEOPLE = 50
LEDGER_RISKS = (Risk.ORANGE, Risk.RED)


def ledger_q() -> Q:
    """Group and major cases: 50 or more people, orange or red risk, or the group signal."""
    return Q(people__gte=LEDGER_PEOPLE) | Q(risk__in=LEDGER_RISKS) | Q(signals__contains=[Signal.GROUP])


def stability_ledger(*, scope: Scope, center: Center | None = None) -> QuerySet:
    """The stability ledger (维稳台账): open group and major cases (`ledger_q`) in `center`'s subtree
    (limited to `scope`), newest first, with type (and its top-level type), holding center and the
    town taken in at (`town_name`, empty above the towns) in one query."""
    town_name = Case(
        When(origin_center__level=Level.COMMUNITY, then=F("origin_center__parent__name")),
        When(origin_center__level=Level.TOWN, then=F("origin_center__name")),
        default=Value(""),
        output_field=CharField(),
    )
    return (
        disputes_in(scope=scope, center=center)
        .filter(ledger_q(), state__in=OPEN_STATES)
        .select_related("type__parent", "center")
        .annotate(town_name=town_name)
        .order_by("-created_at", "-id")
    )

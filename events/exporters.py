"""What the events app exports through `exports` (registered in EventsConfig.ready):

- "events": a filtered event list (the list's own filters, as a query string) as a workbook;
- "events.report": the monthly or quarterly report sheet in the Sichuan form: by town (or, below a
  town, by community) × top-level category, reported, due, closed, closed on time, closure and
  on-time rates, with each area's total. Its figures are `selectors.stats_summary`'s, the one
  definition the dashboards and the statistics API use.

Both apply the requester's scope when the file is written."""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace
from typing import BinaryIO

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from accounts.scope import scope_for
from exports.registry import Exporter, Progress, register
from grids.choices import Level
from grids.models import Center

from .api.filters import EventFilter
from .export import events_sheet_write, text_cell
from .selectors import Period, stats_summary


def filtered_events(user, query: str):
    """The events of the list page or API for `user` with the filters of `query`, newest first (what the
    list shows); bad filter values are ignored as the list ignores them."""
    events = scope_for(user).events()
    filterset = EventFilter(QueryDict(query), queryset=events, request=SimpleNamespace(user=user))
    queryset = filterset.qs if filterset.is_valid() else events
    return queryset.order_by("-created_at", "-id")


def _list_write(user, params: dict, handle: BinaryIO, progress: Progress) -> int:
    return events_sheet_write(filtered_events(user, params.get("query", "")), handle, progress=progress)


def _list_count(user, params: dict) -> int:
    return filtered_events(user, params.get("query", "")).count()


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M")


# --- the report sheet ---------------------------------------------------------------------------

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def report_period(value: str) -> tuple[Period, str] | None:
    """ "2026-11" (a month) or "2026-Q3" (a quarter) as a period and its label; None if neither."""
    if m := MONTH.match(value or ""):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            return None
        first = date(year, month, 1)
        last = date(year + month // 12, month % 12 + 1, 1).toordinal() - 1
        return Period.from_dates(first, date.fromordinal(last)), month_label(year, month)
    if m := QUARTER.match(value or ""):
        year, quarter = int(m[1]), int(m[2])
        first = date(year, 3 * quarter - 2, 1)
        end_month = 3 * quarter
        last = date(year + end_month // 12, end_month % 12 + 1, 1).toordinal() - 1
        return Period.from_dates(first, date.fromordinal(last)), quarter_label(year, quarter)
    return None


def month_label(year: int, month: int) -> str:
    return _("%(year)s-%(month)02d") % {"year": year, "month": month}


def quarter_label(year: int, quarter: int) -> str:
    return _("%(year)s Q%(quarter)s") % {"year": year, "quarter": quarter}


def report_periods(today: date) -> list[tuple[str, str]]:
    """The periods offered for the report sheet: this month and the two before, this quarter and the last."""
    months, quarters = [], []
    year, month = today.year, today.month
    for _k in range(3):
        months.append((f"{year}-{month:02d}", month_label(year, month)))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    year, quarter = today.year, (today.month - 1) // 3 + 1
    for _k in range(2):
        quarters.append((f"{year}-Q{quarter}", quarter_label(year, quarter)))
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return months + quarters


def _report_params(params: dict) -> str:
    return QueryDict(params.get("query", "")).get("period", "")


def _report_areas(user) -> list[Center]:
    """The rows' areas: the towns of the requester's district (or the communities of their town, or
    their own community); an administrator's are the district's towns."""
    scope = scope_for(user)
    center = getattr(user, "center", None)
    if center is None or scope.everything:
        top = Center.objects.filter(level=Level.DISTRICT).order_by("path").first()
        center = top or center
    if center is None:
        return []
    children = list(scope.centers().filter(parent=center).defer("boundary").order_by("code"))
    return children or [center]


def _report_write(user, params: dict, handle: BinaryIO, progress: Progress) -> int:
    found = report_period(_report_params(params))
    if found is None:
        raise ValueError("bad period")
    period, label = found
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Report %(period)s") % {"period": label})
    headers = [
        (_("Area"), 16),
        (_("Category"), 20),
        (_("Reported"), 10),
        (_("Due"), 10),
        (_("Closed"), 10),
        (_("Closed on time"), 12),
        (_("Closure rate"), 10),
        (_("On-time rate"), 10),
    ]
    for k, (_header, width) in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(k)].width = width
    sheet.append([text_cell(sheet, _("Events by area and category, %(period)s") % {"period": label})])
    sheet.append([header for header, _width in headers])
    events = scope_for(user).events()
    rows = 0

    def percent(value):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "0.0%"
        return cell

    def figures(row: dict) -> list:
        rates = [percent(row["closure_rate"]), percent(row["on_time_rate"])]
        return [row["reported"], row["due"], row["closed"], row["closed_on_time"], *rates]

    for area in _report_areas(user):
        summary = stats_summary(events.filter(origin_center__path__startswith=area.path), period, by="category")
        for row in summary["slices"]:
            sheet.append([area.name, text_cell(sheet, row["name"]), *figures(row)])
            rows += 1
        sheet.append([area.name, _("Total"), *figures(summary["totals"])])
        rows += 1
        progress(rows)
    workbook.save(handle)
    return rows


def _report_check(params: dict) -> dict[str, list[str]]:
    if report_period(_report_params(params)) is None:
        return {"query": [_("Give the period as period=YYYY-MM (a month) or period=YYYY-Qn (a quarter).")]}
    return {}


def _report_count(user, params: dict) -> int:
    return len(_report_areas(user)) * 20  # an estimate for the progress bar: rows are areas × categories


def register_exporters() -> None:
    register(
        "events",
        Exporter(
            title=lambda params: (
                _("Events (exported %(at)s)") % {"at": timezone.localtime().strftime("%Y-%m-%d %H:%M")}
            ),
            filename=lambda params: f"events-{_stamp()}.xlsx",
            count=_list_count,
            write=_list_write,
        ),
    )
    register(
        "events.report",
        Exporter(
            title=lambda params: _("Events report %(period)s") % {"period": _report_params(params)},
            filename=lambda params: f"events-report-{_report_params(params)}.xlsx",
            count=_report_count,
            write=_report_write,
            check=_report_check,
        ),
    )

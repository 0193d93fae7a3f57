"""The performance table as an .xlsx workbook: the same rows as the page and the API
(force.selectors.performance); text cells written through events.export.text_cell, never as formulas."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook

from events.export import text_cell

from .choices import PerformanceBy


def _percent(value):
    return None if value is None else round(value * 100, 1)


def performance_xlsx(rows: list[dict], by: str) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Performance"))
    if by == PerformanceBy.WORKER:
        sheet.append(
            [
                _("Town"),
                _("Community"),
                _("Grid worker"),
                _("Grids"),
                _("Reports"),
                _("Patrols"),
                _("Distance (km)"),
                _("Check-ins"),
                _("Tasks"),
                _("On-time rate (%)"),
                _("Own discovery rate (%)"),
            ]
        )
        for r in rows:
            sheet.append(
                [
                    text_cell(sheet, r["town"]),
                    text_cell(sheet, r["community"]),
                    text_cell(sheet, r["name"]),
                    text_cell(sheet, "、".join(r["grids"])),
                    r["reports"],
                    r["patrols"],
                    round(r["distance_m"] / 1000, 1),
                    r["check_ins"],
                    r["tasks"],
                    _percent(r["on_time_rate"]),
                    _percent(r["discovery_rate"]),
                ]
            )
    else:
        sheet.append(
            [
                _("Town"),
                _("Community"),
                _("Grid"),
                _("Events"),
                _("Found by the grid's force"),
                _("Discovery rate (%)"),
                _("Patrols"),
                _("Distance (km)"),
                _("Check-ins"),
                _("Tasks"),
                _("On-time rate (%)"),
            ]
        )
        for r in rows:
            sheet.append(
                [
                    text_cell(sheet, r["town"]),
                    text_cell(sheet, r["community"]),
                    text_cell(sheet, r["name"]),
                    r["events"],
                    r["discovered"],
                    _percent(r["discovery_rate"]),
                    r["patrols"],
                    round(r["distance_m"] / 1000, 1),
                    r["check_ins"],
                    r["tasks"],
                    _percent(r["on_time_rate"]),
                ]
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

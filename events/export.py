"""Any filtered event queue as an Excel workbook (.xlsx), written row by row.

Every text cell holds what people typed (descriptions, addresses, names, reasons): it reaches the
workbook as text, never as a formula (OWASP "CSV injection", which applies to spreadsheets alike).
openpyxl writes a string beginning with "=" as a formula; a cell beginning with "+", "-", "@", a
tab or a carriage return (or their full-width forms, which Chinese input methods type) is text in
the file but becomes a formula once someone edits it in Excel. Such a cell is written with an
explicit string type and Excel's quote prefix (the mark Excel itself sets when one types '=...):
the value stays exactly as typed, shown and re-edited as text. Characters XML cannot hold
(control characters) are dropped instead of failing the whole export.
"""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

MAX_ROWS = 100_000
# What starts a formula in Excel, LibreOffice or WPS, in ASCII and full width (OWASP's list + ＝＋－＠).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def text_cell(sheet, value: str):
    """`value` as a cell that spreadsheets show as text, never evaluate."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not value.startswith(FORMULA_TRIGGERS):
        return value  # openpyxl writes any other string as a string
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def _safe_row(sheet, values: list) -> list:
    return [text_cell(sheet, value) if isinstance(value, str) else value for value in values]


def events_xlsx(queryset, *, now=None) -> bytes:
    """The events of `queryset` (with category, center and grid selected) as .xlsx bytes."""
    now = now or timezone.now()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Events"))
    headers = [
        _("Number"),
        _("Reported at"),
        _("Category"),
        _("Description"),
        _("Address"),
        _("Grid"),
        _("Holding center"),
        _("Level"),
        _("State"),
        _("Urgent"),
        _("Source"),
        _("Light"),
        _("Supervision"),
        _("Deadline"),
        _("Closed at"),
        _("Overdue"),
    ]
    widths = [18, 18, 16, 60, 30, 24, 16, 10, 10, 6, 14, 8, 10, 18, 18, 8]
    for k, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(k)].width = width
    sheet.append(_safe_row(sheet, headers))
    yes, no = _("Yes"), _("No")

    def local(value):
        return timezone.localtime(value).replace(tzinfo=None) if value else None

    for event in queryset[:MAX_ROWS].iterator(chunk_size=2000):
        end = event.closed_at or now
        sheet.append(
            _safe_row(
                sheet,
                [
                    event.number,
                    local(event.created_at),
                    str(event.category),
                    event.description,
                    event.address,
                    event.grid.name if event.grid else "",
                    event.center.name,
                    event.get_level_display(),
                    event.get_state_display(),
                    yes if event.urgent else no,
                    event.get_source_display(),
                    event.get_light_display(),
                    event.get_supervision_display(),
                    local(event.deadline),
                    local(event.closed_at),
                    yes if event.deadline and end > event.deadline else no,
                ],
            )
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()

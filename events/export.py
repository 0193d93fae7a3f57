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
from collections.abc import Callable
from typing import BinaryIO

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from grids.choices import Level

from .choices import Light, Source, State, Supervision

Progress = Callable[[int], None]

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


# The columns of an events workbook: (header, width). The rows come from `_EVENT_COLUMNS` in one query.
def _event_headers() -> list[tuple[str, int]]:
    return [
        (_("Number"), 18),
        (_("Reported at"), 18),
        (_("Category"), 16),
        (_("Description"), 60),
        (_("Address"), 30),
        (_("Grid"), 24),
        (_("Holding center"), 16),
        (_("Level"), 10),
        (_("State"), 10),
        (_("Urgent"), 6),
        (_("Source"), 14),
        (_("Light"), 8),
        (_("Supervision"), 10),
        (_("Deadline"), 18),
        (_("Closed at"), 18),
        (_("Overdue"), 8),
    ]


_EVENT_COLUMNS = (
    "pk",
    "created_at",
    "category__name",
    "category__parent__name",
    "description",
    "address",
    "grid__name",
    "center__name",
    "level",
    "state",
    "urgent",
    "source",
    "light",
    "supervision",
    "deadline",
    "closed_at",
)


def events_sheet_write(queryset, handle: BinaryIO, *, now=None, progress: Progress | None = None) -> int:
    """Writes the events of `queryset` (scoped and filtered, in the order wanted) to `handle` as an
    .xlsx workbook, at most MAX_ROWS; returns the number of rows.

    Built for speed, since a district's year is 26,000 rows: the values come from one query (no model
    instances), each label (state, source, level …) is translated once, not once per row, the
    workbook is write-only (rows streamed to a temporary file, not held as cells), and only text that
    needs it goes through the formula guard (`text_cell`)."""
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Events"))
    headers = _event_headers()
    for k, (_header, width) in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(k)].width = width
    sheet.append(_safe_row(sheet, [header for header, _width in headers]))
    labels = {
        "level": {k: str(v) for k, v in Level.choices},
        "state": {k: str(v) for k, v in State.choices},
        "source": {k: str(v) for k, v in Source.choices},
        "light": {k: str(v) for k, v in Light.choices},
        "supervision": {k: str(v) for k, v in Supervision.choices},
    }
    levels, states, sources, lights, supervisions = (labels[k] for k in labels)
    yes, no = _("Yes"), _("No")
    formula = FORMULA_TRIGGERS
    illegal = ILLEGAL_CHARACTERS_RE.search
    append = sheet.append

    def text(value: str):
        if value.startswith(formula) or illegal(value):
            return text_cell(sheet, value)
        return value

    def local(value):
        return value.astimezone(tz).replace(tzinfo=None) if value else None

    rows = 0
    for row in queryset.values_list(*_EVENT_COLUMNS)[:MAX_ROWS].iterator(chunk_size=2000):
        pk, created, category, parent, description, address, grid, center = row[:8]
        level, state, urgent, source, light, sup, deadline, closed = row[8:]
        created_local = created.astimezone(tz)
        end = closed or now
        append(
            [
                f"{created_local:%Y%m%d}-{pk:06d}",  # events.models.event_number, without a second conversion
                created_local.replace(tzinfo=None),
                text(f"{parent} · {category}" if parent else category),
                text(description),
                text(address),
                text(grid) if grid else "",
                text(center),
                levels.get(level, level),
                states.get(state, state),
                yes if urgent else no,
                sources.get(source, source),
                lights.get(light, light),
                supervisions.get(sup, sup),
                local(deadline),
                local(closed),
                yes if deadline and end > deadline else no,
            ]
        )
        rows += 1
        if progress is not None and not rows % 1000:
            progress(rows)
    workbook.save(handle)
    return rows


def events_xlsx(queryset, *, now=None) -> bytes:
    """The events of `queryset` as .xlsx bytes (a small list, answered at once)."""
    out = io.BytesIO()
    events_sheet_write(queryset, out, now=now)
    return out.getvalue()

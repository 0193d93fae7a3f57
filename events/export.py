"""Any filtered event queue as an Excel workbook (.xlsx), written row by row."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

MAX_ROWS = 100_000


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
    sheet.append(headers)
    yes, no = _("Yes"), _("No")

    def local(value):
        return timezone.localtime(value).replace(tzinfo=None) if value else None

    for event in queryset[:MAX_ROWS].iterator(chunk_size=2000):
        end = event.closed_at or now
        sheet.append(
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
            ]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()

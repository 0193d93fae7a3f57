"""Import of persons from .xlsx (every row checked first; all rows written or none) and the masked
export of a list (each row written to the view log)."""

from __future__ import annotations

import io

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.scope import scope_for

from . import services
from .choices import Gender, PersonType, Risk, Status, Via
from .domain.masking import mask_name

MAX_ROWS = 5000
# Column headers accepted (English code, or the Chinese header of the template).
COLUMNS = {
    "person_type": ("person_type", "类型"),
    "name": ("name", "姓名"),
    "id_number": ("id_number", "身份证号"),
    "gender": ("gender", "性别"),
    "birth_year": ("birth_year", "出生年份"),
    "phone": ("phone", "电话"),
    "address": ("address", "住址"),
    "lat": ("lat", "纬度"),
    "lng": ("lng", "经度"),
    "department": ("department", "责任部门"),
    "risk": ("risk", "风险等级"),
    "workers": ("workers", "网格员账号"),
    "notes": ("notes", "备注"),
}
# Chinese cell values accepted beside the codes.
VALUES = {
    "person_type": {
        "社区矫正对象": PersonType.CORRECTION,
        "刑满释放人员": PersonType.RELEASED,
        "吸毒人员": PersonType.DRUG,
        "社区戒毒康复人员": PersonType.DRUG,
        "严重精神障碍患者": PersonType.MENTAL,
    },
    "gender": {"男": Gender.MALE, "女": Gender.FEMALE},
    "risk": {
        "低": Risk.LOW,
        "中": Risk.MEDIUM,
        "高": Risk.HIGH,
        "低风险": Risk.LOW,
        "中风险": Risk.MEDIUM,
        "高风险": Risk.HIGH,
    },
}


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def import_xlsx(*, actor: User, upload) -> dict:
    """{"created": n, "errors": [{"row", "field", "message"}]}: with any error nothing is written.
    Each row is checked as `services.person_create` checks one record (and must be one the actor
    may create); duplicates inside the file are refused too."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(upload, read_only=True, data_only=True)
    except Exception:
        return {"created": 0, "errors": [{"row": 0, "field": "file", "message": _("This is not an .xlsx file.")}]}
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [_cell(h) for h in next(rows, ())]
    index = {}
    for field, names in COLUMNS.items():
        for i, title in enumerate(header):
            if title in names:
                index[field] = i
    missing = [COLUMNS[f][1] for f in ("person_type", "name", "lat", "lng", "department") if f not in index]
    if missing:
        message = _("Missing columns: %(columns)s.") % {"columns": "、".join(missing)}
        return {"created": 0, "errors": [{"row": 1, "field": "header", "message": message}]}
    usernames = {}
    errors: list[dict] = []
    cleaned: list[tuple[int, dict]] = []
    seen: dict[tuple[str, str], int] = {}
    scope = scope_for(actor)
    within = "" if scope.everything else scope.center_path or "/nowhere/"
    for number, row in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            errors.append({"row": number, "field": "file", "message": _("At most %(n)d rows.") % {"n": MAX_ROWS}})
            break
        values = {f: _cell(row[i]) if i < len(row) else "" for f, i in index.items()}
        if not any(values.values()):
            continue
        for field, mapping in VALUES.items():
            if values.get(field) in mapping:
                values[field] = mapping[values[field]].value
        names = [n for n in values.get("workers", "").replace("，", ",").replace("、", ",").split(",") if n.strip()]
        unknown = [n for n in names if n.strip() not in usernames]
        if unknown:
            usernames.update(
                User.objects.filter(username__in=[n.strip() for n in unknown], role=Role.GRID_WORKER).values_list(
                    "username", "pk"
                )
            )
        missing_users = [n.strip() for n in names if n.strip() not in usernames]
        if missing_users:
            message = _("No grid worker with the account %(names)s.") % {"names": "、".join(missing_users)}
            errors.append({"row": number, "field": "workers", "message": message})
        values["workers"] = [usernames[n.strip()] for n in names if n.strip() in usernames]
        try:
            fields = services.person_validate(actor=actor, data=values, within=within)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.extend({"row": number, "field": field, "message": m} for m in messages)
            continue
        if not services._may_create(actor, fields["department"], fields["grid"].center):
            errors.append(
                {
                    "row": number,
                    "field": "department",
                    "message": _("You may not add persons of this department or area."),
                }
            )
            continue
        key = (fields["id_number_hash"], fields["person_type"])
        if fields["id_number_hash"] and key in seen:
            message = _("The same person as row %(row)d.") % {"row": seen[key]}
            errors.append({"row": number, "field": "id_number", "message": message})
            continue
        seen[key] = number
        cleaned.append((number, fields))
    if errors:
        return {"created": 0, "errors": errors}
    if not cleaned:
        return {"created": 0, "errors": [{"row": 0, "field": "file", "message": _("The file has no rows.")}]}
    now = timezone.now()
    with transaction.atomic():
        for _number, fields in cleaned:
            services.person_create(actor=actor, data={}, cleaned=fields, now=now)
    return {"created": len(cleaned), "errors": []}


EXPORT_HEADER = [
    "编号",
    "类型",
    "姓名",
    "身份证号",
    "性别",
    "出生年份",
    "风险等级",
    "状态",
    "社区",
    "网格",
    "责任部门",
    "上次走访",
    "下次走访",
]


def export_xlsx(*, user: User, queryset, path: str = "") -> bytes:
    """The list as .xlsx, names and ID numbers masked; every exported row is written to the view log."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("special-people")
    sheet.append(EXPORT_HEADER)
    ids = []
    local = timezone.localtime
    for p in queryset.iterator(chunk_size=1000):
        ids.append(p.pk)
        sheet.append(
            [
                p.pk,
                str(PersonType(p.person_type).label),
                mask_name(p.name),
                p.id_number_masked,
                p.get_gender_display(),
                p.birth_year,
                p.get_risk_display(),
                str(Status(p.status).label),
                p.center.name,
                p.grid.name,
                p.department.name,
                local(p.last_visit_at).strftime("%Y-%m-%d") if p.last_visit_at else "",
                local(p.due_at).strftime("%Y-%m-%d") if p.due_at else "",
            ]
        )
    services.people_view_log(person_ids=ids, user=user, via=Via.EXPORT, path=path)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

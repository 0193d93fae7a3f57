"""The camera registry's import: a .csv or .xlsx sheet, or a wvp-GB28181-pro channel list (JSON).

Every row is checked first (video.services.camera_clean: code, name, network, position → grid and
center, owner …) and every error reported with its row; only when no row has one is anything
written, in one transaction. A code already registered updates that camera (when it is in the
actor's area); a code twice in one file is an error.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.scope import EVERYTHING, SUBTREE, scope_for

from .adapters.base import AdapterError
from .adapters.wvp import channels_from_answer
from .choices import CameraStatus, Network, StatusSource
from .models import Camera, CameraStatusChange, MediaServer
from .services import Places, camera_clean

MAX_ROWS = 20000
MAX_BYTES = 10 * 1024 * 1024

COLUMNS = ["code", "name", "network", "lat", "lng", "address", "ptz", "codec", "media_server", "stream",
           "device_code", "owner_kind", "owner", "owner_org"]  # fmt: skip
ALIASES = {
    "国标编码": "code", "编码": "code", "通道编码": "code", "名称": "name", "点位名称": "name", "网络": "network",
    "所属网络": "network", "纬度": "lat", "经度": "lng", "latitude": "lat", "longitude": "lng", "地址": "address",
    "云台": "ptz", "编码格式": "codec", "媒体服务器": "media_server", "流": "stream", "流名称": "stream",
    "设备编码": "device_code", "权属": "owner_kind", "户主账号": "owner", "权属单位": "owner_org",
}  # fmt: skip
NETWORKS = {"天网": Network.TIANWANG, "雪亮": Network.XUELIANG, "雪亮工程": Network.XUELIANG, "慧眼": Network.HUIYAN,
            "慧眼工程": Network.HUIYAN, "其他": Network.OTHER}  # fmt: skip


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    dry_run: bool = False
    errors: list[dict] = field(default_factory=list)


class ImportFailed(Exception):
    """Rows with errors (nothing was written): `errors` = [{row, field, message}]."""

    def __init__(self, errors: list[dict], message: str = ""):
        super().__init__(message or _("The file has errors; nothing was imported."))
        self.errors = errors


def _column(name: str) -> str:
    name = str(name or "").strip()
    return ALIASES.get(name, name.lower())


def rows_from_csv(data: bytes) -> list[tuple[int, dict]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")  # sheets saved by Chinese Excel
        except UnicodeDecodeError:
            raise ImportFailed(
                [{"row": 0, "field": "file", "message": _("The file is not text (UTF-8 or GB18030).")}]
            ) from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise ImportFailed([{"row": 0, "field": "file", "message": _("The file is empty.")}])
    keys = [_column(h) for h in header]
    return [
        (n, dict(zip(keys, (v.strip() for v in values), strict=False)))
        for n, values in enumerate(reader, start=2)
        if any(v.strip() for v in values)
    ]


def rows_from_xlsx(data: bytes) -> list[tuple[int, dict]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a file that is not a workbook
        raise ImportFailed([{"row": 0, "field": "file", "message": _("The file is not an .xlsx workbook.")}]) from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if not header:
        raise ImportFailed([{"row": 0, "field": "file", "message": _("The file is empty.")}])
    keys = [_column(h) for h in header]
    out = []
    for n, values in enumerate(rows, start=2):
        if not any(v not in (None, "") for v in values):
            continue
        out.append((n, {k: ("" if v is None else str(v).strip()) for k, v in zip(keys, values, strict=False)}))
    return out


def rows_from_wvp(data: bytes, *, network: str, media_server: str = "") -> list[tuple[int, dict]]:
    try:
        body = json.loads(data.decode("utf-8-sig"))
        channels = channels_from_answer(body)
    except (ValueError, UnicodeDecodeError):
        raise ImportFailed([{"row": 0, "field": "file", "message": _("The file is not JSON.")}]) from None
    except AdapterError as exc:
        raise ImportFailed([{"row": 0, "field": "file", "message": str(exc)}]) from None
    return [
        (n, {
            "code": c.code, "name": c.name, "network": network, "lat": c.lat, "lng": c.lng, "address": c.address,
            "ptz": c.ptz, "device_code": c.device_code, "media_server": media_server or None,
            "stream": f"{c.device_code}_{c.code}" if media_server and c.device_code else "",
            "_online": c.online,
        })
        for n, c in enumerate(channels, start=1)
    ]  # fmt: skip


def rows_from_file(name: str, data: bytes, *, network: str = "", media_server: str = "") -> list[tuple[int, dict]]:
    if len(data) > MAX_BYTES:
        raise ImportFailed([{"row": 0, "field": "file", "message": _("The file is larger than 10 MB.")}])
    lower = (name or "").lower()
    if lower.endswith(".csv"):
        rows = rows_from_csv(data)
    elif lower.endswith(".xlsx"):
        rows = rows_from_xlsx(data)
    elif lower.endswith(".json"):
        if network not in Network.values:
            raise ImportFailed(
                [{"row": 0, "field": "network", "message": _("Say which network the wvp channels belong to.")}]
            )
        rows = rows_from_wvp(data, network=network, media_server=media_server)
    else:
        raise ImportFailed(
            [{"row": 0, "field": "file", "message": _("Import a .csv, .xlsx or wvp channel list .json file.")}]
        )
    if len(rows) > MAX_ROWS:
        raise ImportFailed([{"row": 0, "field": "file", "message": _("At most %(n)d rows at once.") % {"n": MAX_ROWS}}])
    if not rows:
        raise ImportFailed([{"row": 0, "field": "file", "message": _("The file has no rows.")}])
    return rows


def check_may_import(actor: User) -> None:
    """PermissionDenied unless the actor manages cameras (center staff, administrators)."""
    if scope_for(actor).video not in (EVERYTHING, SUBTREE):
        raise PermissionDenied(_("Only a center's staff or an administrator import cameras."))


def cameras_import(*, actor: User, rows: list[tuple[int, dict]], dry_run: bool = False) -> ImportResult:
    """Checks every row, then (unless `dry_run`) writes them all in one transaction. Raises
    ImportFailed with every row's errors (nothing written), PermissionDenied (403)."""
    check_may_import(actor)
    scope = scope_for(actor)
    places = Places.load()
    allowed_centers = None if scope.everything else set(scope.centers().values_list("pk", flat=True))
    errors: list[dict] = []
    cleaned: list[tuple[int, dict, bool | None]] = []
    seen: dict[str, int] = {}
    streams: dict[tuple, int] = {}
    servers = {s.slug: s for s in MediaServer.objects.all()}
    for n, row in rows:
        data = {k: v for k, v in row.items() if k in COLUMNS}
        if str(data.get("network", "")) in NETWORKS:
            data["network"] = NETWORKS[str(data["network"])]
        if data.get("media_server") in servers:
            data["media_server"] = servers[data["media_server"]]
        elif not data.get("media_server"):
            data["media_server"] = None
        try:
            fields = camera_clean(data, places=places)
        except ValidationError as exc:
            errors.extend({"row": n, "field": f, "message": m} for f, ms in exc.message_dict.items() for m in ms)
            continue
        if fields["code"] in seen:
            errors.append(
                {"row": n, "field": "code", "message": _("The same code as row %(n)d.") % {"n": seen[fields["code"]]}}
            )
            continue
        seen[fields["code"]] = n
        if fields["stream"]:
            key = (fields["media_server"].pk, fields["stream"])
            if key in streams:
                errors.append(
                    {"row": n, "field": "stream", "message": _("The same stream as row %(n)d.") % {"n": streams[key]}}
                )
                continue
            streams[key] = n
        if allowed_centers is not None and fields["center"].pk not in allowed_centers:
            errors.append({"row": n, "field": "lat", "message": _("The camera lies outside your area.")})
            continue
        cleaned.append((n, fields, row.get("_online")))
    existing = {c.code: c for c in Camera.objects.filter(code__in=list(seen))}
    for n, fields, _online in cleaned:
        camera = existing.get(fields["code"])
        if camera is not None and allowed_centers is not None and camera.center_id not in allowed_centers:
            errors.append({"row": n, "field": "code", "message": _("This code is registered outside your area.")})
    taken = {
        (s, st): code
        for s, st, code in Camera.objects.filter(stream__in=[k[1] for k in streams]).values_list(
            "media_server_id", "stream", "code"
        )
    }
    for n, fields, _online in cleaned:
        if fields["stream"]:
            other = taken.get((fields["media_server"].pk, fields["stream"]))
            if other is not None and other != fields["code"]:
                errors.append(
                    {
                        "row": n,
                        "field": "stream",
                        "message": _("Another camera already uses this stream on this server."),
                    }
                )
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: e["row"]))
    result = ImportResult(dry_run=dry_run)
    result.created = sum(1 for _n, f, _o in cleaned if f["code"] not in existing)
    result.updated = len(cleaned) - result.created
    if dry_run:
        return result
    with transaction.atomic():
        new, changed = [], []
        for _n, fields, online in cleaned:
            camera = existing.get(fields["code"])
            status = None if online is None else (CameraStatus.ONLINE if online else CameraStatus.OFFLINE)
            if camera is None:
                new.append(Camera(**fields, status=status or CameraStatus.UNKNOWN))
            else:
                for name, value in fields.items():
                    setattr(camera, name, value)
                changed.append((camera, status))
        Camera.objects.bulk_create(new, batch_size=1000)
        if changed:
            Camera.objects.bulk_update(
                [c for c, _s in changed], [f for f in cleaned[0][1] if f != "code"], batch_size=1000
            )
        # wvp's online flag: the status and its history, as a poll would.
        from django.utils import timezone

        now = timezone.now()
        history = [
            CameraStatusChange(camera=c, from_status=c.status, to_status=s, source=StatusSource.IMPORT, at=now)
            for c, s in changed
            if s and s != c.status
        ]
        for camera, status in changed:
            if status and status != camera.status:
                Camera.objects.filter(pk=camera.pk).update(status=status, status_changed_at=now)
        CameraStatusChange.objects.bulk_create(history)
    return result

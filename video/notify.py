"""Who hears of a camera going offline: the duty officers and leaders of its center, one message per
center and poll (a town losing power takes dozens of cameras at once: one message, not dozens)."""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import gettext as _

from accounts.models import Role, User
from inbox.services import inbox_send

from .choices import CameraStatus

KIND_OFFLINE = "video_camera_offline"


def on_camera_status_changed(sender, changes: list[dict], **kwargs) -> None:
    by_center: dict[int, list[int]] = defaultdict(list)
    for change in changes:
        if change["to"] == CameraStatus.OFFLINE and change["from"] in (CameraStatus.ONLINE, CameraStatus.STALLED):
            by_center[change["center"]].append(change["camera"])
    if not by_center:
        return
    from .models import Camera

    names = dict(
        Camera.objects.filter(pk__in=[pk for ids in by_center.values() for pk in ids]).values_list("pk", "name")
    )
    staff: dict[int, list[int]] = defaultdict(list)
    for user_id, center_id in User.objects.filter(
        center_id__in=list(by_center), role__in=[Role.DUTY_OFFICER, Role.DUTY_LEADER], is_active=True
    ).values_list("pk", "center_id"):
        staff[center_id].append(user_id)
    for center_id, ids in by_center.items():
        if not staff.get(center_id):
            continue
        shown = "、".join(names.get(pk, str(pk)) for pk in ids[:5])
        more = len(ids) - 5
        message = _("%(n)d camera(s) went offline: %(names)s") % {"n": len(ids), "names": shown}
        if more > 0:
            message += _(" and %(more)d more") % {"more": more}
        inbox_send(users=staff[center_id], kind=KIND_OFFLINE, message=message)

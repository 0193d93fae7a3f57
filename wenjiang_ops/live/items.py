"""An event as the dashboards show it: the same dict in the HTTP snapshot and in the pushes.

Items carry codes (state, light, action), never labels: one push is serialised once for every
viewer, whatever their language; the page holds the labels (the snapshot sends them).
"""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from events.choices import State
from events.models import Event, EventAction
from events.services import reference

EXCERPT_CHARS = 40
OPEN_STATES = frozenset(s.value for s in State) - {State.CLOSED, State.REJECTED, State.MERGED}
_FIELDS = (
    "id",
    "category_id",
    "description",
    "address",
    "urgent",
    "light",
    "state",
    "supervision",
    "level",
    "center_id",
    "origin_center_id",
    "grid_id",
    "created_at",
    "updated_at",
    "escalations",
)


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The first words of a description, on one line."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def event_items(ids, *, last_actions: bool = True) -> dict[int, dict]:
    """The dashboard items of the events `ids` (two queries, whatever their number)."""
    ids = list(ids)
    if not ids:
        return {}
    rows = (
        Event.objects.filter(pk__in=ids)
        .annotate(center_name=F("center__name"), grid_name=F("grid__name"))
        .values(*_FIELDS, "center_name", "grid_name", "location")
    )
    actions: dict[int, str] = {}
    if last_actions:
        for event_id, action in (
            EventAction.objects.filter(event_id__in=ids)
            .order_by("event_id", "-id")
            .distinct("event_id")
            .values_list("event_id", "action")
        ):
            actions[event_id] = action
    categories = reference().categories
    items = {}
    for row in rows:
        category = categories.get(row["category_id"])
        point = row["location"]
        items[row["id"]] = {
            "id": row["id"],
            "number": f"{timezone.localtime(row['created_at']):%Y%m%d}-{row['id']:06d}",
            "category": category.name if category else "",
            "category_id": row["category_id"],
            "excerpt": excerpt(row["description"]),
            "address": row["address"],
            "place": row["grid_name"] or row["center_name"],
            "center_id": row["center_id"],
            "center": row["center_name"],
            "origin_center_id": row["origin_center_id"],
            "level": row["level"],
            "urgent": row["urgent"],
            "light": row["light"],
            "state": row["state"],
            "open": row["state"] in OPEN_STATES,
            "supervision": row["supervision"],
            "escalations": row["escalations"],
            "action": actions.get(row["id"], ""),
            "lat": round(point.y, 6) if point else None,
            "lng": round(point.x, 6) if point else None,
            "reported_at": row["created_at"].isoformat(),
            "updated_at": row["updated_at"].isoformat(),
            "url": f"/events/{row['id']}/",
        }
    return items

"""An event as the dashboards show it: the same dict in the HTTP snapshot and in the pushes.

Items carry codes (state, light, action), never labels: one push is serialised once for every
viewer, whatever their language; the page holds the labels (the snapshot sends them).
"""

from __future__ import annotations

import json

from django.db import connection

from events.clocks import reference
from events.domain.states import FINAL_STATES
from events.models import event_number

EXCERPT_CHARS = 40
# One statement for a whole batch: the publisher runs it for every change, and the ORM spent longer
# building its three queries than PostgreSQL spent answering them (≈ 2.7 ms vs 0.5 ms an event).
_SQL = """
SELECT e.id, e.category_id, e.description, e.address, e.urgent, e.urgent_requested, e.light, e.state,
       e.supervision, e.level, e.center_id, e.origin_center_id, e.created_at, e.updated_at, e.escalations,
       c.name, g.name, ST_X(e.location), ST_Y(e.location), {last_action}, {departments}
FROM events_event e
JOIN grids_center c ON c.id = e.center_id
LEFT JOIN grids_grid g ON g.id = e.grid_id
WHERE e.id = ANY(%s)
"""
_LAST_ACTION = "(SELECT a.action FROM events_eventaction a WHERE a.event_id = e.id ORDER BY a.id DESC LIMIT 1)"
_DEPARTMENTS = "ARRAY(SELECT DISTINCT s.department_id FROM events_eventassignment s WHERE s.event_id = e.id)"


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The first words of a description, on one line."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def event_items(ids, *, last_actions: bool = True, departments: dict | None = None) -> dict[int, dict]:
    """The dashboard items of the events `ids`, in one query whatever their number. With
    `departments` (a dict), fills it with each event's departments (every one it was assigned to)."""
    ids = list(ids)
    if not ids:
        return {}
    sql = _SQL.format(
        last_action=_LAST_ACTION if last_actions else "''",
        departments=_DEPARTMENTS if departments is not None else "NULL",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [ids])
        rows = cursor.fetchall()
    categories = reference().categories
    items = {}
    for (
        pk,
        category_id,
        description,
        address,
        urgent,
        urgent_requested,
        light,
        state,
        supervision,
        level,
        center_id,
        origin_center_id,
        created_at,
        updated_at,
        escalations,
        center_name,
        grid_name,
        lng,
        lat,
        action,
        assigned,
    ) in rows:
        category = categories.get(category_id)
        items[pk] = {
            "id": pk,
            "number": event_number(created_at, pk),
            "category": category.name if category else "",
            "category_id": category_id,
            "excerpt": excerpt(description),
            "address": address,
            "place": grid_name or center_name,
            "center_id": center_id,
            "center": center_name,
            "origin_center_id": origin_center_id,
            "level": level,
            "urgent": urgent,
            # A volunteer asked for urgency; the accepting center has not confirmed it: marked, no alarm.
            "urgent_requested": urgent_requested,
            "light": light,
            "state": state,
            "open": state not in FINAL_STATES,  # suspended events stay on the map
            "supervision": supervision,
            "escalations": escalations,
            "action": action or "",
            "lat": round(lat, 6) if lat is not None else None,
            "lng": round(lng, 6) if lng is not None else None,
            "reported_at": created_at.isoformat(),
            "updated_at": updated_at.isoformat(),
            "url": f"/events/{pk}/",
        }
        if departments is not None:
            departments[pk] = set(assigned or ())
    return items


_DISPUTE_SQL = """
SELECT d.id, d.number, d.title, t.name, d.state, d.risk, d.light, d.signals, d.alarmed_at, d.people,
       d.level, d.center_id, d.origin_center_id, c.name, d.created_at, d.updated_at,
       ST_X(d.location), ST_Y(d.location)
FROM disputes_dispute d
JOIN grids_center c ON c.id = d.center_id
JOIN disputes_disputetype t ON t.id = d.type_id
WHERE d.id = ANY(%s)
"""


def dispute_items(ids) -> dict[int, dict]:
    """The dashboard items of the disputes `ids`, in one query: the case's number, title and type,
    its state, risk and alarm — never a party's name or contact (the big screen is seen by many)."""
    from disputes.domain.states import OPEN_STATES

    ids = list(ids)
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_DISPUTE_SQL, [ids])
        rows = cursor.fetchall()
    items = {}
    for (
        pk,
        number,
        title,
        type_name,
        state,
        risk,
        light,
        signals,
        alarmed_at,
        people,
        level,
        center_id,
        origin_center_id,
        center_name,
        created_at,
        updated_at,
        lng,
        lat,
    ) in rows:
        items[pk] = {
            "id": pk,
            "number": number,
            "title": excerpt(title),
            "type": type_name,
            "state": state,
            "open": state in OPEN_STATES,
            "risk": risk,
            "light": light,
            "signals": json.loads(signals) if isinstance(signals, str) else list(signals or ()),
            "alarmed": alarmed_at is not None,
            "people": people,
            "level": level,
            "center_id": center_id,
            "center": center_name,
            "origin_center_id": origin_center_id,
            "lat": round(lat, 6) if lat is not None else None,
            "lng": round(lng, 6) if lng is not None else None,
            "reported_at": created_at.isoformat(),
            "updated_at": updated_at.isoformat(),
            "url": f"/disputes/{pk}/",
        }
    return items

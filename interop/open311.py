"""The Open311 GeoReport v2 façade (http://wiki.open311.org/GeoReport_v2/): services are the event
categories, service requests are events, posted through the same intake service as every report
(events.services.event_report) by the client application's service account.

Published: the events of public categories (EventCategory.public, or its parent's), and to the
client that posted it, its own request. Never the reporter, never the platform's photos; status is
"open" or "closed" as the workflow stands."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from xml.etree import ElementTree as ET

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import Role, User
from events import services as event_services
from events.choices import AssignmentRole, Source, State
from events.domain.states import FINAL_STATES
from events.models import Event, EventAssignment, EventCategory, event_number
from events.selectors import event_duplicates
from grids.models import Center

from .models import Open311Client, Open311Request

SPEC = "http://wiki.open311.org/GeoReport_v2"
MAX_REQUESTS = 1000
MAX_SPAN = timedelta(days=90)
CLOSED_STATES = {str(s) for s in FINAL_STATES}


class Open311Error(Exception):
    """An error as the spec answers it: the HTTP status is the code."""

    def __init__(self, code: int, description: str):
        self.code, self.description = code, description
        super().__init__(description)


# --- client applications ------------------------------------------------------------------------------


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def client_create(*, name: str) -> tuple[Open311Client, str]:
    """A new client application with its service account (center staff of the district's center;
    inactive, without a password: it never signs in, and no one urges it) and API key. Returns
    (client, key): the key is shown this once, only its hash kept."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": _("Give the application a name (at most 100 characters).")})
    if Open311Client.objects.filter(name=name).exists():
        raise ValidationError({"name": _("An application of that name exists already.")})
    root = Center.objects.filter(parent__isnull=True).order_by("pk").first()
    account = User(
        username=f"open311-{slugify(name)[:30] or 'app'}-{secrets.token_hex(3)}",
        first_name=name[:150],
        role=Role.CENTER_STAFF,
        center=root,
        is_active=False,
    )
    account.set_unusable_password()
    account.save()
    key = "o311_" + secrets.token_urlsafe(24)
    client = Open311Client.objects.create(name=name, key_hash=_hash(key), key_prefix=key[:8], account=account)
    return client, key


def client_for_key(key: str | None) -> Open311Client:
    """The active client whose API key this is, else Open311Error 403."""
    client = None
    if key:
        client = (
            Open311Client.objects.select_related("account__center").filter(key_hash=_hash(key), active=True).first()
        )
    if client is None:
        raise Open311Error(403, _("Invalid api_key received: it is required to post a service request."))
    return client


# --- services --------------------------------------------------------------------------------------------

ATTRIBUTES = [
    {
        "variable": True,
        "code": "urgent",
        "datatype": "singlevaluelist",
        "required": False,
        "datatype_description": "",
        "order": 1,
        "description": "Is anyone or anything in danger right now?",
        "values": [{"key": "true", "name": "Yes"}, {"key": "false", "name": "No"}],
    },
    {
        "variable": True,
        "code": "landmark",
        "datatype": "string",
        "required": False,
        "datatype_description": "A landmark that helps to find the place (at most 100 characters).",
        "order": 2,
        "description": "Landmark",
    },
]


def _translated(attribute: dict) -> dict:
    texts = {
        "Is anyone or anything in danger right now?": _("Is anyone or anything in danger right now?"),
        "Yes": _("Yes"),
        "No": _("No"),
        "Landmark": _("Landmark"),
        "A landmark that helps to find the place (at most 100 characters).": _(
            "A landmark that helps to find the place (at most 100 characters)."
        ),
    }
    out = {k: (texts.get(v, v) if isinstance(v, str) else v) for k, v in attribute.items() if k != "values"}
    if "values" in attribute:
        out["values"] = [{"key": v["key"], "name": texts.get(v["name"], v["name"])} for v in attribute["values"]]
    return out


def services_list() -> list[dict]:
    """Every active category one may report (GET services): leaves, and a parent without children."""
    categories = list(EventCategory.objects.filter(active=True).select_related("parent").order_by("order", "code"))
    parents = {c.parent_id for c in categories if c.parent_id}
    rows = []
    for c in categories:
        if c.pk in parents:
            continue  # a group, not a service: its children are
        rows.append(
            {
                "service_code": c.code,
                "service_name": c.name,
                "description": str(c),
                "metadata": True,
                "type": "realtime",
                "keywords": "",
                "group": c.parent.name if c.parent_id else c.name,
            }
        )
    return rows


def service_definition(code: str) -> dict:
    if not EventCategory.objects.filter(code=code, active=True).exists():
        raise Open311Error(404, _("No service with the code %(code)s.") % {"code": code})
    return {"service_code": code, "attributes": [_translated(a) for a in ATTRIBUTES]}


# --- requests ---------------------------------------------------------------------------------------------


def _public_q() -> Q:
    return Q(category__public=True) | Q(category__parent__public=True)


def _requests(queryset: QuerySet) -> QuerySet:
    lead = EventAssignment.objects.filter(event=OuterRef("pk"), role=AssignmentRole.LEAD).order_by("-active", "-id")
    return (
        queryset.select_related("category", "open311", "merged_into")
        .only(
            "pk",
            "created_at",
            "updated_at",
            "deadline",
            "state",
            "description",
            "address",
            "location",
            "category__code",
            "category__name",
            "open311__media_url",
            "merged_into__created_at",
        )
        .annotate(agency=Subquery(lead.values("department__name")[:1]))
    )


def _status_notes(event: Event) -> str:
    if event.state == State.CLOSED:
        return _("Handled and verified.")
    if event.state == State.REJECTED:
        return _("Not taken in: outside the platform's remit.")
    if event.state == State.MERGED and event.merged_into_id:
        number = event_number(event.merged_into.created_at, event.merged_into_id)
        return _("Merged into request %(number)s.") % {"number": number}
    return ""


def request_row(event: Event) -> dict:
    """One service request as the spec lists it: public fields only."""
    request = getattr(event, "open311", None)
    return {
        "service_request_id": event.number,
        "status": "closed" if event.state in CLOSED_STATES else "open",
        "status_notes": _status_notes(event),
        "service_name": event.category.name,
        "service_code": event.category.code,
        "description": event.description,
        "agency_responsible": event.agency or "",
        "service_notice": "",
        "requested_datetime": _w3c(event.created_at),
        "updated_datetime": _w3c(event.updated_at),
        "expected_datetime": _w3c(event.deadline),
        "address": event.address,
        "address_id": "",
        "zipcode": "",
        "lat": round(event.location.y, 6),
        "long": round(event.location.x, 6),
        "media_url": request.media_url if request is not None else "",
    }


def _w3c(moment: datetime | None) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""


def _ids(value: str) -> list[int]:
    """Event ids from service_request_id values (our numbers, 20261201-000123; or bare ids)."""
    ids = []
    for part in value.split(","):
        tail = part.strip().rsplit("-", 1)[-1]
        if tail.isdigit():
            ids.append(int(tail))
    return ids


def _date(params, name: str) -> datetime | None:
    value = params.get(name)
    if not value:
        return None
    moment = parse_datetime(value.replace(" ", "+"))  # a "+" left unescaped in a query string reads as a space
    if moment is None or timezone.is_naive(moment):
        raise Open311Error(
            400, _("%(name)s must be a W3C date and time with its zone, e.g. 2026-01-01T00:00:00Z.") % {"name": name}
        )
    return moment


def requests_list(params, *, client: Open311Client | None = None) -> list[dict]:
    """GET requests: the standard filters (service_request_id overrides the others; service_code and
    status take comma lists; start_date/end_date span at most 90 days, by default the last 90 days),
    newest first, at most 1000. One query."""
    visible = _public_q()
    if client is not None:
        visible |= Q(open311__client=client)
    events = Event.objects.filter(visible)
    if params.get("service_request_id"):
        events = events.filter(pk__in=_ids(params["service_request_id"]))
    else:
        start, end = _date(params, "start_date"), _date(params, "end_date")
        if start and end and start > end:
            raise Open311Error(400, _("start_date must come before end_date."))
        if start and end and end - start > MAX_SPAN:
            raise Open311Error(400, _("start_date and end_date may not span more than 90 days."))
        if end is None:
            end = start + MAX_SPAN if start else timezone.now()
        if start is None:
            start = end - MAX_SPAN
        events = events.filter(created_at__gte=start, created_at__lte=end)
        if params.get("service_code"):
            events = events.filter(category__code__in=[c.strip() for c in params["service_code"].split(",")])
        if params.get("status"):
            wanted = {s.strip() for s in params["status"].split(",") if s.strip()}
            if not wanted <= {"open", "closed"}:
                raise Open311Error(400, _("status must be open, closed, or both (comma-delimited)."))
            if wanted == {"open"}:
                events = events.exclude(state__in=CLOSED_STATES)
            elif wanted == {"closed"}:
                events = events.filter(state__in=CLOSED_STATES)
    rows = _requests(events).order_by("-created_at", "-pk")[:MAX_REQUESTS]
    return [request_row(e) for e in rows]


def request_get(request_id: str, *, client: Open311Client | None = None) -> list[dict]:
    rows = requests_list({"service_request_id": request_id}, client=client)
    ids = _ids(request_id)
    given = request_id.strip()
    if len(ids) != 1 or not rows or ("-" in given and rows[0]["service_request_id"] != given):
        raise Open311Error(404, _("No service request %(id)s.") % {"id": request_id})
    return rows


def token_get(token: str) -> list[dict]:
    try:
        value = uuid.UUID(str(token))
    except ValueError:
        value = None
    request = Open311Request.objects.filter(token=value).select_related("event").first() if value else None
    if request is None:
        raise Open311Error(404, _("No service request for the token %(token)s.") % {"token": token})
    return [{"service_request_id": request.event.number, "token": str(request.token)}]


def _float(value, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise Open311Error(400, _("%(name)s must be a decimal number.") % {"name": name}) from None


def request_create(params, *, client: Open311Client, now: datetime | None = None) -> list[dict]:
    """POST requests: a service request becomes an event through events.services.event_report, by the
    client's account, as a citizen's report. The answer names the likely duplicates in service_notice."""
    code = params.get("service_code")
    if not code:
        raise Open311Error(400, _("service_code is required."))
    category = EventCategory.objects.filter(code=code, active=True).first()
    if category is None:
        raise Open311Error(404, _("No service with the code %(code)s.") % {"code": code})
    if params.get("lat") in (None, "") or params.get("long") in (None, ""):
        raise Open311Error(400, _("lat and long are required: this jurisdiction places every request on the map."))
    lat, lng = _float(params.get("lat"), "lat"), _float(params.get("long"), "long")
    urgent = params.get("attribute[urgent]")
    if urgent not in (None, "", "true", "false"):
        raise Open311Error(400, _("attribute[urgent] must be true or false."))
    landmark = (params.get("attribute[landmark]") or "").strip()[:100]
    address = " ".join(p for p in ((params.get("address_string") or "").strip(), landmark) if p)[:200]
    description = (params.get("description") or "").strip() or f"{category.name} {address}".strip()
    media_url = (params.get("media_url") or "").strip()
    if len(media_url) > 500 or (media_url and not media_url.startswith(("http://", "https://"))):
        raise Open311Error(400, _("media_url must be an http(s) URL of at most 500 characters."))
    contact = {
        k: str(params.get(k))[:200]
        for k in ("email", "first_name", "last_name", "phone", "device_id", "account_id")
        if params.get(k)
    }
    try:
        with transaction.atomic():
            event, _created = event_services.event_report(
                reporter=client.account,
                category_id=category.pk,
                description=description,
                lat=lat,
                lng=lng,
                client_id=uuid.uuid4(),
                address=address,
                urgent={"true": True, "false": False}.get(urgent or ""),
                source=Source.CITIZEN,
                now=now,
            )
            request = Open311Request.objects.create(
                client=client,
                event=event,
                contact=contact,
                attributes={k: v for k, v in (("urgent", urgent), ("landmark", landmark)) if v},
                media_url=media_url,
            )
    except ValidationError as exc:
        messages = [m for ms in exc.message_dict.values() for m in ms] if hasattr(exc, "error_dict") else exc.messages
        raise Open311Error(400, " ".join(messages)) from None
    duplicates = event_duplicates(event)
    notice = ""
    if duplicates:
        notice = _(
            "A similar problem nearby was reported already (%(numbers)s): "
            "the center will check whether yours is the same."
        ) % {"numbers": ", ".join(d.number for d in duplicates)}
    return [
        {
            "service_request_id": event.number,
            "token": str(request.token),
            "service_notice": notice,
            "account_id": "",
        }
    ]


def discovery(base_url: str) -> dict:
    return {
        "changeset": "2026-12-01T00:00:00+08:00",
        "contact": settings.OPEN311_CONTACT,
        "key_service": settings.OPEN311_KEY_SERVICE,
        "endpoints": [
            {
                "specification": SPEC,
                "url": base_url,
                "changeset": "2026-12-01T00:00:00+08:00",
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


# --- XML, as the spec's examples write it -------------------------------------------------------------------

# The element of each list item under its parent.
ITEM = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _element(parent: ET.Element, name: str, value) -> None:
    node = ET.SubElement(parent, name)
    _fill(node, name, value)


def _fill(node: ET.Element, name: str, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _element(node, key, item)
    elif isinstance(value, list):
        for item in value:
            _element(node, ITEM.get(name, "item"), item)
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    elif value is not None:
        node.text = str(value)


def to_xml(root: str, value) -> bytes:
    element = ET.Element(root)
    _fill(element, root, value)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(element, encoding="utf-8", xml_declaration=False)

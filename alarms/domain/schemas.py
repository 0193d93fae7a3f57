"""What an alarm's JSON body must hold, by source kind: plain Python, no Django.

Every body has the envelope (alarm_id, device, type, occurred_at, optional message) and a `data`
object whose fields depend on the source's kind. `validate` returns the clean values and one error
list per field (`data.similarity`), so a source's developers see every problem at once."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

CODE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
MAX_FUTURE = timedelta(minutes=5)
MAX_AGE = timedelta(days=7)


@dataclass(frozen=True)
class Field:
    kind: str  # "str" | "number" | "choice"
    required: bool = True
    max_length: int = 100
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = field(default=())


# The `data` fields of each kind (alarms.choices.Kind values). Extra fields are kept as sent.
DATA_FIELDS: dict[str, dict[str, Field]] = {
    "face_gate": {
        "similarity": Field("number", minimum=0, maximum=1),
        "person_tag": Field("str", required=False, max_length=40),
        "gate": Field("str", required=False),
    },
    "fence": {
        "zone": Field("str"),
        "direction": Field("choice", required=False, choices=("in", "out")),
    },
    "vehicle": {
        "vehicle_kind": Field("choice", choices=("e_bike", "motorbike", "tricycle")),
        "tag_id": Field("str", max_length=40),
    },
    "sand": {
        "site": Field("str"),
        "volume_m3": Field("number", required=False, minimum=0, maximum=100000),
        "permit": Field("str", required=False, max_length=40),
    },
    "dust": {
        "pm10": Field("number", minimum=0, maximum=10000),
        "pm25": Field("number", required=False, minimum=0, maximum=10000),
        "limit": Field("number", minimum=1, maximum=10000),
    },
    "waste_truck": {
        "plate": Field("str", max_length=12),
        "route_deviation_m": Field("number", required=False, minimum=0, maximum=100000),
        "cargo": Field("str", required=False, max_length=40),
    },
    "other": {},
}
ENVELOPE = ("alarm_id", "device", "type", "occurred_at", "message", "data")


@dataclass(frozen=True)
class Clean:
    alarm_id: str
    device: str
    type: str
    occurred_at: datetime
    message: str
    data: dict


def _check(name: str, spec: Field, value, errors: dict[str, list[str]]) -> None:
    if spec.kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            errors[name] = ["must be a number"]
        elif spec.minimum is not None and value < spec.minimum:
            errors[name] = [f"must be at least {spec.minimum:g}"]
        elif spec.maximum is not None and value > spec.maximum:
            errors[name] = [f"must be at most {spec.maximum:g}"]
    elif spec.kind == "choice":
        if value not in spec.choices:
            errors[name] = ["must be one of: " + ", ".join(spec.choices)]
    elif not isinstance(value, str) or not value.strip():
        errors[name] = ["must be a non-empty string"]
    elif len(value) > spec.max_length:
        errors[name] = [f"must be at most {spec.max_length} characters"]


def parse_time(value) -> datetime | None:
    """An ISO 8601 time with its offset (a time without one is refused: whose clock would it be?)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def validate(body, *, kind: str, types: set[str], now: datetime) -> tuple[Clean | None, dict[str, list[str]]]:
    """Checks a decoded body against the kind's schema and the source's alarm types. Returns the clean
    values, or None and the errors by field (English; the view sends them as they are: a developer reads them)."""
    if not isinstance(body, dict):
        return None, {"detail": ["the body must be a JSON object"]}
    errors: dict[str, list[str]] = {}
    for name in sorted(set(body) - set(ENVELOPE)):
        errors[name] = ["unknown field"]
    for name in ("alarm_id", "device"):
        value = body.get(name)
        if value is None:
            errors[name] = ["this field is required"]
        elif not isinstance(value, str) or not CODE.match(value):
            errors[name] = ["1 to 64 letters, digits or _ . : -"]
    alarm_type = body.get("type")
    if alarm_type is None:
        errors["type"] = ["this field is required"]
    elif alarm_type not in types:
        errors["type"] = ["unknown alarm type for this source; known: " + ", ".join(sorted(types))]
    occurred_at = parse_time(body.get("occurred_at"))
    if "occurred_at" not in body:
        errors["occurred_at"] = ["this field is required"]
    elif occurred_at is None:
        errors["occurred_at"] = ["an ISO 8601 time with its offset, e.g. 2026-05-01T08:30:00+08:00"]
    elif occurred_at > now + MAX_FUTURE:
        errors["occurred_at"] = ["is in the future"]
    elif occurred_at < now - MAX_AGE:
        errors["occurred_at"] = ["is more than 7 days old"]
    message = body.get("message", "")
    if not isinstance(message, str) or len(message) > 500:
        errors["message"] = ["a string of at most 500 characters"]
    data = body.get("data", {})
    specs = DATA_FIELDS.get(kind, {})
    if not isinstance(data, dict):
        errors["data"] = ["must be an object"]
    else:
        for name, spec in specs.items():
            if name not in data or data[name] is None:
                if spec.required:
                    errors[f"data.{name}"] = ["this field is required"]
                continue
            _check(f"data.{name}", spec, data[name], errors)
    if errors:
        return None, errors
    return Clean(body["alarm_id"], body["device"], alarm_type, occurred_at, message.strip(), data), {}

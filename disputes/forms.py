"""Forms of the dispute pages: they parse what a page posts into the keyword arguments of
`disputes.services` and offer choices. The services decide; nothing here is a rule of its own."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import Center

from .choices import Intake, Risk, State
from .models import DisputeType

ANY = [("", _("Any"))]
PARTY_FIELDS = ("role", "kind", "name", "sex", "birth_year", "phone", "address", "id_number", "represents")
MAX_ROWS = 50
_PARTY_KEY = re.compile(r"^party-(\d{1,2})-([a-z_]+)$")
_OBLIGATION_KEY = re.compile(r"^obligation-(\d{1,2})-([a-z_]+)$")


def types_in_tree_order():
    """Dispute types, each parent followed by its subtypes (one query)."""
    return (
        DisputeType.objects.filter(active=True)
        .select_related("parent")
        .annotate(_group_order=Coalesce("parent__order", "order"), _group_code=Coalesce("parent__code", "code"))
        .order_by("_group_order", "_group_code", F("parent_id").asc(nulls_first=True), "order", "code")
    )


def type_groups() -> list[dict]:
    """[{parent, children}] for a select with one optgroup per type."""
    groups, by_parent = [], {}
    for t in types_in_tree_order():
        if t.parent_id is None:
            by_parent[t.pk] = {"parent": t, "children": []}
            groups.append(by_parent[t.pk])
        elif t.parent_id in by_parent:
            by_parent[t.parent_id]["children"].append(t)
    return groups


class QueueFilter(forms.Form):
    """The queue's filters (all optional; bad values are dropped by the form, never a 500)."""

    state = forms.MultipleChoiceField(
        label=_("State"), required=False, choices=State.choices, widget=forms.CheckboxSelectMultiple
    )
    type = forms.ModelChoiceField(label=_("Type"), required=False, queryset=DisputeType.objects.none())
    risk = forms.ChoiceField(
        label=_("Risk"), required=False, choices=[*ANY, ("assessed", _("Assessed")), *Risk.choices[1:]]
    )
    intake = forms.ChoiceField(label=_("Came in by"), required=False, choices=[*ANY, *Intake.choices])
    overdue = forms.ChoiceField(label=_("Past the deadline"), required=False, choices=[*ANY, ("yes", _("Yes"))])
    alarm = forms.ChoiceField(label=_("Alarm"), required=False, choices=[*ANY, ("yes", _("Yes"))])
    search = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Number, title or address")}),
    )
    show = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].queryset = types_in_tree_order()
        self.fields["type"].label_from_instance = lambda t: f"{t.parent.name} · {t.name}" if t.parent_id else t.name
        self.fields["type"].empty_label = _("Any")


FILTER_KEYS = frozenset(QueueFilter.base_fields) - {"show"}


def _rows(data, pattern: re.Pattern) -> list[dict]:
    """Numbered rows posted as prefix-N-field, in the order of N (gaps from removed rows skipped)."""
    rows: dict[int, dict] = {}
    for key in data:
        match = pattern.match(key)
        if match and int(match.group(1)) < MAX_ROWS * 2:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = data.get(key, "")
    return [rows[i] for i in sorted(rows)]


def party_rows(data) -> list[dict]:
    """The parties' rows of the intake form, as posted (the page redraws them on an error)."""
    rows = []
    for raw in _rows(data, _PARTY_KEY):
        row = {f: (raw.get(f) or "").strip() for f in PARTY_FIELDS}
        if any(row[f] for f in ("name", "phone", "id_number", "address")):
            rows.append(row)
    return rows


def parties_for_service(rows: list[dict]) -> list[dict]:
    """The rows as `services.parties_clean` takes them (an agent names its party by its number, 1-based)."""
    parties = []
    for row in rows:
        party = {k: v for k, v in row.items() if k != "represents" and v != ""}
        party.setdefault("role", "")
        if row.get("represents"):
            try:
                party["represents"] = int(row["represents"]) - 1
            except ValueError:
                party["represents"] = -1
        parties.append(party)
    return parties


def intake_kwargs(data) -> dict:
    """Keyword arguments of `services.dispute_report` from the intake form (without reporter)."""
    return {
        "type_id": data.get("type"),
        "title": data.get("title", ""),
        "facts": data.get("facts", ""),
        "claims": data.get("claims", ""),
        "intake": data.get("intake", ""),
        "intake_reference": data.get("intake_reference", ""),
        "amount": data.get("amount", "").strip() or None,
        "people": data.get("people") or 2,
        "signals": data.getlist("signals"),
        "lat": data.get("lat") or None,
        "lng": data.get("lng") or None,
        "address": data.get("address", ""),
        "center_id": data.get("center") or None,
        "event_id": data.get("event") or None,
        "client_id": data.get("client_id"),
        "parties": parties_for_service(party_rows(data)),
    }


def obligation_rows(data) -> list[dict]:
    rows = []
    for raw in _rows(data, _OBLIGATION_KEY):
        row = {
            "description": (raw.get("description") or "").strip(),
            "party": raw.get("party") or None,
            "due_date": raw.get("due_date") or None,
        }
        if row["description"] or row["due_date"]:
            rows.append(row)
    return rows


def _checked(data, name: str) -> bool:
    return data.get(name) in ("1", "on", "true", "yes")


def _event_id(value: str):
    """People quote an event's number (20261127-000123); its id is the last part."""
    value = (value or "").strip().lstrip("#")
    tail = value.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else value


def transition_params(action: str, data) -> dict:
    """Keyword arguments of `services.dispute_transition` for `action` (besides the case and actor):
    only the fields the action takes (services.ACTION_PARAMS), so the service sees what it expects."""
    params: dict = {"reason": data.get("reason", "")}
    if action in ("accept", "assign"):
        params["mediators"] = data.getlist("mediators")
        if data.get("lead"):
            params["lead"] = data.get("lead")
        if action == "accept":
            params["consent"] = _checked(data, "consent")
    elif action == "refer":
        params.update(channel=data.get("channel"), referred_to=data.get("referred_to", ""))
    elif action == "refuse":
        params.update(party=data.get("party"), channel=data.get("channel"))
    elif action == "extend":
        params.update(days=data.get("days"), consent=_checked(data, "consent"))
    elif action == "terminate":
        params["channel"] = data.get("channel")
    elif action == "agree":
        params.update(
            form=data.get("form"),
            terms=data.get("terms", ""),
            responsibility=data.get("responsibility", ""),
            performance_method=data.get("performance_method", ""),
            performance_place=data.get("performance_place", ""),
            performance_due=data.get("performance_due") or None,
            obligations=obligation_rows(data),
            follow_up_due=data.get("follow_up_due") or None,
        )
    elif action == "risk":
        params.update(
            risk=data.get("risk", ""),
            signals=data.getlist("signals"),
            risk_plan=data.get("risk_plan", ""),
            joint_meeting_at=data.get("joint_meeting_at", ""),
        )
    elif action == "link":
        params["event"] = _event_id(data.get("event", ""))
    return params


def session_params(data) -> dict:
    return {
        "session_id": data.get("session") or None,
        "held": data.get("held", "1") == "1",
        "starts_at": data.get("starts_at") or None,
        "ends_at": data.get("ends_at") or None,
        "place": data.get("place", ""),
        "mediators": data.getlist("mediators"),
        "attendees": data.get("attendees", ""),
        "notes": data.get("notes", ""),
    }


def investigation_params(data) -> dict:
    return {
        "interviewed": data.get("interviewed", ""),
        "at": data.get("at") or None,
        "place": data.get("place", ""),
        "content": data.get("content", ""),
    }


def follow_up_params(data) -> dict:
    return {
        "follow_up_id": data.get("follow_up") or None,
        "visited_at": data.get("visited_at") or None,
        "method": data.get("method", ""),
        "performance": data.get("performance", ""),
        "satisfaction": data.get("satisfaction", ""),
        "new_risks": data.get("new_risks", ""),
        "notes": data.get("notes", ""),
        "next_due": data.get("next_due") or None,
    }


def confirmation_params(data) -> dict:
    return {
        "applied_on": data.get("applied_on") or None,
        "court": data.get("court", ""),
        "case_number": data.get("case_number", ""),
        "accepted_on": data.get("accepted_on") or None,
        "ruling": data.get("ruling", ""),
        "ruled_on": data.get("ruled_on") or None,
        "extended": _checked(data, "extended"),
    }


# --- statistics, the quarterly form and the ledger: the query's parameters ----------------------------
#
# One parser for the API and the pages, so that both accept and refuse the same input: bad input is
# a ValidationError (400, one message per field), a center outside the user's area an Http404.

# The API's names of the slices -> the selector's (disputes.selectors.SLICES).
STATS_SLICES = {"type": "type", "intake": "intake", "town": "town", "band": "group_band", "risk": "risk"}
STATS_MAX_YEARS = 5
# Dates within this century and the next: arithmetic on them never overflows into a 500.
STATS_YEARS = (2000, 2100)


@dataclass(frozen=True)
class StatsQuery:
    """A statistics request, checked: the center (None: the whole of the user's scope), the days
    (inclusive) and the slices (the selector's names)."""

    center: Center | None
    date_from: date
    date_to: date
    by: tuple[str, ...] = ()


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, month=3, day=1)


def stats_center(params, user, scope) -> Center | None:
    """The `center` asked for, in the user's area; the user's own when none is given (None for a
    user without a center: the whole scope). A center outside the area is not found (404), a value
    that is no id is bad input (400)."""
    value = (params.get("center") or "").strip()
    if not value:
        return user.center if user.center_id else None
    try:
        pk = int(value)
    except ValueError:
        raise ValidationError({"center": [_("Choose a center in your area.")]}) from None
    if not 1 <= pk <= 2**63 - 1:
        raise Http404(_("No such center in your area."))
    center = scope.centers().defer("boundary").filter(pk=pk).first()
    if center is None:
        raise Http404(_("No such center in your area."))
    return center


def stats_query(params, user, scope, *, slices=None, today: date | None = None) -> StatsQuery:
    """Parses `center`, `date_from`, `date_to` (default: this year to today) and `by` (one of
    STATS_SLICES; `slices` gives the default). Raises ValidationError for bad dates, a first day
    after the last, a period over STATS_MAX_YEARS years or an unknown slice; Http404 for a center
    outside the area."""
    today = today or timezone.localdate()
    errors: dict[str, list] = {}
    dates = {}
    for name, default in (("date_from", today.replace(month=1, day=1)), ("date_to", today)):
        value = (params.get(name) or "").strip()
        try:
            dates[name] = date.fromisoformat(value) if value else default
        except ValueError:
            errors[name] = [_("Use a date like 2026-01-31.")]
            continue
        if not STATS_YEARS[0] <= dates[name].year <= STATS_YEARS[1]:
            first, last = STATS_YEARS
            errors[name] = [_("A date between the years %(first)d and %(last)d.") % {"first": first, "last": last}]
    by: tuple[str, ...] = tuple(slices or ())
    if params.get("by"):
        name = params.get("by")
        if name not in STATS_SLICES:
            errors["by"] = [_("Slice by one of: %(s)s.") % {"s": ", ".join(STATS_SLICES)}]
        else:
            by = (STATS_SLICES[name],)
    if not errors:
        first, last = dates["date_from"], dates["date_to"]
        if first > last:
            errors["date_to"] = [_("The last day comes before the first.")]
        elif last >= _years_after(first, STATS_MAX_YEARS):
            errors["date_to"] = [_("A period of at most %(n)d years.") % {"n": STATS_MAX_YEARS}]
    if errors:
        raise ValidationError(errors)
    center = stats_center(params, user, scope)
    return StatsQuery(center=center, date_from=dates["date_from"], date_to=dates["date_to"], by=by)


def quarter_query(params, *, today: date | None = None) -> tuple[int, int]:
    """The quarterly form's `year` and `quarter` (default: the current quarter); ValidationError
    for anything else."""
    today = today or timezone.localdate()
    errors: dict[str, list] = {}
    values = {}
    for name, default, low, high in (
        ("year", today.year, *STATS_YEARS),
        ("quarter", (today.month - 1) // 3 + 1, 1, 4),
    ):
        value = (params.get(name) or "").strip()
        try:
            values[name] = int(value) if value else default
        except ValueError:
            values[name] = None
        if values[name] is None or not low <= values[name] <= high:
            errors[name] = [_("A whole number from %(low)d to %(high)d.") % {"low": low, "high": high}]
    if errors:
        raise ValidationError(errors)
    return values["year"], values["quarter"]

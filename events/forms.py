"""Forms of the event pages: they parse input and offer choices; `events.services` decides."""

from __future__ import annotations

from itertools import groupby

from django import forms
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.scope import scope_for
from grids.models import Department

from .api.filters import EventFilter
from .choices import Action, State, Supervision
from .models import Event, EventCategory
from .services import MAX_EXTENSION_DAYS, REASON_MAX, REASON_REQUIRED
from .services import dispatch_departments as services_dispatch_departments

A = Action

# --- the queue's filter form ------------------------------------------------------------------------

FILTER_KEYS = frozenset(EventFilter.base_filters)
ANY = [("", _("Any"))]


def categories_in_tree_order():
    """Categories ordered parent first, then its children (one query)."""
    return (
        EventCategory.objects.select_related("parent")
        .annotate(
            _group_order=Coalesce("parent__order", "order"),
            _group_code=Coalesce("parent__code", "code"),
        )
        .order_by("_group_order", "_group_code", F("parent_id").asc(nulls_first=True), "order", "code")
    )


def event_filter(data, *, request, queryset, max_grid_choices: int = 600) -> EventFilter:
    """The API's EventFilter, with widgets fit for a page (dates, check boxes, selects)."""
    filterset = EventFilter(data, queryset=queryset, request=request)
    fields = filterset.form.fields
    for name in ("state", "source", "light"):
        fields[name].widget = forms.CheckboxSelectMultiple(choices=fields[name].choices)
    for name in ("urgent", "urgent_requested", "overdue"):
        fields[name].widget = forms.Select(choices=[*ANY, ("true", _("Yes")), ("false", _("No"))])
    for name in ("created_after", "created_before"):
        fields[name].widget = forms.DateInput(attrs={"type": "date"})
    fields["search"].widget = forms.TextInput(
        attrs={"type": "search", "placeholder": _("Number, words of the description or address")}
    )
    for name in ("center", "holder"):
        fields[name].queryset = fields[name].queryset.defer("boundary").order_by("path")
        fields[name].label_from_instance = lambda c: "\u3000" * max(c.depth - 1, 0) + c.name
        fields[name].empty_label = _("Any")
    fields["category"].queryset = categories_in_tree_order()
    fields["category"].label_from_instance = lambda c: f"{c.parent.name} · {c.name}" if c.parent_id else c.name
    fields["category"].empty_label = _("Any")
    grids = scope_for(request.user).grids().order_by("code").values_list("pk", "name", "code")
    if grids.count() <= max_grid_choices:
        fields["grid"].widget = forms.Select(choices=[*ANY, *((pk, f"{name} {code}") for pk, name, code in grids)])
    fields["mine"].widget = forms.HiddenInput()
    return filterset


# --- the action panel of the event page -------------------------------------------------------------

REASON_LABELS = {
    A.REPLY: _("Written reply"),
    A.HANDLE: _("What was done"),
    A.SELF_HANDLE: _("What was done"),
    A.VERIFY_FAIL: _("What is still wrong"),
    A.VERIFY_PASS: _("Note"),
    A.DISPATCH: _("Instructions"),
    A.URGE: _("Note"),
    A.ATTACH: _("Note"),
}
OPTIONAL_REASON = frozenset({A.HANDLE, A.SELF_HANDLE, A.VERIFY_PASS, A.DISPATCH, A.URGE, A.ATTACH})
CONFIRM = {
    A.REJECT: _("Reject this event? It will be closed as not accepted."),
    A.MERGE: _("Merge this event into the other one? It will be closed."),
    A.RETURN: _("Return this ticket to the center?"),
    A.ESCALATE: _("Escalate this event to the center above?"),
}
DANGER = frozenset({A.REJECT, A.MERGE, A.RETURN, A.ESCALATE, A.VERIFY_FAIL})
PRIMARY = frozenset({A.ACCEPT, A.SIGN, A.HANDLE, A.VERIFY_PASS, A.DISPATCH, A.RESUME})


def dispatch_departments(user: User):
    """The departments the service accepts from this user (`services.dispatch_departments`), in order."""
    return services_dispatch_departments(user).order_by("code")


def grid_workers_for(event: Event):
    """Grid workers of the holding center's area (the service checks the same)."""
    return (
        User.objects.filter(role=Role.GRID_WORKER, is_active=True, center__path__startswith=event.center.path)
        .select_related("center")
        .defer("center__boundary")
        .order_by("center__path", "username")
    )


def action_specs(event: Event, user: User, actions: list[str]) -> list[dict]:
    """What the page needs to draw one small form per available action."""
    needs_departments = A.DISPATCH in actions and event.state != State.HANDLED
    departments = list(dispatch_departments(user)) if needs_departments else []
    workers = list(grid_workers_for(event)) if A.DISPATCH in actions else []
    specs = []
    for value in actions:
        action = Action(value)
        reason = "required" if action in REASON_REQUIRED else ("optional" if action in OPTIONAL_REASON else "")
        spec = {
            "action": action.value,
            "label": action.label,
            "reason": reason,
            "reason_label": REASON_LABELS.get(action, _("Reason")),
            "confirm": CONFIRM.get(action, ""),
            "style": "danger" if action in DANGER else ("primary" if action in PRIMARY else ""),
        }
        if action == A.DISPATCH:
            spec["verify_only"] = event.state == State.HANDLED
            spec["departments"] = departments
            spec["default_department"] = event.category.default_department_id
            spec["worker_groups"] = [
                (center, list(users)) for center, users in groupby(workers, key=lambda u: u.center)
            ]
        if action == A.HANDLE:
            spec["photo"] = True
        if action == A.ATTACH:
            spec["photos"] = True
        # A volunteer asked for urgency: accepting is where the center confirms or declines it.
        spec["urgent_request"] = action == A.ACCEPT and event.urgent_requested
        spec["simple"] = (
            not reason
            and not spec["urgent_request"]
            and action
            not in (
                A.DISPATCH,
                A.HANDLE,
                A.VERIFY_PASS,
                A.SUPERVISE,
                A.REQUEST_EXTENSION,
                A.MERGE,
            )
        )
        specs.append(spec)
    return specs


class ActionForm(forms.Form):
    """One workflow action as posted by the event page."""

    action = forms.ChoiceField(label=_("Action"), choices=[c for c in Action.choices if c[0] not in (A.REPORT, A.WARN)])
    reason = forms.CharField(label=_("Reason"), required=False, max_length=REASON_MAX, strip=True)
    dispatch_to = forms.ChoiceField(
        label=_("Dispatch to"),
        required=False,
        choices=[("department", _("Departments")), ("grid_worker", _("A grid worker"))],
    )
    lead_department = forms.ModelChoiceField(
        label=_("Lead department"), queryset=Department.objects.none(), required=False
    )
    departments = forms.ModelMultipleChoiceField(
        label=_("Assisting departments"), queryset=Department.objects.none(), required=False
    )
    assignee = forms.ModelChoiceField(label=_("Grid worker"), queryset=User.objects.none(), required=False)
    days = forms.IntegerField(label=_("Days"), required=False, min_value=1, max_value=MAX_EXTENSION_DAYS)
    merge_into = forms.CharField(label=_("Number of the event to keep"), required=False, max_length=30)
    card = forms.ChoiceField(
        label=_("Card"),
        required=False,
        choices=[(Supervision.YELLOW_CARD, _("Yellow card")), (Supervision.RED_CARD, _("Red card"))],
    )
    satisfied = forms.ChoiceField(
        label=_("Is the reporter satisfied?"),
        required=False,
        choices=[("", _("Unknown")), ("yes", _("Satisfied")), ("no", _("Not satisfied"))],
    )
    photo = forms.FileField(label=_("Photo after handling"), required=False)
    confirm_urgent = forms.BooleanField(label=_("Confirm it is urgent"), required=False)

    def __init__(self, *args, event: Event, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        departments = dispatch_departments(user)
        self.fields["lead_department"].queryset = departments
        self.fields["departments"].queryset = departments
        self.fields["assignee"].queryset = grid_workers_for(event)

    def clean_merge_into(self):
        # People quote the number (20261127-000123); the id is its last part.
        value = self.cleaned_data["merge_into"].strip().lstrip("#")
        if not value:
            return None
        tail = value.rsplit("-", 1)[-1]
        if not tail.isdigit():
            raise forms.ValidationError(_("Give the number of the event to merge into."))
        return int(tail)

    def transition_params(self) -> dict:
        """Keyword arguments for `events.services.event_transition` (without event, actor, attachments)."""
        data = self.cleaned_data
        action = Action(data["action"])
        params: dict = {"action": action.value, "reason": data.get("reason") or ""}
        if action == A.DISPATCH:
            to_worker = self.event.state == State.HANDLED or data.get("dispatch_to") == "grid_worker"
            if to_worker:
                params["assignee"] = data["assignee"].pk if data.get("assignee") else None
            else:
                lead = data.get("lead_department")
                params["lead_department"] = lead.pk if lead else None
                params["departments"] = [d.pk for d in data.get("departments") or ()]
        elif action == A.ACCEPT:
            params["confirm_urgent"] = bool(data.get("confirm_urgent"))
        elif action == A.REQUEST_EXTENSION:
            params["days"] = data.get("days")
        elif action == A.MERGE:
            params["merge_into"] = data.get("merge_into")
        elif action == A.SUPERVISE:
            params["card"] = data.get("card") or None
        elif action == A.VERIFY_PASS:
            params["satisfied"] = {"yes": True, "no": False}.get(data.get("satisfied") or "")
        return params

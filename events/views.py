"""Event pages: report (phone), my reports and tasks, the queue, the event with its action panel.

Every read goes through `scope_for(user).events()` (an event outside it is a 404); every write
goes through `events.services`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import BooleanField, Case, Value, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from accounts.models import Role, User
from accounts.scope import scope_for
from grids.models import Center, Department
from grids.selectors import home_area_outlines, outline_geojson

from . import attachments, services
from .api.filters import EventFilter
from .attachments import NotAnImage, TooLarge
from .choices import Action, AssignmentRole, Supervision
from .domain.permissions import CENTER_ROLES
from .domain.states import IllegalTransition
from .exporters import report_periods
from .forms import FILTER_KEYS, ActionForm, action_specs, categories_in_tree_order, event_filter
from .models import Attachment, Event, EventAction, EventAssignment
from .selectors import event_duplicates, overdue_q

PAGE_SIZE = 25


def _overdue(queryset):
    """Marks each row `is_overdue`: open past its deadline, or closed after it."""
    late = overdue_q(timezone.now())
    return queryset.annotate(
        is_overdue=Case(When(late, then=Value(True)), default=Value(False), output_field=BooleanField())
    )


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


# --- report -----------------------------------------------------------------------------------------


@login_required
@ensure_csrf_cookie
def report(request):
    """The phone-first report form; it posts to the API (see static/js/report.js)."""
    user = request.user
    groups, by_parent = [], {}
    for category in categories_in_tree_order().filter(active=True):
        if category.parent_id is None:
            by_parent[category.pk] = {"parent": category, "children": []}
            groups.append(by_parent[category.pk])
        elif category.parent_id in by_parent:
            by_parent[category.parent_id]["children"].append(category)
    bounds, outlines = home_area_outlines(user)
    centers = scope_for(user).centers().order_by("path")[:500]
    return render(
        request,
        "events/report.html",
        {
            "category_groups": groups,
            "bounds": bounds,
            "outlines": outlines,
            "centers": centers,
            "description_max": services.DESCRIPTION_MAX,
        },
    )


# --- my reports and tasks ---------------------------------------------------------------------------


@login_required
def mine(request):
    """My reports and my tasks (events assigned to me, or my department's open tickets)."""
    user = request.user
    tabs = [("reported", _("My reports"))]
    if user.role != Role.VOLUNTEER:
        tabs.append(("tasks", _("My tasks")))
    default = "tasks" if user.role == Role.DEPARTMENT_STAFF else "reported"
    tab = request.GET.get("tab") or default
    if tab not in dict(tabs):
        tab = default
    base = scope_for(user).events().select_related("category").defer("location")
    counts = {key: EventFilter({"mine": key}, queryset=base, request=request).qs.count() for key, _label in tabs}
    events = EventFilter({"mine": tab}, queryset=base, request=request).qs.order_by("-created_at", "-id")
    return render(
        request,
        "events/mine.html",
        {
            "tabs": [(key, label, counts[key]) for key, label in tabs],
            "tab": tab,
            "page_obj": _page(request, events),
            "query": f"tab={tab}",
        },
    )


# --- the queue --------------------------------------------------------------------------------------


def _queue_defaults(user: User) -> dict[str, str]:
    """What a queue opened without filters shows: a department its open tickets, a center what it holds."""
    if user.role == Role.DEPARTMENT_STAFF:
        return {"mine": "tasks"}
    if user.role in CENTER_ROLES and user.center_id:
        return {"holder": str(user.center_id)}
    return {}


@login_required
def queue(request):
    """The filtered, paginated list of events in the user's area."""
    user = request.user
    data = request.GET.copy()
    data.pop("page", None)
    if not FILTER_KEYS & set(data):
        for key, value in _queue_defaults(user).items():
            data[key] = value
    queryset = _overdue(
        scope_for(user)
        .events()
        .select_related("category", "category__parent", "center", "grid")
        .defer("location", "center__boundary", "grid__boundary")  # a list shows neither map nor outline
    )
    filterset = event_filter(data, request=request, queryset=queryset.order_by("-created_at", "-id"))
    page_obj = _page(request, filterset.qs)
    query = data.urlencode()
    toggles = []
    if user.role == Role.DEPARTMENT_STAFF:
        toggles = [
            (_("Open tickets"), "mine=tasks", data.get("mine") == "tasks"),
            (_("All our tickets"), "mine=", data.get("mine") != "tasks"),
        ]
    elif user.role in CENTER_ROLES and user.center_id:
        own = str(user.center_id)
        toggles = [
            (_("Held by %(center)s") % {"center": user.center.name}, f"holder={own}", data.get("holder") == own),
            (_("All in my area"), "holder=", data.get("holder") != own),
        ]
    active = sum(1 for key in FILTER_KEYS - {"mine", "holder"} if data.getlist(key) and any(data.getlist(key)))
    return render(
        request,
        "events/queue.html",
        {
            "filter": filterset,
            "form": filterset.form,
            "page_obj": page_obj,
            "query": query,
            "export_url": _export_url(),
            "report_periods": report_periods(timezone.localdate()) if user.role in CENTER_ROLES else [],
            "toggles": toggles,
            "active_filters": active,
        },
    )


def _export_url() -> str:
    return reverse("event-export")  # the API's export endpoint


# --- one event --------------------------------------------------------------------------------------


def _visible_event(user: User, pk: int) -> Event:
    event = (
        scope_for(user)
        .events()
        .select_related(
            "category",
            "category__parent",
            "center",
            "origin_center",
            "grid",
            "reporter",
            "assignee",
            "verifier",
            "merged_into",
        )
        .defer("center__boundary", "origin_center__boundary")
        .filter(pk=pk)
        .first()
    )
    if event is None:
        raise Http404(_("No such event in your area."))
    return event


def _names(model, ids) -> dict:
    ids = {int(i) for i in ids if i not in (None, "")}
    if not ids:
        return {}
    if model is User:
        return {u.pk: u.get_full_name() or u.username for u in User.objects.filter(pk__in=ids)}
    queryset = model.objects.filter(pk__in=ids)
    if model is Center:
        queryset = queryset.defer("boundary")
    return {obj.pk: obj for obj in queryset}


def _timeline(event: Event) -> list[dict]:
    """The event's steps, oldest first, each with the details its `data` names (a fixed number of queries)."""
    rows = list(
        EventAction.objects.filter(event=event)
        .select_related("actor", "actor_center", "actor_department")
        .defer("actor_center__boundary")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    department_ids, user_ids, center_ids, event_ids = set(), set(), set(), set()
    for row in rows:
        d = row.data or {}
        department_ids.update([d.get("lead_department"), *d.get("departments", [])])
        user_ids.add(d.get("assignee"))
        center_ids.update([d.get("from_center"), d.get("to_center")])
        event_ids.add(d.get("merged_into"))
    departments, users = _names(Department, department_ids), _names(User, user_ids)
    centers, events = _names(Center, center_ids), _names(Event, event_ids)
    roles = dict(Role.choices)
    steps = []
    for row in rows:
        d = row.data or {}
        details = []
        if d.get("lead_department") in departments:
            details.append(_("Lead: %(name)s") % {"name": departments[d["lead_department"]].name})
        assisting = [departments[i].name for i in d.get("departments", []) if i in departments]
        if assisting:
            details.append(_("Assisting: %(names)s") % {"names": "、".join(assisting)})
        if d.get("assignee") in users:
            details.append(_("Grid worker: %(name)s") % {"name": users[d["assignee"]]})
        if d.get("to_center") in centers:
            details.append(
                _("%(from)s → %(to)s")
                % {"from": getattr(centers.get(d.get("from_center")), "name", "?"), "to": centers[d["to_center"]].name}
            )
        if d.get("card"):
            details.append(Supervision(d["card"]).label)
        if d.get("days"):
            details.append(_("%(days)d days") % {"days": d["days"]})
        if "satisfied" in d:
            details.append(_("Satisfied") if d["satisfied"] else _("Not satisfied"))
        if d.get("paused_seconds"):
            details.append(_("Paused for %(hours).1f hours") % {"hours": d["paused_seconds"] / 3600})
        steps.append(
            {
                "row": row,
                "actor": (row.actor.get_full_name() or row.actor.username) if row.actor else _("System"),
                "role": roles.get(row.actor_role, ""),
                "details": details,
                "merged_into": events.get(d.get("merged_into")),
                "changed": row.from_state and row.from_state != row.to_state,
            }
        )
    return steps


def _detail_context(request, event: Event, *, failed: dict | None = None) -> dict:
    now = timezone.now()
    assignments = list(
        EventAssignment.objects.filter(event=event, active=True)
        .select_related("department")
        .order_by("dispatched_at", "id")
    )
    assignments.sort(key=lambda a: a.role != AssignmentRole.LEAD)
    actions = services.event_available_actions(event, request.user, assignments)
    end = event.closed_at or now
    # Likely duplicates (并案), offered to whoever may merge the event now: one click merges it.
    duplicates = []
    if Action.MERGE in actions:
        duplicates = event_duplicates(event, events=scope_for(request.user).events())
    return {
        "event": event,
        "grid_outline": outline_geojson(event.grid.boundary) if event.grid_id else None,
        "assignments": assignments,
        "photos": list(Attachment.objects.on_timeline().filter(event=event).order_by("created_at", "id")),
        "timeline": _timeline(event),
        "specs": action_specs(event, request.user, actions),
        "duplicates": duplicates,
        "failed": failed or {},
        "overdue": bool(event.deadline and end > event.deadline),
        "phase_overdue": bool(event.due_at and not event.closed_at and now > event.due_at),
        "photo_limits": {"files": attachments.MAX_FILES, "mb": attachments.MAX_BYTES // attachments.MB},
        **_dispute_link(request.user, event),
    }


def _dispute_link(user: User, event: Event) -> dict:
    """The dispute this event was converted into (the two are linked both ways), or the offer to
    convert it, for the roles that take disputes in."""
    from disputes.models import Dispute
    from disputes.services import INTAKE_ROLES

    linked = Dispute.objects.filter(event=event).only("pk", "number", "state").first()
    return {
        "linked_dispute": linked,
        "linked_dispute_visible": linked is not None and scope_for(user).disputes().filter(pk=linked.pk).exists(),
        "may_convert": linked is None and (user.is_superuser or user.role in INTAKE_ROLES),
    }


@login_required
def detail(request, pk: int):
    """The event page: facts, map, photos, timeline and the actions the user may take."""
    event = _visible_event(request.user, pk)
    return render(request, "events/detail.html", _detail_context(request, event))


def _error_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [message for messages_ in exc.message_dict.values() for message in messages_]
    return list(exc.messages)


@login_required
@require_POST
def act(request, pk: int):
    """Takes one action from the event page's panel: on success back to the event page with a
    message; otherwise the page again, with the error and the status the API would answer."""
    event = _visible_event(request.user, pk)
    form = ActionForm(request.POST, request.FILES, event=event, user=request.user)
    if form.is_valid():
        status, errors = _act(request, event, form)
        if status == 200:
            return redirect("events:detail", pk=event.pk)
    else:
        status = 400
        errors = [
            e if name == "__all__" else f"{form.fields[name].label or name}: {e}"
            for name, field_errors in form.errors.items()
            for e in field_errors
        ]
    for error in errors:
        messages.error(request, error)
    failed = {"action": request.POST.get("action", ""), "reason": request.POST.get("reason", "")}
    event = _visible_event(request.user, pk)
    return render(request, "events/detail.html", _detail_context(request, event, failed=failed), status=status)


def _act(request, event: Event, form: ActionForm) -> tuple[int, list[str]]:
    params = form.transition_params()
    action = Action(params["action"])
    try:
        if action == Action.ATTACH:  # a step of its own, carrying the photos
            added = services.attachments_add(
                event_id=event.pk,
                uploader=request.user,
                uploads=request.FILES.getlist("photos"),
                kind=Attachment.Kind.OTHER,
                reason=params["reason"],
                content_length=request.META.get("CONTENT_LENGTH"),
            )
            messages.success(request, _("Photos added: %(n)d.") % {"n": len(added)})
            return 200, []
        photo = form.cleaned_data.get("photo")
        # The after-photo is stored first so that the handling step names it; not when the
        # action is not open to the user anyway (the transition below says why).
        if photo and action == Action.HANDLE and action in services.event_available_actions(event, request.user):
            [attachment] = services.attachments_add(
                event_id=event.pk,
                uploader=request.user,
                uploads=[photo],
                kind=Attachment.Kind.AFTER,
                content_length=request.META.get("CONTENT_LENGTH"),
            )
            params["attachments"] = [attachment.pk]
        updated = services.event_transition(event_id=event.pk, actor=request.user, **params)
    except services.EventNotFound:
        raise Http404(_("No such event in your area.")) from None
    except IllegalTransition as exc:
        message = exc.message or _("“%(action)s” is not possible while the event is “%(state)s”.") % {
            "action": exc.action.label,
            "state": exc.state.label,
        }
        return 409, [message]
    except PermissionDenied as exc:
        return 403, [str(exc) or _("You may not take this action on this event.")]
    except ValidationError as exc:
        return 400, _error_messages(exc)
    except TooLarge as exc:
        return 413, [str(exc)]
    except NotAnImage as exc:
        return 415, [str(exc)]
    messages.success(
        request,
        _("%(action)s: done. The event is now “%(state)s”.")
        % {"action": action.label, "state": updated.get_state_display()},
    )
    return 200, []

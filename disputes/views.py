"""Dispute pages: the queue, the intake form, the case with its action forms, the mediator's
workbench, and the case's documents.

Every read goes through `scope_for(user).disputes()` (a case outside it is a 404); every write goes
through `disputes.services`, whose errors come back as form errors with the status the API would
answer (400, 403, 404, 409), never a 500.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, SuspiciousFileOperation, ValidationError
from django.core.paginator import Paginator
from django.db.models import BooleanField, Case, Prefetch, Q, Value, When
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import Role, User
from accounts.scope import scope_for
from grids.selectors import home_area_outlines

from . import selectors, services
from .choices import (
    Action,
    AgreementForm,
    Channel,
    ConfirmationRuling,
    DocumentKind,
    Intake,
    PartyKind,
    PartyRole,
    Performance,
    Risk,
    Satisfaction,
    Signal,
    State,
    VisitMethod,
)
from .domain.permissions import CENTER_ROLES
from .domain.states import OPEN_STATES, IllegalTransition
from .forms import (
    FILTER_KEYS,
    QueueFilter,
    confirmation_params,
    follow_up_params,
    intake_kwargs,
    investigation_params,
    obligation_rows,
    party_rows,
    session_params,
    stats_center,
    stats_query,
    transition_params,
    type_groups,
)
from .models import (
    Confirmation,
    Dispute,
    DisputeAction,
    DisputeMediator,
    Document,
    FollowUp,
    Investigation,
    Obligation,
    Party,
    RepeatLink,
    Session,
)

PAGE_SIZE = 25
A = Action
QUEUE_ROLES = frozenset({*CENTER_ROLES, Role.MEDIATOR, Role.GRID_WORKER})
WORKBENCH_ROLES = frozenset({*CENTER_ROLES, Role.MEDIATOR})
# Actions whose forms ask for a reason, and whether it is required (as the services check).
REASON_REQUIRED = frozenset(
    {A.REFER, A.ESCALATE, A.REFUSE, A.EXTEND, A.SUSPEND, A.TERMINATE, A.WITHDRAW, A.BREACH, A.URGE}
)
REASON_OPTIONAL = frozenset({A.ACCEPT, A.ASSIGN, A.RESUME, A.AGREE, A.CLOSE, A.RISK, A.LINK})
# Forms that are drawn in their own section of the page, not in the action panel.
SECTION_ACTIONS = frozenset({A.PERFORM, A.DOCUMENT, A.ATTACH})
DANGER = frozenset({A.REFUSE, A.TERMINATE, A.WITHDRAW, A.BREACH, A.ESCALATE, A.REFER})
PRIMARY = frozenset({A.ACCEPT, A.AGREE, A.SESSION, A.CLOSE, A.RESUME})
CONFIRM = {
    A.ESCALATE: gettext_lazy("Escalate this dispute to the center above?"),
    A.WITHDRAW: gettext_lazy("Record that the dispute was withdrawn? The case ends."),
    A.TERMINATE: gettext_lazy("End the mediation as failed?"),
    A.REFUSE: gettext_lazy("Record the refusal? People's mediation ends."),
}


def _may_use(user: User, roles) -> bool:
    return user.is_superuser or user.role in roles


def _overdue(queryset):
    """Marks each row `is_overdue`: its running clock (acceptance or mediation) is past due."""
    late = Q(state__in=OPEN_STATES, phase__gt="", due_at__lt=timezone.now())
    return queryset.annotate(
        is_overdue=Case(When(late, then=Value(True)), default=Value(False), output_field=BooleanField())
    )


def _active_mediators():
    return Prefetch(
        "mediator_rows",
        queryset=DisputeMediator.objects.filter(active=True).select_related("user").order_by("-lead", "named_at"),
        to_attr="active_mediators",
    )


def _name(user: User | None) -> str:
    if user is None:
        return _("System")
    return user.get_full_name() or user.username


# --- the queue -------------------------------------------------------------------------------------


@login_required
def queue(request):
    """The cases of the user's area, filtered and paginated: center staff and mediators (a grid
    worker sees the cases they took in)."""
    user = request.user
    if not _may_use(user, QUEUE_ROLES):
        raise PermissionDenied(_("Your role does not handle disputes."))
    data = request.GET.copy()
    data.pop("page", None)
    show = data.get("show", "")
    shows = [("", _("All in my area"))]
    if user.center_id and user.role in CENTER_ROLES:
        shows.append(("held", _("Held by %(center)s") % {"center": user.center.name}))
    if user.role in WORKBENCH_ROLES or user.is_superuser:
        shows.append(("mine", _("My cases")))
    if show not in dict(shows):
        show = ""
    form = QueueFilter(data)
    queryset = (
        scope_for(user)
        .disputes()
        .select_related("type", "type__parent", "center")
        .defer("location", "center__boundary")
        .prefetch_related(_active_mediators())
    )
    if show == "held":
        queryset = queryset.filter(center_id=user.center_id)
    elif show == "mine":
        queryset = queryset.filter(mediator_rows__user=user, mediator_rows__active=True)
    queryset = _overdue(queryset)
    if form.is_valid():
        f = form.cleaned_data
        if f["state"]:
            queryset = queryset.filter(state__in=f["state"])
        if f["type"]:
            queryset = queryset.filter(Q(type=f["type"]) | Q(type__parent=f["type"]))
        if f["risk"] == "assessed":
            queryset = queryset.exclude(risk="")
        elif f["risk"]:
            queryset = queryset.filter(risk=f["risk"])
        if f["intake"]:
            queryset = queryset.filter(intake=f["intake"])
        if f["overdue"] == "yes":
            queryset = queryset.filter(is_overdue=True)
        if f["alarm"] == "yes":
            queryset = queryset.filter(alarmed_at__isnull=False)
        if f["search"]:
            words = f["search"].strip()
            queryset = queryset.filter(
                Q(number__icontains=words) | Q(title__icontains=words) | Q(address__icontains=words)
            )
    page_obj = Paginator(queryset.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    active = sum(1 for key in FILTER_KEYS if any(data.getlist(key)))
    return render(
        request,
        "disputes/queue.html",
        {
            "form": form,
            "page_obj": page_obj,
            "query": data.urlencode(),
            "shows": [(key, label, key == show) for key, label in shows],
            "show": show,
            "active_filters": active,
            "may_take_in": _may_use(user, services.INTAKE_ROLES),
            "may_read_area": selectors.reads_dispute_area(scope_for(user)),
        },
    )


# --- intake ----------------------------------------------------------------------------------------


def _intake_choices(user: User, *, from_event: bool) -> list[tuple[str, str]]:
    """The channels the intake form offers: a grid worker's are the grid and a sweep
    (services.GRID_INTAKES); conversion of an event is offered only with the event."""
    choices = [(v, label) for v, label in Intake.choices if v != Intake.EVENT or from_event]
    if user.role == Role.GRID_WORKER:
        choices = [(v, label) for v, label in choices if v in services.GRID_INTAKES or v == Intake.EVENT]
    return choices


def _new_context(request, values: dict, errors: dict, event=None) -> dict:
    user = request.user
    bounds, outlines = home_area_outlines(user)
    rows = values.get("parties") or [
        {"role": PartyRole.APPLICANT, "kind": PartyKind.PERSON},
        {"role": PartyRole.RESPONDENT, "kind": PartyKind.PERSON},
    ]
    general = [m for key, ms in errors.items() if not key.startswith("parties[") for m in ms if key not in FIELDS]
    party_errors = {}
    for key, ms in errors.items():
        if key.startswith("parties["):
            try:
                party_errors[int(key[8:-1])] = ms
            except ValueError:
                general += ms
    return {
        "type_groups": type_groups(),
        "intakes": _intake_choices(user, from_event=event is not None),
        "signals": Signal.choices,
        "roles": PartyRole.choices,
        "kinds": PartyKind.choices,
        "values": values,
        "signals_checked": set(values.get("signals") or []),
        "rows": [{**row, "errors": party_errors.get(i, [])} for i, row in enumerate(rows)],
        "errors": errors,
        "general_errors": general,
        "event": event,
        "bounds": bounds,
        "outlines": outlines,
        "centers": scope_for(user).centers().defer("boundary").order_by("path")[:500],
    }


# The intake form's fields with an error line of their own (others are shown at the top).
FIELDS = frozenset(
    {"type", "title", "facts", "claims", "intake", "intake_reference", "amount", "people", "signals", "location"}
    | {"address", "center", "parties"}
)


@login_required
def new(request):
    """Takes a dispute in (a plain form post; `client_id` makes a repeated post harmless). With
    `?event=<id>`, converts that event: its description and place are copied and the two linked."""
    user = request.user
    if not _may_use(user, services.INTAKE_ROLES):
        raise PermissionDenied(_("Your role does not take disputes in."))
    event = None
    event_id = request.POST.get("event") if request.method == "POST" else request.GET.get("event")
    if event_id:
        from events.models import Event

        try:
            event = scope_for(user).events(Event.objects.filter(pk=int(event_id))).get()
        except (ValueError, Event.DoesNotExist):
            raise Http404(_("No such event in your area.")) from None
        existing = Dispute.objects.filter(event=event).first()
        if existing is not None and request.method != "POST":
            messages.info(request, _("This event was already converted into a dispute."))
            return redirect("disputes:detail", pk=existing.pk)
    if request.method == "POST":
        kwargs = intake_kwargs(request.POST)
        try:
            dispute, created = services.dispute_report(reporter=user, **kwargs)
        except ValidationError as exc:
            errors, status = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}, 400
        except PermissionDenied as exc:
            errors, status = {"": [str(exc)]}, 403
        else:
            if created:
                messages.success(
                    request,
                    _("Dispute taken in: %(number)s. It waits for the center to accept it.")
                    % {"number": dispute.number},
                )
            return redirect("disputes:detail", pk=dispute.pk)
        values = {
            **request.POST.dict(),
            "signals": request.POST.getlist("signals"),
            "parties": party_rows(request.POST),
        }
        return render(request, "disputes/new.html", _new_context(request, values, errors, event), status=status)
    values = {"client_id": str(uuid.uuid4()), "people": "2"}
    if user.role == Role.GRID_WORKER:
        values["intake"] = Intake.GRID
    if event is not None:
        values.update(
            intake=Intake.EVENT,
            facts=event.description,
            title=event.description[:30],
            address=event.address,
            lat=f"{event.location.y:.6f}",
            lng=f"{event.location.x:.6f}",
            event=str(event.pk),
        )
    return render(request, "disputes/new.html", _new_context(request, values, {}, event))


# --- one case ----------------------------------------------------------------------------------------


def _visible(user: User, pk: int) -> Dispute:
    dispute = (
        scope_for(user)
        .disputes()
        .select_related("type", "type__parent", "center", "origin_center", "committee", "reporter", "grid", "event")
        .defer("center__boundary", "origin_center__boundary", "grid__boundary")
        .filter(pk=pk)
        .first()
    )
    if dispute is None:
        raise Http404(_("No such dispute in your area."))
    return dispute


def _timeline(dispute: Dispute) -> list[dict]:
    rows = list(
        DisputeAction.objects.filter(dispute=dispute)
        .select_related("actor", "actor_center")
        .defer("actor_center__boundary")
        .order_by("created_at", "id")
    )
    user_ids = {pk for row in rows for pk in (row.data or {}).get("mediators", [])}
    users = {u.pk: _name(u) for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    roles = dict(Role.choices)
    steps = []
    for row in rows:
        d = row.data or {}
        details = []
        if d.get("mediators"):
            details.append(
                _("Mediators: %(names)s") % {"names": "、".join(users.get(pk, "?") for pk in d["mediators"])}
            )
        if d.get("channel") in Channel.values:
            details.append(Channel(d["channel"]).label)
        if d.get("referred_to"):
            details.append(_("Handed to %(body)s") % {"body": d["referred_to"]})
        if d.get("days"):
            details.append(_("%(days)d days") % {"days": d["days"]})
        if d.get("signals"):
            details.append("、".join(str(Signal(s).label) for s in d["signals"] if s in Signal.values))
        if d.get("risk") in Risk.values and d.get("risk"):
            details.append(Risk(d["risk"]).label)
        if d.get("kind") in DocumentKind.values:
            details.append(DocumentKind(d["kind"]).label)
        if d.get("repeat_of"):
            details.append(_("Repeat of earlier cases"))
        steps.append(
            {
                "row": row,
                "actor": _name(row.actor),
                "role": roles.get(row.actor_role, ""),
                "details": details,
                "changed": row.from_state and row.from_state != row.to_state,
            }
        )
    return steps


def mediator_choices(dispute: Dispute):
    """Who may be named on the case (the service's rule: mediators and center staff of the holding
    center's area)."""
    return (
        User.objects.filter(
            is_active=True,
            role__in=[Role.MEDIATOR, *services.CENTER_INBOX_ROLES],
            center__path__startswith=dispute.center.path,
        )
        .select_related("center")
        .defer("center__boundary")
        .order_by("-role", "center__path", "username")[:200]
    )


def _specs(dispute: Dispute, actions: list[str], failed: dict) -> list[dict]:
    """What the page needs to draw one small form per available action (a failed form keeps its input)."""
    specs = []
    for value in actions:
        action = Action(value)
        if action in SECTION_ACTIONS:
            continue
        reason = "required" if action in REASON_REQUIRED else ("optional" if action in REASON_OPTIONAL else "")
        specs.append(
            {
                "action": action.value,
                "label": action.label,
                "reason": reason,
                "confirm": CONFIRM.get(action, ""),
                "style": "danger" if action in DANGER else ("primary" if action in PRIMARY else ""),
                "values": failed["values"] if failed.get("action") == action.value else {},
            }
        )
    return specs


def _detail_context(request, dispute: Dispute, *, failed: dict | None = None) -> dict:
    user = request.user
    now = timezone.now()
    mediator_rows = list(
        DisputeMediator.objects.filter(dispute=dispute, active=True)
        .select_related("user")
        .order_by("-lead", "named_at")
    )
    mediators = frozenset(m.user_id for m in mediator_rows)
    actions = services.dispute_available_actions(dispute, user, mediators)
    see_parties = services.may_see_parties(user, dispute)
    parties = []
    if see_parties:
        parties = list(Party.objects.filter(dispute=dispute).select_related("represents"))
        services.case_view_log(dispute=dispute, user=user, via="page")
    visible = scope_for(user).disputes()
    repeats = [
        {"link": link, "visible": visible.filter(pk=link.earlier_id).exists()}
        for link in RepeatLink.objects.filter(dispute=dispute).select_related("earlier")
    ]
    event_visible = bool(dispute.event_id) and scope_for(user).events().filter(pk=dispute.event_id).exists()
    sessions = list(Session.objects.filter(dispute=dispute).prefetch_related("mediators").order_by("starts_at", "id"))
    documents = list(Document.objects.filter(dispute=dispute).select_related("session", "created_by"))
    needs_choices = A.ACCEPT in actions or A.ASSIGN in actions or A.SESSION in actions
    return {
        "dispute": dispute,
        "parties": parties,
        "see_parties": see_parties,
        "repeats": repeats,
        "event_visible": event_visible,
        "mediator_rows": mediator_rows,
        "mediator_choices": list(mediator_choices(dispute)) if needs_choices else [],
        "sessions": sessions,
        "planned_sessions": [s for s in sessions if not s.held],
        "held_sessions": [s for s in sessions if s.held],
        "investigations": list(
            Investigation.objects.filter(dispute=dispute).select_related("recorded_by").order_by("at", "id")
        ),
        "obligations": list(Obligation.objects.filter(dispute=dispute).select_related("party")),
        "follow_ups": list(FollowUp.objects.filter(dispute=dispute).select_related("visitor")),
        "planned_follow_ups": list(FollowUp.objects.filter(dispute=dispute, visited_at__isnull=True)),
        "confirmation": Confirmation.objects.filter(dispute=dispute).first(),
        "documents": documents,
        "generated_documents": [d for d in documents if d.state == "generated"],
        "timeline": _timeline(dispute),
        "actions": actions,
        "specs": _specs(dispute, actions, failed or {}),
        "failed": failed or {},
        "overdue": bool(dispute.phase and dispute.due_at and now > dispute.due_at),
        "mediation_late": bool(
            dispute.mediation_due
            and dispute.state in OPEN_STATES
            and dispute.state != State.AGREED
            and now > dispute.mediation_due
        ),
        "today": timezone.localdate(),
        "choices": {
            "channels": [c for c in Channel.choices if c[0] != Channel.PEOPLES],
            "risks": Risk.choices,
            "signals": Signal.choices,
            "forms": AgreementForm.choices,
            "methods": VisitMethod.choices,
            "performances": Performance.choices,
            "satisfactions": Satisfaction.choices,
            "rulings": ConfirmationRuling.choices,
        },
        "obligation_rows": obligation_rows(failed["values"]) if failed and failed.get("values") else [],
    }


@login_required
def detail(request, pk: int):
    """The case: facts, parties (logged), sessions and records, the agreement and its documents,
    the timeline, and a form for each action the user may take."""
    dispute = _visible(request.user, pk)
    return render(request, "disputes/detail.html", _detail_context(request, dispute))


def _error_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [str(m) for ms in exc.message_dict.values() for m in ms]
    return [str(m) for m in exc.messages]


def _run(request, dispute: Dispute, action: str):
    """Calls the one service `action` needs; returns a success message."""
    data, user, pk = request.POST, request.user, dispute.pk
    if action == A.SESSION:
        session = services.session_record(dispute_id=pk, actor=user, **session_params(data))
        return _("Session recorded.") if session.held else _("Session planned.")
    if action == A.INVESTIGATE:
        services.investigation_record(dispute_id=pk, actor=user, **investigation_params(data))
        return _("Investigation record added.")
    if action == A.FOLLOW_UP:
        services.follow_up_record(dispute_id=pk, actor=user, **follow_up_params(data))
        return _("Follow-up visit recorded.")
    if action == A.PERFORM:
        services.obligation_perform(dispute_id=pk, actor=user, obligation_id=data.get("obligation"))
        return _("Obligation recorded as performed.")
    if action == A.CONFIRM:
        services.confirmation_record(dispute_id=pk, actor=user, **confirmation_params(data))
        return _("Judicial confirmation recorded.")
    if action == A.ATTACH:
        services.file_attach(
            dispute_id=pk, actor=user, upload=request.FILES.get("file"), session_id=data.get("session") or None
        )
        return _("File added.")
    if action == A.DOCUMENT:
        if data.get("document"):
            services.document_sign(
                dispute_id=pk, actor=user, document_id=data.get("document"), scan=request.FILES.get("scan")
            )
            return _("Signed scan stored.")
        try:
            doc = services.document_generate(
                dispute_id=pk, actor=user, kind=data.get("kind", ""), session_id=data.get("session") or None
            )
        except ImportError:  # disputes.documents (the PDF and Word rendering) is not installed here
            raise ValidationError(_("Documents cannot be generated on this server yet.")) from None
        return _("Document generated: %(kind)s, version %(v)d.") % {"kind": doc.get_kind_display(), "v": doc.version}
    updated = services.dispute_transition(dispute_id=pk, action=action, actor=user, **transition_params(action, data))
    return _("%(action)s: done. The dispute is now “%(state)s”.") % {
        "action": Action(action).label,
        "state": updated.get_state_display(),
    }


@login_required
@require_POST
def act(request, pk: int):
    """Takes one action from the case page: back to the page with a message on success; otherwise
    the page again with the errors, answered with the status the API would give."""
    dispute = _visible(request.user, pk)
    action = request.POST.get("action", "")
    status, errors = 200, []
    if action not in Action.values:
        status, errors = 400, [_("Unknown action.")]
    else:
        try:
            message = _run(request, dispute, action)
        except services.DisputeNotFound:
            raise Http404(_("No such dispute in your area.")) from None
        except IllegalTransition as exc:
            status = 409
            errors = [
                exc.message
                or _("“%(action)s” is not possible while the dispute is “%(state)s”.")
                % {"action": exc.action.label, "state": exc.state.label}
            ]
        except PermissionDenied as exc:
            status, errors = 403, [str(exc) or _("You may not take this action on this dispute.")]
        except ValidationError as exc:
            status, errors = 400, _error_messages(exc)
        else:
            messages.success(request, message)
            return redirect("disputes:detail", pk=pk)
    for error in errors:
        messages.error(request, error)
    failed = {"action": action, "values": request.POST}
    dispute = _visible(request.user, pk)
    return render(request, "disputes/detail.html", _detail_context(request, dispute, failed=failed), status=status)


# --- documents -----------------------------------------------------------------------------------------

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "jpg": "image/jpeg",
    "png": "image/png",
}


@login_required
def document_file(request, pk: int, part: str):
    """A document's PDF, Word file or signed scan, to whoever may see the case's parties (the
    documents name them); each download is logged as a view of personal data."""
    if part not in ("pdf", "docx", "scan"):
        raise Http404(_("No such document."))
    doc = (
        Document.objects.filter(pk=pk, dispute__in=scope_for(request.user).disputes()).select_related("dispute").first()
    )
    if doc is None or not services.may_see_parties(request.user, doc.dispute):
        raise Http404(_("No such document."))
    field = getattr(doc, part)
    if not field:
        raise Http404(_("No such document."))
    name = field.name
    try:
        field.storage.path(name)
    except (SuspiciousFileOperation, ValueError):
        raise Http404(_("No such document.")) from None
    ext = name.rsplit(".", 1)[-1].lower()
    content_type = CONTENT_TYPES.get(ext, "application/octet-stream")
    services.case_view_log(dispute=doc.dispute, user=request.user, via="document")
    filename = f"{doc.dispute.number}-{doc.get_kind_display()}-v{doc.version}.{ext}"
    if settings.MEDIA_ACCEL_REDIRECT:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.MEDIA_ACCEL_PREFIX + quote(name)
    else:
        try:
            response = FileResponse(field.storage.open(name, "rb"), content_type=content_type)
        except FileNotFoundError:
            raise Http404(_("No such document.")) from None
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- the mediator's workbench -------------------------------------------------------------------------


@login_required
def workbench(request):
    """The mediator's desk: my open cases by due date, my planned sessions this week and next by
    day, and the follow-up visits due."""
    user = request.user
    if not _may_use(user, WORKBENCH_ROLES):
        raise PermissionDenied(_("The workbench is for mediators and center staff."))
    today = timezone.localdate()
    mine = scope_for(user).disputes().filter(mediator_rows__user=user, mediator_rows__active=True)
    cases = list(
        _overdue(mine.filter(state__in=OPEN_STATES))
        .select_related("type", "center")
        .defer("location", "center__boundary")
        .order_by(Case(When(mediation_due__isnull=True, then=Value(1)), default=Value(0)), "mediation_due", "id")
    )
    monday = today - timedelta(days=today.weekday())
    start = timezone.make_aware(datetime.combine(monday, time.min))
    end = start + timedelta(days=14)
    sessions = list(
        Session.objects.filter(mediators=user, held=False, starts_at__gte=start, starts_at__lt=end)
        .filter(dispute__in=scope_for(user).disputes())
        .select_related("dispute")
        .order_by("starts_at", "id")
    )
    by_day = {}
    for s in sessions:
        by_day.setdefault(timezone.localtime(s.starts_at).date(), []).append(s)
    weeks = []
    for w in range(2):
        days = []
        for d in range(7):
            day = monday + timedelta(days=7 * w + d)
            days.append({"date": day, "sessions": by_day.get(day, []), "today": day == today, "past": day < today})
        weeks.append({"label": _("This week") if w == 0 else _("Next week"), "days": days})
    follow_ups = list(
        FollowUp.objects.filter(dispute__in=mine, visited_at__isnull=True, due_date__lte=today + timedelta(days=14))
        .select_related("dispute")
        .order_by("due_date", "id")
    )
    return render(
        request,
        "disputes/workbench.html",
        {
            "cases": cases,
            "weeks": weeks,
            "follow_ups": follow_ups,
            "today": today,
            "received": scope_for(user).disputes().filter(state=State.RECEIVED, center_id=user.center_id).count()
            if user.center_id
            else 0,
        },
    )


# --- statistics and the stability ledger -------------------------------------------------------------

# The page's tables, in order: (the selector's slice, its heading).
STATS_TABLES = (
    ("type", gettext_lazy("By type")),
    ("intake", gettext_lazy("By channel of intake")),
    ("town", gettext_lazy("By town and street")),
)
# The figures the page shows, in order (each with its definition from the selector).
STATS_FIGURES = ("taken_in", "mediated", "successful", "failed", "withdrawn", "referred", "pending", "concluded")
STATS_RATES = tuple(selectors.RATES)
# The short names of the selector's counts and rates (the definitions come with the figures).
STATS_LABELS = {
    "taken_in": pgettext_lazy("dispute statistics", "Taken in"),
    "mediated": pgettext_lazy("dispute statistics", "Mediated"),
    "successful": pgettext_lazy("dispute statistics", "Successful"),
    "failed": pgettext_lazy("dispute statistics", "Failed"),
    "withdrawn": pgettext_lazy("dispute statistics", "Withdrawn"),
    "referred": pgettext_lazy("dispute statistics", "Referred"),
    "pending": pgettext_lazy("dispute statistics", "Pending"),
    "concluded": pgettext_lazy("dispute statistics", "Concluded"),
    "on_time": pgettext_lazy("dispute statistics", "Concluded on time"),
    "agreements_due": pgettext_lazy("dispute statistics", "Agreements due for performance"),
    "performed": pgettext_lazy("dispute statistics", "Performed"),
    "confirmation_applied": pgettext_lazy("dispute statistics", "Applied for confirmation"),
    "confirmed": pgettext_lazy("dispute statistics", "Confirmed valid"),
    "followed_up": pgettext_lazy("dispute statistics", "Visited after the agreement"),
    "success_rate": pgettext_lazy("dispute statistics", "Success rate"),
    "success_of_concluded": pgettext_lazy("dispute statistics", "Success of concluded cases"),
    "on_time_rate": pgettext_lazy("dispute statistics", "On-time rate"),
    "performed_rate": pgettext_lazy("dispute statistics", "Performance rate"),
    "confirmation_rate": pgettext_lazy("dispute statistics", "Judicial confirmation rate"),
    "follow_up_rate": pgettext_lazy("dispute statistics", "Follow-up rate"),
}


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def _area_scope(user: User):
    scope = scope_for(user)
    if not selectors.reads_dispute_area(scope):
        raise PermissionDenied(_("Dispute statistics are for center staff and mediators."))
    return scope


def _center_choices(scope):
    """The centers one may pick: the user's area, the towns' level and above first by path."""
    return list(scope.centers().defer("boundary").order_by("path")[:500])


@login_required
def stats(request):
    """The statistics of a center's subtree over a period (default: this year): every figure with
    its definition and denominator, tables by type, channel and town, a chart, and the quarterly
    form's download (the API's `dispute-quarterly`, signed in by the session). Bad input is
    answered 400 with the form and its messages, never a 500."""
    user = request.user
    scope = _area_scope(user)
    today = timezone.localdate()
    errors: dict = {}
    result = None
    try:
        query = stats_query(request.GET, user, scope, slices=[name for name, _label in STATS_TABLES], today=today)
    except ValidationError as exc:
        errors = exc.message_dict
        center = stats_center(request.GET, user, scope) if "center" not in errors else None
        query = None
    else:
        center = query.center
        result = selectors.dispute_stats(
            scope=scope, center=center, date_from=query.date_from, date_to=query.date_to, by=query.by
        )
    context = {
        "center": center,
        "centers": _center_choices(scope),
        "values": {
            "date_from": request.GET.get("date_from") or today.replace(month=1, day=1).isoformat(),
            "date_to": request.GET.get("date_to") or today.isoformat(),
        },
        "errors": errors,
        "query": query,
        "year": today.year,
        "years": list(range(today.year, today.year - 6, -1)),
        "quarter": (today.month - 1) // 3 + 1,
    }
    if result is not None:
        totals = result["totals"]
        definitions = result["definitions"]
        context["figures"] = [
            {"name": n, "label": STATS_LABELS[n], "value": totals[n], "definition": definitions[n]}
            for n in STATS_FIGURES
        ]
        context["rates"] = []
        for n in STATS_RATES:
            rate = totals["rates"][n]
            context["rates"].append(
                {
                    "name": n,
                    "label": STATS_LABELS[n],
                    "value": rate["value"],
                    "percent": _percent(rate["value"]),
                    "numerator": totals[rate["numerator"]],
                    "numerator_label": STATS_LABELS[rate["numerator"]],
                    "denominator": totals[rate["denominator"]],
                    "denominator_label": STATS_LABELS[rate["denominator"]],
                    "definition": definitions[n],
                }
            )
        for rows in result["slices"].values():
            for row in rows:
                row["success_percent"] = _percent(row["rates"]["success_rate"]["value"])
        context["tables"] = [{"key": key, "title": title, "rows": result["slices"][key]} for key, title in STATS_TABLES]
        context["chart"] = {
            "title": str(_("Disputes by type")),
            "names": [row["name"] for row in result["slices"]["type"]],
            "series": [
                {"name": str(STATS_LABELS[name]), "data": [row[name] for row in result["slices"]["type"]]}
                for name in ("taken_in", "successful")
            ],
        }
    return render(request, "disputes/stats.html", context, status=400 if errors else 200)


@login_required
def ledger(request):
    """The stability ledger (维稳台账) of a center's subtree: open group and major cases, newest
    first, coloured by risk. No personal data."""
    user = request.user
    scope = _area_scope(user)
    center = stats_center(request.GET, user, scope)
    rows = selectors.stability_ledger(scope=scope, center=center).defer("center__boundary", "location")
    page_obj = Paginator(rows, PAGE_SIZE * 2).get_page(request.GET.get("page"))
    for d in page_obj:
        d.signal_labels = [Signal(s).label for s in d.signals or () if s in Signal.values]
    data = request.GET.copy()
    data.pop("page", None)
    return render(
        request,
        "disputes/ledger.html",
        {
            "center": center,
            "centers": _center_choices(scope),
            "page_obj": page_obj,
            "query": data.urlencode(),
            "people": selectors.LEDGER_PEOPLE,
        },
    )

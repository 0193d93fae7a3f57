"""The care pages: the worker's phone list and visit form, a person's page (logged), the list of
the department or center with filters and counts, the import, the export and the view log.
Views parse input and call one service; visibility is accounts.scope's."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from accounts.models import Role
from accounts.scope import scope_for
from events.attachments import NotAnImage, TooLarge
from wenjiang_ops.files import AnyAccept, MissingFile, private_file_response

from . import selectors, services, transfer
from .choices import Action, Status, Via
from .domain.masking import mask_name
from .domain.permissions import CENTER_ROLES
from .domain.rules import IllegalTransition
from .forms import ActionForm, ImportForm, PersonFilterForm, VisitForm
from .models import CareAction, HelperMember, SpecialPerson, Visit, VisitPhoto

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _may_import(user) -> bool:
    scope = scope_for(user)
    return (
        scope.everything or user.role == Role.DEPARTMENT_STAFF or (user.role in CENTER_ROLES and scope.may_see_care())
    )


def _person_or_404(user, pk) -> SpecialPerson:
    person = (
        scope_for(user)
        .special_people()
        .filter(pk=pk)
        .select_related("center", "grid", "department")
        .defer("center__boundary", "grid__boundary")
        .first()
    )
    if person is None:
        raise Http404(_("No such person in your care."))
    return person


@login_required
def people(request):
    """The department's or center's list, with filters and counts; names masked."""
    form = PersonFilterForm(request.GET or None)
    queryset = selectors.person_list(request.user)
    if form.is_valid():
        data = form.cleaned_data
        queryset = selectors.person_filter(
            queryset,
            person_type=data["person_type"],
            risk=data["risk"],
            status=data["status"],
            overdue=data["overdue"],
        )
    counts = selectors.person_counts(queryset)
    page = Paginator(queryset.order_by("due_at", "id"), 50).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [
        {
            "person": p,
            "masked": mask_name(p.name),
            "overdue": p.status == Status.IN_CARE and p.due_at is not None and p.due_at < now,
        }
        for p in page
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "care/people.html",
        {
            "form": form,
            "rows": rows,
            "page_obj": page,
            "counts": counts,
            "may_import": _may_import(request.user),
            "query": query.urlencode(),
            "is_admin": scope_for(request.user).everything,
        },
    )


@login_required
def mine(request):
    """The worker's phone list: my persons, lost contact first, then the soonest due."""
    now = timezone.now()
    rows = [
        {
            "person": p,
            "masked": mask_name(p.name),
            "overdue": p.status == Status.IN_CARE and p.due_at is not None and p.due_at < now,
            "soon": p.status == Status.IN_CARE and p.warn_at is not None and p.warn_at <= now,
        }
        for p in selectors.my_people(request.user)
    ]
    return render(request, "care/mine.html", {"rows": rows})


@login_required
def detail(request, pk: int):
    """A person's whole record: the view is logged (who, when, why if given)."""
    person = _person_or_404(request.user, pk)
    services.person_view_log(
        person=person, user=request.user, via=Via.PAGE, path=request.path, reason=request.GET.get("reason", "")
    )
    facts = services.actor_facts(request.user, person)
    from .domain.permissions import may

    visits = (
        Visit.objects.filter(person=person)
        .select_related("visitor")
        .prefetch_related("photos")
        .order_by("-visited_at", "-id")[:50]
    )
    timeline = CareAction.objects.filter(person=person).select_related("actor").order_by("-created_at", "-id")[:50]
    return render(
        request,
        "care/detail.html",
        {
            "person": person,
            "workers": person.workers.all(),
            "team": HelperMember.objects.filter(person=person).select_related("user"),
            "visits": visits,
            "timeline": timeline,
            "visit_form": VisitForm(initial={"found": "1"}),
            "action_form": ActionForm(
                workers=_community_workers(request.user, person.pk) if may(facts, Action.ASSIGN) else (),
                initial={"workers": [w.pk for w in person.workers.all()]},
            ),
            "may_visit": person.status != Status.ENDED and may(facts, Action.VISIT),
            "may_decide": person.status != Status.ENDED and may(facts, Action.RISK),
            "may_lose": person.status == Status.IN_CARE and may(facts, Action.LOST_CONTACT),
            "may_find": person.status == Status.LOST and may(facts, Action.FOUND),
            "overdue": person.status == Status.IN_CARE and person.due_at is not None and person.due_at < timezone.now(),
        },
    )


@login_required
@require_POST
def visit(request, pk: int):
    """The record-visit form (GPS position, how, findings, found or not, a photo)."""
    form = VisitForm(request.POST, request.FILES)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
        return redirect("care:detail", pk=pk)
    data = form.cleaned_data
    try:
        services.visit_record(
            person_id=pk,
            actor=request.user,
            method=data["method"],
            found=data["found"],
            findings=data["findings"],
            lat=data.get("lat"),
            lng=data.get("lng"),
            photos=request.FILES.getlist("photos"),
            client_id=data.get("client_id"),
        )
    except services.PersonNotFound:
        raise Http404(_("No such person in your care.")) from None
    except (ValidationError, TooLarge, NotAnImage, IllegalTransition) as exc:
        messages.error(request, _message(exc))
        return redirect("care:detail", pk=pk)
    messages.success(request, _("The visit is recorded."))
    return redirect("care:detail", pk=pk)


def _message(exc) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, IllegalTransition):
        return _("This is not possible while the person's status is “%(status)s”.") % {
            "status": Status(exc.status).label
        }
    return str(exc) or _("You may not do this for this person.")


def _community_workers(user, pk):
    """The grid workers of the person's holding center (whom an assignment may name), or none."""
    from accounts.models import User

    center_id = scope_for(user).special_people().filter(pk=pk).values_list("center_id", flat=True).first()
    if center_id is None:
        return []
    return list(User.objects.filter(role=Role.GRID_WORKER, center_id=center_id, is_active=True).order_by("username"))


@login_required
@require_POST
def action(request, pk: int):
    form = ActionForm(request.POST, workers=_community_workers(request.user, pk))
    if not form.is_valid():
        messages.error(request, _("Unknown action."))
        return redirect("care:detail", pk=pk)
    data = form.cleaned_data
    try:
        services.person_action(
            person_id=pk,
            actor=request.user,
            action=data["action"],
            reason=data["reason"],
            risk=data["risk"] or None,
            end_reason=data["end_reason"] or None,
            workers=data["workers"] if data["action"] == Action.ASSIGN else None,
        )
    except services.PersonNotFound:
        raise Http404(_("No such person in your care.")) from None
    except (ValidationError, IllegalTransition) as exc:
        messages.error(request, _message(exc))
        return redirect("care:detail", pk=pk)
    messages.success(request, _("Done."))
    return redirect("care:detail", pk=pk)


@login_required
def import_page(request):
    """Import from .xlsx: every row's errors shown, nothing written unless all rows are good."""
    if not _may_import(request.user):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = transfer.import_xlsx(actor=request.user, upload=form.cleaned_data["file"])
        if not result["errors"]:
            messages.success(request, _("%(n)d persons imported.") % {"n": result["created"]})
            return redirect("care:people")
    return render(request, "care/import.html", {"form": form, "result": result, "columns": transfer.COLUMNS})


@login_required
def export(request):
    """The filtered list as .xlsx, masked; each row logged."""
    form = PersonFilterForm(request.GET or None)
    queryset = selectors.person_list(request.user)
    if form.is_valid():
        d = form.cleaned_data
        queryset = selectors.person_filter(
            queryset, person_type=d["person_type"], risk=d["risk"], status=d["status"], overdue=d["overdue"]
        )
    content = transfer.export_xlsx(user=request.user, queryset=queryset.order_by("id"), path=request.path)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="special-people.xlsx"'
    return response


@login_required
def view_log(request):
    """Who saw which record, when and from where: administrators only."""
    if not scope_for(request.user).everything:
        raise PermissionDenied
    person = request.GET.get("person")
    rows = selectors.view_log(person_id=int(person) if person and person.isdigit() else None)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(request, "care/view_log.html", {"page_obj": page})


class PhotoView(APIView):
    """A visit's photo (or its thumbnail), to whoever may see the person: session or API token;
    401 signed out, 404 outside the scope."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = AnyAccept
    thumbnail = False

    @extend_schema(exclude=True)
    def get(self, request, pk: int):
        row = VisitPhoto.objects.select_related("visit").filter(pk=pk).first()
        if row is None or not scope_for(request.user).special_people().filter(pk=row.visit.person_id).exists():
            raise NotFound(_("No such photo."))
        field = row.thumbnail if self.thumbnail else row.image
        try:
            return private_file_response(field, content_type="image/jpeg", cache="private, max-age=3600")
        except MissingFile:
            raise NotFound(_("No such photo.")) from None

from datetime import datetime, time, timedelta

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget

from accounts.scope import scope_for, subtree_ids
from events.choices import AssignmentState, Light, Source, State
from events.models import Event, EventAssignment, EventCategory
from events.selectors import overdue_q
from grids.models import Center
from wenjiang_ops.api import ListedCenterFilter


def _midnight(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def _flag(**kwargs) -> django_filters.BooleanFilter:
    """A yes/no filter that reads 1/0 as well as true/false (Django's own select reads neither 1 nor 0,
    and a filter it cannot read is silently not applied)."""
    return django_filters.BooleanFilter(widget=BooleanWidget, **kwargs)


def _centers(request):
    # The polygon is never needed here: reading and decoding a town's outline costs more than the query.
    return scope_for(request.user).centers().defer("boundary") if request else Center.objects.none()


class EventFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=State.choices, distinct=False)
    center = ListedCenterFilter(queryset=_centers, method="filter_center", label=_("center (its whole subtree)"))
    holder = django_filters.ModelChoiceFilter(
        queryset=_centers, field_name="center", label=_("held by exactly this center")
    )
    grid = django_filters.NumberFilter(field_name="grid_id")
    category = django_filters.ModelChoiceFilter(
        queryset=EventCategory.objects.all(), method="filter_category", label=_("category (and its subcategories)")
    )
    department = django_filters.NumberFilter(method="filter_department", label=_("dispatched to this department"))
    source = django_filters.MultipleChoiceFilter(choices=Source.choices, distinct=False)
    urgent = _flag()
    urgent_requested = _flag(label=_("urgency requested by the reporter, awaiting the accepting center's confirmation"))
    light = django_filters.MultipleChoiceFilter(choices=Light.choices, distinct=False)
    overdue = _flag(method="filter_overdue", label=_("past the deadline"))
    created_after = django_filters.DateFilter(method="filter_created_after", label=_("reported on or after (date)"))
    created_before = django_filters.DateFilter(method="filter_created_before", label=_("reported on or before (date)"))
    search = django_filters.CharFilter(
        method="filter_search", label=_("text in the description or address, or a number")
    )
    mine = django_filters.ChoiceFilter(
        choices=[("reported", _("my reports")), ("tasks", _("my tasks"))], method="filter_mine"
    )

    class Meta:
        model = Event
        fields = [
            "state",
            "center",
            "holder",
            "grid",
            "category",
            "department",
            "source",
            "urgent",
            "urgent_requested",
            "light",
            "overdue",
            "created_after",
            "created_before",
            "search",
            "mine",
        ]

    def filter_center(self, qs, name, value):
        if ListedCenterFilter.listed(self.request, value):
            return qs  # the view limited the list to this subtree already (Scope.events_in)
        # Escalation only climbs: "first held in this subtree" covers "held in it now".
        return qs.filter(origin_center_id__in=subtree_ids(value.path))

    # Dates become moments (local midnight), so that the (center, created_at) index serves the range.
    def filter_created_after(self, qs, name, value):
        return qs.filter(created_at__gte=_midnight(value))

    def filter_created_before(self, qs, name, value):
        return qs.filter(created_at__lt=_midnight(value + timedelta(days=1)))

    def filter_category(self, qs, name, value):
        return qs.filter(Q(category=value) | Q(category__parent=value))

    def filter_department(self, qs, name, value):
        return qs.filter(Exists(EventAssignment.objects.filter(event=OuterRef("pk"), department_id=value, active=True)))

    def filter_overdue(self, qs, name, value):
        late = overdue_q(timezone.now())
        return qs.filter(late) if value else qs.exclude(late)

    def filter_search(self, qs, name, value):
        value = value.strip()
        number = value.rsplit("-", 1)[-1]
        query = Q(description__icontains=value) | Q(address__icontains=value)
        if number.isdigit():
            query |= Q(pk=int(number))
        return qs.filter(query)

    def filter_mine(self, qs, name, value):
        """My reports; or my tasks: for department staff, their department's tickets still to sign
        or handle; for grid workers, the events dispatched to them to handle or verify."""
        user = self.request.user
        if value == "reported":
            return qs.filter(reporter=user)
        if user.department_id:
            todo = EventAssignment.objects.filter(
                event=OuterRef("pk"),
                active=True,
                department_id=user.department_id,
                state__in=[AssignmentState.DISPATCHED, AssignmentState.SIGNED],
            )
            return qs.filter(Exists(todo), state__in=[State.DISPATCHED, State.IN_PROGRESS])
        handling = Q(assignee=user, state__in=[State.DISPATCHED, State.IN_PROGRESS])
        return qs.filter(handling | Q(verifier=user, state=State.VERIFYING))

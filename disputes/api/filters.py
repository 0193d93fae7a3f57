"""The filters of the dispute list (`GET /api/disputes/`)."""

from datetime import datetime, time, timedelta

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget

from accounts.scope import scope_for, subtree_ids
from disputes.choices import Channel, Intake, Light, Risk, State
from disputes.domain.states import PHASE_OF_STATE
from disputes.models import Dispute, DisputeMediator, DisputeType
from grids.choices import Level
from grids.models import Center
from wenjiang_ops.api import ListedCenterFilter

# The states in which a phase clock runs (suspended time does not count: not overdue).
CLOCKED_STATES = [state for state, phase in PHASE_OF_STATE.items() if phase is not None]


def overdue_q(now) -> Q:
    """Past the running phase's deadline: `due_at` passed while its clock runs."""
    return Q(due_at__lt=now, state__in=CLOCKED_STATES) & ~Q(phase="")


def _midnight(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def _flag(**kwargs) -> django_filters.BooleanFilter:
    """A yes/no filter that reads 1/0 as well as true/false (as the events' list)."""
    return django_filters.BooleanFilter(widget=BooleanWidget, **kwargs)


def _centers(request):
    # The polygon is never needed here: reading and decoding a town's outline costs more than the query.
    return scope_for(request.user).centers().defer("boundary") if request else Center.objects.none()


class DisputeFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=State.choices, distinct=False)
    center = ListedCenterFilter(queryset=_centers, method="filter_center", label=_("center (its whole subtree)"))
    grid = django_filters.NumberFilter(field_name="grid_id", min_value=1, max_value=2**63 - 1)
    type = django_filters.ModelChoiceFilter(
        queryset=DisputeType.objects.all(), method="filter_type", label=_("type (and its subtypes)")
    )
    intake = django_filters.MultipleChoiceFilter(choices=Intake.choices, distinct=False)
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, distinct=False)
    risk = django_filters.MultipleChoiceFilter(choices=Risk.choices, distinct=False)
    light = django_filters.MultipleChoiceFilter(choices=Light.choices, distinct=False)
    level = django_filters.MultipleChoiceFilter(choices=Level.choices, distinct=False)
    alarmed = _flag(field_name="alarmed_at", method="filter_alarmed", label=_("an alarm was raised"))
    overdue = _flag(method="filter_overdue", label=_("past the running phase's deadline"))
    mine = _flag(method="filter_mine", label=_("cases I mediate"))
    created_after = django_filters.DateFilter(method="filter_created_after", label=_("taken in on or after (date)"))
    created_before = django_filters.DateFilter(method="filter_created_before", label=_("taken in on or before (date)"))
    search = django_filters.CharFilter(method="filter_search", label=_("text in the case number or the title"))

    class Meta:
        model = Dispute
        fields = [
            "state",
            "center",
            "grid",
            "type",
            "intake",
            "channel",
            "risk",
            "light",
            "level",
            "alarmed",
            "overdue",
            "mine",
            "created_after",
            "created_before",
            "search",
        ]

    def filter_center(self, qs, name, value):
        if ListedCenterFilter.listed(self.request, value):
            return qs  # the view limited the list to this subtree already (Scope.disputes_in)
        # Escalation only climbs: "first held in this subtree" covers "held in it now" (as events).
        return qs.filter(origin_center_id__in=subtree_ids(value.path))

    def filter_type(self, qs, name, value):
        return qs.filter(Q(type=value) | Q(type__parent=value))

    def filter_alarmed(self, qs, name, value):
        return qs.filter(alarmed_at__isnull=not value)

    def filter_overdue(self, qs, name, value):
        late = overdue_q(timezone.now())
        return qs.filter(late) if value else qs.exclude(late)

    def filter_mine(self, qs, name, value):
        mine = Exists(DisputeMediator.objects.filter(dispute=OuterRef("pk"), user=self.request.user, active=True))
        return qs.filter(mine) if value else qs.exclude(mine)

    def filter_created_after(self, qs, name, value):
        return qs.filter(created_at__gte=_midnight(value))

    def filter_created_before(self, qs, name, value):
        try:
            end = _midnight(value + timedelta(days=1))
        except OverflowError:  # 9999-12-31: no end
            return qs
        return qs.filter(created_at__lt=end)

    def filter_search(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(Q(number__icontains=value) | Q(title__icontains=value))

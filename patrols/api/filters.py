import django_filters
from django.utils.translation import gettext_lazy as _

from grids.api.filters import CenterSubtreeFilter
from patrols.choices import PatrolState
from patrols.models import Patrol, PatrolPlan


class PatrolFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=PatrolState.choices)
    center = CenterSubtreeFilter()
    plan = django_filters.NumberFilter(field_name="plan_id")
    user = django_filters.NumberFilter(field_name="user_id")
    started_after = django_filters.IsoDateTimeFilter(
        field_name="started_at", lookup_expr="gte", label=_("started at or after")
    )
    started_before = django_filters.IsoDateTimeFilter(
        field_name="started_at", lookup_expr="lt", label=_("started before")
    )

    class Meta:
        model = Patrol
        fields = ["state", "center", "plan", "user", "started_after", "started_before"]


class PlanFilter(django_filters.FilterSet):
    center = CenterSubtreeFilter()
    grid = django_filters.NumberFilter(field_name="grid_id")
    organization = django_filters.NumberFilter(field_name="organization_id")
    active = django_filters.BooleanFilter()

    class Meta:
        model = PatrolPlan
        fields = ["center", "grid", "organization", "active"]

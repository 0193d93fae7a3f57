"""The persons list's filters (django-filter), applied through care.selectors.person_filter."""

import django_filters
from django.utils import timezone

from ..choices import PersonType, Risk, Status
from ..selectors import overdue_q


class PersonFilter(django_filters.FilterSet):
    person_type = django_filters.ChoiceFilter(choices=PersonType.choices)
    risk = django_filters.ChoiceFilter(choices=Risk.choices)
    status = django_filters.ChoiceFilter(choices=Status.choices)
    overdue = django_filters.BooleanFilter(method="filter_overdue")
    grid = django_filters.NumberFilter(field_name="grid_id")
    department = django_filters.NumberFilter(field_name="department_id")
    center = django_filters.NumberFilter(method="filter_center", help_text="a center: its whole subtree")

    def filter_overdue(self, queryset, name, value):
        q = overdue_q(timezone.now())
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_center(self, queryset, name, value):
        from grids.models import Center

        center = Center.objects.filter(pk=value).only("path").first()
        if center is None:
            return queryset.none()
        return queryset.filter(center__path__startswith=center.path)

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.scope import scope_for
from grids.models import Center, Grid


class CenterSubtreeFilter(django_filters.ModelChoiceFilter):
    """`?center=<id>`: rows belonging to that center or any center below it."""

    def __init__(self, *args, field_prefix: str = "center__", **kwargs):
        self.field_prefix = field_prefix
        # Only centers the user may see are valid values; others are a 400 like any bad id.
        kwargs.setdefault(
            "queryset", lambda request: scope_for(request.user).centers() if request else Center.objects.none()
        )
        kwargs.setdefault("label", _("center (its whole subtree)"))
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_prefix}path__startswith": value.path})


class CenterFilter(django_filters.FilterSet):
    within = CenterSubtreeFilter(field_prefix="", label=_("within center (subtree)"))
    search = django_filters.CharFilter(method="filter_search", label=_("name or code"))

    class Meta:
        model = Center
        fields = ["level", "parent", "within", "search"]

    def filter_search(self, qs, name, value):
        return qs.filter(Q(name__icontains=value) | Q(code__startswith=value))


class GridFilter(django_filters.FilterSet):
    center = CenterSubtreeFilter()
    search = django_filters.CharFilter(method="filter_search", label=_("name or code"))

    class Meta:
        model = Grid
        fields = ["center", "kind", "subtype", "search"]

    def filter_search(self, qs, name, value):
        return qs.filter(Q(name__icontains=value) | Q(code__startswith=value))


class PlaceFilter(django_filters.FilterSet):
    grid = django_filters.NumberFilter(field_name="grid_id", label=_("grid"))
    center = CenterSubtreeFilter(field_prefix="grid__center__")
    kind = django_filters.CharFilter(field_name="kind", label=_("kind"))
    active = django_filters.BooleanFilter(field_name="active", label=_("active"))
    search = django_filters.CharFilter(method="filter_search", label=_("name, address or code"))

    class Meta:
        from grids.models import Place

        model = Place
        fields = ["grid", "center", "kind", "active", "search"]

    def filter_search(self, qs, name, value):
        return qs.filter(Q(name__icontains=value) | Q(address__icontains=value) | Q(code=value))

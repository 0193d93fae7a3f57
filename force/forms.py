"""Input of the force pages and API: the forms of the pages and the one parser of the query
parameters (period, center, month) both use, so that a page and the API read the same figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.scope import Scope
from events.selectors import Period
from grids.choices import VolunteerCategory
from grids.models import Center

from .choices import PerformanceBy
from .selectors import month_period, this_month

MAX_DAYS = 366 * 2


@dataclass(frozen=True)
class FigureQuery:
    center: Center
    date_from: date
    date_to: date
    by: str

    @property
    def period(self) -> Period:
        return Period.from_dates(self.date_from, self.date_to)


def _date(value: str | None, field: str, default: date) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError({field: [_("A date as YYYY-MM-DD.")]}) from None


def center_in_scope(value, scope: Scope, default: Center | None) -> Center:
    """The center `value` (an id) if the scope sees it (else 404), or `default`."""
    if value in (None, ""):
        if default is None:
            raise ValidationError({"center": [_("Choose a center.")]})
        return default
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"center": [_("A center id is a number.")]}) from None
    center = scope.centers().filter(pk=pk).first()
    if center is None:
        raise Http404(_("No such center in your area."))
    return center


def figure_query(params, user, scope: Scope) -> FigureQuery:
    """center (default: the user's), date_from (default: the 1st of this month), date_to (default:
    today), by (worker | grid)."""
    today = timezone.localdate()
    date_from = _date(params.get("date_from"), "date_from", today.replace(day=1))
    date_to = _date(params.get("date_to"), "date_to", today)
    if date_to < date_from:
        raise ValidationError({"date_to": [_("The last day comes before the first.")]})
    if (date_to - date_from).days > MAX_DAYS:
        raise ValidationError({"date_to": [_("At most two years at a time.")]})
    by = params.get("by") or PerformanceBy.GRID
    if by not in PerformanceBy.values:
        raise ValidationError({"by": [_("By grid or by grid worker.")]})
    center = center_in_scope(params.get("center"), scope, user.center or Center.objects.order_by("depth").first())
    return FigureQuery(center=center, date_from=date_from, date_to=date_to, by=by)


def month_of(value: str | None) -> date:
    """A month as YYYY-MM (default: this one)."""
    if not value:
        return this_month()
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except (TypeError, ValueError):
        raise ValidationError({"month": [_("A month as YYYY-MM.")]}) from None


def month_period_of(value: str | None) -> Period:
    return month_period(month_of(value))


class InvitationForm(forms.Form):
    grid = forms.IntegerField(label=gettext_lazy("Grid"), required=False, widget=forms.Select)
    organization = forms.IntegerField(label=gettext_lazy("Organization"), required=False, widget=forms.Select)
    days = forms.IntegerField(label=gettext_lazy("Valid for (days)"), initial=14, min_value=1, max_value=90)
    uses = forms.IntegerField(label=gettext_lazy("Number of sign-ups"), initial=1, min_value=1, max_value=500)


class JoinForm(forms.Form):
    real_name = forms.CharField(label=gettext_lazy("Real name"), max_length=50)
    phone = forms.CharField(label=gettext_lazy("Mobile number"), max_length=20)
    id_number = forms.CharField(label=gettext_lazy("ID number"), max_length=18)
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=VolunteerCategory.choices)
    organization = forms.IntegerField(label=gettext_lazy("Organization"), required=False, widget=forms.Select)
    password = forms.CharField(label=gettext_lazy("Password"), widget=forms.PasswordInput, max_length=128)


class RecognitionForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    bonus_points = forms.IntegerField(label=gettext_lazy("Bonus points"), initial=0, min_value=0, max_value=100)

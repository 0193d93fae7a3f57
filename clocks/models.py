"""The calendars that centers count time on, and the nationwide holidays and make-up working days;
and what a case type's timeline needs to record each clock step once.

The calendar tables were made by `grids`, which held these models first: they keep their names."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import moments
from .calendars import parse_periods


class Mark(models.IntegerChoices):
    """A sweep's steps in one phase cycle of a case, as bits (clocks.moments): each is recorded once,
    on a timeline row carrying its cycle and mark (see `step_once`)."""

    WARN = moments.WARN, _("Warning")
    OVERDUE = moments.OVERDUE, _("Overdue")
    ESCALATE = moments.ESCALATE, _("Escalation")


def step_once(case: str, *, name: str) -> models.UniqueConstraint:
    """The constraint that makes a case type's clock steps happen once: on its timeline, one row per
    (case, cycle, mark) among the rows that carry a mark. Whatever runs twice (parallel sweeps, a
    redelivered task) fails on it, inside the batch's transaction, and changes nothing."""
    return models.UniqueConstraint(fields=[case, "cycle", "mark"], name=name, condition=Q(mark__isnull=False))


class Calendar(models.Model):
    """When a center counts time: round the clock (duty), or working periods on working days.

    Working days are Monday to Friday, except the public holidays and make-up working days
    (调休) listed in SpecialDay."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    round_the_clock = models.BooleanField(_("round the clock"), default=False)
    periods = models.JSONField(
        _("working periods"),
        default=list,
        blank=True,
        help_text=_('Start and end of each working period of a day, e.g. [["09:00", "12:00"], ["13:30", "17:30"]].'),
    )

    class Meta:
        db_table = "grids_calendar"  # made by grids, which held it first; the table stayed
        verbose_name = _("calendar")
        verbose_name_plural = _("calendars")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            periods = parse_periods(self.periods)
        except (TypeError, ValueError) as exc:
            message = _('Working periods look like [["09:00", "12:00"]]: %(e)s') % {"e": exc}
            raise ValidationError({"periods": message}) from None
        if not self.round_the_clock and not periods:
            raise ValidationError({"periods": _("A working-hours calendar needs at least one working period.")})


class SpecialDay(models.Model):
    """A public holiday (no work) or a make-up working day (调休上班), nationwide."""

    date = models.DateField(_("date"), unique=True)
    workday = models.BooleanField(_("working day"), help_text=_("On: a make-up working day. Off: a holiday."))
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        db_table = "grids_specialday"
        verbose_name = _("holiday or make-up working day")
        verbose_name_plural = _("holidays and make-up working days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"

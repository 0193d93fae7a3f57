"""Words of the force app: the kinds of point entries and the rules that award them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PointKind(models.TextChoices):
    """What a ledger entry is for. A reversal cancels the award of the same source."""

    REPORT = "report", _("Valid report")
    REPORT_REVERSAL = "report_reversal", _("Report no longer valid")
    PATROL = "patrol", _("Patrol")
    RECOGNITION = "recognition", _("Recognition")


class RuleKind(models.TextChoices):
    """The awards an administrator can tune (PointRule); recognitions carry their own bonus."""

    REPORT = "report", _("Per valid report")
    PATROL = "patrol", _("Per patrol ended with check-ins")


class SourceType(models.TextChoices):
    EVENT = "event", _("Event")
    PATROL = "patrol", _("Patrol")
    RECOGNITION = "recognition", _("Recognition")


class PerformanceBy(models.TextChoices):
    WORKER = "worker", _("Grid worker")
    GRID = "grid", _("Grid")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    """The four special populations (四类特殊人群) under care: records, helping teams, visits on the
    shared clocks, lost contact, and the log of every view of a person."""

    name = "care"
    verbose_name = _("Special populations")

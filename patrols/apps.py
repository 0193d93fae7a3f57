from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolsConfig(AppConfig):
    """Patrols (网格巡查): plans over the grid's places, patrols with their tracks and check-ins,
    coverage, and missed patrols on the shared clocks."""

    name = "patrols"
    verbose_name = _("Patrols")

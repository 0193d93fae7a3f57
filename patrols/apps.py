from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What the patrols' inbox messages are called on the inbox page (inbox.kinds).
INBOX_KINDS = {
    "patrol_period_warning": _("Patrol period ending"),
    "patrol_missed": _("Patrol missed"),
}


class PatrolsConfig(AppConfig):
    """Patrols (网格巡查): plans over the grid's places, patrols with their tracks and check-ins,
    coverage, and missed patrols on the shared clocks."""

    name = "patrols"
    verbose_name = _("Patrols")

    def ready(self) -> None:
        from clocks import sweep
        from inbox import kinds, subjects

        from . import engine
        from .models import Patrol, PatrolPlan

        sweep.register("patrols", engine.sweep)  # the plans' periods run under the shared sweep task
        subjects.register(PatrolPlan, url=lambda pk: f"/patrols/plans/{pk}/")
        subjects.register(Patrol, url=lambda pk: f"/patrols/{pk}/")
        kinds.register(INBOX_KINDS)

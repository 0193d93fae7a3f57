from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    name = "disputes"
    verbose_name = _("Disputes")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from clocks import sweep
        from inbox import subjects

        from . import clocks, engine
        from .models import Dispute, DisputeLimit

        sweep.register("disputes", engine.sweep)  # the clocks and reminders run under the shared sweep task
        # Inbox messages link to the case's page (a plain path: no query, as subjects.register asks).
        subjects.register(Dispute, url=lambda pk: f"/disputes/{pk}/")
        # An administrator's new limit counts from the next step in this process (others: within
        # the cache's 30 s).
        post_save.connect(clocks.limits_changed, sender=DisputeLimit, dispatch_uid="dispute_limits_saved")
        post_delete.connect(clocks.limits_changed, sender=DisputeLimit, dispatch_uid="dispute_limits_deleted")

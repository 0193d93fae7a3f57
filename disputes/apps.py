from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What the disputes' inbox messages are called on the inbox page (inbox.kinds).
INBOX_KINDS = {
    "dispute_warning": _("Dispute warning"),
    "dispute_overdue": _("Dispute overdue"),
    "dispute_escalated": _("Dispute escalated"),
    "dispute_red_card": _("Dispute red card"),
    "dispute_urge": _("Dispute urged"),
    "dispute_assigned": _("Dispute assigned"),
    "dispute_alarm": _("Dispute alarm"),
    "dispute_follow_up_due": _("Follow-up visit due"),
    "dispute_obligation_due": _("Performance due"),
    "dispute_confirmation_window": _("Judicial confirmation"),
}


class DisputesConfig(AppConfig):
    name = "disputes"
    verbose_name = _("Disputes")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from clocks import sweep
        from inbox import kinds, subjects

        from . import clocks, engine
        from .models import Dispute, DisputeLimit

        sweep.register("disputes", engine.sweep)  # the clocks and reminders run under the shared sweep task
        # Inbox messages link to the case's page (a plain path: no query, as subjects.register asks).
        subjects.register(Dispute, url=lambda pk: f"/disputes/{pk}/")
        kinds.register(INBOX_KINDS)
        # An administrator's new limit counts from the next step in this process (others: within
        # the cache's 30 s).
        post_save.connect(clocks.limits_changed, sender=DisputeLimit, dispatch_uid="dispute_limits_saved")
        post_delete.connect(clocks.limits_changed, sender=DisputeLimit, dispatch_uid="dispute_limits_deleted")

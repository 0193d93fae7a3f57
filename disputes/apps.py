from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "disputes"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import clocks
        from .models import DisputeLimit

        # An administrator's new limit counts from the next step in this process (others: within
        # the cache's 30 s).
        post_save.connect(clocks.limits_changed, sender=DisputeLimit, dispatch_uid="dispute_limits_saved")
        post_delete.connect(clocks.limits_changed, sender=DisputeLimit, dispatch_uid="dispute_limits_deleted")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClocksConfig(AppConfig):
    name = "clocks"
    verbose_name = _("Clocks and calendars")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import cache
        from .models import Calendar, SpecialDay

        # Edits in this process are seen at once; other processes reload within cache.SECONDS.
        for model in (Calendar, SpecialDay):
            post_save.connect(cache.invalidate, sender=model, dispatch_uid=f"clocks-save-{model.__name__}")
            post_delete.connect(cache.invalidate, sender=model, dispatch_uid=f"clocks-del-{model.__name__}")

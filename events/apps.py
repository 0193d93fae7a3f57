from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Events")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import clocks
        from .models import EventCategory, PhaseLimit

        for model in (EventCategory, PhaseLimit):
            post_save.connect(clocks.reference_changed, sender=model, dispatch_uid=f"ref-save-{model.__name__}")
            post_delete.connect(clocks.reference_changed, sender=model, dispatch_uid=f"ref-del-{model.__name__}")

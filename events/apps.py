from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Events")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save
        from django.urls import reverse

        from clocks import sweep
        from inbox import subjects

        from . import clocks, engine
        from .models import ClockPolicy, Event, EventCategory, PhaseLimit

        sweep.register("events", engine.sweep)  # the escalation engine runs under the shared sweep task
        subjects.register(Event, url=lambda pk: reverse("events:detail", args=[pk]))  # inbox messages' links
        for model in (EventCategory, PhaseLimit, ClockPolicy):
            post_save.connect(clocks.reference_changed, sender=model, dispatch_uid=f"ref-save-{model.__name__}")
            post_delete.connect(clocks.reference_changed, sender=model, dispatch_uid=f"ref-del-{model.__name__}")

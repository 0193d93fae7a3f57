from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What the events' inbox messages are called on the inbox page (inbox.kinds).
INBOX_KINDS = {
    "warning": _("Warning"),
    "overdue": _("Overdue"),
    "escalated": _("Escalated"),
    "red_card": _("Red card"),
    "yellow_card": _("Yellow card"),
    "urge": _("Urge"),
    "returned": _("Returned"),
    "handled": _("To verify"),
    "extension": _("Extension"),
    "rework": _("Rework"),
    "ticket": _("New ticket"),
    "task": _("New task"),
}


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Events")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save
        from django.urls import reverse

        from clocks import sweep
        from inbox import kinds, subjects

        from . import clocks, engine, exporters, figures
        from .models import ClockPolicy, Event, EventCategory, PhaseLimit

        sweep.register("events", engine.sweep)  # the escalation engine runs under the shared sweep task
        sweep.register("event-figures", figures.figures_sweep)  # the dashboards' counters folded
        subjects.register(Event, url=lambda pk: reverse("events:detail", args=[pk]))  # inbox messages' links
        kinds.register(INBOX_KINDS)
        exporters.register_exporters()  # lists and report sheets as background exports
        for model in (EventCategory, PhaseLimit, ClockPolicy):
            post_save.connect(clocks.reference_changed, sender=model, dispatch_uid=f"ref-save-{model.__name__}")
            post_delete.connect(clocks.reference_changed, sender=model, dispatch_uid=f"ref-del-{model.__name__}")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What the grid force's inbox messages are called on the inbox page (inbox.kinds).
INBOX_KINDS = {"recognition": _("Recognition")}


class ForceConfig(AppConfig):
    """The grid force at work (警网红 1+3+N): volunteers' sign-up and points, rankings and
    recognition, and the grid duties in use with each worker's and grid's figures."""

    name = "force"
    verbose_name = _("Grid force")

    def ready(self) -> None:
        from events.signals import event_changed
        from inbox import kinds, subjects
        from patrols.signals import patrol_ended

        from . import signals
        from .models import Recognition

        # A commendation's message links to the volunteer's page, where it is shown.
        subjects.register(Recognition, url=lambda pk: "/force/me/")
        kinds.register(INBOX_KINDS)
        event_changed.connect(signals.on_event_changed, dispatch_uid="force_points_on_event")
        patrol_ended.connect(signals.on_patrol_ended, dispatch_uid="force_points_on_patrol")

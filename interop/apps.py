from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteropConfig(AppConfig):
    """Other systems beside the platform: the Open311 GeoReport v2 façade (/open311/v2/) and the 12345
    hotline's hand-off (work orders in, callbacks out)."""

    name = "interop"
    verbose_name = _("Interoperability")

    def ready(self) -> None:
        from events.signals import event_changed

        from . import hotline

        # After each committed step: a hotline order's callback is queued at once (the periodic pass
        # finds any step this misses, so a callback is never lost).
        event_changed.connect(hotline.on_event_changed, dispatch_uid="interop.hotline")

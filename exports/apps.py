from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    """Exports that run as background jobs: a progress bar while they run, the file in the inbox when
    done, kept for a day for its requester only. Case types register what they can export
    (`exports.registry.register`); this app imports none of them."""

    name = "exports"
    verbose_name = _("Exports")

    def ready(self) -> None:
        from inbox import kinds, subjects

        from .models import ExportJob

        subjects.register(ExportJob, url=lambda pk: f"/exports/{pk}/")
        kinds.register({"export_ready": _("Export ready"), "export_failed": _("Export failed")})

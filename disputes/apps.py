from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "disputes"

    def ready(self) -> None:
        from clocks import sweep
        from inbox import subjects

        from . import engine
        from .models import Dispute

        sweep.register("disputes", engine.sweep)  # the clocks and reminders run under the shared sweep task
        # Inbox messages link to the case's page (a plain path: no query, as subjects.register asks).
        subjects.register(Dispute, url=lambda pk: f"/disputes/{pk}/")

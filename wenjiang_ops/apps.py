from django.apps import AppConfig


class WenjiangOpsConfig(AppConfig):
    """The command-center shell: dashboard pages and the realtime pushes."""

    name = "wenjiang_ops"
    verbose_name = "Wenjiang ops"

    def ready(self) -> None:
        from .live import publish  # noqa: F401  (connects the push receivers)

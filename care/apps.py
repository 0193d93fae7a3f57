from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What the care inbox messages are called on the inbox page (inbox.kinds).
INBOX_KINDS = {
    "care_visit_warning": _("Visit due soon"),
    "care_visit_overdue": _("Visit overdue"),
    "care_visit_escalated": _("Visit escalated"),
    "care_lost_contact": _("Lost contact"),
    "care_found": _("Found again"),
}


class CareConfig(AppConfig):
    """The four special populations (四类特殊人群) under care: records, helping teams, visits on the
    shared clocks, lost contact, and the log of every view of a person."""

    name = "care"
    verbose_name = _("Special populations")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from clocks import sweep
        from inbox import kinds, subjects

        from . import clocks, engine
        from .models import SpecialPerson, VisitRule

        sweep.register("care", engine.sweep)
        subjects.register(SpecialPerson, url=lambda pk: f"/care/{pk}/")
        kinds.register(INBOX_KINDS)
        post_save.connect(clocks.rules_changed, sender=VisitRule, dispatch_uid="care_rules_saved")
        post_delete.connect(clocks.rules_changed, sender=VisitRule, dispatch_uid="care_rules_deleted")

"""Administration of the care app: the visit rules (editable), the records (read through the
services' rules elsewhere), and the view log (read-only; opening a record here is logged too)."""

from django.contrib import admin

from wenjiang_ops.read_only_admin import ReadOnlyAdmin

from .choices import Via
from .models import CareAction, PersonView, SpecialPerson, Visit, VisitRule


@admin.register(VisitRule)
class VisitRuleAdmin(admin.ModelAdmin):
    list_display = ["person_type", "risk", "every_days", "warn_days", "grace_days"]
    list_editable = ["every_days", "warn_days", "grace_days"]
    list_filter = ["person_type"]


@admin.register(SpecialPerson)
class SpecialPersonAdmin(ReadOnlyAdmin):
    """Read-only: records change through the services (timeline, clocks, alarms)."""

    list_display = ["id", "person_type", "risk", "status", "center", "department", "due_at"]
    list_filter = ["person_type", "risk", "status"]
    exclude = ["name", "id_number_hash", "phone", "address"]  # the list and the form show no name

    def change_view(self, request, object_id, form_url="", extra_context=None):
        from .services import person_view_log

        if object_id and str(object_id).isdigit() and SpecialPerson.objects.filter(pk=object_id).exists():
            person_view_log(person=int(object_id), user=request.user, via=Via.ADMIN, path=request.path)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["id", "person", "visitor", "visited_at", "method", "found"]
    list_filter = ["method", "found"]


@admin.register(CareAction)
class CareActionAdmin(ReadOnlyAdmin):
    list_display = ["id", "person", "action", "actor", "from_status", "to_status", "created_at"]
    list_filter = ["action"]


@admin.register(PersonView)
class PersonViewAdmin(ReadOnlyAdmin):
    """Who saw which record, when and from where."""

    list_display = ["at", "user", "person", "via", "path", "reason"]
    list_filter = ["via"]
    date_hierarchy = "at"

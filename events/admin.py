from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from wenjiang_ops.read_only_admin import ReadOnlyAdmin

from .models import (
    Attachment,
    ClockPolicy,
    DemoDuplicate,
    DuplicateRule,
    Event,
    EventAction,
    EventAssignment,
    EventCategory,
    EventFigure,
    EventSchedule,
    PhaseLimit,
)


@admin.register(EventCategory)
class EventCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "parent", "default_department", "default_urgent", "public", "order", "active"]
    list_filter = ["active", "default_urgent", "public", "parent"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent", "default_department"]


@admin.register(PhaseLimit)
class PhaseLimitAdmin(admin.ModelAdmin):
    list_display = ["level", "phase", "category", "urgent", "minutes"]
    list_filter = ["level", "phase", "urgent"]
    list_editable = ["minutes"]
    autocomplete_fields = ["category"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AssignmentInline(ReadOnlyInline):
    model = EventAssignment
    fields = ["department", "role", "state", "active", "dispatched_at", "signed_at", "handled_at"]


class ActionInline(ReadOnlyInline):
    model = EventAction
    fields = ["created_at", "action", "actor", "actor_role", "actor_center", "from_state", "to_state", "reason"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin, GISModelAdmin):
    """Events are changed only through the workflow (the pages and the API): read-only here."""

    list_display = ["id", "created_at", "category", "center", "state", "light", "urgent", "source"]
    list_filter = ["state", "light", "urgent", "source", "level"]
    search_fields = ["description", "address"]
    date_hierarchy = "created_at"
    list_select_related = ["category", "category__parent", "center"]
    inlines = [AssignmentInline, ActionInline]


@admin.register(EventAction)
class EventActionAdmin(ReadOnlyAdmin):
    """The timeline is immutable (the database refuses changes): view only."""

    list_display = ["created_at", "event", "action", "actor", "actor_role", "from_state", "to_state"]
    list_filter = ["action", "actor_role"]
    list_select_related = ["event", "event__category", "actor"]
    raw_id_fields = ["event"]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """Photos are added through the workflow (a timeline step, checked uploads): view only, and
    shown through the guarded view, never a /media/ URL."""

    list_display = ["id", "event", "kind", "width", "height", "size", "uploaded_by", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["event", "action"]
    fields = ["event", "action", "kind", "photo", "width", "height", "size", "uploaded_by", "created_at"]
    readonly_fields = fields

    @admin.display(description=_("photo"))
    def photo(self, obj):
        from .media import photo_url

        return format_html(
            '<a href="{}"><img src="{}" alt="" height="160"></a>', photo_url(obj.pk), photo_url(obj.pk, thumbnail=True)
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EventAssignment)
class EventAssignmentAdmin(ReadOnlyAdmin):
    """Dispatches are made through the workflow: view only."""

    list_display = ["event", "department", "role", "state", "active", "dispatched_at"]
    list_filter = ["role", "state", "active", "department"]
    raw_id_fields = ["event"]


@admin.register(ClockPolicy)
class ClockPolicyAdmin(admin.ModelAdmin):
    list_display = ["level", "warning_fraction", "grace_minutes"]
    list_editable = ["warning_fraction", "grace_minutes"]


@admin.register(EventSchedule)
class EventScheduleAdmin(ReadOnlyAdmin):
    """What the escalation engine acts on next, soonest first (kept by the workflow and the engine): view only."""

    list_display = ["next_due_at", "event"]
    list_select_related = ["event", "event__category"]
    ordering = ["next_due_at"]
    raw_id_fields = ["event"]


@admin.register(EventFigure)
class EventFigureAdmin(ReadOnlyAdmin):
    """The dashboards' counters, kept by the database (models.EventFigure): read here, never edited
    (`manage.py figures_check --repair` rewrites them from the events)."""

    list_display = ("origin_center_id", "bucket", "start", "compacted", "reported", "closed", "open", "escalations")
    list_filter = ("bucket", "compacted")


@admin.register(DuplicateRule)
class DuplicateRuleAdmin(admin.ModelAdmin):
    """How close, how recent and how alike a report must be to an open event to be offered as its
    duplicate (events.selectors.event_duplicates); `manage.py duplicates_measure` scores a setting."""

    list_display = ["__str__", "distance_m", "window_hours", "min_similarity", "active"]
    list_editable = ["distance_m", "window_hours", "min_similarity", "active"]
    autocomplete_fields = ["category"]


@admin.register(DemoDuplicate)
class DemoDuplicateAdmin(ReadOnlyAdmin):
    list_display = ["event", "original"]
    raw_id_fields = ["event", "original"]

"""The patrols in the Django admin: plans are edited here (their clock follows through the
services on the next period); patrols, tracks and check-ins are read-only records."""

from django.contrib import admin

from .models import (
    CheckIn,
    MissedPatrol,
    Patrol,
    PatrolPlan,
    PatrolReport,
    PlanClockStep,
    PlanSchedule,
    PlanStop,
    TrackPoint,
)


class PlanStopInline(admin.TabularInline):
    model = PlanStop
    raw_id_fields = ["place"]
    extra = 0


@admin.register(PatrolPlan)
class PatrolPlanAdmin(admin.ModelAdmin):
    list_display = ["name", "center", "grid", "organization", "period", "patrols_per_period", "active"]
    list_filter = ["period", "active"]
    search_fields = ["name"]
    raw_id_fields = ["grid", "organization", "center", "created_by"]
    filter_horizontal = ["assignees", "duties"]
    inlines = [PlanStopInline]
    readonly_fields = ["period_start", "warn_at", "due_at", "clock_cycle", "clock_marks"]


class ReadOnly(admin.ModelAdmin):
    """Records written by the services: read here, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Patrol)
class PatrolAdmin(ReadOnly):
    list_display = ["id", "user", "plan", "center", "state", "started_at", "distance_m", "check_in_count"]
    list_filter = ["state"]
    raw_id_fields = ["user", "plan", "grid", "center"]
    date_hierarchy = "started_at"


@admin.register(TrackPoint)
class TrackPointAdmin(ReadOnly):
    list_display = ["patrol", "seq", "at", "accuracy"]
    raw_id_fields = ["patrol"]


@admin.register(CheckIn)
class CheckInAdmin(ReadOnly):
    list_display = ["patrol", "place", "at", "method", "distance_m"]
    raw_id_fields = ["patrol", "place"]


@admin.register(PatrolReport)
class PatrolReportAdmin(ReadOnly):
    list_display = ["patrol", "event", "dispute", "place", "created_at"]
    raw_id_fields = ["patrol", "event", "dispute", "place"]


@admin.register(MissedPatrol)
class MissedPatrolAdmin(ReadOnly):
    list_display = ["plan", "period_start", "period_end", "patrols_done", "patrols_expected", "places_checked"]
    raw_id_fields = ["plan"]


@admin.register(PlanClockStep)
class PlanClockStepAdmin(ReadOnly):
    list_display = ["plan", "cycle", "mark", "period_start", "at"]
    raw_id_fields = ["plan"]


@admin.register(PlanSchedule)
class PlanScheduleAdmin(ReadOnly):
    list_display = ["plan", "next_due_at"]
    raw_id_fields = ["plan"]

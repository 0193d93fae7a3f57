"""Administration of the force app: the point rules and the duty ↔ category mapping are edited
here; the ledger is read-only (immutable in the database too)."""

from django.contrib import admin

from wenjiang_ops.read_only_admin import ReadOnlyAdmin

from .models import DutyCoverage, PointEntry, PointRule, Recognition, VolunteerInvitation


@admin.register(PointRule)
class PointRuleAdmin(admin.ModelAdmin):
    list_display = ["kind", "points", "min_check_ins", "active"]
    list_editable = ["points", "min_check_ins", "active"]


@admin.register(DutyCoverage)
class DutyCoverageAdmin(admin.ModelAdmin):
    list_display = ["duty", "category"]
    list_filter = ["duty__category"]
    autocomplete_fields = ["duty"]
    list_select_related = ["duty", "category", "category__parent"]


@admin.register(PointEntry)
class PointEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "kind", "points", "source_type", "source_id"]
    list_filter = ["kind"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]
    list_select_related = ["user"]


@admin.register(Recognition)
class RecognitionAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "center", "bonus_points", "reason"]
    raw_id_fields = ["user", "by"]
    list_select_related = ["user", "center"]

    def has_change_permission(self, request, obj=None):
        return False  # the bonus is in the ledger: a recognition is made through the services only

    def has_add_permission(self, request):
        return False


@admin.register(VolunteerInvitation)
class VolunteerInvitationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "center", "grid", "organization", "inviter", "expires_at", "uses_left", "revoked"]
    list_filter = ["revoked"]
    raw_id_fields = ["inviter", "grid"]
    readonly_fields = ["code", "inviter", "grid", "organization", "center", "used", "created_at"]
    list_select_related = ["center", "grid", "organization", "inviter"]

    def has_add_permission(self, request):
        return False

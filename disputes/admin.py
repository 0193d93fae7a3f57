"""The disputes in Django's admin. Administrators edit the reference data (types, committees, time
limits); cases and everything in them change only through `disputes.services` (pages and API), so
they are read-only here. The timeline and the log of views of personal data are never changed."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from wenjiang_ops.read_only_admin import ReadOnlyAdmin

from . import services
from .models import (
    CaseCounter,
    CaseView,
    Committee,
    Confirmation,
    Dispute,
    DisputeAction,
    DisputeLimit,
    DisputeMediator,
    DisputeSchedule,
    DisputeType,
    Document,
    FollowUp,
    Investigation,
    Obligation,
    Party,
    Reminder,
    RepeatLink,
    Session,
)


def mask_phone(phone: str) -> str:
    """13800001111 → 138****1111: enough to tell two parties apart, not to call them."""
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) > 7 else "*" * len(phone)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- reference data: editable ---------------------------------------------------------------------------


@admin.register(DisputeType)
class DisputeTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "parent", "order", "active"]
    list_filter = ["active", "parent"]
    list_editable = ["order", "active"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]


@admin.register(Committee)
class CommitteeAdmin(admin.ModelAdmin):
    list_display = ["name", "center", "number_prefix"]
    list_filter = ["center__level"]
    search_fields = ["name", "center__name", "number_prefix"]
    autocomplete_fields = ["center"]
    list_select_related = ["center"]


@admin.register(DisputeLimit)
class DisputeLimitAdmin(admin.ModelAdmin):
    """The time limits the clocks count with; a change is seen by this process at once and by the
    others within the limits' cache time (disputes.clocks; apps.py clears it on save)."""

    list_display = ["level", "phase", "minutes", "working_time", "warning_fraction", "grace_minutes"]
    list_filter = ["level", "phase", "working_time"]
    list_editable = ["minutes", "working_time", "warning_fraction", "grace_minutes"]


# --- cases: read-only ----------------------------------------------------------------------------------


class PartyInline(ReadOnlyInline):
    """The parties, masked: the ID number is stored masked only; the phone is masked here."""

    model = Party
    fields = ["role", "kind", "name", "id_number_masked", "phone_masked", "consents"]
    readonly_fields = fields

    @admin.display(description=_("phone"))
    def phone_masked(self, obj):
        return mask_phone(obj.phone)


class MediatorInline(ReadOnlyInline):
    model = DisputeMediator
    fields = ["user", "lead", "active", "named_at"]
    readonly_fields = fields


class SessionInline(ReadOnlyInline):
    model = Session
    fields = ["starts_at", "ends_at", "place", "held"]
    readonly_fields = fields


class ObligationInline(ReadOnlyInline):
    model = Obligation
    fields = ["description", "due_date", "performed_at"]
    readonly_fields = fields


class FollowUpInline(ReadOnlyInline):
    model = FollowUp
    fk_name = "dispute"
    fields = ["due_date", "visited_at", "method", "performance", "satisfaction"]
    readonly_fields = fields


class DocumentInline(ReadOnlyInline):
    model = Document
    fields = ["kind", "version", "state", "session", "created_by", "created_at"]
    readonly_fields = fields


class ActionInline(ReadOnlyInline):
    model = DisputeAction
    fields = ["created_at", "action", "actor", "actor_role", "from_state", "to_state", "reason"]
    readonly_fields = fields


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    """Cases change only through the workflow (pages and API): read-only here. Opening a case
    shows its parties (masked), so it is logged as a view of personal data, as the API's detail is."""

    list_display = ["number", "title", "type", "center", "state", "risk", "light", "created_at"]
    list_filter = ["state", "risk", "light", "level", "intake", "channel"]
    search_fields = ["number", "title"]
    date_hierarchy = "created_at"
    list_select_related = ["type", "type__parent", "center"]
    exclude = ["location", "signals", "mediators"]
    raw_id_fields = ["grid", "origin_center", "center", "reporter", "event", "committee", "type"]
    inlines = [
        PartyInline,
        MediatorInline,
        SessionInline,
        ObligationInline,
        FollowUpInline,
        DocumentInline,
        ActionInline,
    ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        dispute = self.get_object(request, object_id) if response.status_code == 200 else None
        if dispute is not None:
            services.case_view_log(dispute=dispute, user=request.user, via="admin")
        return response


@admin.register(DisputeAction)
class DisputeActionAdmin(ReadOnlyAdmin):
    """The timeline is immutable (the database refuses changes): view only."""

    list_display = ["created_at", "dispute", "action", "actor", "actor_role", "from_state", "to_state"]
    list_filter = ["action", "actor_role"]
    list_select_related = ["dispute", "actor"]
    raw_id_fields = ["dispute"]
    date_hierarchy = "created_at"


@admin.register(CaseView)
class CaseViewAdmin(ReadOnlyAdmin):
    """The log of views of personal data: who saw which case's parties, when, and how (page, API,
    document, admin). Readable by an administrator; never changed."""

    list_display = ["at", "user", "user_role", "dispute", "via"]
    list_filter = ["via", "user__role", "at"]
    search_fields = ["user__username", "user__last_name", "user__first_name", "dispute__number"]
    list_select_related = ["user", "dispute"]
    date_hierarchy = "at"

    @admin.display(description=_("role"), ordering="user__role")
    def user_role(self, obj):
        return obj.user.get_role_display()


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    """Documents are generated and signed through the workflow; the files hold personal data and
    are served only by the API (to whoever may see the parties, logged)."""

    list_display = ["dispute", "kind", "version", "state", "created_by", "created_at"]
    list_filter = ["kind", "state"]
    list_select_related = ["dispute", "created_by"]
    raw_id_fields = ["dispute", "session"]
    exclude = ["pdf", "docx", "scan"]


@admin.register(Session)
class SessionAdmin(ReadOnlyAdmin):
    list_display = ["dispute", "starts_at", "place", "held"]
    list_filter = ["held"]
    list_select_related = ["dispute"]
    raw_id_fields = ["dispute"]
    exclude = ["notes", "attendees"]  # what the parties said: in the case, not in the admin


@admin.register(Investigation)
class InvestigationAdmin(ReadOnlyAdmin):
    list_display = ["dispute", "at", "recorded_by"]
    list_select_related = ["dispute", "recorded_by"]
    raw_id_fields = ["dispute"]
    exclude = ["content", "interviewed"]


@admin.register(Obligation)
class ObligationAdmin(ReadOnlyAdmin):
    list_display = ["dispute", "description", "due_date", "performed_at"]
    list_select_related = ["dispute"]
    raw_id_fields = ["dispute", "party"]


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    list_display = ["dispute", "due_date", "visited_at", "method", "performance", "satisfaction"]
    list_filter = ["method", "performance", "satisfaction"]
    list_select_related = ["dispute"]
    raw_id_fields = ["dispute"]


@admin.register(Confirmation)
class ConfirmationAdmin(ReadOnlyAdmin):
    list_display = ["dispute", "court", "applied_on", "accepted_on", "ruling", "ruled_on"]
    list_filter = ["ruling"]
    list_select_related = ["dispute"]
    raw_id_fields = ["dispute"]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["dispute", "kind", "due_at", "sent_at", "cancelled"]
    list_filter = ["kind", "cancelled"]
    list_select_related = ["dispute"]
    raw_id_fields = ["dispute"]


@admin.register(RepeatLink)
class RepeatLinkAdmin(ReadOnlyAdmin):
    list_display = ["dispute", "earlier", "reason"]
    list_filter = ["reason"]
    list_select_related = ["dispute", "earlier"]
    raw_id_fields = ["dispute", "earlier"]


@admin.register(DisputeSchedule)
class DisputeScheduleAdmin(ReadOnlyAdmin):
    """What the sweep acts on next, soonest first: view only."""

    list_display = ["next_due_at", "dispute"]
    list_select_related = ["dispute"]
    ordering = ["next_due_at"]
    raw_id_fields = ["dispute"]


@admin.register(CaseCounter)
class CaseCounterAdmin(ReadOnlyAdmin):
    """The last case number each committee gave in a year: a number is never given twice."""

    list_display = ["committee", "year", "last"]
    list_filter = ["year"]
    list_select_related = ["committee"]

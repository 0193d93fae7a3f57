from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "message", "subject_type", "subject_id", "read_at"]
    list_filter = ["kind", "subject_type"]
    search_fields = ["message", "user__username"]
    raw_id_fields = ["user"]

from django.contrib import admin

from .models import Calendar, SpecialDay


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "round_the_clock", "periods"]


@admin.register(SpecialDay)
class SpecialDayAdmin(admin.ModelAdmin):
    list_display = ["date", "name", "workday"]
    list_filter = ["workday"]
    date_hierarchy = "date"

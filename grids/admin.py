from django import forms
from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin
from django.utils.translation import gettext_lazy as _

from .models import (
    Center,
    Department,
    DutyCategory,
    DutyItem,
    Grid,
    Place,
    Volunteer,
    VolunteerOrganization,
)
from .services import volunteer_identity


@admin.register(Center)
class CenterAdmin(GISModelAdmin):
    list_display = ["name", "code", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "depth"]


@admin.register(Grid)
class GridAdmin(GISModelAdmin):
    list_display = ["code", "name", "kind", "subtype", "center"]
    list_filter = ["kind", "subtype", "center__parent"]
    search_fields = ["code", "name", "center__name"]
    autocomplete_fields = ["center", "workers", "police"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "code", "center", "active"]
    list_filter = ["active"]
    search_fields = ["name", "code"]


class DutyItemInline(admin.TabularInline):
    model = DutyItem
    extra = 0


@admin.register(DutyCategory)
class DutyCategoryAdmin(admin.ModelAdmin):
    list_display = ["order", "name"]
    inlines = [DutyItemInline]


@admin.register(DutyItem)
class DutyItemAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "order", "active"]
    list_filter = ["category", "active"]
    search_fields = ["name"]


@admin.register(VolunteerOrganization)
class VolunteerOrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "center"]
    search_fields = ["name"]


class VolunteerForm(forms.ModelForm):
    """Takes the full ID number, stores only its mask and keyed hash."""

    id_number = forms.CharField(
        label=_("ID number"),
        max_length=18,
        required=False,
        help_text=_("Stored masked; leave empty to keep the current one."),
    )

    class Meta:
        model = Volunteer
        fields = ["real_name", "phone", "id_number", "organization", "grid", "user", "active"]

    def clean_id_number(self):
        value = self.cleaned_data["id_number"]
        if not value:
            if self.instance.pk is None:
                raise forms.ValidationError(_("The ID number is required."))
            return ""
        try:
            self.instance.id_number_masked, self.instance.id_number_hash = volunteer_identity(
                value, exclude_pk=self.instance.pk
            )
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["id_number"]) from None
        return value


@admin.register(Volunteer)
class VolunteerAdmin(admin.ModelAdmin):
    form = VolunteerForm
    list_display = ["real_name", "phone", "id_number_masked", "organization", "grid", "active"]
    list_filter = ["active", "organization"]
    search_fields = ["real_name", "phone"]
    autocomplete_fields = ["grid", "user"]
    list_select_related = ["organization", "grid"]
    readonly_fields = ["id_number_masked"]


@admin.register(Place)
class PlaceAdmin(GISModelAdmin):
    """The grid's places; imported in bulk from /patrols/places/import/."""

    list_display = ["name", "kind", "grid", "code", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "code", "address", "grid__code"]
    raw_id_fields = ["grid", "parent"]
    readonly_fields = ["qr_token"]

"""Forms of the care pages. They parse input only: the rules are the services'."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import EndReason, PersonType, Risk, Status, VisitMethod


class PersonFilterForm(forms.Form):
    person_type = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("All")), *PersonType.choices])
    risk = forms.ChoiceField(label=_("Risk level"), required=False, choices=[("", _("All")), *Risk.choices])
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *Status.choices])
    overdue = forms.NullBooleanField(
        label=_("Visit overdue"),
        required=False,
        widget=forms.Select(choices=[("", _("All")), ("true", _("Overdue")), ("false", _("Not overdue"))]),
    )


class VisitForm(forms.Form):
    method = forms.ChoiceField(label=_("Visit method"), choices=VisitMethod.choices)
    found = forms.TypedChoiceField(
        label=_("Person found"),
        choices=[("1", _("Found")), ("0", _("Not found"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        initial="1",
    )
    findings = forms.CharField(label=_("Findings"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)
    photos = forms.ImageField(
        label=_("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )


class ActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("risk", ""), ("lost_contact", ""), ("found", ""), ("end", ""), ("assign", "")],
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)
    risk = forms.ChoiceField(label=_("New risk level"), required=False, choices=[("", "—"), *Risk.choices])
    workers = forms.TypedMultipleChoiceField(
        label=_("Assigned grid workers"), required=False, coerce=int, choices=[], widget=forms.CheckboxSelectMultiple
    )
    end_reason = forms.ChoiceField(label=_("End reason"), required=False, choices=[("", "—"), *EndReason.choices])

    def __init__(self, *args, workers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workers"].choices = [(u.pk, u.get_full_name() or u.username) for u in workers]


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))

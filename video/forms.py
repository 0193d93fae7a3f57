"""Forms of the video pages. They parse input and offer choices only: the registry's rules (the code
parsed, the position placed in a grid and a center, one camera per stream) are
`video.services.camera_clean`'s, which the admin, the API and the import share."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .choices import Codec, Network, OwnerKind
from .models import Camera, MediaServer

# A service error about a field the form does not have, shown at the field that decides it.
ERROR_FIELD = {"center": "lat", "gb_type": "code", "gb_network": "code", "point": "lat"}


class CameraForm(forms.Form):
    """A camera of the registry, as the camera pages add and edit it."""

    code = forms.CharField(
        label=_("GB/T 28181 code"),
        max_length=20,
        help_text=_("20 digits: civil code, industry, type (131 camera, 132 IP camera …), network, serial."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "class": "mono"}),
    )
    name = forms.CharField(label=pgettext_lazy("camera", "Name"), max_length=200)
    network = forms.ChoiceField(label=_("Network"), choices=Network.choices)
    lat = forms.FloatField(
        label=_("Latitude"),
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"step": "0.000001", "inputmode": "decimal"}),
    )
    lng = forms.FloatField(
        label=_("Longitude"),
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "0.000001", "inputmode": "decimal"}),
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    ptz = forms.BooleanField(label=_("PTZ (pan-tilt-zoom dome)"), required=False)
    codec = forms.ChoiceField(label=_("Codec"), choices=Codec.choices, initial=Codec.H264)
    media_server = forms.ModelChoiceField(
        label=_("Media server"),
        queryset=MediaServer.objects.filter(active=True).order_by("name"),
        required=False,
        empty_label=_("None (no stream yet)"),
    )
    stream = forms.CharField(label=_("Stream"), max_length=100, required=False)
    device_code = forms.CharField(label=_("Device code (NVR)"), max_length=20, required=False)
    owner_kind = forms.ChoiceField(
        label=_("Kind of owner"), choices=[("", _("None (a public camera)")), *OwnerKind.choices], required=False
    )
    owner = forms.CharField(
        label=_("Household account"),
        max_length=150,
        required=False,
        help_text=_("The username of the resident who owns a household camera."),
    )
    owner_org = forms.CharField(label=_("Owner organisation"), max_length=200, required=False)

    @classmethod
    def initial_of(cls, camera: Camera) -> dict:
        """The form's values for an existing camera."""
        return {
            "code": camera.code,
            "name": camera.name,
            "network": camera.network,
            "lat": round(camera.point.y, 6),
            "lng": round(camera.point.x, 6),
            "address": camera.address,
            "ptz": camera.ptz,
            "codec": camera.codec,
            "media_server": camera.media_server_id,
            "stream": camera.stream,
            "device_code": camera.device_code,
            "owner_kind": camera.owner_kind,
            "owner": camera.owner.username if camera.owner_id else "",
            "owner_org": camera.owner_org,
        }

    def service_data(self) -> dict:
        """The cleaned values as `camera_create` / `camera_update` take them."""
        data = dict(self.cleaned_data)
        data["owner"] = data["owner"].strip() or None
        return data

    def add_service_errors(self, exc: ValidationError) -> None:
        """A service's field errors, each at its field (those of no field at the top of the form)."""
        if not hasattr(exc, "error_dict"):
            for error in exc.messages:
                self.add_error(None, error)
            return
        for field, errors in exc.message_dict.items():
            target = ERROR_FIELD.get(field, field)
            for error in errors:
                self.add_error(target if target in self.fields else None, error)

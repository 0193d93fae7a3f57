from rest_framework import serializers

from accounts.models import User
from grids.api.serializers import CenterBriefSerializer
from grids.models import Department


class DepartmentBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name"]


class MeSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(source="get_full_name", read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    center = CenterBriefSerializer(read_only=True, allow_null=True)
    department = DepartmentBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "role", "role_display", "center", "department", "phone"]


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="The API key, shown only here: send it as `Authorization: Token <key>`.")
    expires_in = serializers.IntegerField(help_text="Seconds until the key expires (a fixed lifetime).")


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class LogoutRequestSerializer(serializers.Serializer):
    all = serializers.BooleanField(
        default=False, help_text="Revoke every API token of the user, not only the one presented."
    )


class LogoutResponseSerializer(serializers.Serializer):
    revoked = serializers.IntegerField(help_text="How many API tokens were revoked.")


class SocketTicketSerializer(serializers.Serializer):
    ticket = serializers.CharField(help_text="Open the socket with `?ticket=<ticket>`; it works once.")
    expires_in = serializers.IntegerField(help_text="Seconds the ticket stays valid.")

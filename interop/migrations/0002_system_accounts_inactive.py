"""The 12345 hotline's account and the Open311 clients' service accounts become inactive, without a
usable password, and lose any API token: they only report events and never sign in, like the alarm
sources' accounts (while active, the hotline's account at the district's center was urged and told of
that center's events as its staff)."""

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import migrations


def system_accounts_inactive(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    ApiToken = apps.get_model("accounts", "ApiToken")
    Open311Client = apps.get_model("interop", "Open311Client")
    accounts = User.objects.filter(username=settings.HOTLINE_ACCOUNT) | User.objects.filter(
        pk__in=Open311Client.objects.values("account_id")
    )
    for user in accounts:
        user.is_active = False
        if not user.password.startswith("!"):  # a usable password (set by hand): made unusable
            user.password = make_password(None)
        user.save(update_fields=["is_active", "password"])
        ApiToken.objects.filter(user_id=user.pk).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("interop", "0001_initial"),
        ("accounts", "0007_role_resident"),
    ]

    operations = [migrations.RunPython(system_accounts_inactive, migrations.RunPython.noop)]

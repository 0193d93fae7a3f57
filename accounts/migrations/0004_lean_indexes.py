"""The inbox's user index goes: notification_inbox (user, read_at, created_at) covers it. Plain
DROP INDEX on the database side (the AlterField would drop and re-check the foreign key)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FORWARD = "DROP INDEX IF EXISTS accounts_notification_user_id_30e6cfc5"
BACKWARD = "CREATE INDEX accounts_notification_user_id_30e6cfc5 ON accounts_notification (user_id)"


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_notifications"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="notification",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notifications",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[migrations.RunSQL(FORWARD, BACKWARD)],
        ),
    ]

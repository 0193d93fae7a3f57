"""API tokens stored hashed, with an expiry (accounts.ApiToken), replacing DRF's authtoken table.

The old plaintext tokens are invalidated, not carried over: they never expired, and the dashboard
socket took them in its URL (`?token=`), so copies may sit in proxy logs. Their rows are deleted
here, leaving no usable key in the database; clients sign in once more. The emptied table itself
is left alone (rest_framework.authtoken is no longer installed, and its migration records say the
table exists)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def invalidate_plaintext_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" in connection.introspection.table_names():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM authtoken_token")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_lean_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('digest', models.CharField(max_length=64, primary_key=True, serialize=False, verbose_name='key digest')),
                ('client', models.CharField(blank=True, max_length=200, verbose_name='client')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='issued at')),
                ('expires_at', models.DateTimeField(verbose_name='expires at')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'API token',
                'verbose_name_plural': 'API tokens',
            },
        ),
        migrations.RunPython(invalidate_plaintext_tokens, migrations.RunPython.noop),
    ]

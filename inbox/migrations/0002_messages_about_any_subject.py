"""A message points at any subject, (subject_type, subject_id), instead of an event: the event key's
values are copied over (the deployed demo data keeps its links), the key and its index go, one index
on (subject_id, subject_type) replaces it, and the table takes the app's name. The content type
follows the model, so that administrators' permissions carry over."""

from django.db import migrations, models


def content_type_to_inbox(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="inbox", model="notification").exists():
        ContentType.objects.filter(app_label="accounts", model="notification").update(app_label="inbox")


def content_type_to_accounts(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="accounts", model="notification").exists():
        ContentType.objects.filter(app_label="inbox", model="notification").update(app_label="accounts")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("inbox", "0001_initial"),
        ("accounts", "0006_notification_moves_to_inbox"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="subject_type",
            field=models.CharField(blank=True, default="", max_length=100, verbose_name="about a"),
        ),
        migrations.AddField(
            model_name="notification",
            name="subject_id",
            field=models.BigIntegerField(blank=True, null=True, verbose_name="about number"),
        ),
        migrations.RunSQL(
            "UPDATE accounts_notification SET subject_type = 'events.event', subject_id = event_id "
            "WHERE event_id IS NOT NULL",
            "UPDATE accounts_notification SET event_id = subject_id WHERE subject_type = 'events.event' "
            "AND EXISTS (SELECT FROM events_event e WHERE e.id = subject_id)",
        ),
        migrations.RemoveField(model_name="notification", name="event"),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["subject_id", "subject_type"], name="notification_subject"),
        ),
        migrations.AlterModelTable(name="notification", table=None),
        migrations.RunPython(content_type_to_inbox, content_type_to_accounts),
    ]

"""Calendar and SpecialDay now belong to clocks (clocks.0001_initial): the center's key points there,
and grids forgets them. State only: the tables and the foreign key constraint stay as they are. The
content types follow, so that administrators' permissions on calendars carry over."""

import django.db.models.deletion
from django.db import migrations, models

MODELS = ("calendar", "specialday")


def content_types_to_clocks(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label="clocks", model=model).exists():
            ContentType.objects.filter(app_label="grids", model=model).update(app_label="clocks")


def content_types_to_grids(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label="grids", model=model).exists():
            ContentType.objects.filter(app_label="clocks", model=model).update(app_label="grids")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("grids", "0003_volunteer_id_masks_hide_the_sequence"),
        ("clocks", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="center",
                    name="calendar",
                    field=models.ForeignKey(
                        blank=True,
                        help_text="How this center counts time limits. Empty: round the clock.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="clocks.calendar",
                        verbose_name="calendar",
                    ),
                ),
                migrations.DeleteModel(name="SpecialDay"),
                migrations.DeleteModel(name="Calendar"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_to_clocks, content_types_to_grids),
    ]

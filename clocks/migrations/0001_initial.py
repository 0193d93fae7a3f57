"""Calendar and SpecialDay move from grids to clocks, below it: the state only, the tables (made by
grids.0002_calendars) keep their names and rows."""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("grids", "0002_calendars"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Calendar",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=50, unique=True, verbose_name="name")),
                        ("round_the_clock", models.BooleanField(default=False, verbose_name="round the clock")),
                        (
                            "periods",
                            models.JSONField(
                                blank=True,
                                default=list,
                                help_text='Start and end of each working period of a day, e.g. [["09:00", "12:00"], ["13:30", "17:30"]].',
                                verbose_name="working periods",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "calendar",
                        "verbose_name_plural": "calendars",
                        "db_table": "grids_calendar",
                    },
                ),
                migrations.CreateModel(
                    name="SpecialDay",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("date", models.DateField(unique=True, verbose_name="date")),
                        (
                            "workday",
                            models.BooleanField(
                                help_text="On: a make-up working day. Off: a holiday.", verbose_name="working day"
                            ),
                        ),
                        ("name", models.CharField(max_length=50, verbose_name="name")),
                    ],
                    options={
                        "verbose_name": "holiday or make-up working day",
                        "verbose_name_plural": "holidays and make-up working days",
                        "db_table": "grids_specialday",
                        "ordering": ["date"],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]

"""Leaner timeline indexes: the engine's system steps (no actor, no place) no longer enter the
actor, center, department and place indexes (partial, where there is one), and the event's own
index goes (action_event_created covers it), as does the clock marks' (clock_mark_once covers it).

The database side is plain DROP/CREATE INDEX: the AlterFields would otherwise make Django drop and
re-add each foreign key, re-checking every row of tables that hold millions."""

import django.contrib.gis.db.models.fields
import django.contrib.postgres.indexes
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FORWARD = """
DROP INDEX IF EXISTS events_clockmark_event_id_dbc3c93e;
DROP INDEX IF EXISTS events_eventaction_event_id_6ebc2fc1;
DROP INDEX IF EXISTS events_eventaction_actor_id_8d0ffe58;
DROP INDEX IF EXISTS events_eventaction_actor_center_id_45eed15e;
DROP INDEX IF EXISTS events_eventaction_actor_department_id_646405c3;
DROP INDEX IF EXISTS events_eventaction_location_f36e43b5_id;
CREATE INDEX action_actor ON events_eventaction (actor_id) WHERE actor_id IS NOT NULL;
CREATE INDEX action_actor_center ON events_eventaction (actor_center_id) WHERE actor_center_id IS NOT NULL;
CREATE INDEX action_actor_department ON events_eventaction (actor_department_id) WHERE actor_department_id IS NOT NULL;
CREATE INDEX action_location ON events_eventaction USING gist (location) WHERE location IS NOT NULL;
"""
BACKWARD = """
DROP INDEX IF EXISTS action_actor;
DROP INDEX IF EXISTS action_actor_center;
DROP INDEX IF EXISTS action_actor_department;
DROP INDEX IF EXISTS action_location;
CREATE INDEX events_clockmark_event_id_dbc3c93e ON events_clockmark (event_id);
CREATE INDEX events_eventaction_event_id_6ebc2fc1 ON events_eventaction (event_id);
CREATE INDEX events_eventaction_actor_id_8d0ffe58 ON events_eventaction (actor_id);
CREATE INDEX events_eventaction_actor_center_id_45eed15e ON events_eventaction (actor_center_id);
CREATE INDEX events_eventaction_actor_department_id_646405c3 ON events_eventaction (actor_department_id);
CREATE INDEX events_eventaction_location_f36e43b5_id ON events_eventaction USING gist (location);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0004_schedule"),
        ("grids", "0002_calendars"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="clockmark",
                    name="event",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="clock_marks_made",
                        to="events.event",
                    ),
                ),
                migrations.AlterField(
                    model_name="eventaction",
                    name="actor",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="Empty for the system (the escalation engine).",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="by",
                    ),
                ),
                migrations.AlterField(
                    model_name="eventaction",
                    name="actor_center",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="grids.center",
                    ),
                ),
                migrations.AlterField(
                    model_name="eventaction",
                    name="actor_department",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="grids.department",
                    ),
                ),
                migrations.AlterField(
                    model_name="eventaction",
                    name="event",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="actions",
                        to="events.event",
                    ),
                ),
                migrations.AlterField(
                    model_name="eventaction",
                    name="location",
                    field=django.contrib.gis.db.models.fields.PointField(
                        blank=True, null=True, spatial_index=False, srid=4326
                    ),
                ),
                migrations.AddIndex(
                    model_name="eventaction",
                    index=models.Index(
                        condition=models.Q(("actor__isnull", False)), fields=["actor"], name="action_actor"
                    ),
                ),
                migrations.AddIndex(
                    model_name="eventaction",
                    index=models.Index(
                        condition=models.Q(("actor_center__isnull", False)),
                        fields=["actor_center"],
                        name="action_actor_center",
                    ),
                ),
                migrations.AddIndex(
                    model_name="eventaction",
                    index=models.Index(
                        condition=models.Q(("actor_department__isnull", False)),
                        fields=["actor_department"],
                        name="action_actor_department",
                    ),
                ),
                migrations.AddIndex(
                    model_name="eventaction",
                    index=django.contrib.postgres.indexes.GistIndex(
                        condition=models.Q(("location__isnull", False)), fields=["location"], name="action_location"
                    ),
                ),
            ],
            database_operations=[migrations.RunSQL(FORWARD, BACKWARD)],
        ),
    ]

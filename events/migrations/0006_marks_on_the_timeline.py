"""The engine's marks move onto its timeline rows: each step (warning, deadline, escalation, red card)
is one timeline row carrying its phase cycle and mark, unique per event (action_clock_once), instead
of a timeline row and a ClockMark row. Existing marks are copied to their steps' rows (the timeline's
immutability trigger is off for that one UPDATE, inside this migration's transaction), and back again
when the migration is reversed."""

from django.db import migrations, models

MARKS_TO_TIMELINE = """
ALTER TABLE events_eventaction DISABLE TRIGGER events_action_immutable;
UPDATE events_eventaction a SET cycle = m.cycle, mark = m.kind
FROM events_clockmark m
WHERE a.event_id = m.event_id AND a.actor_id IS NULL AND a.created_at = m.created_at AND a.mark IS NULL
    AND CASE m.kind
        WHEN 1 THEN a.action = 'warn'
        WHEN 2 THEN a.action = 'supervise' AND a.data ->> 'card' = 'yellow_card'
        ELSE a.action = 'escalate' OR (a.action = 'supervise' AND a.data ->> 'card' = 'red_card')
    END;
ALTER TABLE events_eventaction ENABLE TRIGGER events_action_immutable;
"""
TIMELINE_TO_MARKS = """
INSERT INTO events_clockmark (event_id, cycle, kind, created_at)
SELECT event_id, cycle, mark, created_at FROM events_eventaction WHERE mark IS NOT NULL
ON CONFLICT DO NOTHING;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0005_lean_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="eventaction",
            name="cycle",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="eventaction",
            name="mark",
            field=models.PositiveSmallIntegerField(
                blank=True, choices=[(1, "Warning"), (2, "Overdue"), (4, "Escalation")], null=True
            ),
        ),
        migrations.RunSQL(MARKS_TO_TIMELINE, TIMELINE_TO_MARKS),
        migrations.AddConstraint(
            model_name="eventaction",
            constraint=models.UniqueConstraint(
                condition=models.Q(("mark__isnull", False)), fields=("event", "cycle", "mark"), name="action_clock_once"
            ),
        ),
        migrations.DeleteModel(
            name="ClockMark",
        ),
    ]

"""Visits and the timeline are immutable in the database itself; the default visit rules.

Defaults (editable in the admin): community correction and drug rehabilitation monthly at low
risk, every two weeks at medium, weekly at high; released prisoners quarterly, monthly, weekly;
severe mental disorders by the usual follow-up grading (病情稳定 quarterly, 基本稳定 every two
weeks, 不稳定 weekly)."""

from django.db import migrations

RULES = [
    ("correction", "low", 30, 5, 3),
    ("correction", "medium", 14, 3, 2),
    ("correction", "high", 7, 2, 1),
    ("released", "low", 90, 7, 5),
    ("released", "medium", 30, 5, 3),
    ("released", "high", 7, 2, 1),
    ("drug", "low", 30, 5, 3),
    ("drug", "medium", 14, 3, 2),
    ("drug", "high", 7, 2, 1),
    ("mental", "low", 90, 7, 5),
    ("mental", "medium", 14, 3, 2),
    ("mental", "high", 7, 2, 1),
]


def load(apps, schema_editor):
    VisitRule = apps.get_model("care", "VisitRule")
    for person_type, risk, every, warn, grace in RULES:
        VisitRule.objects.get_or_create(
            person_type=person_type,
            risk=risk,
            defaults={"every_days": every, "warn_days": warn, "grace_days": grace},
        )


class Migration(migrations.Migration):
    dependencies = [("care", "0001_initial")]

    operations = [
        migrations.RunSQL(
            sql="""
            CREATE FUNCTION care_row_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% rows are immutable (% refused)', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'integrity_constraint_violation';
            END $$;
            CREATE TRIGGER care_visit_immutable BEFORE UPDATE OR DELETE ON care_visit
                FOR EACH ROW EXECUTE FUNCTION care_row_immutable();
            CREATE TRIGGER care_action_immutable BEFORE UPDATE OR DELETE ON care_careaction
                FOR EACH ROW EXECUTE FUNCTION care_row_immutable();
            """,
            reverse_sql="""
            DROP TRIGGER IF EXISTS care_visit_immutable ON care_visit;
            DROP TRIGGER IF EXISTS care_action_immutable ON care_careaction;
            DROP FUNCTION IF EXISTS care_row_immutable();
            """,
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]

"""The points ledger is immutable in the database itself: a wrong award is reversed, never edited."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("force", "0001_initial")]

    operations = [
        migrations.RunSQL(
            sql="""
            CREATE FUNCTION force_point_entry_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'point ledger rows are immutable (% refused)', TG_OP
                    USING ERRCODE = 'integrity_constraint_violation';
            END $$;
            CREATE TRIGGER force_point_entry_immutable BEFORE UPDATE OR DELETE ON force_pointentry
                FOR EACH ROW EXECUTE FUNCTION force_point_entry_immutable();
            """,
            reverse_sql="""
            DROP TRIGGER IF EXISTS force_point_entry_immutable ON force_pointentry;
            DROP FUNCTION IF EXISTS force_point_entry_immutable();
            """,
        ),
    ]

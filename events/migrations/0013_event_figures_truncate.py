from django.db import migrations

# A TRUNCATE of the events (tests, a bench's reset) fires no row trigger: the counters go with it. A
# DELETE, not a TRUNCATE: a flush truncates both tables in one statement, still active when this runs.
TRUNCATE = """
CREATE FUNCTION events_figure_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM events_eventfigure;
    RETURN NULL;
END
$$;
CREATE TRIGGER events_figure_truncate AFTER TRUNCATE ON events_event
    FOR EACH STATEMENT EXECUTE FUNCTION events_figure_on_truncate();
"""
DROP = """
DROP TRIGGER IF EXISTS events_figure_truncate ON events_event;
DROP FUNCTION IF EXISTS events_figure_on_truncate();
"""


class Migration(migrations.Migration):
    dependencies = [("events", "0012_event_figure_period")]

    operations = [migrations.RunSQL(TRUNCATE, DROP)]

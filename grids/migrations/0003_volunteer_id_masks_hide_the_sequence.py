"""Re-masks the volunteers' stored ID numbers: 510115********123X becomes 510115***********X.

The new mask is a function of the old one (region and last character were both visible), so the
stored rows are re-masked in SQL without the full numbers, which the platform never kept. The
hashes cannot be recomputed (that needs the full number): they stay as they were, made with
SECRET_KEY; an existing deployment sets ID_HASH_KEY to its old SECRET_KEY value once, and both
duplicate detection and later registrations keep working (see grids.services.id_number_hash)."""

from django.db import migrations

FORWARD = """
UPDATE grids_volunteer
   SET id_number_masked = left(id_number_masked, 6) || repeat('*', 11) || right(id_number_masked, 1)
 WHERE length(id_number_masked) = 18 AND id_number_masked <> left(id_number_masked, 6) || repeat('*', 11) || right(id_number_masked, 1)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0002_calendars"),
    ]

    operations = [
        # The sequence digits once hidden cannot come back: the reverse is a no-op.
        migrations.RunSQL(FORWARD, migrations.RunSQL.noop),
    ]

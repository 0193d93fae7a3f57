"""The inbox's move keeps the messages already stored (deployed databases hold the demo's): a message
about an event keeps its link across the migration, and back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("inbox", "0001_initial")]  # the table as accounts left it: an event key


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_messages_keep_their_event_across_the_move_and_back():
    from tests.events.test_engine import _committed_world, _report_many

    _committed_world()
    [event] = _report_many(1)
    leaf = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        _migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO accounts_notification (user_id, kind, message, event_id, created_at) "
                "SELECT id, 'warning', 'stored before', %s, now() FROM accounts_user WHERE username = 'hangtianlu' "
                "UNION ALL SELECT id, 'task', 'about nothing', NULL, now() FROM accounts_user "
                "WHERE username = 'hangtianlu' RETURNING id",
                [event.pk],
            )
            about_event, about_nothing = (row[0] for row in cursor.fetchall())
        _migrate(leaf)
        from inbox.models import Notification

        rows = Notification.objects.in_bulk([about_event, about_nothing])
        assert (rows[about_event].subject_type, rows[about_event].subject_id) == ("events.event", event.pk)
        assert rows[about_event].subject_url == f"/events/{event.pk}/"
        assert (rows[about_nothing].subject_type, rows[about_nothing].subject_id) == ("", None)
        _migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute("SELECT event_id FROM accounts_notification WHERE id = %s", [about_event])
            assert cursor.fetchone() == (event.pk,)
    finally:
        _migrate(leaf)

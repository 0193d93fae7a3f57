"""interop 0002: the system accounts made before it (the 12345 hotline's, the Open311 clients') become
inactive, without a usable password or an API token; other users are left alone."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("interop", "0001_initial")]
AFTER = [("interop", "0002_system_accounts_inactive")]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_existing_system_accounts_become_inactive():
    from django.conf import settings

    from accounts.models import ApiToken, User
    from accounts.services import token_issue
    from interop.models import Open311Client
    from tests.events.test_engine import _committed_world

    _committed_world()
    # As made before 0002: active (and here, a password set by hand in the admin).
    hotline = User.objects.filter(username=settings.HOTLINE_ACCOUNT).first() or User(username=settings.HOTLINE_ACCOUNT)
    hotline.role, hotline.is_active = "center_staff", True
    hotline.set_password("set-by-hand-1")
    hotline.save()
    app = User.objects.create_user("open311-old-app", role="center_staff")  # unusable password
    Open311Client.objects.create(name="old app", key_hash="0" * 64, key_prefix="o311_old", account=app)
    person = User.objects.get(username="hangtianlu")
    token_issue(user=hotline, client="test")
    leaf = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        _migrate(BEFORE)
        _migrate(AFTER)
        hotline.refresh_from_db()
        app.refresh_from_db()
        person.refresh_from_db()
        assert not hotline.is_active and not hotline.has_usable_password()
        assert not app.is_active and not app.has_usable_password()
        assert not ApiToken.objects.filter(user=hotline).exists()
        assert person.is_active and person.has_usable_password()
    finally:
        _migrate(leaf)

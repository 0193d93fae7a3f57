import pytest

from accounts.models import User
from care import clocks as care_clocks


@pytest.fixture(autouse=True)
def care_media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def care_round_the_clock(db):
    """Most tests count round the clock (test_clocks sets calendars itself)."""
    from grids.models import Center

    Center.objects.update(calendar=None)
    care_clocks.rules_changed()
    yield
    care_clocks.rules_changed()


@pytest.fixture
def user():
    return lambda username: User.objects.select_related("center", "department").get(username=username)


@pytest.fixture
def gridworker(user):
    return user("gridworker")


@pytest.fixture
def authorise():
    """Grants care.view_special_people to a user."""
    from django.contrib.auth.models import Permission

    def grant(u):
        u.user_permissions.add(Permission.objects.get(content_type__app_label="care", codename="view_special_people"))
        return User.objects.get(pk=u.pk)  # a fresh object: no permission cache

    return grant

"""The disputes in the admin: reference data editable, cases and logs read-only, the log of views
of personal data readable by an administrator, and new time limits counted at once."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from disputes import clocks
from disputes.models import CaseView, DisputeLimit

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(user):
    client = Client()
    client.force_login(user("admin"))
    return client


def test_the_log_of_views_is_readable_and_never_changed(admin_client, take_in, user):
    dispute = take_in()
    CaseView.objects.create(dispute=dispute, user=user("tiaojie"), via="api")
    response = admin_client.get("/admin/disputes/caseview/?via=api")
    assert response.status_code == 200
    page = response.content.decode()
    assert dispute.number in page and "tiaojie" in page
    view = CaseView.objects.get()
    assert admin_client.get("/admin/disputes/caseview/add/").status_code == 403
    assert admin_client.post(f"/admin/disputes/caseview/{view.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.get(f"/admin/disputes/caseview/{view.pk}/change/").status_code == 200  # a view page
    assert CaseView.objects.count() == 1


def test_the_timeline_is_read_only(admin_client, take_in):
    take_in()
    assert admin_client.get("/admin/disputes/disputeaction/").status_code == 200
    assert admin_client.get("/admin/disputes/disputeaction/add/").status_code == 403


def test_a_case_opened_in_the_admin_masks_the_parties_and_is_logged(admin_client, take_in):
    dispute = take_in()
    response = admin_client.get(f"/admin/disputes/dispute/{dispute.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "李秀英" in page and "138****1111" in page and "13800001111" not in page
    assert "510115***********3" in page
    [view] = CaseView.objects.filter(dispute=dispute)
    assert (view.user.username, view.via) == ("admin", "admin")
    assert admin_client.get("/admin/disputes/dispute/").status_code == 200
    assert CaseView.objects.count() == 1  # the list shows no parties


def test_reference_data_is_editable(admin_client):
    for model in ("disputetype", "committee", "disputelimit"):
        assert admin_client.get(f"/admin/disputes/{model}/add/").status_code == 200, model


def test_a_saved_limit_is_counted_at_once(db):
    row = DisputeLimit.objects.get(phase="mediate", level="community")
    assert clocks.limit_of("mediate", "community").minutes == row.minutes  # now cached
    row.minutes = 7 * 24 * 60
    row.save()
    assert clocks.limit_of("mediate", "community").minutes == 7 * 24 * 60
    row.delete()
    with pytest.raises(ValidationError):  # no limit configured
        clocks.limit_of("mediate", "community")

"""The care pages on the real database: Chinese by default, masked lists, the person's page logged,
the visit form, actions, 403/404."""

import io
import uuid

import pytest
from PIL import Image

from care.models import PersonView, Visit

from .factories import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(gridworker):
    team = [{"name": "张母", "role": "family"}, {"user": gridworker.pk, "role": "grid_worker"}]
    return make_person(workers=[gridworker], department="police", name="张小明", team=team)


def test_the_workers_phone_list(client, gridworker, person):
    client.force_login(gridworker)
    body = client.get("/care/mine/").content.decode()
    assert "我的帮扶对象" in body and "张*明" in body and "社区矫正对象" in body
    assert 'name="viewport"' in body


def test_the_person_page_is_logged_and_records_a_visit(client, gridworker, person):
    client.force_login(gridworker)
    body = client.get(f"/care/{person.pk}/").content.decode()
    assert "张小明" in body and "记录走访" in body and "此次查看已记录" in body
    assert "张母 (家属)" in body
    assert "更改风险等级" not in body  # a decision of the department
    assert PersonView.objects.filter(person=person, via="page").count() == 1
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "door.png"
    client_id = str(uuid.uuid4())
    form = {
        "method": "in_person",
        "found": "1",
        "findings": "在家",
        "lat": "30.70",
        "lng": "103.83",
        "client_id": client_id,
    }
    response = client.post(f"/care/{person.pk}/visit/", {**form, "photos": buffer})
    assert response.status_code == 302
    assert client.post(f"/care/{person.pk}/visit/", form).status_code == 302  # sent twice: one visit
    visit = Visit.objects.get(person=person)
    assert visit.photos.count() == 1 and visit.point is not None


def test_actions_on_the_page(client, gridworker, person, user):
    client.force_login(gridworker)
    assert (
        client.post(f"/care/{person.pk}/action/", {"action": "risk", "risk": "high", "reason": "x"}).status_code == 403
    )
    assert client.post(f"/care/{person.pk}/action/", {"action": "lost_contact", "reason": "失联"}).status_code == 302
    person.refresh_from_db()
    assert person.status == "lost"
    client.force_login(user("police"))
    body = client.get(f"/care/{person.pk}/").content.decode()
    assert "重新找到" in body and "更改风险等级" in body


def test_the_department_list_with_filters_and_counts(client, user, person):
    client.force_login(user("police"))
    body = client.get("/care/").content.decode()
    assert "四类特殊人群" in body and "张*明" in body and "张小明" not in body
    assert "导入" in body
    assert "张*明" not in client.get("/care/?status=lost").content.decode()
    assert client.get("/care/?overdue=true").status_code == 200


def test_outsiders(client, user, person):
    client.force_login(user("volunteer"))
    assert client.get(f"/care/{person.pk}/").status_code == 404
    assert "张*明" not in client.get("/care/").content.decode()
    assert client.get("/care/import/").status_code == 403
    assert client.get("/care/views/").status_code == 403
    client.force_login(user("admin"))
    assert client.get("/care/views/").status_code == 200


def test_english_on_request(client, gridworker, person):
    client.force_login(gridworker)
    body = client.get("/care/mine/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "My persons in care" in body


def test_the_menu_links_the_pages(client, gridworker, user):
    client.force_login(gridworker)
    assert "/care/mine/" in client.get("/").content.decode()
    client.force_login(user("police"))
    assert 'href="/care/"' in client.get("/").content.decode()
    client.force_login(user("volunteer"))
    assert "/care/" not in client.get("/").content.decode()


def test_the_department_reassigns_on_the_page(client, user, person):
    other = user("gw510115001001002")
    client.force_login(user("police"))
    body = client.get(f"/care/{person.pk}/").content.decode()
    assert ("调整责任网格员" in body and other.username in body) or other.get_full_name() in body
    response = client.post(
        f"/care/{person.pk}/action/", {"action": "assign", "workers": [other.pk], "reason": "网格调整"}
    )
    assert response.status_code == 302
    assert list(person.workers.all()) == [other]

"""The force pages: each role's answer, the phone pages' layout at 375 px (a viewport, no table
wider than the screen), sign-up by the page, recognition from the ranking, the export."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.models import User
from force import services
from force.models import Recognition
from grids.models import Volunteer

from .factories import valid_id, volunteer_account

pytestmark = pytest.mark.django_db

PAGES = ["/force/me/", "/force/invitations/", "/force/rankings/", "/force/duties/", "/force/performance/"]
ANSWERS = {
    "duty": [403, 200, 200, 200, 200],
    "liucheng": [403, 200, 200, 200, 200],
    "hangtianlu": [403, 200, 200, 200, 200],
    "gridworker": [403, 200, 200, 200, 403],
    "volunteer": [200, 403, 200, 200, 403],
    "police": [403, 403, 200, 200, 403],
    "mediator": [403, 403, 200, 200, 403],
    "admin": [403, 200, 200, 200, 200],
}


def signed_in(username: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(User.objects.get(username=username))
    return client


@pytest.mark.parametrize("username", ANSWERS)
def test_each_role_s_answer(username):
    client = signed_in(username)
    assert [client.get(page).status_code for page in PAGES] == ANSWERS[username]


def test_pages_need_a_login_except_the_sign_up(client):
    for page in PAGES:
        assert client.get(page).status_code == 302


def test_a_volunteer_lands_on_their_page_in_chinese(grid1):
    client = signed_in("volunteer")
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/force/me/"
    page = response.content.decode()
    assert 'name="viewport" content="width=device-width' in page  # the phone layout of base.html
    assert "本月积分" in page and "我的上报" in page and "/patrols/" in page


def test_sign_up_by_the_page(user, grid1):
    invitation = services.invitation_create(inviter=user("gridworker"), grid_id=grid1.pk)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = client.get(f"/force/join/{invitation.code}/")
    assert page.status_code == 200 and "真实姓名" in page.content.decode()
    organization = re.search(r'<option value="(\d+)"', page.content.decode()).group(1)
    data = {"real_name": "姚大爷", "phone": "13511112222", "id_number": valid_id(), "category": "resident",
            "organization": organization, "password": "Red#Armband2026"}  # fmt: skip
    bad = client.post(f"/force/join/{invitation.code}/", {**data, "id_number": "510115"})
    assert bad.status_code == 400 and "身份证" in bad.content.decode()
    done = client.post(f"/force/join/{invitation.code}/", data)
    assert done.status_code == 201 and Volunteer.objects.filter(user__username="13511112222").exists()
    used = client.post(f"/force/join/{invitation.code}/", {**data, "phone": "13511113333"})
    assert used.status_code == 409 and "已用完" in used.content.decode()
    assert client.get("/force/join/unknown/").status_code == 404


def test_an_invitation_made_on_the_page_shows_its_link(grid1):
    client = signed_in("gridworker")
    response = client.post("/force/invitations/", {"grid": grid1.pk, "days": 7, "uses": 1}, follow=True)
    assert response.status_code == 200
    assert re.search(r"/force/join/[\w-]{20,}/", response.content.decode())
    refused = client.post("/force/invitations/", {"grid": 999999, "days": 7, "uses": 1})
    assert refused.status_code == 400


def test_commend_from_the_ranking(grid1, far_grid):
    near, far = volunteer_account(grid1), volunteer_account(far_grid)
    client = signed_in("hangtianlu")
    response = client.post(f"/force/recognize/{near.pk}/", {"reason": "巡查认真", "bonus_points": 4}, follow=True)
    assert response.status_code == 200 and Recognition.objects.filter(user=near, bonus_points=4).exists()
    assert "巡查认真" in response.content.decode()
    assert client.post(f"/force/recognize/{far.pk}/", {"reason": "x", "bonus_points": 0}).status_code == 404


def test_performance_page_and_export(grid1):
    client = signed_in("liucheng")
    page = client.get("/force/performance/?by=worker").content.decode()
    assert "发现率" in page and "data-sortable" in page and "gridworker" not in page  # names, not usernames
    export = client.get("/force/performance/?by=grid&format=xlsx")
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get("/force/performance/?date_from=bad").status_code == 302  # back with the message

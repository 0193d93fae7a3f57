"""The force API: answers, scope and exact query counts on the lists and figures."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from accounts.models import User
from force import services
from force.models import VolunteerInvitation
from grids.models import Center, VolunteerOrganization

from .factories import valid_id, volunteer_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user():
    def make(username: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(User.objects.get(username=username))
        return client

    return make


def test_a_grid_worker_creates_an_invitation_and_a_person_joins_without_signing_in(as_user, grid1):
    made = as_user("gridworker").post(
        "/api/force/invitations/", {"grid": grid1.pk, "days": 7, "uses": 3}, format="json"
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["link"].endswith(f"/force/join/{body['code']}/") and body["center_name"] == "航天路社区"
    anonymous = APIClient()
    public = anonymous.get(f"/api/force/join/{body['code']}/").json()
    assert public["usable"] and public["grid_name"] == grid1.name and public["organizations"]
    data = {
        "real_name": "姚大爷",
        "phone": "13611112222",
        "id_number": valid_id("19500101"),
        "category": "retired_cadre",
        "password": "Red#Armband2026",
        "organization": public["organizations"][0]["id"],
    }
    joined = anonymous.post(f"/api/force/join/{body['code']}/", data, format="json")
    assert joined.status_code == 201, joined.content
    assert joined.json()["id_number_masked"].count("*") == 11 and joined.json()["username"] == "13611112222"
    again = anonymous.post(f"/api/force/join/{body['code']}/", {**data, "phone": "13611113333"}, format="json")
    assert again.status_code == 400 and "id_number" in again.json()
    assert anonymous.post("/api/force/join/nope/", data, format="json").status_code == 404


def test_an_expired_invitation_answers_409(as_user, grid1):
    invitation = services.invitation_create(inviter=User.objects.get(username="gridworker"), grid_id=grid1.pk)
    VolunteerInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    data = {"real_name": "李四", "phone": "13611114444", "id_number": valid_id(), "category": "resident",
            "password": "Red#Armband2026"}  # fmt: skip
    answer = APIClient().post(f"/api/force/join/{invitation.code}/", data, format="json")
    assert answer.status_code == 409 and answer.json()["problem"] == "expired"


@pytest.mark.parametrize(
    ("username", "status"),
    [("gridworker", 403), ("volunteer", 403), ("police", 403), ("hangtianlu", 201), ("liucheng", 201)],
)
def test_who_may_invite_to_the_demo_grid_worker_s_grid(as_user, grid2, username, status):
    # grid 2 is not the demo grid worker's: they may not invite there
    assert as_user(username).post("/api/force/invitations/", {"grid": grid2.pk}, format="json").status_code == status


def test_invitation_list_in_constant_queries(as_user, grid1, django_assert_num_queries):
    worker = User.objects.get(username="gridworker")
    for _ in range(4):
        services.invitation_create(inviter=worker, grid_id=grid1.pk)
    client = as_user("hangtianlu")
    with django_assert_num_queries(3):  # the user's center (scope), count, rows
        rows = client.get("/api/force/invitations/").json()["results"]
    assert len(rows) == 6  # 4 here and the demo's 2
    assert as_user("gridworker").get("/api/force/invitations/").json()["count"] == 6
    assert as_user("yongning").get("/api/force/invitations/").json()["count"] == 0


def test_points_ledger_and_recognitions_by_scope(as_user, grid1, far_grid):
    near, far = volunteer_account(grid1), volunteer_account(far_grid)
    staff = User.objects.get(username="hangtianlu")
    services.recognition_create(actor=staff, user_id=near.pk, reason="好人好事", bonus_points=3)
    services.recognition_create(
        actor=User.objects.get(username="duty"), user_id=far.pk, reason="见义勇为", bonus_points=8
    )
    client = as_user("hangtianlu")
    with_counts = client.get("/api/force/points/").json()
    assert {r["user"] for r in with_counts["results"]} == {near.pk}
    assert {r["user"] for r in as_user("duty").get("/api/force/points/").json()["results"]} >= {near.pk, far.pk}
    assert as_user("volunteer").get("/api/force/points/").json()["count"] == 0
    made = client.post("/api/force/recognitions/", {"user": far.pk, "reason": "x"}, format="json")
    assert made.status_code == 404
    made = client.post(
        "/api/force/recognitions/", {"user": near.pk, "reason": "巡查认真", "bonus_points": 2}, format="json"
    )
    assert made.status_code == 201 and made.json()["center_name"] == "航天路社区"
    refused = as_user("gridworker").post("/api/force/recognitions/", {"user": near.pk, "reason": "x"}, format="json")
    assert refused.status_code == 403
    assert as_user("police").get("/api/force/recognitions/").json()["count"] == 0


def test_points_list_queries_do_not_grow(as_user, grid1, django_assert_num_queries):
    staff = User.objects.get(username="hangtianlu")
    for _ in range(6):
        services.recognition_create(actor=staff, user_id=volunteer_account(grid1).pk, reason="认真", bonus_points=1)
    client = as_user("hangtianlu")
    with django_assert_num_queries(3):  # the user's center (scope), count, rows
        assert client.get("/api/force/points/").json()["count"] == 6


def test_ranking_api(as_user, grid1, far_grid):
    near = volunteer_account(grid1)
    services.recognition_create(
        actor=User.objects.get(username="hangtianlu"), user_id=near.pk, reason="认真", bonus_points=7
    )
    body = as_user("volunteer").get("/api/force/rankings/").json()
    assert body["community"]["name"] == "航天路社区" and body["rows"][0] == {
        "rank": 1,
        "user_id": near.pk,
        "name": near.get_full_name() or near.username,
        "organization": near.volunteer.organization.name,
        "category": "other",
        "points": 7,
    }
    assert as_user("volunteer").get(f"/api/force/rankings/?community={far_grid.center_id}").status_code == 404
    assert as_user("duty").get(f"/api/force/rankings/?community={far_grid.center_id}").json()["rows"] == []
    own_org = User.objects.get(username="volunteer").volunteer.organization_id
    assert as_user("volunteer").get(f"/api/force/rankings/?organization={own_org}").status_code == 200
    other = VolunteerOrganization.objects.exclude(center=grid1.center.parent).first()
    assert as_user("volunteer").get(f"/api/force/rankings/?organization={other.pk}").status_code == 404
    assert as_user("duty").get("/api/force/rankings/?month=2026-13").status_code == 400


def test_me_is_the_volunteers(as_user):
    body = as_user("volunteer").get("/api/force/me/").json()
    assert body["points_total"] == 0 and body["rank"] is None
    assert as_user("gridworker").get("/api/force/me/").status_code == 403


def test_duties_api(as_user):
    groups = as_user("gridworker").get("/api/force/duties/").json()
    assert len(groups) == 8 and sum(len(g["items"]) for g in groups) == 75
    assert as_user("duty").get("/api/force/duties/?date_from=2026-02-30").status_code == 400


def test_performance_api_and_export(as_user, far_grid, django_assert_max_num_queries):
    town = Center.objects.get(name="柳城街道")
    client = as_user("liucheng")
    with django_assert_max_num_queries(10):
        body = client.get(f"/api/force/performance/?center={town.pk}").json()
    assert body["by"] == "grid" and len(body["grids"]) == town.grids.count() + sum(
        c.grids.count() for c in town.children.all()
    )
    with django_assert_max_num_queries(14):
        workers = client.get(f"/api/force/performance/?center={town.pk}&by=worker").json()["workers"]
    assert workers and {"discovery_rate", "on_time_rate", "tasks"} <= set(workers[0])
    exported = client.get(f"/api/force/performance.xlsx?center={town.pk}&by=worker")
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content)).active
    assert sheet.max_row == len(workers) + 1
    assert client.get(f"/api/force/performance/?center={far_grid.center_id}").status_code == 404
    assert as_user("gridworker").get("/api/force/performance/").status_code == 403
    assert as_user("volunteer").get("/api/force/performance.xlsx").status_code == 403
    assert client.get("/api/force/performance/?date_from=2026-05-01&date_to=2026-04-01").status_code == 400


def test_sign_up_attempts_are_limited_per_address(grid1, monkeypatch):
    from force.api import views
    from wenjiang_ops import ratelimit

    monkeypatch.setattr(views, "JOIN_LIMIT", ratelimit.Limit(2, 3600))
    invitation = services.invitation_create(inviter=User.objects.get(username="gridworker"), grid_id=grid1.pk)
    client = APIClient()
    answers = [client.post(f"/api/force/join/{invitation.code}/", {}, format="json") for _ in range(3)]
    assert [a.status_code for a in answers] == [400, 400, 429] and answers[2]["Retry-After"]
    assert client.get(f"/api/force/join/{invitation.code}/").status_code == 200  # reading is not an attempt

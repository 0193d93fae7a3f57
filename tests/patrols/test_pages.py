"""The patrols' pages render for their users, in Chinese by default."""

from datetime import datetime, timedelta

import pytest

from clocks.calendars import SHANGHAI
from patrols import services

from .factories import plan_of, route, walk

pytestmark = pytest.mark.django_db


def test_phone_page_before_and_during_a_patrol(client, demo_user):
    client.force_login(demo_user("volunteer"))
    page = client.get("/patrols/").content.decode()
    assert "开始巡查" in page and plan_of("volunteer").name in page
    services.patrol_start(user=demo_user("volunteer"), plan_id=plan_of("volunteer").pk)
    page = client.get("/patrols/").content.decode()
    assert "结束巡查" in page and 'id="patrol-data"' in page and 'id="patrol-map"' in page


def test_qr_landing_checks_in(client, demo_user):
    worker = demo_user("gridworker")
    plan = plan_of("gridworker")
    patrol, _ = services.patrol_start(user=worker, plan_id=plan.pk)
    place = route(plan)[0]
    client.force_login(worker)
    assert place.name in client.get(f"/patrols/qr/{place.qr_token}/").content.decode()
    answer = client.post(f"/patrols/qr/{place.qr_token}/")
    assert answer.status_code == 302 and patrol.check_ins.filter(place=place).exists()


def test_monitor_replay_and_plan_pages(client, demo_user):
    worker = demo_user("gridworker")
    plan = plan_of("gridworker")
    patrol = walk(worker, plan, start=datetime.now(SHANGHAI) - timedelta(hours=1), places=route(plan)[:2])
    client.force_login(demo_user("hangtianlu"))
    monitor = client.get("/patrols/monitor/").content.decode()
    assert "巡查" in monitor and plan.name in monitor and 'id="monitor-map"' in monitor
    replay = client.get(f"/patrols/{patrol.pk}/").content.decode()
    assert 'id="replay-data"' in replay and route(plan)[0].name in replay
    detail = client.get(f"/patrols/plans/{plan.pk}/").content.decode()
    assert route(plan)[0].name in detail
    sheet = client.get(f"/patrols/plans/{plan.pk}/qr/").content.decode()
    assert route(plan)[0].qr_token in sheet and f"/patrols/qr/{route(plan)[0].qr_token}/" in sheet


def test_dashboard_snapshot_has_the_patrols(api, demo_user):
    worker = demo_user("gridworker")
    plan = plan_of("gridworker")
    patrol, _ = services.patrol_start(user=worker, plan_id=plan.pk)
    snapshot = api.as_user("duty").get("/api/dashboard/snapshot/").json()
    assert patrol.pk in {p["id"] for p in snapshot["patrols"]}
    assert snapshot["patrol_figures"]["active"] >= 1

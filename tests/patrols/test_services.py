"""The patrol services on the real database: start, track, check in, report, end — and every
refusal (404 / 403 / 409 / 400) leaving nothing half-written."""

import uuid
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from clocks.calendars import SHANGHAI
from events.choices import Source
from events.models import Event, EventCategory
from grids.choices import PlaceKind
from grids.models import Place
from patrols import services
from patrols.choices import CheckInMethod, PatrolState
from patrols.models import CheckIn, Patrol, PatrolReport, TrackPoint
from patrols.signals import patrol_changed, patrol_ended

from .factories import plan_of, route

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=SHANGHAI)


@pytest.fixture
def signals():
    heard = []

    def changed(sender, patrol_ids, action, **kw):
        heard.append(("changed", tuple(patrol_ids), action))

    def ended(sender, patrol_id, user_id, **kw):
        heard.append(("ended", patrol_id, user_id))

    patrol_changed.connect(changed)
    patrol_ended.connect(ended)
    yield heard
    patrol_changed.disconnect(changed)
    patrol_ended.disconnect(ended)


def _point(seq, at, lat, lng):
    return {"seq": seq, "at": at.isoformat(), "lat": lat, "lng": lng, "accuracy": 5}


def test_a_whole_patrol(demo_user, signals, django_capture_on_commit_callbacks):
    worker = demo_user("gridworker")
    plan = plan_of("gridworker")
    stops = route(plan)
    with django_capture_on_commit_callbacks(execute=True):
        patrol, created = services.patrol_start(user=worker, plan_id=plan.pk, client_id=uuid.uuid4(), now=NOW)
    assert created and patrol.state == PatrolState.ACTIVE and patrol.center_id == plan.center_id
    assert patrol.grid_id == plan.grid_id
    a, b = stops[0], stops[1]
    with django_capture_on_commit_callbacks(execute=True):
        result = services.patrol_track(
            user=worker,
            patrol_id=patrol.pk,
            points=[
                _point(0, NOW + timedelta(minutes=1), a.point.y, a.point.x),
                _point(1, NOW + timedelta(minutes=6), b.point.y, b.point.x),
            ],
            now=NOW + timedelta(minutes=6),
        )
    assert result == {"acked": [0, 1], "stored": 2}
    with django_capture_on_commit_callbacks(execute=True):
        check_in, created = services.patrol_check_in(
            user=worker, patrol_id=patrol.pk, place_id=a.pk, lat=a.point.y, lng=a.point.x + 0.0002, now=NOW
        )
    assert created and check_in.method == CheckInMethod.TAP and 15 <= check_in.distance_m <= 25
    with django_capture_on_commit_callbacks(execute=True):
        services.patrol_check_in(user=worker, patrol_id=patrol.pk, qr_token=b.qr_token, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        services.patrol_end(user=worker, patrol_id=patrol.pk, now=NOW + timedelta(minutes=40))
    patrol.refresh_from_db()
    assert patrol.state == PatrolState.ENDED and patrol.ended_at == NOW + timedelta(minutes=40)
    assert patrol.point_count == 2 and patrol.check_in_count == 2
    from patrols.domain.periods import distance_m

    assert patrol.distance_m == round(distance_m(a.point.y, a.point.x, b.point.y, b.point.x))
    assert (patrol.last_point.y, patrol.last_point.x) == (b.point.y, b.point.x)
    assert signals == [
        ("changed", (patrol.pk,), "start"),
        ("changed", (patrol.pk,), "track"),
        ("changed", (patrol.pk,), "check_in"),
        ("changed", (patrol.pk,), "check_in"),
        ("changed", (patrol.pk,), "end"),
        ("ended", patrol.pk, worker.pk),
    ]


def test_track_repeats_are_acknowledged_and_ignored(demo_user, signals, django_capture_on_commit_callbacks):
    worker = demo_user("gridworker")
    patrol, _ = services.patrol_start(user=worker, plan_id=plan_of("gridworker").pk, now=NOW)
    points = [_point(i, NOW + timedelta(seconds=10 * i), 30.7 + i * 0.0001, 103.8) for i in range(5)]
    services.patrol_track(user=worker, patrol_id=patrol.pk, points=points[:3], now=NOW)
    before = Patrol.objects.get(pk=patrol.pk)
    with django_capture_on_commit_callbacks(execute=True):
        again = services.patrol_track(user=worker, patrol_id=patrol.pk, points=points[:3], now=NOW)
    assert again == {"acked": [0, 1, 2], "stored": 0}
    assert [s for s in signals if s[2] == "track"] == []  # nothing new: no push
    after = Patrol.objects.get(pk=patrol.pk)
    assert (after.distance_m, after.point_count) == (before.distance_m, before.point_count)
    result = services.patrol_track(user=worker, patrol_id=patrol.pk, points=points[1:], now=NOW)
    assert result == {"acked": [1, 2, 3, 4], "stored": 2}
    assert TrackPoint.objects.filter(patrol=patrol).count() == 5
    assert Patrol.objects.get(pk=patrol.pk).point_count == 5


def test_a_late_batch_does_not_move_the_last_position_back(demo_user):
    worker = demo_user("gridworker")
    patrol, _ = services.patrol_start(user=worker, plan_id=plan_of("gridworker").pk, now=NOW)
    services.patrol_track(
        user=worker, patrol_id=patrol.pk, points=[_point(5, NOW + timedelta(minutes=5), 30.71, 103.81)], now=NOW
    )
    services.patrol_track(
        user=worker, patrol_id=patrol.pk, points=[_point(1, NOW + timedelta(minutes=1), 30.70, 103.80)], now=NOW
    )
    patrol.refresh_from_db()
    assert (patrol.last_point.y, patrol.last_at) == (30.71, NOW + timedelta(minutes=5))
    assert patrol.point_count == 2


@pytest.mark.parametrize(
    "points",
    [
        [],
        "nope",
        [{"seq": 0, "at": "yesterday", "lat": 30, "lng": 103}],
        [{"seq": 0, "at": "2026-12-01T09:00:00", "lat": 30, "lng": 103}],  # no offset
        [{"seq": -1, "at": "2026-12-01T09:00:00+08:00", "lat": 30, "lng": 103}],
        [{"seq": 0, "at": "2026-12-01T09:00:00+08:00", "lat": 95, "lng": 103}],
        [{"seq": 0, "at": "2026-12-02T09:00:00+08:00", "lat": 30, "lng": 103}],  # a day in the future
        [{"seq": 0, "lat": 30, "lng": 103}],
    ],
)
def test_bad_points_are_refused_whole(demo_user, points):
    worker = demo_user("gridworker")
    patrol, _ = services.patrol_start(user=worker, plan_id=plan_of("gridworker").pk, now=NOW)
    good = _point(9, NOW, 30.7, 103.8)
    with pytest.raises(ValidationError):
        services.patrol_track(
            user=worker,
            patrol_id=patrol.pk,
            points=[good, *points] if isinstance(points, list) and points else points,
            now=NOW,
        )
    assert not TrackPoint.objects.filter(patrol=patrol).exists()


def test_one_patrol_at_a_time_and_start_is_idempotent(demo_user):
    worker = demo_user("gridworker")
    plan = plan_of("gridworker")
    client_id = uuid.uuid4()
    first, created = services.patrol_start(user=worker, plan_id=plan.pk, client_id=client_id, now=NOW)
    again, created_again = services.patrol_start(user=worker, plan_id=plan.pk, client_id=client_id, now=NOW)
    assert created and not created_again and again.pk == first.pk
    with pytest.raises(services.PatrolConflict) as refused:
        services.patrol_start(user=worker, plan_id=plan.pk, client_id=uuid.uuid4(), now=NOW)
    assert refused.value.patrol_id == first.pk
    assert Patrol.objects.filter(user=worker).count() == 1
    with pytest.raises(ValidationError):
        services.patrol_start(user=demo_user("volunteer"), client_id=client_id, now=NOW)


def test_who_may_start(demo_user):
    plan = plan_of("gridworker")
    with pytest.raises(services.PatrolNotFound):  # not assigned to it
        services.patrol_start(user=demo_user("volunteer"), plan_id=plan.pk, now=NOW)
    with pytest.raises(PermissionDenied):
        services.patrol_start(user=demo_user("hangtianlu"), now=NOW)
    with pytest.raises(services.PatrolNotFound):
        services.patrol_start(user=demo_user("gridworker"), plan_id=10**9, now=NOW)
    free, _ = services.patrol_start(user=demo_user("volunteer"), now=NOW)  # a free patrol
    assert free.plan_id is None and free.center_id == demo_user("volunteer").center_id


def test_only_the_patroller_writes(demo_user):
    worker = demo_user("gridworker")
    patrol, _ = services.patrol_start(user=worker, plan_id=plan_of("gridworker").pk, now=NOW)
    with pytest.raises(PermissionDenied):  # the center sees it, but does not walk it
        services.patrol_end(user=demo_user("hangtianlu"), patrol_id=patrol.pk, now=NOW)
    with pytest.raises(services.PatrolNotFound):  # another patroller does not even see it
        services.patrol_track(user=demo_user("volunteer"), patrol_id=patrol.pk, points=[_point(0, NOW, 30.7, 103.8)])
    with pytest.raises(services.PatrolNotFound):
        services.patrol_end(user=worker, patrol_id="abc")
    assert Patrol.objects.get(pk=patrol.pk).state == PatrolState.ACTIVE


def test_an_ended_patrol_takes_nothing_more(demo_user):
    worker = demo_user("gridworker")
    plan = plan_of("gridworker")
    patrol, _ = services.patrol_start(user=worker, plan_id=plan.pk, now=NOW)
    services.patrol_cancel(user=worker, patrol_id=patrol.pk, now=NOW)
    place = route(plan)[0]
    for call in (
        lambda: services.patrol_end(user=worker, patrol_id=patrol.pk),
        lambda: services.patrol_track(user=worker, patrol_id=patrol.pk, points=[_point(0, NOW, 30.7, 103.8)], now=NOW),
        lambda: services.patrol_check_in(user=worker, patrol_id=patrol.pk, qr_token=place.qr_token),
    ):
        with pytest.raises(services.PatrolConflict):
            call()
    assert Patrol.objects.get(pk=patrol.pk).state == PatrolState.CANCELLED


def test_check_in_rules(demo_user):
    worker = demo_user("gridworker")
    plan = plan_of("gridworker")
    stop = route(plan)[0]
    patrol, _ = services.patrol_start(user=worker, plan_id=plan.pk, now=NOW)
    with pytest.raises(ValidationError) as far:  # ≈ 220 m away
        services.patrol_check_in(
            user=worker, patrol_id=patrol.pk, place_id=stop.pk, lat=stop.point.y + 0.002, lng=stop.point.x
        )
    assert "m from" in str(far.value) or "米" in str(far.value)
    with pytest.raises(ValidationError):  # a tap needs a position
        services.patrol_check_in(user=worker, patrol_id=patrol.pk, place_id=stop.pk)
    with pytest.raises(ValidationError):
        services.patrol_check_in(user=worker, patrol_id=patrol.pk, qr_token="not-a-token")
    off_route = Place.objects.exclude(pk__in=[s.place_id for s in plan.stops.all()]).filter(grid=plan.grid).first()
    with pytest.raises(ValidationError):
        services.patrol_check_in(user=worker, patrol_id=patrol.pk, qr_token=off_route.qr_token)
    first, created = services.patrol_check_in(user=worker, patrol_id=patrol.pk, qr_token=stop.qr_token)
    second, created_again = services.patrol_check_in(
        user=worker, patrol_id=patrol.pk, place_id=stop.pk, lat=stop.point.y, lng=stop.point.x
    )
    assert created and not created_again and first.pk == second.pk
    assert CheckIn.objects.filter(patrol=patrol).count() == 1
    assert Patrol.objects.get(pk=patrol.pk).check_in_count == 1


def test_report_an_event_from_the_patrol(demo_user, django_capture_on_commit_callbacks):
    volunteer = demo_user("volunteer")
    plan = plan_of("volunteer")
    place = route(plan)[1]
    patrol, _ = services.patrol_start(user=volunteer, plan_id=plan.pk, now=NOW)
    category = EventCategory.objects.filter(children__isnull=True).order_by("pk").first()
    client_id = uuid.uuid4()
    event, created = services.patrol_report_event(
        user=volunteer,
        patrol_id=patrol.pk,
        category_id=category.pk,
        description="楼道堆放杂物",
        client_id=client_id,
        place_id=place.pk,
    )
    assert created and event.source == Source.VOLUNTEER and event.reporter_id == volunteer.pk
    assert (event.location.x, event.location.y) == (place.point.x, place.point.y)
    assert event.address == place.address
    assert event.grid_id == place.grid_id
    link = PatrolReport.objects.get(event=event)
    assert (link.patrol_id, link.place_id) == (patrol.pk, place.pk)
    again, created_again = services.patrol_report_event(
        user=volunteer,
        patrol_id=patrol.pk,
        category_id=category.pk,
        description="楼道堆放杂物",
        client_id=client_id,
        place_id=place.pk,
    )
    assert not created_again and again.pk == event.pk and PatrolReport.objects.filter(patrol=patrol).count() == 1


def test_a_grid_workers_report_is_a_patrol_report_at_the_last_position(demo_user):
    worker = demo_user("gridworker")
    plan = plan_of("gridworker")
    place = route(plan)[0]
    patrol, _ = services.patrol_start(user=worker, plan_id=plan.pk, now=NOW)
    services.patrol_track(
        user=worker, patrol_id=patrol.pk, points=[_point(0, NOW, place.point.y, place.point.x)], now=NOW
    )
    category = EventCategory.objects.filter(children__isnull=True).order_by("pk").first()
    event, _ = services.patrol_report_event(
        user=worker, patrol_id=patrol.pk, category_id=category.pk, description="井盖缺失", client_id=uuid.uuid4()
    )
    assert event.source == Source.PATROL and (event.location.x, event.location.y) == (place.point.x, place.point.y)


def test_a_refused_report_links_nothing(demo_user):
    volunteer = demo_user("volunteer")
    patrol, _ = services.patrol_start(user=volunteer, plan_id=plan_of("volunteer").pk, now=NOW)
    with pytest.raises(ValidationError), transaction.atomic():
        services.patrol_report_event(
            user=volunteer,
            patrol_id=patrol.pk,
            category_id=10**9,
            description="x",
            client_id=uuid.uuid4(),
            lat=30.7,
            lng=103.8,
        )
    assert not PatrolReport.objects.exists() and not Event.objects.filter(reporter=volunteer).exists()
    with pytest.raises(PermissionDenied):  # volunteers do not take disputes in (disputes.services decides)
        services.patrol_report_dispute(
            user=volunteer,
            patrol_id=patrol.pk,
            client_id=uuid.uuid4(),
            lat=30.7,
            lng=103.8,
            type_id=None,
            title="噪音",
            facts="楼上装修噪音",
            parties=[],
        )


def test_plan_create_checks_the_area(demo_user):
    staff = demo_user("hangtianlu")
    other = Place.objects.exclude(grid__center=staff.center).filter(kind=PlaceKind.BUILDING).first()
    own = Place.objects.filter(grid__center=staff.center, kind=PlaceKind.BUILDING).order_by("pk")[:3]
    grid = own[0].grid
    with pytest.raises(ValidationError) as refused:
        services.plan_create(actor=staff, name="夜巡", grid_id=grid.pk, place_ids=[own[0].pk, other.pk])
    assert "places" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        services.plan_create(actor=demo_user("gridworker"), name="夜巡", grid_id=grid.pk, place_ids=[own[0].pk])
    with pytest.raises(ValidationError) as refused:
        services.plan_create(actor=staff, name="夜巡", grid_id=grid.pk, place_ids=[own[0].pk], assignee_ids=[staff.pk])
    assert "assignees" in refused.value.message_dict
    same_grid = [p.pk for p in Place.objects.filter(grid=grid).order_by("pk")[:3]]
    plan = services.plan_create(
        actor=staff,
        name="夜巡",
        grid_id=grid.pk,
        place_ids=same_grid,
        assignee_ids=[demo_user("gridworker").pk],
        period="day",
    )
    assert [s.place_id for s in plan.stops.order_by("order")] == same_grid
    assert plan.schedule.next_due_at == plan.warn_at


def test_a_grid_worker_reports_a_dispute_found_on_the_patrol(demo_user):
    from disputes.choices import Intake
    from disputes.models import DisputeType

    worker = demo_user("gridworker")
    plan = plan_of("gridworker")
    place = route(plan)[0]
    patrol, _ = services.patrol_start(user=worker, plan_id=plan.pk, now=NOW)
    case, created = services.patrol_report_dispute(
        user=worker,
        patrol_id=patrol.pk,
        client_id=uuid.uuid4(),
        place_id=place.pk,
        type_id=DisputeType.objects.get(code="neighbour-nuisance").pk,
        title="楼上漏水",
        facts="楼上卫生间漏水，楼下天花板受损。",
        parties=[{"role": "applicant", "name": "李秀英"}, {"role": "respondent", "name": "王建国"}],
    )
    assert created and case.intake == Intake.SWEEP and case.address == (place.address or place.name)
    assert PatrolReport.objects.get(dispute=case).patrol_id == patrol.pk

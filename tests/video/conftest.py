"""Fixtures of the video tests: cameras placed in the demo's 航天路社区 (inside the community
accounts' area) and 永宁街道 (outside it), on the demo's local media server, and events to watch for."""

from __future__ import annotations

import itertools
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.models import Role, User
from events import clocks as event_clocks
from events import services as event_services
from events.models import EventCategory
from grids.models import Center, Grid
from video import services
from video.choices import CameraStatus, Network, OwnerKind, Purpose
from video.domain import gbcode
from video.models import Camera, Consent, MediaServer

_serial = itertools.count(900000)


@pytest.fixture(autouse=True)
def video_media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def video_round_the_clock(db):
    Center.objects.update(calendar=None)
    event_clocks.reference_changed()
    yield
    event_clocks.reference_changed()


@pytest.fixture
def user(db):
    return lambda username: User.objects.select_related("center", "department").get(username=username)


@pytest.fixture
def hangtianlu(db):
    return Grid.objects.select_related("center__parent").get(code="510115001001001")


@pytest.fixture
def yongning(db):
    return (
        Grid.objects.select_related("center__parent").filter(center__parent__name="永宁街道").order_by("code").first()
    )


@pytest.fixture
def local(db):
    return MediaServer.objects.get(slug="local")


@pytest.fixture
def camera(db, hangtianlu, local):
    """Makes a camera in a grid (航天路社区's by default), online, on the local server with a stream."""

    def make(grid=None, *, network=Network.TIANWANG, status=CameraStatus.ONLINE, stream=True, point=None, **fields):
        grid = grid or hangtianlu
        town = grid.center.parent
        civil = town.code[:6] + (town.code[7:9] if town.code[6] == "0" else "00")
        serial = next(_serial)
        household = network == Network.HUIYAN or fields.get("owner") is not None
        values = dict(
            code=gbcode.make(civil=civil, serial=serial, type="132"),
            name=f"测试点位{serial}",
            network=network,
            gb_type="132",
            gb_network="0",
            point=point or grid.boundary.point_on_surface,
            grid=grid,
            center=grid.center,
            status=status,
            media_server=local if stream else None,
            stream=f"test-{serial}" if stream else "",
            owner_kind=OwnerKind.HOUSEHOLD if household else "",
        )
        values.update(fields)
        return Camera.objects.create(**values)

    return make


@pytest.fixture
def consent(db):
    def give(camera, centers, purposes=(Purpose.ALARM,), **fields):
        row = Consent.objects.create(
            camera=camera,
            given_by=camera.owner or User.objects.get(username="admin"),
            purposes=list(purposes),
            given_at=timezone.now(),
            **fields,
        )
        row.centers.set(centers)
        services.consent_sync(camera.pk)  # as consent_give does
        return row

    return give


@pytest.fixture
def resident(db, hangtianlu):
    def make(username="resident-test"):
        return User.objects.create_user(username=username, password="x", role=Role.RESIDENT, center=hangtianlu.center)

    return make


@pytest.fixture
def grant_watch(db):
    def grant(user):
        user.user_permissions.add(Permission.objects.get(content_type__app_label="video", codename="watch_cameras"))

    return grant


@pytest.fixture
def event(db, hangtianlu):
    """An event of 航天路社区 reported by the demo grid worker."""

    def make(grid=None, username="gridworker"):
        grid = grid or hangtianlu
        point = grid.boundary.point_on_surface
        reported, _ = event_services.event_report(
            reporter=User.objects.get(username=username),
            category_id=EventCategory.objects.get(code="sa-garbage").pk,
            description="路边垃圾堆放三天未清运",
            lat=point.y,
            lng=point.x,
            client_id=str(uuid.uuid4()),
        )
        return reported

    return make

"""Every endpoint × every role: the exact answer to each demo role, for an object inside and one
outside its scope.

The table `ROUTES` has one entry per URL name (pages, API, plus the sockets and the admin as
families). A URL pattern or an API schema path without an entry FAILS `test_every_route_has_an_entry`:
a new endpoint is added here, one line per route, with the answer of each role.

Notation of an expected answer: a status code (`200`, `403` …); `login` for a redirect to the sign-in
page; for a route about an object, `"in/out"` (e.g. `"200/404"`: the object inside the role's scope,
the one outside); for a list, `"200 [in out]"` names which of the two objects the list shows. A
socket answers `hello` (accepted), or is closed with 4401 (not signed in) or 4403 (refused).
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import User
from events import services
from grids.models import Center, Department, Grid
from inbox.models import Notification

from .events.conftest import category, dept, hangtianlu_point, media_in_tmp, round_the_clock  # noqa: F401

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "duty",
    "liucheng",
    "hangtianlu",
    "gridworker",
    "volunteer",
    "police",
    "chengguan",
    "mediator",
    "admin",
]
SIGNED_IN = ROLES[1:]


@dataclass
class Route:
    """How to call one route, and each role's answer (see the module's notation)."""

    url: Callable[[dict, str], str]  # (world, "in" | "out") -> path
    expect: dict[str, str]
    method: str = "get"
    data: Callable[[dict], dict] | None = None
    body: str = "json"  # json | form | multipart
    listing: Callable[[dict], set] | None = None  # ids shown by a list answer
    objects: bool = False  # "in/out" answers
    kind: str = "http"  # http | socket


def every(answer: str, **overrides) -> dict[str, str]:
    """The same answer for every signed-in role, with exceptions; anonymous given apart."""
    return {role: overrides.get(role, answer) for role in SIGNED_IN}


def api(answer_for_all: str, anonymous: str = "401", **overrides) -> dict[str, str]:
    return {"anonymous": anonymous, **every(answer_for_all, **overrides)}


def page(answer_for_all: str, anonymous: str = "login", **overrides) -> dict[str, str]:
    return {"anonymous": anonymous, **every(answer_for_all, **overrides)}


def ids_of(key="results"):
    return lambda body: {row["id"] for row in (body[key] if isinstance(body, dict) else body)}


def feature_ids(body):
    return {f["id"] for f in body["features"]}


def event_url(suffix=""):
    return lambda w, which: f"/api/events/{w['event_' + which].pk}/{suffix}"


def dispute_url(suffix=""):
    return lambda w, which: f"/api/disputes/{w['dispute_' + which].pk}/{suffix}"


# What each role may see of events (accounts.scope.EVENTS_BY_ROLE), for an event of 航天路社区
# dispatched to the police and reported by the grid worker (in), and one of 永宁街道 (out).
EVENT_READ = {
    "anonymous": "401/401",
    "duty": "200/200",
    "liucheng": "200/404",
    "hangtianlu": "200/404",
    "gridworker": "200/404",
    "volunteer": "404/404",
    "police": "200/404",
    "chengguan": "404/404",
    "mediator": "404/404",
    "admin": "200/200",
}
EVENT_LIST = {
    "anonymous": "401",
    "duty": "200 [in out]",
    "liucheng": "200 [in]",
    "hangtianlu": "200 [in]",
    "gridworker": "200 [in]",
    "volunteer": "200 []",
    "police": "200 [in]",
    "chengguan": "200 []",
    "mediator": "200 []",
    "admin": "200 [in out]",
}
EVENT_PAGE = {**{r: v.replace("401", "login") for r, v in EVENT_READ.items()}}
# The area (accounts.scope.AREA_BY_ROLE): 航天路社区 (in) and 永宁街道 (out).
AREA_READ = {
    "anonymous": "401/401",
    "duty": "200/200",
    "liucheng": "200/404",
    "hangtianlu": "200/404",
    "gridworker": "200/404",
    "volunteer": "200/404",
    "police": "200/200",
    "chengguan": "200/200",
    "mediator": "200/404",
    "admin": "200/200",
}
PHOTO_READ = EVENT_READ
# What each role may see of disputes (accounts.scope.DISPUTES_BY_ROLE), for a case of 航天路社区 taken
# in by the grid worker (in), and one of a 永宁街道 community (out).
DISPUTE_READ = {
    "anonymous": "401/401",
    "duty": "200/200",
    "liucheng": "200/404",
    "hangtianlu": "200/404",
    "gridworker": "200/404",  # the case they took in
    "volunteer": "404/404",
    "police": "404/404",
    "chengguan": "404/404",
    "mediator": "200/404",  # the town's mediator: the town's area
    "admin": "200/200",
}
DISPUTE_LIST = {
    r: {"401/401": "401", "200/200": "200 [in out]", "200/404": "200 [in]", "404/404": "200 []"}[v]
    for r, v in DISPUTE_READ.items()
}
# The parties' personal data (disputes.services.may_see_parties): not the reporting grid worker.
DISPUTE_PERSONAL = {**DISPUTE_READ, "gridworker": "403/404"}
DISPUTE_FILE = {**DISPUTE_READ, "gridworker": "404/404"}
# A step the case's state (received) does not allow: whoever sees the case is answered 409.
DISPUTE_STATE = {r: v.replace("200", "409") for r, v in DISPUTE_READ.items()}
DISPUTE_PAGE = {
    "anonymous": "login/login",
    "duty": "200/200",
    "liucheng": "200/404",
    "hangtianlu": "200/404",
    "gridworker": "200/404",
    "volunteer": "404/404",
    "police": "404/404",
    "chengguan": "404/404",
    "mediator": "200/404",
    "admin": "200/200",
}
AREA_LIST = {r: {"401/401": "401", "200/200": "200 [in out]", "200/404": "200 [in]"}[v] for r, v in AREA_READ.items()}
# An area's dispute statistics, quarterly form and stability ledger (disputes.selectors.reads_dispute_area):
# the roles that see a whole subtree of cases, for 航天路社区 (in) and 永宁街道 (out); others 403.
DISPUTE_AREA = {
    "anonymous": "401/401",
    "duty": "200/200",
    "liucheng": "200/404",
    "hangtianlu": "200/404",
    "gridworker": "403/403",
    "volunteer": "403/403",
    "police": "403/403",
    "chengguan": "403/403",
    "mediator": "200/404",
    "admin": "200/200",
}
DISPUTE_AREA_PAGE = {**DISPUTE_AREA, "anonymous": "login/login"}


# What each role may see of special-population persons (accounts.scope.CARE_BY_ROLE), for a person of
# 航天路社区 under the police with the grid worker assigned (in), and one of 永宁街道 under the justice
# bureau (out). Center roles see none without care.view_special_people (tests/care/test_scope.py).
CARE_READ = {
    "anonymous": "401/401",
    "duty": "404/404",
    "liucheng": "404/404",
    "hangtianlu": "404/404",
    "gridworker": "200/404",
    "volunteer": "404/404",
    "police": "200/404",
    "chengguan": "404/404",
    "mediator": "404/404",
    "admin": "200/200",
}
# The grid force's figures (force.domain.permissions.may_see_force_figures): the centers and administrators.
FORCE_FIGURES = api("403", anonymous="401", duty="200", liucheng="200", hangtianlu="200", admin="200")
FORCE_FIGURES_PAGE = {**FORCE_FIGURES, "anonymous": "login"}
# What each role may see of patrols and plans (accounts.scope.PATROLS_BY_ROLE), for a patrol of the grid
# worker on their plan in 航天路社区 (in) and one of a 永宁街道 grid worker (out): the patroller their own,
# the centers their subtree's.
PATROL_READ = {
    "anonymous": "401/401",
    "duty": "200/200",
    "liucheng": "200/404",
    "hangtianlu": "200/404",
    "gridworker": "200/404",
    "volunteer": "404/404",
    "police": "404/404",
    "chengguan": "404/404",
    "mediator": "404/404",
    "admin": "200/200",
}
CARE_LIST = {
    r: {"401/401": "401", "200/200": "200 [in out]", "200/404": "200 [in]", "404/404": "200 []"}[v]
    for r, v in CARE_READ.items()
}
CARE_PAGE = {r: v.replace("401", "login") for r, v in CARE_READ.items()}
# A decision (the risk level): the responsible department and administrators; the grid worker 403.
CARE_DECIDE = {**CARE_READ, "gridworker": "403/404"}


def care_url(suffix=""):
    return lambda w, which: f"/api/special-people/{w['person_' + which].pk}/{suffix}"


PATROL_LIST = {
    r: {"401/401": "401", "200/200": "200 [in out]", "200/404": "200 [in]", "404/404": "200 []"}[v]
    for r, v in PATROL_READ.items()
}
PATROL_PAGE = {**PATROL_READ, "anonymous": "login/login"}
# Only the patroller writes to their patrol: who sees it otherwise is refused (403), others do not find it.
PATROL_WRITE = {
    **{r: v.replace("200", "403") for r, v in PATROL_READ.items()},
    "gridworker": "200/404",
}
# The roles that follow an area's patrols live (patrols.selectors.follows_patrols).
PATROL_AREA = {
    "anonymous": "401/401",
    "duty": "200/200",
    "liucheng": "200/404",
    "hangtianlu": "200/404",
    "gridworker": "403/403",
    "volunteer": "403/403",
    "police": "403/403",
    "chengguan": "403/403",
    "mediator": "403/403",
    "admin": "200/200",
}
PATROL_AREA_PAGE = {**PATROL_AREA, "anonymous": "login/login"}


def patrol_url(suffix=""):
    return lambda w, which: f"/api/patrols/{w['patrol_' + which].pk}/{suffix}"


def _track_points(w):
    return {"points": [{"seq": 0, "at": "2026-12-01T09:00:00+08:00", "lat": 30.7, "lng": 103.85, "accuracy": 6}]}


def center_query(path):
    return lambda w, which: f"{path}?center={w['center_' + which].pk}"


# What each role may see of cameras (accounts.scope.VIDEO_BY_ROLE): a camera of 航天路社区 (in) and one
# of 永宁街道 (out). Grid workers and department staff only with video.watch_cameras (not granted here).
VIDEO_READ = {
    "anonymous": "401/401",
    "duty": "200/200",
    "liucheng": "200/404",
    "hangtianlu": "200/404",
    "gridworker": "404/404",
    "volunteer": "404/404",
    "police": "404/404",
    "chengguan": "404/404",
    "mediator": "404/404",
    "admin": "200/200",
}
VIDEO_LIST = {
    r: {"200/200": "200 [in out]", "200/404": "200 [in]", "404/404": "200 []"}.get(v, "401")
    for r, v in VIDEO_READ.items()
}
# Walls and tours: the centers' own (center roles of the subtree; others see none and may not write).
VIDEO_CENTER_READ = VIDEO_READ
VIDEO_CENTER_WRITE = {
    **{r: v.replace("200", "201") for r, v in VIDEO_READ.items()},
    **{r: "403/403" for r in ("gridworker", "volunteer", "police", "chengguan", "mediator")},
}
# The video pages: the centers' (and administrators'); a wall's forms redirect back to it.
VIDEO_CENTER_PAGE = page("403", duty="200", liucheng="200", hangtianlu="200", admin="200")
VIDEO_WALL_WRITE = {
    "anonymous": "login/login",
    "duty": "302/302",
    "liucheng": "302/404",
    "hangtianlu": "302/404",
    "gridworker": "403/403",
    "volunteer": "403/403",
    "police": "403/403",
    "chengguan": "403/403",
    "mediator": "403/403",
    "admin": "302/302",
}

ROUTES: dict[str, Route] = {
    # --- pages -------------------------------------------------------------------------------------
    "home": Route(lambda w, _: "/", page("200", volunteer="302")),  # a volunteer's home: /force/me/
    "map": Route(lambda w, _: "/map/", page("200")),
    "inbox": Route(lambda w, _: "/inbox/", page("200")),
    # An export is its requester's alone (hangtianlu's is "in", another user's "out").
    "exports:start": Route(
        lambda w, _: "/exports/start/",
        page("302"),
        method="post",
        body="form",
        data=lambda w: {"kind": "events", "query": "", "next": "/api/events/export/"},
    ),
    "exports:job": Route(
        lambda w, which: f"/exports/{w['export_' + which].pk}/",
        {**{r: "404/404" for r in SIGNED_IN}, "anonymous": "login/login", "hangtianlu": "200/404"},
        objects=True,
    ),
    "exports:download": Route(
        lambda w, which: f"/exports/{w['export_' + which].pk}/download/",
        {**{r: "404/404" for r in SIGNED_IN}, "anonymous": "login/login", "hangtianlu": "200/404"},
        objects=True,
    ),
    "events:queue": Route(lambda w, _: "/events/", page("200")),
    "events:report": Route(lambda w, _: "/events/report/", page("200")),
    "events:mine": Route(lambda w, _: "/events/mine/", page("200")),
    "events:detail": Route(lambda w, which: f"/events/{w['event_' + which].pk}/", EVENT_PAGE, objects=True),
    "events:act": Route(
        lambda w, which: f"/events/{w['event_' + which].pk}/act/",
        {
            "anonymous": "login/login",
            "duty": "302/302",  # an urge from above, then back to the event page
            "liucheng": "302/404",
            "hangtianlu": "302/404",
            "gridworker": "403/404",
            "volunteer": "404/404",
            "police": "403/404",
            "chengguan": "404/404",
            "mediator": "404/404",
            "admin": "302/302",
        },
        method="post",
        data=lambda w: {"action": "urge"},
        body="form",
        objects=True,
    ),
    # Disputes (accounts.scope.DISPUTES_BY_ROLE): a case of 航天路社区 taken in by the grid worker (in),
    # one of 永宁街道 (out). Parties and documents: mediators and center staff (may_see_parties).
    "disputes:queue": Route(lambda w, _: "/disputes/", page("200", volunteer="403", police="403", chengguan="403")),
    "disputes:new": Route(lambda w, _: "/disputes/new/", page("200", volunteer="403", police="403", chengguan="403")),
    "disputes:workbench": Route(
        lambda w, _: "/disputes/workbench/",
        page("200", gridworker="403", volunteer="403", police="403", chengguan="403"),
    ),
    "disputes:detail": Route(lambda w, which: f"/disputes/{w['dispute_' + which].pk}/", DISPUTE_PAGE, objects=True),
    "disputes:act": Route(
        lambda w, which: f"/disputes/{w['dispute_' + which].pk}/act/",
        {
            "anonymous": "login/login",
            "duty": "302/302",  # an urge from above, then back to the case page
            "liucheng": "302/404",
            "hangtianlu": "403/404",  # the holding center does not urge itself
            "gridworker": "403/404",
            "volunteer": "404/404",
            "police": "404/404",
            "chengguan": "404/404",
            "mediator": "403/404",
            "admin": "302/302",
        },
        method="post",
        data=lambda w: {"action": "urge", "reason": "请加快调解"},
        body="form",
        objects=True,
    ),
    "disputes:stats": Route(center_query("/disputes/stats/"), DISPUTE_AREA_PAGE, objects=True),
    "disputes:ledger": Route(center_query("/disputes/ledger/"), DISPUTE_AREA_PAGE, objects=True),
    "disputes:document": Route(
        lambda w, which: f"/disputes/documents/{w['document_' + which].pk}/scan/",
        {**DISPUTE_PAGE, "gridworker": "404/404"},  # the grid worker follows the case without the parties
        objects=True,
    ),
    # Special populations (care): need-to-know, every view logged.
    "care:people": Route(lambda w, _: "/care/", page("200")),
    "care:mine": Route(lambda w, _: "/care/mine/", page("200")),
    "care:import": Route(lambda w, _: "/care/import/", page("403", police="200", chengguan="200", admin="200")),
    "care:export": Route(lambda w, _: "/care/export.xlsx", page("200")),  # the rows follow the list's scope
    "care:view-log": Route(lambda w, _: "/care/views/", page("403", admin="200")),
    "care:detail": Route(lambda w, which: f"/care/{w['person_' + which].pk}/", CARE_PAGE, objects=True),
    "care:visit": Route(
        lambda w, which: f"/care/{w['person_' + which].pk}/visit/",
        {r: v.replace("200", "302") for r, v in CARE_PAGE.items()},
        method="post",
        data=lambda w: {"method": "phone", "found": "1"},
        body="form",
        objects=True,
    ),
    "care:action": Route(
        lambda w, which: f"/care/{w['person_' + which].pk}/action/",
        {r: v.replace("200", "302").replace("401", "login") for r, v in CARE_DECIDE.items()},
        method="post",
        data=lambda w: {"action": "risk", "risk": "high", "reason": "情绪波动"},
        body="form",
        objects=True,
    ),
    "care:photo": Route(lambda w, which: f"/care/photos/{w['care_photo_' + which].pk}/", CARE_READ, objects=True),
    "care:photo-thumb": Route(
        lambda w, which: f"/care/photos/{w['care_photo_' + which].pk}/thumb/", CARE_READ, objects=True
    ),
    # Photos: whoever may see the event gets the file, anyone else 401 (signed out) or 404.
    "events:photo": Route(lambda w, which: f"/events/photos/{w['photo_' + which].pk}/", PHOTO_READ, objects=True),
    "events:photo-thumb": Route(
        lambda w, which: f"/events/photos/{w['photo_' + which].pk}/thumb/", PHOTO_READ, objects=True
    ),
    # Patrols (accounts.scope.PATROLS_BY_ROLE) and the grids' places (the area: AREA_BY_ROLE).
    "patrols:phone": Route(
        lambda w, _: "/patrols/",
        page("302", gridworker="200", volunteer="200", police="403", chengguan="403", mediator="403"),
    ),
    "patrols:monitor": Route(
        lambda w, _: "/patrols/monitor/",
        page("200", gridworker="403", volunteer="403", police="403", chengguan="403", mediator="403"),
    ),
    "patrols:qr": Route(
        lambda w, which: f"/patrols/qr/{w['place_' + which].qr_token}/",
        {r: v if r != "anonymous" else "login/login" for r, v in AREA_READ.items()},
        objects=True,
    ),
    "patrols:plan": Route(lambda w, which: f"/patrols/plans/{w['plan_' + which].pk}/", PATROL_PAGE, objects=True),
    "patrols:plan-qr": Route(
        lambda w, which: f"/patrols/plans/{w['plan_' + which].pk}/qr/", PATROL_AREA_PAGE, objects=True
    ),
    "patrols:place-import": Route(
        lambda w, _: "/patrols/places/import/",
        page("200", gridworker="403", volunteer="403", police="403", chengguan="403", mediator="403"),
    ),
    "patrols:replay": Route(lambda w, which: f"/patrols/{w['patrol_' + which].pk}/", PATROL_PAGE, objects=True),
    "patrol-list": Route(lambda w, _: "/api/patrols/", PATROL_LIST, listing=ids_of()),
    "patrol-detail": Route(patrol_url(), PATROL_READ, objects=True),
    "patrol-replay": Route(patrol_url("replay/"), PATROL_READ, objects=True),
    "patrol-track": Route(patrol_url("track/"), PATROL_WRITE, method="post", data=_track_points, objects=True),
    "patrol-check-in": Route(
        patrol_url("check-ins/"),
        {**PATROL_WRITE, "gridworker": "201/404"},
        method="post",
        data=lambda w: {"qr_token": w["stop_in"].qr_token},
        objects=True,
    ),
    "patrol-end": Route(patrol_url("end/"), PATROL_WRITE, method="post", objects=True),
    "patrol-cancel": Route(patrol_url("cancel/"), PATROL_WRITE, method="post", objects=True),
    "patrol-reports": Route(
        patrol_url("reports/"),
        {**PATROL_WRITE, "gridworker": "201/404"},
        method="post",
        data=lambda w: {
            "kind": "event",
            "client_id": str(uuid.uuid4()),
            "category": w["category"].pk,
            "description": "巡查发现消防通道堵塞",
            "place": w["stop_in"].pk,
        },
        objects=True,
    ),
    "patrol-plan-list": Route(
        lambda w, _: "/api/patrols/plans/?page_size=1000", {**PATROL_LIST, "volunteer": "200 []"}, listing=ids_of()
    ),
    "patrol-plan-detail": Route(
        lambda w, which: f"/api/patrols/plans/{w['plan_' + which].pk}/", PATROL_READ, objects=True
    ),
    "patrols-live": Route(center_query("/api/patrols/live/"), PATROL_AREA, objects=True),
    "place-list": Route(lambda w, _: "/api/places/?search=矩阵测试", AREA_LIST, listing=feature_ids),
    "place-detail": Route(lambda w, which: f"/api/places/{w['place_' + which].pk}/", AREA_READ, objects=True),
    "place-import": Route(
        lambda w, _: "/api/places/import/",
        api("403", duty="400", liucheng="400", hangtianlu="400", admin="400"),
        method="post",
        body="multipart",
    ),
    "live:dashboard": Route(lambda w, _: "/dashboard/", page("200", gridworker="403", volunteer="403", mediator="403")),
    "live:wall": Route(lambda w, _: "/dashboard/wall/", page("200", gridworker="403", volunteer="403", mediator="403")),
    "login": Route(lambda w, _: "/accounts/login/", page("302", anonymous="200")),
    "logout": Route(lambda w, _: "/accounts/logout/", page("login"), method="post", body="form"),
    "set_language": Route(
        lambda w, _: "/i18n/setlang/",
        page("302", anonymous="302"),
        method="post",
        data=lambda w: {"language": "zh-hans"},
        body="form",
    ),
    "javascript-catalog": Route(lambda w, _: "/jsi18n/", page("200", anonymous="200")),
    # --- API: accounts -----------------------------------------------------------------------------
    "api-token": Route(
        lambda w, _: "/api/auth/token/",
        api("400", anonymous="400"),  # a wrong password, whoever asks
        method="post",
        data=lambda w: {"username": "duty", "password": "wrong"},
    ),
    "api-logout": Route(lambda w, _: "/api/auth/logout/", api("200"), method="post"),
    "api-socket-ticket": Route(lambda w, _: "/api/auth/socket-ticket/", api("201"), method="post"),
    "api-me": Route(lambda w, _: "/api/me/", api("200")),
    "notification-list": Route(
        lambda w, _: "/api/notifications/", api("200 []", hangtianlu="200 [in]"), listing=ids_of(), objects=False
    ),
    "export-list": Route(
        lambda w, _: "/api/exports/", api("200 []", hangtianlu="200 [in]"), listing=ids_of(), objects=False
    ),
    "export-detail": Route(
        lambda w, which: f"/api/exports/{w['export_' + which].pk}/",
        {**{r: "404/404" for r in SIGNED_IN}, "anonymous": "401/401", "hangtianlu": "200/404"},
        objects=True,
    ),
    "notification-unread-count": Route(lambda w, _: "/api/notifications/unread-count/", api("200")),
    "notification-read-all": Route(lambda w, _: "/api/notifications/read-all/", api("200"), method="post"),
    "notification-read": Route(
        lambda w, which: f"/api/notifications/{w['notification_' + which].pk}/read/",
        {**{r: "404/404" for r in SIGNED_IN}, "anonymous": "401/401", "hangtianlu": "200/404"},
        method="post",
        objects=True,
    ),
    # --- API: the area -----------------------------------------------------------------------------
    "center-list": Route(lambda w, _: "/api/centers/?page_size=1000", AREA_LIST, listing=ids_of()),
    "center-geojson": Route(lambda w, _: "/api/centers/geojson/?page_size=1000", AREA_LIST, listing=feature_ids),
    "center-detail": Route(lambda w, which: f"/api/centers/{w['center_' + which].pk}/", AREA_READ, objects=True),
    "grid-list": Route(lambda w, _: "/api/grids/?page_size=1000", AREA_LIST, listing=feature_ids),
    "grid-detail": Route(lambda w, which: f"/api/grids/{w['grid_' + which].pk}/", AREA_READ, objects=True),
    "grid-locate": Route(
        lambda w, which: "/api/grids/locate/?lat={0.y}&lng={0.x}".format(w["grid_" + which].boundary.point_on_surface),
        AREA_READ,
        objects=True,
    ),
    "department-list": Route(
        lambda w, _: "/api/departments/?page_size=1000",
        {
            **AREA_LIST,
            "liucheng": "200 [in]",
            "hangtianlu": "200 [in]",
            "gridworker": "200 [in]",
            "volunteer": "200 [in]",
            "mediator": "200 [in]",
        },
        listing=ids_of(),
    ),
    "department-detail": Route(
        lambda w, which: f"/api/departments/{w['department_' + which].pk}/", AREA_READ, objects=True
    ),
    # --- API: events -------------------------------------------------------------------------------
    "api-root": Route(lambda w, _: "/api/", api("200")),
    "event-category-list": Route(lambda w, _: "/api/event-categories/", api("200")),
    "event-category-detail": Route(lambda w, _: f"/api/event-categories/{w['category'].pk}/", api("200")),
    "event-list": Route(lambda w, _: "/api/events/?page_size=1000", EVENT_LIST, listing=ids_of()),
    "event-export": Route(
        lambda w, _: "/api/events/export/", api("200")
    ),  # the rows follow the list's scope (tests/events/test_export)
    "event-detail": Route(event_url(), EVENT_READ, objects=True),
    "event-timeline": Route(event_url("timeline/"), EVENT_READ, objects=True),
    "event-actions": Route(
        event_url("actions/"),
        {
            "anonymous": "401/401",
            "duty": "200/200",
            "liucheng": "200/404",
            "hangtianlu": "200/404",
            "gridworker": "403/404",
            "volunteer": "404/404",
            "police": "403/404",
            "chengguan": "404/404",
            "mediator": "404/404",
            "admin": "200/200",
        },
        method="post",
        data=lambda w: {"action": "urge"},
        objects=True,
    ),
    "event-attachments": Route(
        event_url("attachments/"),
        {  # seeing the event is not enough: a photo is a step of whoever may act (permissions.may_attach)
            **{r: v.replace("200", "201") for r, v in EVENT_READ.items()},
            "duty": "403/403",  # above the holder: urges and cards, no photos
            "liucheng": "403/404",
            "gridworker": "403/404",  # the reporter, once the event has left `reported`
        },
        method="post",
        data=lambda w: {"image": _png(), "kind": "other"},
        body="multipart",
        objects=True,
    ),
    "stats-summary": Route(lambda w, _: "/api/stats/summary/", api("200")),
    # Already reported nearby: the open events one may see near a point (asked at the event inside).
    "event-nearby": Route(
        lambda w, _: (
            f"/api/events/nearby/?lat={w['event_in'].location.y}&lng={w['event_in'].location.x}"
            f"&category={w['event_in'].category_id}&text={w['event_in'].description}"
        ),
        {**EVENT_LIST, "duty": "200 [in]", "admin": "200 [in]"},
        listing=ids_of(),
    ),
    # --- Open311 GeoReport v2 (public by the spec: the same to everyone; posting needs an api_key) -----
    "open311:discovery": Route(lambda w, _: "/open311/v2/discovery.json", api("200", anonymous="200")),
    "open311:services": Route(lambda w, _: "/open311/v2/services.xml", api("200", anonymous="200")),
    "open311:service": Route(lambda w, _: "/open311/v2/services/sa-garbage.json", api("200", anonymous="200")),
    "open311:requests": Route(lambda w, _: "/open311/v2/requests.json", api("200", anonymous="200")),
    # A request in a public category (sanitation) is public: the same answer to every role.
    "open311:request": Route(
        lambda w, _: f"/open311/v2/requests/{w['event_in'].number}.json", api("200", anonymous="200")
    ),
    "open311:token": Route(lambda w, _: f"/open311/v2/tokens/{uuid.uuid4()}.json", api("404", anonymous="404")),
    # --- the 12345 hotline: signed by the hotline's secret, never by a session -----------------------------
    "hotline-orders": Route(lambda w, _: "/api/hotline/orders/", api("401"), method="post"),
    "hotline-satisfaction": Route(lambda w, _: "/api/hotline/satisfaction/", api("401"), method="post"),
    # --- API: disputes -----------------------------------------------------------------------------
    "dispute-type-list": Route(lambda w, _: "/api/dispute-types/", api("200")),
    "dispute-list": Route(lambda w, _: "/api/disputes/?page_size=1000", DISPUTE_LIST, listing=ids_of()),
    "dispute-ledger": Route(center_query("/api/disputes/ledger/"), DISPUTE_AREA, objects=True),
    "dispute-stats": Route(center_query("/api/stats/disputes/"), DISPUTE_AREA, objects=True),
    "dispute-quarterly": Route(center_query("/api/stats/disputes/quarterly.xlsx"), DISPUTE_AREA, objects=True),
    "dispute-detail": Route(dispute_url(), DISPUTE_READ, objects=True),
    "dispute-timeline": Route(dispute_url("timeline/"), DISPUTE_READ, objects=True),
    "dispute-sessions": Route(dispute_url("sessions/"), DISPUTE_PERSONAL, objects=True),
    "dispute-investigations": Route(dispute_url("investigations/"), DISPUTE_PERSONAL, objects=True),
    "dispute-documents": Route(dispute_url("documents/"), DISPUTE_READ, objects=True),
    "dispute-document-file": Route(
        lambda w, which: f"/api/disputes/{w['dispute_' + which].pk}/documents/{w['document_' + which].pk}/file/",
        DISPUTE_FILE,
        objects=True,
    ),
    "dispute-actions": Route(
        dispute_url("actions/"),
        {
            "anonymous": "401/401",
            "duty": "200/200",  # an urge from above
            "liucheng": "200/404",
            "hangtianlu": "403/404",  # the holder triages; urges come from above
            "gridworker": "403/404",
            "volunteer": "404/404",
            "police": "404/404",
            "chengguan": "404/404",
            "mediator": "403/404",
            "admin": "200/200",
        },
        method="post",
        data=lambda w: {"action": "urge", "reason": "请加快化解"},
        objects=True,
    ),
    "dispute-follow-ups": Route(
        dispute_url("follow-ups/"),
        DISPUTE_STATE,
        method="post",
        data=lambda w: {"visited_at": "2026-01-05T10:00:00+08:00", "method": "phone", "performance": "performed"},
        objects=True,
    ),
    "dispute-obligation-perform": Route(
        dispute_url("obligations/999999/perform/"), DISPUTE_STATE, method="post", objects=True
    ),
    "dispute-confirmation": Route(
        dispute_url("confirmation/"),
        DISPUTE_STATE,
        method="put",
        data=lambda w: {"applied_on": "2026-01-05", "court": "温江区人民法院"},
        objects=True,
    ),
    "dispute-document-sign": Route(
        lambda w, which: f"/api/disputes/{w['dispute_' + which].pk}/documents/{w['document_' + which].pk}/sign/",
        DISPUTE_STATE,
        method="post",
        data=lambda w: {"scan": _scan()},
        body="multipart",
        objects=True,
    ),
    "dispute-files": Route(
        dispute_url("files/"),
        {  # a step of the holder, a named mediator, or the reporter while the case waits for triage
            "anonymous": "401/401",
            "duty": "403/403",
            "liucheng": "403/404",
            "hangtianlu": "201/404",
            "gridworker": "201/404",
            "volunteer": "404/404",
            "police": "404/404",
            "chengguan": "404/404",
            "mediator": "403/404",
            "admin": "201/201",
        },
        method="post",
        data=lambda w: {"file": _scan()},
        body="multipart",
        objects=True,
    ),
    "dashboard-snapshot": Route(
        lambda w, which: f"/api/dashboard/snapshot/?center={w['center_' + which].pk}",
        {
            "anonymous": "401/401",
            "duty": "200/200",
            "liucheng": "200/404",
            "hangtianlu": "200/404",
            "gridworker": "403/403",
            "volunteer": "403/403",
            "police": "404/404",  # a department's dashboard is its whole area, not a center's
            "chengguan": "404/404",
            "mediator": "403/403",
            "admin": "200/200",
        },
        objects=True,
    ),
    # --- API: special populations (care) -----------------------------------------------------------
    "special-person-list": Route(lambda w, _: "/api/special-people/?page_size=1000", CARE_LIST, listing=ids_of()),
    "special-person-detail": Route(care_url(), CARE_READ, objects=True),
    "special-person-counts": Route(lambda w, _: "/api/special-people/counts/", api("200")),
    "special-person-visits": Route(care_url("visits/"), CARE_READ, objects=True),
    "special-person-timeline": Route(care_url("timeline/"), CARE_READ, objects=True),
    "special-person-actions": Route(
        care_url("actions/"),
        CARE_DECIDE,
        method="post",
        data=lambda w: {"action": "risk", "risk": "high", "reason": "情绪波动"},
        objects=True,
    ),
    "special-person-import-xlsx": Route(
        lambda w, _: "/api/special-people/import/",
        api("403", police="400", chengguan="400", admin="400"),  # no file: 400 to whoever may import
        method="post",
        body="multipart",
    ),
    "special-person-export": Route(lambda w, _: "/api/special-people/export/", api("200")),
    "care-view-log-list": Route(lambda w, _: "/api/care-view-log/", api("403", admin="200")),
    "care-rule-list": Route(lambda w, _: "/api/care-rules/", api("200")),
    # --- the grid force (accounts.scope.FORCE_BY_ROLE): a volunteer of the grid worker's grid (in),
    # one of 永宁街道 (out); invitations by the grid worker (in) and by 永宁街道 (out) ----------------
    "force:join": Route(lambda w, _: f"/force/join/{w['invitation_in'].code}/", page("200", anonymous="200")),
    "force:me": Route(lambda w, _: "/force/me/", page("403", volunteer="200")),
    "force:invitations": Route(
        lambda w, _: "/force/invitations/", page("200", volunteer="403", police="403", chengguan="403", mediator="403")
    ),
    "force:rankings": Route(lambda w, _: "/force/rankings/", page("200")),
    "force:duties": Route(lambda w, _: "/force/duties/", page("200")),
    "force:performance": Route(lambda w, _: "/force/performance/", FORCE_FIGURES_PAGE),
    "force:recognize": Route(
        lambda w, which: f"/force/recognize/{w['volunteer_' + which].pk}/",
        {
            "anonymous": "login/login",
            "duty": "302/302",
            "liucheng": "302/404",
            "hangtianlu": "302/404",
            "gridworker": "403/404",  # sees the volunteers of their grid, does not commend
            "volunteer": "404/404",
            "police": "404/404",
            "chengguan": "404/404",
            "mediator": "404/404",
            "admin": "302/302",
        },
        method="post",
        data=lambda w: {"reason": "巡查认真", "bonus_points": 1},
        body="form",
        objects=True,
    ),
    "force-invitation-list": Route(lambda w, _: "/api/force/invitations/", api("200")),
    "force-invitation-revoke": Route(
        lambda w, which: f"/api/force/invitations/{w['invitation_' + which].pk}/revoke/",
        {
            "anonymous": "401/401",
            "duty": "200/200",
            "liucheng": "200/404",
            "hangtianlu": "200/404",
            "gridworker": "200/404",  # their own invitation
            "volunteer": "404/404",
            "police": "404/404",
            "chengguan": "404/404",
            "mediator": "404/404",
            "admin": "200/200",
        },
        method="post",
        objects=True,
    ),
    "force-join": Route(lambda w, _: f"/api/force/join/{w['invitation_in'].code}/", api("200", anonymous="200")),
    "force-point-list": Route(lambda w, _: "/api/force/points/", api("200")),
    "force-me": Route(lambda w, _: "/api/force/me/", api("403", volunteer="200")),
    "force-ranking": Route(lambda w, _: "/api/force/rankings/", api("200")),
    "force-recognition-list": Route(lambda w, _: "/api/force/recognitions/", api("200")),
    "force-duties": Route(lambda w, _: "/api/force/duties/", api("200")),
    "force-performance": Route(lambda w, _: "/api/force/performance/", FORCE_FIGURES),
    "force-performance-export": Route(lambda w, _: "/api/force/performance.xlsx", FORCE_FIGURES),
    # --- video (accounts.scope.VIDEO_BY_ROLE): a camera of 航天路社区 (in) and one of 永宁街道 (out) ---------
    "video-camera-list": Route(lambda w, _: "/api/cameras/?network=other", VIDEO_LIST, listing=feature_ids),
    "video-camera-detail": Route(lambda w, which: f"/api/cameras/{w['camera_' + which].pk}/", VIDEO_READ, objects=True),
    "video-camera-history": Route(
        lambda w, which: f"/api/cameras/{w['camera_' + which].pk}/history/", VIDEO_READ, objects=True
    ),
    "video-camera-play": Route(
        lambda w, which: f"/api/cameras/{w['camera_' + which].pk}/play/",
        {r: v.replace("200", "201") for r, v in VIDEO_READ.items()},
        method="post",
        data=lambda w: {"purpose": "patrol"},
        objects=True,
    ),
    "video-camera-consent": Route(
        lambda w, which: f"/api/cameras/{w['camera_' + which].pk}/consent/",
        {**{r: "404/404" for r in SIGNED_IN}, "anonymous": "401/401"},  # only a household, for its own
        method="put",
        data=lambda w: {"centers": [w["center_in"].pk], "purposes": ["alarm"]},
        objects=True,
    ),
    "video-camera-nearest": Route(lambda w, _: "/api/cameras/nearest/?lat=30.69&lng=103.83", api("200")),
    "video-camera-online-rate": Route(lambda w, _: "/api/cameras/online-rate/", api("200")),
    "video-camera-import": Route(
        lambda w, _: "/api/cameras/import/",
        api("403", duty="400", liucheng="400", hangtianlu="400", admin="400"),  # 400: no file
        method="post",
        body="multipart",
    ),
    "video-my-cameras": Route(lambda w, _: "/api/my-cameras/", api("200")),
    "video-my-viewings": Route(lambda w, _: "/api/my-cameras/viewings/", api("200")),
    "video-viewing-list": Route(lambda w, _: "/api/viewings/", api("200")),
    "video-viewing-heartbeat": Route(
        lambda w, _: f"/api/viewings/{w['viewing'].pk}/heartbeat/", api("404", hangtianlu="200"), method="post"
    ),
    "video-viewing-end": Route(
        lambda w, _: f"/api/viewings/{w['viewing'].pk}/end/", api("404", hangtianlu="200"), method="post"
    ),
    "video-wall-list": Route(lambda w, _: "/api/walls/", api("200")),
    "video-wall-detail": Route(
        lambda w, which: f"/api/walls/{w['wall_' + which].pk}/", VIDEO_CENTER_READ, objects=True
    ),
    "video-wall-layouts": Route(
        lambda w, which: f"/api/walls/{w['wall_' + which].pk}/layouts/",
        VIDEO_CENTER_WRITE,
        method="post",
        data=lambda w: {"name": "单画面", "tiles": 1, "slots": []},
        objects=True,
    ),
    "video-wall-show": Route(
        lambda w, which: f"/api/walls/{w['wall_' + which].pk}/show/",
        {r: v.replace("201", "200") for r, v in VIDEO_CENTER_WRITE.items()},
        method="post",
        data=lambda w: {"tour": w["tour_in"].pk},
        objects=True,
    ),
    "video-tour-list": Route(lambda w, _: "/api/tours/", api("200")),
    "video-tour-detail": Route(
        lambda w, which: f"/api/tours/{w['tour_' + which].pk}/", VIDEO_CENTER_READ, objects=True
    ),
    "video-group-list": Route(lambda w, _: "/api/camera-groups/", api("200")),
    "video-snapshot-create": Route(
        lambda w, _: "/api/snapshots/",
        api("404", duty="409", liucheng="409", hangtianlu="409", admin="409"),  # 409: the camera has no stream
        method="post",
        data=lambda w: {"camera": w["camera_unstreamed"].pk, "purpose": "patrol"},
    ),
    "video-snapshot-image": Route(
        lambda w, which: f"/api/snapshots/{w['snapshot_' + which].pk}/image/", VIDEO_READ, objects=True
    ),
    # The media servers' hooks: unauthenticated, the same answer whoever calls (the token decides).
    "video-hook-auth": Route(lambda w, _: "/video/hooks/auth/", {r: "403" for r in ROLES}),
    "video-hook-server-auth": Route(lambda w, _: "/video/hooks/local/auth/", {r: "403" for r in ROLES}),
    "video-hook-publish": Route(
        lambda w, _: "/video/hooks/publish/",
        {r: "403" for r in ROLES},
        method="post",
        data=lambda w: {"name": "x"},
        body="form",
    ),
    "video-hook-server-publish": Route(
        lambda w, _: "/video/hooks/local/publish/",
        {r: "403" for r in ROLES},
        method="post",
        data=lambda w: {"name": "x"},
        body="form",
    ),
    "video-hook-publish-done": Route(
        lambda w, _: "/video/hooks/publish-done/",
        {r: "200" for r in ROLES},
        method="post",
        data=lambda w: {"name": "x"},
        body="form",
    ),
    "video-hook-server-publish-done": Route(
        lambda w, _: "/video/hooks/local/publish-done/",
        {r: "200" for r in ROLES},
        method="post",
        data=lambda w: {"name": "x"},
        body="form",
    ),
    "video-hook-play": Route(
        lambda w, _: "/video/hooks/play/",
        {r: "403" for r in ROLES},
        method="post",
        data=lambda w: {"name": "x"},
        body="form",
    ),
    "video-hook-server-play": Route(
        lambda w, _: "/video/hooks/local/play/",
        {r: "403" for r in ROLES},
        method="post",
        data=lambda w: {"name": "x"},
        body="form",
    ),
    "video-hook-zlm-play": Route(
        lambda w, _: "/video/hooks/local/zlm/on_play/", {r: "200" for r in ROLES}, method="post"
    ),
    "video-hook-zlm-publish": Route(
        lambda w, _: "/video/hooks/local/zlm/on_publish/", {r: "200" for r in ROLES}, method="post"
    ),
    "video-hook-zlm-changed": Route(
        lambda w, _: "/video/hooks/local/zlm/on_stream_changed/", {r: "200" for r in ROLES}, method="post"
    ),
    "video-hook-mediamtx-auth": Route(
        lambda w, _: "/video/hooks/local/mediamtx/auth/", {r: "401" for r in ROLES}, method="post"
    ),
    # --- alarms (accounts.scope.ALARMS_BY_ROLE; what each list shows: tests/alarms/test_api.py) --------
    "alarm-list": Route(lambda w, _: "/api/alarms/", api("200")),
    "alarm-source-list": Route(lambda w, _: "/api/alarm-sources/", api("200")),
    "alarm-device-list": Route(lambda w, _: "/api/alarm-devices/", api("200")),
    # The webhook answers only signed requests, whoever is signed in (sessions and tokens count for nothing).
    "alarm-webhook": Route(
        lambda w, _: "/api/alarms/safe-compound/", api("401", anonymous="401"), method="post", data=lambda w: {}
    ),
    "api-schema": Route(lambda w, _: "/api/schema/", api("200")),
    "api-docs": Route(lambda w, _: "/api/docs/", page("200")),
    # --- families ----------------------------------------------------------------------------------
    "admin/*": Route(lambda w, _: "/admin/", page("302", anonymous="302", admin="200")),  # others: the admin's login
    "ws/dashboard/": Route(
        lambda w, which: f"/ws/dashboard/?center={w['center_' + which].pk}",
        {
            "anonymous": "4401/4401",
            "duty": "hello/hello",
            "liucheng": "hello/4403",
            "hangtianlu": "hello/4403",
            "gridworker": "4403/4403",
            "volunteer": "4403/4403",
            "police": "4403/4403",
            "chengguan": "4403/4403",
            "mediator": "4403/4403",
            "admin": "hello/hello",
        },
        objects=True,
        kind="socket",
    ),
    "ws/inbox/": Route(lambda w, _: "/ws/inbox/", {**every("hello"), "anonymous": "4401"}, kind="socket"),
    # --- the video pages (accounts.scope.VIDEO_BY_ROLE): centers watch their subtree; grid workers and
    # department staff only with video.watch_cameras (none here); households their own cameras. A wall
    # of 航天路社区 (in) and one of 永宁街道 (out). ------------------------------------------------------
    "video:cameras": Route(lambda w, _: "/video/", VIDEO_CENTER_PAGE),
    "video:wall": Route(lambda w, _: "/video/wall/", VIDEO_CENTER_PAGE),
    "video:tours": Route(lambda w, _: "/video/tours/", VIDEO_CENTER_PAGE),
    "video:camera-new": Route(lambda w, _: "/video/cameras/new/", VIDEO_CENTER_PAGE),
    "video:camera-edit": Route(
        lambda w, which: f"/video/cameras/{w['camera_' + which].pk}/edit/",
        {
            "anonymous": "login/login",
            "duty": "200/200",
            "liucheng": "200/404",
            "hangtianlu": "200/404",
            "gridworker": "403/403",
            "volunteer": "403/403",
            "police": "403/403",
            "chengguan": "403/403",
            "mediator": "403/403",
            "admin": "200/200",
        },
        objects=True,
    ),
    "video:mine": Route(lambda w, _: "/video/mine/", page("403")),  # households only (no resident here)
    "video:consent-give": Route(
        lambda w, _: f"/video/mine/{w['household_camera'].pk}/consent/",
        page("403"),
        method="post",
        data=lambda w: {"purposes": ["alarm"]},
        body="form",
    ),
    "video:consent-revoke": Route(
        lambda w, _: f"/video/mine/{w['household_camera'].pk}/revoke/", page("403"), method="post", body="form"
    ),
    "video:wall-show": Route(
        lambda w, which: f"/video/wall/{w['wall_' + which].pk}/show/",
        VIDEO_WALL_WRITE,
        method="post",
        data=lambda w: {"layout": ""},
        body="form",
        objects=True,
    ),
    "video:layout-save": Route(
        lambda w, which: f"/video/wall/{w['wall_' + which].pk}/layouts/",
        VIDEO_WALL_WRITE,
        method="post",
        data=lambda w: {"name": "一屏", "tiles": "1"},
        body="form",
        objects=True,
    ),
}
FAMILIES = {"admin/": "admin/*"}


def _scan() -> io.BytesIO:
    buffer = io.BytesIO(b"%PDF-1.4\n% a scan\n")
    buffer.name = "scan.pdf"
    return buffer


def _png() -> io.BytesIO:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "photo.png"
    return buffer


# --- the routes the project has --------------------------------------------------------------------


def _walk(patterns, prefix="", namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            yield (
                (f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name),
                prefix + str(pattern.pattern),
            )


def project_routes() -> set[str]:
    """Every URL name of the project (a family for the admin), and the sockets."""
    from wenjiang_ops.routing import websocket_urlpatterns

    keys = set()
    for name, route in _walk(get_resolver().url_patterns):
        family = next((key for prefix, key in FAMILIES.items() if route.lstrip("^").startswith(prefix)), None)
        keys.add(family or name or route)
    keys.update(str(p.pattern) for p in websocket_urlpatterns)
    return keys


def test_every_route_has_an_entry():
    missing = project_routes() - set(ROUTES)
    assert not missing, f"add these routes to ROUTES in {__file__}: {sorted(missing)}"
    stale = set(ROUTES) - project_routes()
    assert not stale, f"these entries name no route any more: {sorted(stale)}"
    for key, route in ROUTES.items():
        assert set(route.expect) == set(ROLES), key


def test_every_schema_path_has_an_entry(api):
    from django.urls import resolve

    schema = api.as_user("duty").get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in schema["paths"]:
        match = resolve(path.replace("{id}", "1").replace("{format}", "json"))
        assert match.view_name in ROUTES, f"{path} ({match.view_name}) has no entry in ROUTES"


# --- the world the answers are about ---------------------------------------------------------------


@pytest.fixture
def world(db, category, hangtianlu_point, media_in_tmp):  # noqa: F811
    users = {u.username: u for u in User.objects.filter(username__in=SIGNED_IN)}
    inside = services.event_report(
        reporter=users["gridworker"],
        category_id=category.pk,
        description="航天路井盖缺失",
        lat=hangtianlu_point.y,
        lng=hangtianlu_point.x,
        client_id=uuid.uuid4(),
    )[0]
    police = Department.objects.get(code="police")
    services.event_transition(event_id=inside.pk, action="accept", actor=users["hangtianlu"])
    services.event_transition(
        event_id=inside.pk, action="dispatch", actor=users["hangtianlu"], lead_department=police.pk
    )
    grid_out = Grid.objects.filter(center__parent__name="永宁街道", kind="comprehensive").order_by("code").first()
    point = grid_out.boundary.point_on_surface
    outside = services.event_report(
        reporter=User.objects.get(username=f"gw{grid_out.code}"),
        category_id=category.pk,
        description="永宁街道道路积水",
        lat=point.y,
        lng=point.x,
        client_id=uuid.uuid4(),
    )[0]
    yongning = Center.objects.get(name="永宁街道")
    photo_in = _photo(inside, users["hangtianlu"])  # an attach step by the holding center
    photo_out = _photo(outside, outside.reporter)  # the reporter's report photo
    person_in, care_photo_in = _care_person(users["gridworker"], Grid.objects.get(code="510115001001001"), "police")
    person_out, care_photo_out = _care_person(User.objects.get(username=f"gw{grid_out.code}"), grid_out, "justice")
    dispute_in = _dispute(users["gridworker"], hangtianlu_point, "grid")
    dispute_out = _dispute(User.objects.get(username="yongning"), point, "walk_in")
    return {
        "person_in": person_in,
        "person_out": person_out,
        "care_photo_in": care_photo_in,
        "care_photo_out": care_photo_out,
        **_patrols(users, grid_out),
        "dispute_in": dispute_in,
        "dispute_out": dispute_out,
        "document_in": _document(dispute_in),
        "document_out": _document(dispute_out),
        "event_in": inside,
        "event_out": outside,
        "center_in": Center.objects.get(name="航天路社区"),
        "center_out": yongning,
        "grid_in": Grid.objects.get(code="510115001001001"),
        "grid_out": grid_out,
        "department_in": police,
        "department_out": Department.objects.create(
            code="yongning-squad", name="永宁街道综合执法中队", short_name="永宁执法", center=yongning
        ),
        "category": category,
        "photo_in": photo_in,
        "photo_out": photo_out,
        "notification_in": Notification.objects.create(user=users["hangtianlu"], kind="test", message="mine"),
        "notification_out": Notification.objects.create(
            user=User.objects.get(username="yongning"), kind="test", message="someone else's"
        ),
        "export_in": _export(users["hangtianlu"]),
        "export_out": _export(User.objects.get(username="yongning")),
        "ids": {},
        **_force_world(users, grid_out),
        **_video_world(users, grid_out),
    }


def _video_world(users, grid_out) -> dict:
    """A camera of each area (network "other": the demo has none, so a list filtered by it shows just
    these two), one without a stream, a viewing of hangtianlu's, a wall and a tour of each area, a
    snapshot of each camera."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from video.models import Camera, MediaServer, Snapshot, Tour, Viewing, Wall

    local = MediaServer.objects.get(slug="local")
    grid_in = Grid.objects.select_related("center").get(code="510115001001001")
    yongning = User.objects.get(username="yongning")

    def camera(grid, code, stream):
        return Camera.objects.create(
            code=code, name=f"矩阵{code[-3:]}", network="other", gb_type="132", gb_network="0",
            point=grid.boundary.point_on_surface, grid=grid, center=grid.center, status="online",
            media_server=local if stream else None, stream=stream,
        )  # fmt: skip

    camera_in = camera(grid_in, "51011501001320099001", "matrix-in")
    camera_out = camera(grid_out, "51011500001320099002", "matrix-out")
    now = timezone.now()

    def snapshot(cam, user):
        shot = Snapshot(camera=cam, taken_by=user, taken_at=now)
        shot.image.save("m.jpg", ContentFile(b"\xff\xd8\xff\xe0matrix"), save=False)
        shot.save()
        return shot

    return {
        "camera_in": camera_in,
        "camera_out": camera_out,
        "camera_unstreamed": camera(grid_in, "51011501001320099003", ""),
        "viewing": Viewing.objects.create(
            camera=camera_in, user=users["hangtianlu"], purpose="patrol", started_at=now, last_seen_at=now
        ),
        "wall_in": Wall.objects.create(center=grid_in.center, name="矩阵墙"),
        "wall_out": Wall.objects.create(center=yongning.center, name="矩阵墙"),
        "tour_in": Tour.objects.create(center=grid_in.center, name="矩阵巡屏"),
        "tour_out": Tour.objects.create(center=yongning.center, name="矩阵巡屏"),
        "snapshot_in": snapshot(camera_in, users["hangtianlu"]),
        "snapshot_out": snapshot(camera_out, yongning),
        "household_camera": Camera.objects.filter(owner__isnull=False).order_by("pk").first(),
    }


def _force_world(users, grid_out):
    """A volunteer of the grid worker's grid and one of 永宁街道; an invitation of each area."""
    from force import services as force
    from tests.force.factories import volunteer_account

    grid_in = Grid.objects.get(code="510115001001001")
    return {
        "volunteer_in": volunteer_account(grid_in),
        "volunteer_out": volunteer_account(grid_out),
        "invitation_in": force.invitation_create(inviter=users["gridworker"], grid_id=grid_in.pk),
        "invitation_out": force.invitation_create(inviter=User.objects.get(username="yongning"), grid_id=grid_out.pk),
    }


def _patrols(users, grid_out) -> dict:
    """A patrol under way of the grid worker on their plan (in), one of 永宁街道's grid worker (out), and a
    place of each area named for the places list's search."""
    from django.contrib.gis.geos import Point

    from grids.models import Place
    from patrols import services as patrols
    from patrols.models import PatrolPlan

    plan_in = PatrolPlan.objects.filter(assignees=users["gridworker"]).order_by("pk").first()
    worker_out = User.objects.get(username=f"gw{grid_out.code}")
    plan_out = PatrolPlan.objects.filter(assignees=worker_out).order_by("pk").first()
    stop_in = plan_in.stops.order_by("order").first().place
    inside = stop_in.point
    outside = grid_out.boundary.point_on_surface
    return {
        "plan_in": plan_in,
        "plan_out": plan_out,
        "stop_in": stop_in,
        "patrol_in": patrols.patrol_start(user=users["gridworker"], plan_id=plan_in.pk)[0],
        "patrol_out": patrols.patrol_start(user=worker_out, plan_id=plan_out.pk)[0],
        "place_in": Place.objects.create(
            grid=plan_in.grid, kind="building", name="矩阵测试点", point=Point(inside.x, inside.y, srid=4326)
        ),
        "place_out": Place.objects.create(
            grid=grid_out, kind="building", name="矩阵测试点外", point=Point(outside.x, outside.y, srid=4326)
        ),
    }


def _export(user):
    from datetime import timedelta

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from exports.models import ExportJob

    job = ExportJob(user=user, kind="events", title="t", filename="events.xlsx", state="done", rows_done=1)
    job.expires_at = timezone.now() + timedelta(hours=1)
    job.file.save("events.xlsx", ContentFile(b"PK"), save=False)
    job.save()
    return job


def _care_person(worker, grid, department):
    """A special-population person with the worker assigned, and a visit photo (by an administrator)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from care import services as care

    point = grid.boundary.point_on_surface
    admin = User.objects.get(username="admin")
    person = care.person_create(
        actor=admin,
        data={
            "person_type": "correction",
            "name": "张小明",
            "lat": point.y,
            "lng": point.x,
            "department": department,
            "workers": [worker.pk],
        },
    )
    upload = SimpleUploadedFile("photo.png", _png().getvalue(), content_type="image/png")
    visit, _ = care.visit_record(person_id=person.pk, actor=admin, method="in_person", photos=[upload])
    return person, visit.photos.get()


def _dispute(reporter, point, intake):
    from disputes import services as disputes
    from disputes.models import DisputeType

    return disputes.dispute_report(
        reporter=reporter,
        type_id=DisputeType.objects.get(code="neighbour-nuisance").pk,
        title="楼上漏水纠纷",
        facts="楼上住户卫生间漏水，楼下天花板受损。",
        lat=point.y,
        lng=point.x,
        client_id=uuid.uuid4(),
        intake=intake,
        parties=[{"role": "applicant", "name": "李秀英"}, {"role": "respondent", "name": "王建国"}],
    )[0]


def _document(dispute):
    """A file added by the case's reporter while it waits for triage."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from disputes import services as disputes

    upload = SimpleUploadedFile("scan.pdf", _scan().getvalue(), content_type="application/pdf")
    return disputes.file_attach(dispute_id=dispute.pk, actor=dispute.reporter, upload=upload)


def _photo(event, uploader):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("photo.png", _png().getvalue(), content_type="image/png")
    return services.attachments_add(event_id=event.pk, uploader=uploader, uploads=[upload], kind="other")[0]


def _answer(response, route: Route, world: dict) -> str:
    status = response.status_code
    if status == 302 and "/accounts/login/" in response.get("Location", ""):
        return "login"
    if route.listing is not None and status == 200:
        shown = route.listing(response.json())
        which = [w for w in ("in", "out") if _listed_id(route, world, w) in shown]
        return f"200 [{' '.join(which)}]"
    return str(status)


def _listed_id(route: Route, world: dict, which: str) -> int:
    if route.listing is not None and route.url(world, which).startswith("/api/special-people"):
        return world[f"person_{which}"].pk
    for prefix, key in (("patrols/plans", "plan"), ("patrols", "patrol"), ("places", "place")):
        if route.listing is not None and route.url(world, which).startswith(f"/api/{prefix}/"):
            return world[f"{key}_{which}"].pk
    if route.listing is not None and route.url(world, which).startswith("/api/cameras"):
        return world[f"camera_{which}"].pk
    for prefix in ("event", "center", "grid", "department", "notification", "dispute", "export"):
        if route.listing is not None and route.url(world, which).startswith(f"/api/{prefix}"):
            return world[f"{prefix}_{which}"].pk
    raise AssertionError(route)


def _call(client, role: str, route: Route, world: dict, which: str) -> str:
    from rest_framework.test import APIClient

    if route.kind == "socket":
        return _socket(role, route.url(world, which))
    client = APIClient()
    if role != "anonymous":
        client.force_login(User.objects.get(username=role))
    url = route.url(world, which)
    data = route.data(world) if route.data else None
    with transaction.atomic():
        if route.method == "get":
            response = client.get(url)
        elif route.method == "put":
            response = client.put(url, data or {}, format="json")
        elif route.body == "json":
            response = client.post(url, data or {}, format="json")
        elif route.body == "multipart":
            response = client.post(url, data or {}, format="multipart")
        else:
            response = client.post(url, data or {})
        answer = _answer(response, route, world)
        transaction.set_rollback(True)
    return answer


def _socket(role: str, path: str) -> str:
    from asgiref.sync import async_to_sync
    from channels.routing import URLRouter
    from django.contrib.auth.models import AnonymousUser

    from tests.live.conftest import WebsocketCommunicator
    from wenjiang_ops.routing import websocket_urlpatterns

    async def run():
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path)
        communicator.scope["user"] = AnonymousUser() if role == "anonymous" else user
        await communicator.connect()
        message = json.loads((await communicator.receive_output(3)).get("text") or "{}")
        if message.get("type") == "hello":
            await communicator.disconnect()
            return "hello"
        closed = await communicator.receive_output(3)
        return str(closed.get("code"))

    user = None if role == "anonymous" else User.objects.select_related("center", "department").get(username=role)
    return async_to_sync(run)()


@pytest.mark.parametrize("key", sorted(ROUTES))
def test_each_role_gets_exactly_its_answer(key, world, settings, monkeypatch):
    route = ROUTES[key]
    if route.kind == "socket":
        monkeypatch.setattr("channels.db.close_old_connections", lambda: None)
    got, wrong = {}, {}
    for role in ROLES:
        if route.objects:
            answer = "/".join(_call(None, role, route, world, which) for which in ("in", "out"))
        else:
            answer = _call(None, role, route, world, "in")
        got[role] = answer
        if answer != route.expect[role]:
            wrong[role] = (answer, route.expect[role])
    assert not wrong, f"{key}: (got, expected) {wrong}"

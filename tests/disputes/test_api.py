"""The disputes API on the real database: intake, the list and its filters, the detail with the
parties shown (and logged) only to mediators and center staff, the error mapping, the workflow
through the actions endpoint, and documents."""

import sys
import types
import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from disputes.models import CaseView, Dispute, DisputeAction, DisputeType, Document, Obligation

from .conftest import parties

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% a signed scan\n"


def _body(point, **overrides):
    body = {
        "type": DisputeType.objects.get(code="neighbour-nuisance").pk,
        "title": "楼上漏水纠纷",
        "facts": "楼上住户卫生间漏水，楼下天花板受损。",
        "lat": point.y,
        "lng": point.x,
        "intake": "grid",
        "client_id": str(uuid.uuid4()),
        "parties": parties(),
        "amount": "3000.00",
    }
    body.update(overrides)
    return body


def _views(dispute, **filters):
    return CaseView.objects.filter(dispute=dispute, **filters).count()


# --- intake -----------------------------------------------------------------------------------------


def test_intake_is_idempotent_and_answers_without_personal_data(api, hangtian_point):
    body = _body(hangtian_point)
    first = api.as_user("gridworker").post("/api/disputes/", body, format="json")
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["state"] == "received" and data["center"]["name"] == "航天路社区"
    assert "parties" not in data and "李秀英" not in first.content.decode()
    again = api.as_user("gridworker").post("/api/disputes/", body, format="json")
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    assert Dispute.objects.filter(client_id=body["client_id"]).count() == 1
    other = api.as_user("hangtianlu").post("/api/disputes/", body, format="json")  # someone else's client_id
    assert other.status_code == 400 and "client_id" in other.json()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"title": ""}, "title"),
        ({"intake": "fax"}, "intake"),
        ({"intake": "walk_in"}, "intake"),  # a grid worker takes disputes in from the grid
        ({"parties": []}, "parties"),
        ({"parties": "李秀英"}, "parties"),
        ({"parties": [{"role": "applicant", "name": "甲"}]}, "parties"),  # no respondent
        ({"lat": "north"}, "lat"),
        ({"type": 10**30}, "type"),
        ({"type": 999999}, "type"),
        ({"amount": "1e20"}, "amount"),
        ({"people": 0}, "people"),
        ({"client_id": "not-a-uuid"}, "client_id"),
        ({"center": "x"}, "center"),
        ({"title": "a\x00b"}, "title"),
    ],
)
def test_bad_intake_is_a_400_naming_the_field(api, hangtian_point, overrides, field):
    response = api.as_user("gridworker").post("/api/disputes/", _body(hangtian_point, **overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not Dispute.objects.exists()


def test_a_body_that_is_not_an_object_is_a_400(api):
    for body in ([1, 2], "text", 7):
        assert api.as_user("hangtianlu").post("/api/disputes/", body, format="json").status_code == 400


def test_roles_that_do_not_take_disputes_in_are_refused(api, hangtian_point):
    response = api.as_user("police").post("/api/disputes/", _body(hangtian_point), format="json")
    assert response.status_code == 403


# --- the list ------------------------------------------------------------------------------------------


def _ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_list_rows_carry_no_personal_data(api, take_in):
    take_in()
    response = api.as_user("hangtianlu").get("/api/disputes/")
    [row] = response.json()["results"]
    assert set(row) == {
        "id",
        "number",
        "title",
        "type",
        "intake",
        "state",
        "state_display",
        "risk",
        "light",
        "center",
        "level",
        "created_at",
        "mediation_due",
        "people",
        "amount",
    }
    assert "李秀英" not in response.content.decode() and "13800001111" not in response.content.decode()
    assert not CaseView.objects.exists()


def test_list_filters(api, take_in, act, user, hangtian_point):
    plain = take_in()
    mediating = act(take_in(title="宅基地边界纠纷"), "accept", "tiaojie", consent=True)
    by_grid = take_in("gridworker", intake="grid", signals=["threats"])  # alarmed at intake
    late = take_in()
    Dispute.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))
    client = api.as_user("hangtianlu")
    every = {plain.pk, mediating.pk, by_grid.pk, late.pk}
    assert _ids(client.get("/api/disputes/")) == every
    assert _ids(client.get("/api/disputes/?state=mediating")) == {mediating.pk}
    assert _ids(client.get("/api/disputes/?state=mediating&state=received")) == every
    assert _ids(client.get("/api/disputes/?intake=grid")) == {by_grid.pk}
    assert _ids(client.get("/api/disputes/?alarmed=true")) == {by_grid.pk}
    assert _ids(client.get("/api/disputes/?alarmed=0")) == every - {by_grid.pk}
    assert _ids(client.get("/api/disputes/?overdue=1")) == {late.pk}
    assert _ids(api.as_user("tiaojie").get("/api/disputes/?mine=true")) == {mediating.pk}
    client = api.as_user("hangtianlu")  # (one client: as_user signs it in as another user)
    assert _ids(client.get("/api/disputes/?mine=true")) == set()
    assert _ids(client.get("/api/disputes/?search=宅基地")) == {mediating.pk}
    assert _ids(client.get(f"/api/disputes/?search={plain.serial:05d}")) == {plain.pk}
    top = DisputeType.objects.get(code="neighbour-nuisance").parent
    assert top is not None
    assert _ids(client.get(f"/api/disputes/?type={top.pk}")) == every  # a top type includes its subtypes
    other_top = DisputeType.objects.filter(parent=None).exclude(pk=top.pk).first()
    assert _ids(client.get(f"/api/disputes/?type={other_top.pk}")) == set()
    today = timezone.localdate()
    assert _ids(client.get(f"/api/disputes/?created_after={today}&created_before={today}")) == every
    assert _ids(client.get(f"/api/disputes/?created_after={today + timedelta(days=1)}")) == set()
    assert _ids(client.get("/api/disputes/?level=town")) == set()
    # A center's whole subtree: the town sees its community's cases.
    town = user("liucheng").center
    assert _ids(api.as_user("liucheng").get(f"/api/disputes/?center={town.pk}")) == every
    # Bad filters: 400, not 500.
    for query in ("state=nope", "center=abc", "created_after=2026-13-01", "grid=1e400"):
        assert client.get(f"/api/disputes/?{query}").status_code == 400, query


def test_the_scope_decides_the_list(api, take_in):
    mine = take_in("gridworker", intake="grid")
    theirs = take_in()
    assert _ids(api.as_user("gridworker").get("/api/disputes/")) == {mine.pk}  # a grid worker: own reports
    assert _ids(api.as_user("chengwu").get("/api/disputes/")) == set()  # another community
    assert _ids(api.as_user("duty").get("/api/disputes/")) == {mine.pk, theirs.pk}
    assert _ids(api.as_user("police").get("/api/disputes/")) == set()


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_list_queries_do_not_grow_with_the_rows(api, take_in, django_assert_num_queries):
    client = api.as_user("hangtianlu")
    take_in()
    _count(client, "/api/disputes/")  # warm the per-process caches
    # The subtree's ids, the count, the page (the user's center is read once per user object).
    with django_assert_num_queries(3):
        client.get("/api/disputes/")
    for _ in range(4):
        take_in(signals=["threats"])
    with django_assert_num_queries(3):
        assert len(client.get("/api/disputes/").json()["results"]) == 5


def test_detail_queries_do_not_grow_with_the_case(api, take_in, act, user, django_assert_num_queries):
    client = api.as_user("hangtianlu")
    small = take_in()
    big = act(take_in(), "accept", "hangtianlu", mediators=[user("tiaojie").pk, user("hangtianlu").pk], consent=True)
    for hour in (1, 2, 3):
        from disputes import services

        services.session_record(
            dispute_id=big.pk,
            actor=user("tiaojie"),
            starts_at=timezone.now() - timedelta(hours=hour),
            place="调解室",
            notes="双方陈述",
        )
    _count(client, f"/api/disputes/{small.pk}/")
    expected = _count(client, f"/api/disputes/{small.pk}/")
    # The scope check (subtree, case), the case with its joins, five prefetches, the log, the parties.
    assert expected == 10
    with django_assert_num_queries(expected):
        body = client.get(f"/api/disputes/{big.pk}/").json()
    assert len(body["sessions"]) == 3 and len(body["mediators"]) == 2


# --- the detail and the parties' personal data -----------------------------------------------------------


@pytest.mark.parametrize("username", ["tiaojie", "hangtianlu", "liucheng", "duty", "admin"])
def test_parties_are_shown_and_logged_once_for_mediators_and_center_staff(api, take_in, username):
    dispute = take_in()
    response = api.as_user(username).get(f"/api/disputes/{dispute.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert [p["name"] for p in body["parties"]] == ["李秀英", "王建国"]
    assert body["parties"][0]["id_number_masked"] == "510115***********3"
    assert "id_number" not in body["parties"][0] and "id_number_hash" not in body["parties"][0]
    [view] = CaseView.objects.filter(dispute=dispute)
    assert (view.user.username, view.via) == (username, "api")


def test_the_reporting_grid_worker_sees_the_case_without_parties_and_unlogged(api, take_in):
    dispute = take_in("gridworker", intake="grid")
    response = api.as_user("gridworker").get(f"/api/disputes/{dispute.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["parties"] is None and body["title"] == "楼上漏水纠纷"
    assert "李秀英" not in response.content.decode()
    assert not CaseView.objects.exists()
    # Nor the records of what the parties said.
    assert api.as_user("gridworker").get(f"/api/disputes/{dispute.pk}/sessions/").status_code == 403
    assert api.as_user("gridworker").get(f"/api/disputes/{dispute.pk}/investigations/").status_code == 403
    assert not CaseView.objects.exists()


@pytest.mark.parametrize("username", ["chengwu", "police", "volunteer"])
def test_other_areas_get_404(api, take_in, username):
    dispute = take_in()
    for suffix in ("", "timeline/", "sessions/", "investigations/", "documents/"):
        assert api.as_user(username).get(f"/api/disputes/{dispute.pk}/{suffix}").status_code == 404, suffix
    response = api.as_user(username).post(
        f"/api/disputes/{dispute.pk}/actions/", {"action": "urge", "reason": "x"}, format="json"
    )
    assert response.status_code == 404
    assert not CaseView.objects.exists()


@pytest.mark.parametrize("pk", ["abc", "0", "-1", str(10**30)])
def test_bad_ids_are_404(api, pk):
    client = api.as_user("hangtianlu")
    assert client.get(f"/api/disputes/{pk}/").status_code == 404
    assert client.post(f"/api/disputes/{pk}/actions/", {"action": "urge"}, format="json").status_code == 404


def test_detail_shows_the_case_around_the_parties(api, take_in, act, user):
    first = take_in()
    dispute = act(take_in(), "accept", "hangtianlu", mediators=[user("tiaojie").pk], consent=True)
    body = api.as_user("tiaojie").get(f"/api/disputes/{dispute.pk}/").json()
    assert body["mediators"] == [{"id": user("tiaojie").pk, "name": body["mediators"][0]["name"], "lead": True}]
    assert body["repeat_of"] == [{"id": first.pk, "number": first.number}]
    assert body["event"] is None and body["confirmation"] is None
    assert "agree" in body["available_actions"] and "accept" not in body["available_actions"]
    timeline = api.as_user("tiaojie").get(f"/api/disputes/{dispute.pk}/timeline/").json()
    assert [row["action"] for row in timeline] == ["report", "accept"]


# --- errors -------------------------------------------------------------------------------------------


def test_state_conflicts_are_409_and_permissions_403(api, take_in):
    dispute = take_in()
    response = api.as_user("hangtianlu").post(
        f"/api/disputes/{dispute.pk}/actions/", {"action": "agree", "form": "oral", "terms": "x"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["state"] == "received" and response.json()["action"] == "agree"
    response = api.as_user("liucheng").post(  # a higher center sees the case but does not triage
        f"/api/disputes/{dispute.pk}/actions/", {"action": "accept", "consent": True}, format="json"
    )
    assert response.status_code == 403
    response = api.as_user("hangtianlu").post(  # a field the action does not take
        f"/api/disputes/{dispute.pk}/actions/",
        {"action": "refer", "channel": "police", "referred_to": "柳城派出所", "days": 3},
        format="json",
    )
    assert response.status_code == 400
    for bad in ({"action": "fly"}, {"action": "accept", "mediators": "all"}, {"action": "accept", "lead": 10**30}):
        response = api.as_user("hangtianlu").post(f"/api/disputes/{dispute.pk}/actions/", bad, format="json")
        assert response.status_code == 400, (bad, response.content)
    assert DisputeAction.objects.filter(dispute=dispute).count() == 1  # nothing written


def test_actions_drive_a_case_from_acceptance_to_closing(api, take_in, user):
    dispute = take_in()
    staff = api.as_user("hangtianlu")
    url = f"/api/disputes/{dispute.pk}"
    response = staff.post(
        f"{url}/actions/", {"action": "accept", "consent": True, "mediators": [user("tiaojie").pk]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "mediating" and response.json()["parties"]
    mediator = api.as_user("tiaojie")
    started = (timezone.now() - timedelta(hours=2)).isoformat()
    response = mediator.post(
        f"{url}/sessions/", {"starts_at": started, "place": "航天路社区调解室", "notes": "双方同意赔偿"}, format="json"
    )
    assert response.status_code == 201, response.content
    session = response.json()
    assert session["held"] is True and session["mediators"][0]["id"] == user("tiaojie").pk
    response = mediator.post(
        f"{url}/investigations/",
        {"interviewed": "物业经理", "at": started, "content": "漏水自三月起"},
        format="json",
    )
    assert response.status_code == 201, response.content
    records = mediator.get(f"{url}/sessions/").json()
    assert [r["notes"] for r in records] == ["双方同意赔偿"]
    due = str(timezone.localdate() + timedelta(days=10))
    respondent = dispute.parties.get(role="respondent")
    response = mediator.post(
        f"{url}/actions/",
        {
            "action": "agree",
            "form": "written",
            "terms": "被申请人于十日内赔偿维修费3000元。",
            "performance_method": "现金",
            "performance_due": due,
            "obligations": [{"party": respondent.pk, "description": "支付3000元", "due_date": due}],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "agreed" and len(body["obligations"]) == 1 and len(body["follow_ups"]) == 1
    response = mediator.post(f"{url}/actions/", {"action": "close"}, format="json")
    assert response.status_code == 400  # an obligation is still to be performed
    obligation = Obligation.objects.get(dispute=dispute)
    response = mediator.post(f"{url}/obligations/{obligation.pk}/perform/")
    assert response.status_code == 200 and response.json()["performed_at"]
    assert mediator.post(f"{url}/obligations/{obligation.pk}/perform/").status_code == 400  # once
    assert mediator.post(f"{url}/obligations/abc/perform/").status_code == 404
    response = mediator.post(
        f"{url}/follow-ups/",
        {"visited_at": timezone.now().isoformat(), "method": "phone", "performance": "performed"},
        format="json",
    )
    assert response.status_code == 201, response.content
    response = mediator.put(
        f"{url}/confirmation/", {"applied_on": str(timezone.localdate()), "court": "温江区人民法院"}, format="json"
    )
    assert response.status_code == 200 and response.json()["court"] == "温江区人民法院"
    response = mediator.post(f"{url}/actions/", {"action": "close"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "closed"
    assert mediator.post(f"{url}/actions/", {"action": "close"}, format="json").status_code == 409
    actions = list(DisputeAction.objects.filter(dispute=dispute).values_list("action", flat=True))
    assert actions == [
        "report",
        "accept",
        "session",
        "investigate",
        "agree",
        "perform",
        "follow_up",
        "confirm",
        "close",
    ]


# --- documents ------------------------------------------------------------------------------------------


@pytest.fixture
def rendering(monkeypatch):
    """Document rendering is disputes.documents (another module's job): its output here is fixed
    bytes, so that these tests are about the API."""
    try:
        from disputes import documents
    except ImportError:
        documents = types.ModuleType("disputes.documents")
        monkeypatch.setitem(sys.modules, "disputes.documents", documents)
        import disputes

        monkeypatch.setattr(disputes, "documents", documents, raising=False)
    monkeypatch.setattr(documents, "agreement_content", lambda dispute: {"title": dispute.title}, raising=False)
    monkeypatch.setattr(documents, "session_content", lambda session: {"place": session.place}, raising=False)
    monkeypatch.setattr(documents, "render_pdf", lambda content: b"%PDF-1.4 agreement", raising=False)
    monkeypatch.setattr(documents, "render_docx", lambda content: b"PK\x03\x04 agreement", raising=False)
    return documents


def _agreed(take_in, act, user):
    dispute = act(take_in(), "accept", "hangtianlu", mediators=[user("tiaojie").pk], consent=True)
    due = str(timezone.localdate() + timedelta(days=10))
    terms = {"terms": "赔偿3000元", "performance_method": "现金", "performance_due": due}
    return act(dispute, "agree", "tiaojie", form="written", **terms)


def test_documents_are_generated_signed_and_downloaded_by_those_who_may_see_the_parties(
    api, take_in, act, user, rendering
):
    dispute = _agreed(take_in, act, user)
    mediator = api.as_user("tiaojie")
    url = f"/api/disputes/{dispute.pk}/documents"
    response = mediator.post(f"{url}/", {"kind": "agreement"}, format="json")
    assert response.status_code == 201, response.content
    generated = response.json()
    assert generated["files"] == ["pdf", "docx"] and generated["version"] == 1
    CaseView.objects.all().delete()

    response = mediator.get(f"{url}/{generated['id']}/file/?format=pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == b"%PDF-1.4 agreement"
    assert response["Cache-Control"] == "private, no-store"
    assert _views(dispute, user__username="tiaojie", via="document") == 1
    response = mediator.get(f"{url}/{generated['id']}/file/?format=docx")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    assert mediator.get(f"{url}/{generated['id']}/file/?format=scan").status_code == 404  # not signed yet
    assert mediator.get(f"{url}/{generated['id']}/file/?format=exe").status_code == 400
    assert _views(dispute) == 2

    # Other areas: not found, and nothing logged.
    assert api.as_user("chengwu").get(f"{url}/{generated['id']}/file/").status_code == 404
    assert api.as_user("police").get(f"{url}/{generated['id']}/file/").status_code == 404
    assert _views(dispute) == 2

    mediator = api.as_user("tiaojie")
    scan = SimpleUploadedFile("signed.pdf", PDF, content_type="application/pdf")
    response = mediator.post(f"{url}/{generated['id']}/sign/", {"scan": scan}, format="multipart")
    assert response.status_code == 201, response.content
    signed = response.json()
    assert signed["state"] == "signed" and signed["version"] == 2 and signed["files"] == ["scan"]
    response = mediator.get(f"{url}/{signed['id']}/file/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    bad = SimpleUploadedFile("x.txt", b"hello", content_type="text/plain")
    assert mediator.post(f"{url}/{generated['id']}/sign/", {"scan": bad}, format="multipart").status_code == 400
    assert [d["version"] for d in mediator.get(f"{url}/").json()] == [1, 2]


def test_a_document_is_handed_to_nginx_in_production(api, take_in, act, user, rendering, settings):
    settings.MEDIA_ACCEL_REDIRECT = True
    dispute = _agreed(take_in, act, user)
    mediator = api.as_user("tiaojie")
    doc = mediator.post(f"/api/disputes/{dispute.pk}/documents/", {"kind": "agreement"}, format="json").json()
    response = mediator.get(f"/api/disputes/{dispute.pk}/documents/{doc['id']}/file/")
    assert response.status_code == 200 and response["X-Accel-Redirect"].startswith(settings.MEDIA_ACCEL_PREFIX)
    assert response.content == b""


def test_files_are_added_by_the_reporter_while_the_case_waits(api, take_in):
    dispute = take_in("gridworker", intake="grid")
    scan = SimpleUploadedFile("photo.pdf", PDF, content_type="application/pdf")
    response = api.as_user("gridworker").post(f"/api/disputes/{dispute.pk}/files/", {"file": scan}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "other"
    response = api.as_user("gridworker").post(f"/api/disputes/{dispute.pk}/files/", {}, format="multipart")
    assert response.status_code == 400
    # The file may hold personal data: the grid worker does not download it back.
    doc = Document.objects.get(dispute=dispute)
    assert api.as_user("gridworker").get(f"/api/disputes/{dispute.pk}/documents/{doc.pk}/file/").status_code == 404


def test_dispute_types_are_a_tree(api):
    rows = api.as_user("gridworker").get("/api/dispute-types/").json()
    by_id = {row["id"]: row for row in rows}
    assert sum(1 for row in rows if row["parent"] is None) == 19
    assert all(row["parent"] in by_id for row in rows if row["parent"] is not None)


# --- never a 500 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["created_after=0001-01-01", "created_before=9999-12-31", "created_after=9999-12-31", "grid=99999999999999999999"],
)
def test_extreme_filters_are_answered(api, take_in, query):
    take_in()
    assert api.as_user("hangtianlu").get(f"/api/disputes/?{query}").status_code in (200, 400)


@pytest.mark.parametrize(
    "action",
    [
        {
            "action": "agree",
            "form": "written",
            "terms": "x",
            "performance_method": "现金",
            "performance_due": "9999-12-31",
        },
        {"action": "agree", "form": "oral", "terms": "x", "follow_up_due": "0001-01-01"},
        {"action": "risk", "risk": "red", "risk_plan": "x", "joint_meeting_at": "0001-01-01T00:00:00+14:00"},
        {"action": "extend", "days": 10**30, "consent": True, "reason": "x"},
    ],
)
def test_extreme_values_are_400_not_500(api, take_in, act, user, action):
    dispute = act(take_in(), "accept", "hangtianlu", mediators=[user("tiaojie").pk], consent=True)
    response = api.as_user("tiaojie").post(f"/api/disputes/{dispute.pk}/actions/", action, format="json")
    assert response.status_code == 400, response.content


def test_not_a_number_is_not_a_place(api, hangtian_point):
    for lat in ("NaN", "Infinity"):
        body = _body(hangtian_point, lat=lat)
        assert api.as_user("gridworker").post("/api/disputes/", body, format="json").status_code == 400

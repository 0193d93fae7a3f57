"""The dispute pages with Django's test client: who gets each page, forms posted through the
services, errors answered as form errors with the API's status, and the log of views of parties."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from disputes.models import CaseView, Dispute, DisputeAction, FollowUp, Obligation, Session

from .conftest import ID_APPLICANT

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client):
    def sign_in(username):
        client.force_login(User.objects.get(username=username))
        return client

    return sign_in


def accepted(take_in, act, **kwargs):
    dispute = take_in(**kwargs)
    return act(dispute, "accept", "tiaojie", consent=True)


def intake_post(point, neighbour_type, **overrides):
    data = {
        "client_id": str(uuid.uuid4()),
        "type": str(neighbour_type.pk),
        "title": "楼道堆物纠纷",
        "facts": "邻居长期在楼道堆放杂物，双方多次争吵。",
        "claims": "要求清理楼道。",
        "intake": "walk_in",
        "people": "2",
        "amount": "",
        "signals": ["threats"],
        "lat": f"{point.y:.6f}",
        "lng": f"{point.x:.6f}",
        "address": "航天路12号",
        "party-0-role": "applicant",
        "party-0-kind": "person",
        "party-0-name": "张桂兰",
        "party-0-sex": "F",
        "party-0-birth_year": "1962",
        "party-0-phone": "13700003333",
        "party-0-id_number": ID_APPLICANT,
        "party-3-role": "respondent",  # a row in between was removed on the page
        "party-3-kind": "person",
        "party-3-name": "刘德明",
    }
    data.update(overrides)
    return data


# --- who gets which page ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "username, status",
    [
        ("hangtianlu", 200),
        ("tiaojie", 200),
        ("liucheng", 200),
        ("gridworker", 200),
        ("police", 403),
        ("volunteer", 403),
    ],
)
def test_queue_answers_by_role(as_user, take_in, username, status):
    dispute = take_in()
    response = as_user(username).get("/disputes/")
    assert response.status_code == status
    if status == 200:
        shown = dispute.number in response.content.decode()
        assert shown is (username != "gridworker")  # the grid worker sees only what they took in


def test_queue_signed_out_goes_to_login(client):
    response = client.get("/disputes/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_queue_filters_and_ignores_bad_values(as_user, take_in, act):
    waiting, mediating = take_in(title="等待受理的纠纷"), accepted(take_in, act, title="调解中的纠纷")
    client = as_user("hangtianlu")
    body = client.get("/disputes/?state=mediating").content.decode()
    assert mediating.number in body and waiting.number not in body
    body = client.get("/disputes/?search=等待受理").content.decode()
    assert waiting.number in body and mediating.number not in body
    assert client.get("/disputes/?state=nonsense&type=x&page=99").status_code == 200
    mine = as_user("tiaojie").get("/disputes/?show=mine").content.decode()
    assert mediating.number in mine and waiting.number not in mine


@pytest.mark.parametrize(
    "username, status",
    [("hangtianlu", 200), ("tiaojie", 200), ("gridworker", 200), ("police", 403), ("volunteer", 403)],
)
def test_intake_page_answers_by_role(as_user, username, status):
    response = as_user(username).get("/disputes/new/")
    assert response.status_code == status
    if username == "gridworker":
        intakes = response.context["intakes"]
        assert [v for v, _ in intakes] == ["grid", "sweep"]


def test_workbench_answers_by_role(as_user):
    assert as_user("tiaojie").get("/disputes/workbench/").status_code == 200
    assert as_user("hangtianlu").get("/disputes/workbench/").status_code == 200
    for username in ("gridworker", "police", "volunteer"):
        assert as_user(username).get("/disputes/workbench/").status_code == 403


# --- intake ------------------------------------------------------------------------------------------


def test_intake_form_takes_a_dispute_in_once(as_user, hangtian_point, neighbour_type):
    client = as_user("hangtianlu")
    data = intake_post(hangtian_point, neighbour_type)
    response = client.post("/disputes/new/", data)
    dispute = Dispute.objects.get(client_id=data["client_id"])
    assert response.status_code == 302 and response["Location"] == f"/disputes/{dispute.pk}/"
    assert [p.name for p in dispute.parties.order_by("order")] == ["张桂兰", "刘德明"]
    applicant = dispute.parties.get(role="applicant")
    assert applicant.id_number_masked == "510115***********3" and applicant.birth_year == 1962
    assert dispute.signals == ["threats"] and dispute.alarmed_at is not None
    again = client.post("/disputes/new/", data)  # the same form sent twice (a double tap, a retry)
    assert again.status_code == 302 and Dispute.objects.filter(client_id=data["client_id"]).count() == 1


def test_intake_form_shows_errors_and_keeps_the_input(as_user, hangtian_point, neighbour_type):
    client = as_user("hangtianlu")
    data = intake_post(hangtian_point, neighbour_type, title="", amount="-5", **{"party-3-role": "applicant"})
    response = client.post("/disputes/new/", data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "张桂兰" in body and data["client_id"] in body  # kept, so that a resend is the same case
    errors = response.context["errors"]
    assert {"title", "amount", "parties"} <= set(errors)
    assert not Dispute.objects.filter(client_id=data["client_id"]).exists()


def test_grid_worker_may_not_choose_a_walk_in(as_user, hangtian_point, neighbour_type):
    response = as_user("gridworker").post("/disputes/new/", intake_post(hangtian_point, neighbour_type))
    assert response.status_code == 400 and "intake" in response.context["errors"]
    ok = as_user("gridworker").post("/disputes/new/", intake_post(hangtian_point, neighbour_type, intake="grid"))
    assert ok.status_code == 302


def test_an_event_is_converted_and_linked_both_ways(as_user, hangtian_point, neighbour_type):
    from events import services as event_services
    from events.models import EventCategory

    event, _ = event_services.event_report(
        reporter=User.objects.get(username="gridworker"),
        category_id=EventCategory.objects.get(code="sa-garbage").pk,
        description="两户因垃圾堆放发生争吵",
        lat=hangtian_point.y,
        lng=hangtian_point.x,
        client_id=str(uuid.uuid4()),
        address="航天路66号",
    )
    client = as_user("hangtianlu")
    offer = client.get(f"/events/{event.pk}/").content.decode()
    assert f"/disputes/new/?event={event.pk}" in offer
    form = client.get(f"/disputes/new/?event={event.pk}")
    assert form.status_code == 200 and form.context["values"]["facts"] == "两户因垃圾堆放发生争吵"
    data = intake_post(hangtian_point, neighbour_type, intake="event", event=str(event.pk), signals=[])
    client.post("/disputes/new/", data)
    dispute = Dispute.objects.get(client_id=data["client_id"])
    assert dispute.event_id == event.pk
    assert f"/disputes/{dispute.pk}/" in client.get(f"/events/{event.pk}/").content.decode()
    assert f"/events/{event.pk}/" in client.get(f"/disputes/{dispute.pk}/").content.decode()
    assert client.get(f"/disputes/new/?event={event.pk}").status_code == 302  # already converted
    assert as_user("tiaojie").get(f"/disputes/new/?event={event.pk}").status_code == 404  # not theirs to see


# --- the case page -----------------------------------------------------------------------------------


def test_case_page_logs_each_view_of_the_parties(as_user, take_in):
    dispute = take_in("gridworker", intake="grid")
    response = as_user("tiaojie").get(f"/disputes/{dispute.pk}/")
    assert response.status_code == 200 and "李秀英" in response.content.decode()
    assert dispute.number in response.content.decode()
    assert CaseView.objects.filter(dispute=dispute, user__username="tiaojie", via="page").count() == 1
    as_user("tiaojie").get(f"/disputes/{dispute.pk}/")
    assert CaseView.objects.filter(dispute=dispute, user__username="tiaojie").count() == 2
    # The grid worker who took it in follows the case, without the parties' personal data.
    mine = as_user("gridworker").get(f"/disputes/{dispute.pk}/")
    assert mine.status_code == 200 and "李秀英" not in mine.content.decode()
    assert not CaseView.objects.filter(dispute=dispute, user__username="gridworker").exists()
    assert ID_APPLICANT not in response.content.decode()


@pytest.mark.parametrize("username", ["chengwu", "police", "volunteer"])
def test_case_page_is_404_outside_the_scope(as_user, take_in, username):
    dispute = take_in()
    assert as_user(username).get(f"/disputes/{dispute.pk}/").status_code == 404
    assert as_user(username).post(f"/disputes/{dispute.pk}/act/", {"action": "accept"}).status_code == 404


def test_accept_through_the_page_needs_consent(as_user, take_in):
    dispute = take_in()
    client = as_user("tiaojie")
    page = client.get(f"/disputes/{dispute.pk}/").content.decode()
    assert 'name="action" value="accept"' in page
    refused = client.post(f"/disputes/{dispute.pk}/act/", {"action": "accept", "mediators": []})
    assert refused.status_code == 400 and "人民调解法" in refused.content.decode()
    assert Dispute.objects.get(pk=dispute.pk).state == "received"
    done = client.post(f"/disputes/{dispute.pk}/act/", {"action": "accept", "consent": "1"})
    assert done.status_code == 302
    fresh = Dispute.objects.get(pk=dispute.pk)
    assert fresh.state == "mediating" and list(fresh.mediators.values_list("username", flat=True)) == ["tiaojie"]
    again = client.post(f"/disputes/{dispute.pk}/act/", {"action": "accept", "consent": "1"})
    assert again.status_code == 409  # a stale page: the step is not taken twice
    assert DisputeAction.objects.filter(dispute=dispute, action="accept").count() == 1


def test_forbidden_and_unknown_actions_are_form_errors(as_user, take_in):
    dispute = take_in("gridworker", intake="grid")
    assert as_user("gridworker").post(f"/disputes/{dispute.pk}/act/", {"action": "accept"}).status_code == 403
    assert as_user("hangtianlu").post(f"/disputes/{dispute.pk}/act/", {"action": "dance"}).status_code == 400
    bad = as_user("hangtianlu").post(
        f"/disputes/{dispute.pk}/act/", {"action": "accept", "consent": "1", "mediators": ["x"]}
    )
    assert bad.status_code == 400


def test_mediation_on_the_page_from_session_to_follow_up(as_user, take_in, act):
    dispute = accepted(take_in, act)
    client = as_user("tiaojie")
    url = f"/disputes/{dispute.pk}/act/"
    soon = timezone.localtime() + timedelta(days=2)
    planned = client.post(
        url, {"action": "session", "held": "0", "starts_at": soon.strftime("%Y-%m-%dT%H:%M"), "place": "调解室"}
    )
    assert planned.status_code == 302
    assert Session.objects.get(dispute=dispute).held is False
    bench = client.get("/disputes/workbench/").content.decode()
    assert dispute.title in bench and "调解室" in bench
    earlier = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    no_notes = client.post(url, {"action": "session", "held": "1", "starts_at": earlier, "place": "调解室"})
    assert no_notes.status_code == 400
    held = client.post(
        url, {"action": "session", "held": "1", "starts_at": earlier, "place": "调解室", "notes": "双方同意维修"}
    )
    assert held.status_code == 302 and Session.objects.filter(dispute=dispute, held=True).count() == 1
    investigate = client.post(
        url, {"action": "investigate", "interviewed": "物业经理", "at": earlier, "content": "确认漏水"}
    )
    assert investigate.status_code == 302
    respondent = dispute.parties.get(role="respondent")
    due = (timezone.localdate() + timedelta(days=10)).isoformat()
    agree = client.post(
        url,
        {
            "action": "agree",
            "form": "written",
            "terms": "被申请人承担维修费用2000元。",
            "performance_method": "银行转账",
            "performance_due": due,
            "obligation-0-description": "支付维修费2000元",
            "obligation-0-party": str(respondent.pk),
            "obligation-0-due_date": due,
            "obligation-5-description": "",  # an empty row left on the page
        },
    )
    assert agree.status_code == 302, agree.content.decode()[:2000]
    fresh = Dispute.objects.get(pk=dispute.pk)
    assert fresh.state == "agreed" and fresh.performance_due.isoformat() == due
    [obligation] = Obligation.objects.filter(dispute=dispute)
    assert obligation.party_id == respondent.pk
    page = client.get(f"/disputes/{dispute.pk}/").content.decode()
    assert 'name="obligation"' in page and "支付维修费2000元" in page
    assert client.post(url, {"action": "perform", "obligation": obligation.pk}).status_code == 302
    assert Obligation.objects.get(pk=obligation.pk).performed_at is not None
    visit = client.post(
        url,
        {
            "action": "follow_up",
            "visited_at": earlier,
            "method": "phone",
            "performance": "performed",
            "satisfaction": "satisfied",
        },
    )
    assert visit.status_code == 302
    assert FollowUp.objects.filter(dispute=dispute, visited_at__isnull=False).count() == 1
    assert client.post(url, {"action": "close"}).status_code == 302
    assert Dispute.objects.get(pk=dispute.pk).state == "closed"


def test_other_outcomes_through_the_page(as_user, take_in, act):
    client = as_user("hangtianlu")
    referred = take_in()
    response = client.post(
        f"/disputes/{referred.pk}/act/",
        {"action": "refer", "channel": "police", "referred_to": "温江公安分局", "reason": "涉嫌治安案件"},
    )
    assert response.status_code == 302 and Dispute.objects.get(pk=referred.pk).state == "referred"
    missing_reason = take_in()
    assert client.post(f"/disputes/{missing_reason.pk}/act/", {"action": "escalate"}).status_code == 400
    up = client.post(f"/disputes/{missing_reason.pk}/act/", {"action": "escalate", "reason": "涉及多个社区"})
    assert up.status_code == 302 and Dispute.objects.get(pk=missing_reason.pk).level == "town"
    paused = accepted(take_in, act)
    assert (
        client.post(f"/disputes/{paused.pk}/act/", {"action": "extend", "days": "10", "reason": "等待鉴定"}).status_code
        == 400
    )
    ok = client.post(
        f"/disputes/{paused.pk}/act/", {"action": "extend", "days": "10", "consent": "1", "reason": "等待鉴定"}
    )
    assert ok.status_code == 302 and Dispute.objects.get(pk=paused.pk).extension_days == 10
    risk = client.post(f"/disputes/{paused.pk}/act/", {"action": "risk", "risk": "red", "signals": ["group"]})
    assert risk.status_code == 400  # a red case needs a plan and a joint meeting
    refused = accepted(take_in, act)
    party = refused.parties.get(role="respondent")
    response = client.post(
        f"/disputes/{refused.pk}/act/",
        {"action": "refuse", "party": party.pk, "channel": "litigation", "reason": "拒绝调解"},
    )
    assert response.status_code == 302 and Dispute.objects.get(pk=refused.pk).state == "failed"


def test_documents_are_served_to_those_who_see_the_parties(as_user, take_in, act, settings):
    from django.core.files.base import ContentFile

    from disputes.models import Document

    dispute = accepted(take_in, act)
    doc = Document(
        dispute=dispute,
        kind="other",
        version=1,
        state="signed",
        created_by=User.objects.get(username="tiaojie"),
        created_at=timezone.now(),
    )
    doc.scan.save("scan.pdf", ContentFile(b"%PDF-1.4 test"), save=False)
    doc.save()
    settings.MEDIA_ACCEL_REDIRECT = False
    response = as_user("tiaojie").get(f"/disputes/documents/{doc.pk}/scan/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 test"
    assert CaseView.objects.filter(dispute=dispute, user__username="tiaojie", via="document").exists()
    assert as_user("tiaojie").get(f"/disputes/documents/{doc.pk}/pdf/").status_code == 404  # no PDF part
    assert as_user("chengwu").get(f"/disputes/documents/{doc.pk}/scan/").status_code == 404


def test_nav_shows_disputes_by_role(as_user):
    assert "/disputes/workbench/" in as_user("tiaojie").get("/").content.decode()
    assert "/disputes/new/" in as_user("gridworker").get("/").content.decode()
    assert "/disputes/" in as_user("hangtianlu").get("/").content.decode()
    assert "/disputes/" not in as_user("police").get("/").content.decode()

"""The dispute statistics through the API and the pages: the API's figures are the selector's for
the same scope, bad input is 400, a role without an area 403, a center outside the area 404; the
quarterly form downloads and opens; the ledger shows no personal data; the pages render."""

from __future__ import annotations

import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from disputes.selectors import dispute_stats
from grids.models import Center

from .test_stats import Q2, cases, scope, user  # noqa: F401  (the fixture of hand-counted cases)

pytestmark = pytest.mark.django_db

STATS = "/api/stats/disputes/"
QUARTERLY = "/api/stats/disputes/quarterly.xlsx"
LEDGER = "/api/disputes/ledger/"
Q2_QUERY = "date_from=2025-04-01&date_to=2025-06-30"


def town() -> Center:
    return Center.objects.get(name="柳城街道")


def jsonish(value):
    """What a value reads as once through JSON (dates as strings, tuples as lists)."""
    return json.loads(json.dumps(value, default=str))


# --- the API's figures are the selector's ------------------------------------------------------------


@pytest.mark.parametrize(("by", "selector_by"), [("type", "type"), ("band", "group_band"), ("town", "town")])
def test_api_figures_equal_the_selector(api, cases, by, selector_by):  # noqa: F811
    response = api.as_user("liucheng").get(f"{STATS}?center={town().pk}&{Q2_QUERY}&by={by}")
    assert response.status_code == 200, response.content
    body = response.json()
    expected = dispute_stats(scope=scope("liucheng"), center=town(), by=selector_by, **Q2)
    assert body["totals"] == jsonish(expected["totals"])
    assert body["totals"]["taken_in"] == 8  # the hand count of test_stats: not an empty comparison
    assert body["slices"] == jsonish(expected["slices"][selector_by])
    assert body["definitions"] == expected["definitions"]
    assert body["center"] == {"id": town().pk, "name": "柳城街道", "level": "town"}
    assert (body["date_from"], body["date_to"], body["by"]) == ("2025-04-01", "2025-06-30", by)


def test_the_center_defaults_to_the_users_own(api, cases):  # noqa: F811
    body = api.as_user("hangtianlu").get(f"{STATS}?{Q2_QUERY}").json()
    community = Center.objects.get(name="航天路社区")
    assert body["center"]["id"] == community.pk
    expected = dispute_stats(scope=scope("hangtianlu"), center=community, **Q2)
    assert body["totals"] == jsonish(expected["totals"])
    assert body["totals"]["taken_in"] == 7  # the town's own case (G) is not the community's
    assert body["slices"] == []


def test_the_district_sees_every_town(api, cases):  # noqa: F811
    body = api.as_user("duty").get(f"{STATS}?{Q2_QUERY}&by=town").json()
    names = {row["name"]: row["taken_in"] for row in body["slices"]}
    assert names["柳城街道"] == 8
    assert names["永宁街道"] == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date_from=2025-13-01", "date_from"),
        ("date_to=yesterday", "date_to"),
        ("date_from=2025-07-01&date_to=2025-06-30", "date_to"),
        ("date_from=2020-01-01&date_to=2025-01-01", "date_to"),  # a day over five years
        ("date_from=1999-12-31&date_to=2000-01-31", "date_from"),
        ("by=grid", "by"),
        ("by=group_band", "by"),
        ("center=abc", "center"),
    ],
)
def test_bad_input_is_400(api, query, field):
    response = api.as_user("liucheng").get(f"{STATS}?{query}")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_five_years_exactly_is_allowed(api):
    assert api.as_user("liucheng").get(f"{STATS}?date_from=2020-01-01&date_to=2024-12-31").status_code == 200


@pytest.mark.parametrize("username", ["gridworker", "volunteer", "police", "chengguan"])
@pytest.mark.parametrize("url", [STATS, QUARTERLY, LEDGER])
def test_roles_without_an_area_are_403(api, username, url):
    assert api.as_user(username).get(url).status_code == 403


@pytest.mark.parametrize("url", [STATS, QUARTERLY, LEDGER])
def test_a_center_outside_the_area_is_404(api, url):
    yongning = Center.objects.get(name="永宁街道")
    assert api.as_user("liucheng").get(f"{url}?center={yongning.pk}").status_code == 404
    assert api.as_user("mediator").get(f"{url}?center={yongning.pk}").status_code == 404
    assert api.as_user("liucheng").get(f"{url}?center=999999999").status_code == 404
    assert api.as_user("duty").get(f"{url}?center={yongning.pk}").status_code == 200


def test_signed_out_is_401(client):
    assert client.get(STATS).status_code == 401


# --- the quarterly form -------------------------------------------------------------------------------


def test_the_quarterly_form_downloads_and_opens(api, cases):  # noqa: F811
    response = api.as_user("liucheng").get(f"{QUARTERLY}?center={town().pk}&year=2025&quarter=2")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "2025年第2季度"
    assert sheet["A1"].value == "四川省矛盾纠纷排查调处情况统计表"
    assert sheet["A2"].value == "填报单位：柳城街道"
    total = next(row for row in sheet.iter_rows(min_row=5) if row[1].value == "合计")
    # The grand totals (taken in, mediated, successful) are the selector's for the quarter.
    expected = dispute_stats(scope=scope("liucheng"), center=town(), **Q2)["totals"]
    assert [total[11].value, total[12].value, total[13].value] == [
        expected["taken_in"],
        expected["mediated"],
        expected["successful"],
    ]
    assert expected["taken_in"] == 8


@pytest.mark.parametrize("query", ["year=2025&quarter=5", "year=abc&quarter=1", "year=1999&quarter=1", "quarter=0"])
def test_the_quarterly_form_refuses_bad_quarters(api, query):
    response = api.as_user("liucheng").get(f"{QUARTERLY}?{query}")
    assert response.status_code == 400
    assert set(response.json()) <= {"year", "quarter"}


# --- the stability ledger -----------------------------------------------------------------------------


def test_the_ledger_lists_open_group_and_major_cases_without_personal_data(api, cases):  # noqa: F811
    body = api.as_user("liucheng").get(LEDGER).json()
    assert {row["id"] for row in body["results"]} == {cases["G"].pk, cases["N"].pk}
    row = next(r for r in body["results"] if r["id"] == cases["G"].pk)
    assert set(row) == {
        "id",
        "number",
        "title",
        "type",
        "top_type",
        "town",
        "people",
        "amount",
        "risk",
        "signals",
        "state",
        "state_display",
        "center",
        "created_at",
    }
    assert (row["town"], row["people"], row["risk"], row["center"]["name"]) == ("柳城街道", 60, "orange", "柳城街道")
    district = {row["id"] for row in api.as_user("duty").get(LEDGER).json()["results"]}
    assert district == {cases[k].pk for k in ("G", "N", "K", "L")}


def test_the_ledgers_query_count_does_not_grow_with_rows(api, cases):  # noqa: F811
    client = api.as_user("duty")
    client.get(LEDGER)
    with CaptureQueriesContext(connection) as four:
        assert len(client.get(LEDGER).json()["results"]) == 4
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(f"{LEDGER}?page_size=1").json()["results"]) == 1
    assert len(four) == len(one)


# --- the pages ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["hangtianlu", "liucheng", "mediator", "duty"])
def test_the_stats_page_renders_for_center_staff_and_mediators(client, cases, username):  # noqa: F811
    client.force_login(user(username))
    response = client.get(f"/disputes/stats/?center={town().pk}&{Q2_QUERY}")
    if username == "hangtianlu":  # the town is above the community's area
        assert response.status_code == 404
        response = client.get(f"/disputes/stats/?{Q2_QUERY}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="dispute-stats-chart"' in html and 'id="dispute-stats-data"' in html
    assert "<script>" not in html.replace("<script src=", "")  # no inline script (CSP)
    assert "js/dispute-stats.js" in html
    assert "/api/stats/disputes/quarterly.xlsx" in html
    context = response.context
    expected = dispute_stats(scope=scope(username), center=context["center"], by=("type", "intake", "town"), **Q2)
    shown = {f["name"]: f["value"] for f in context["figures"]}
    assert shown["taken_in"] == expected["totals"]["taken_in"] > 0
    rate = next(r for r in context["rates"] if r["name"] == "success_rate")
    assert (rate["numerator"], rate["denominator"]) == (
        expected["totals"]["successful"],
        expected["totals"]["taken_in"],
    )
    assert str(expected["definitions"]["success_rate"]) in html
    shown_rows = [
        [{k: v for k, v in row.items() if k != "success_percent"} for row in t["rows"]] for t in context["tables"]
    ]
    assert shown_rows == [expected["slices"][k] for k in ("type", "intake", "town")]
    assert context["tables"][0]["rows"][0]["success_percent"] in html


def test_the_stats_page_defaults_to_this_year(client):
    from django.utils import timezone

    client.force_login(user("liucheng"))
    context = client.get("/disputes/stats/").context
    today = timezone.localdate()
    assert (context["query"].date_from, context["query"].date_to) == (today.replace(month=1, day=1), today)
    assert context["center"].name == "柳城街道"


def test_the_stats_page_answers_bad_dates_with_400_and_the_form(client):
    client.force_login(user("liucheng"))
    response = client.get("/disputes/stats/?date_from=2025-07-01&date_to=2025-06-30")
    assert response.status_code == 400
    assert 'name="date_from"' in response.content.decode()
    assert "date_to" in response.context["errors"]


@pytest.mark.parametrize("url", ["/disputes/stats/", "/disputes/ledger/"])
def test_the_pages_refuse_roles_without_an_area(client, url):
    for username in ("gridworker", "volunteer", "police"):
        client.force_login(user(username))
        assert client.get(url).status_code == 403


def test_the_ledger_page_colours_risks(client, cases):  # noqa: F811
    client.force_login(user("mediator"))
    response = client.get("/disputes/ledger/")
    assert response.status_code == 200
    html = response.content.decode()
    assert cases["G"].number in html and cases["N"].number in html
    assert cases["K"].number not in html  # another town's
    assert "ledger-orange" in html and 'class="badge risk-orange"' in html
    yongning = Center.objects.get(name="永宁街道")
    assert client.get(f"/disputes/ledger/?center={yongning.pk}").status_code == 404


def test_the_queue_links_the_statistics(client):
    client.force_login(user("mediator"))
    html = client.get("/disputes/").content.decode()
    assert 'href="/disputes/stats/"' in html and 'href="/disputes/ledger/"' in html


def test_the_pages_read_in_chinese(client, cases):  # noqa: F811
    client.force_login(user("liucheng"))
    html = client.get(f"/disputes/stats/?{Q2_QUERY}", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "矛盾纠纷统计" in html and "调解成功率" in html and "受理数" in html and "按纠纷类型" in html
    html = client.get("/disputes/ledger/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "维稳台账" in html and "涉及人数" in html

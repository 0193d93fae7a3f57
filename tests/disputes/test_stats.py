"""Dispute statistics, the quarterly form and the stability ledger (disputes.selectors), over cases
made directly with the ORM: every figure against a hand count, the scope and subtree limits, and
exact query counts."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from accounts.models import Role, User
from accounts.scope import DISPUTES_BY_ROLE, Scope, scope_for
from disputes.models import Confirmation, DisputeType, FollowUp
from disputes.selectors import dispute_stats, quarterly_xlsx, stability_ledger
from grids.models import Center

from .read_factories import at, make_dispute

pytestmark = pytest.mark.django_db

Q2 = {"date_from": date(2025, 4, 1), "date_to": date(2025, 6, 30)}
NOW = at(2025, 8, 1)


def user(username: str) -> User:
    return User.objects.select_related("center").get(username=username)


def scope(username: str) -> Scope:
    return scope_for(user(username))


@pytest.fixture
def cases():
    """Eight cases taken in within 柳城街道 in 2025 Q2 (seven at 航天路社区, one at the town itself),
    two just outside the quarter, one in 永宁街道 (城武社区), one at the district, and two older ledger
    cases. Hand counts for 柳城街道, Q2 2025, seen on 2025-08-01, are in the tests."""
    c = {}
    agreed = {"state": "agreed"}
    c["A"] = make_dispute(  # agreed in time, performed and closed, confirmed valid, visited
        "航天路社区",
        created_at=at(2025, 4, 2),
        accepted_at=at(2025, 4, 3),
        mediation_due=at(2025, 5, 30),
        agreed_at=at(2025, 5, 10),
        concluded_at=at(2025, 5, 10),
        performance_due=date(2025, 6, 30),
        closed_at=at(2025, 7, 2),
        state="closed",
    )
    Confirmation.objects.create(dispute=c["A"], applied_on=date(2025, 5, 20), court="温江区人民法院", ruling="valid")
    FollowUp.objects.create(dispute=c["A"], due_date=date(2025, 6, 10), visited_at=at(2025, 6, 10))
    c["B"] = make_dispute(  # agreed late, performance date passed but not closed; confirmation pending
        "航天路社区",
        created_at=at(2025, 5, 1),
        type_code="marriage-divorce",
        intake="hotline",
        accepted_at=at(2025, 5, 2),
        mediation_due=at(2025, 6, 10),
        agreed_at=at(2025, 6, 20),
        concluded_at=at(2025, 6, 20),
        performance_due=date(2025, 7, 1),
        **agreed,
    )
    Confirmation.objects.create(dispute=c["B"], applied_on=date(2025, 6, 25), court="温江区人民法院")
    FollowUp.objects.create(dispute=c["B"], due_date=date(2025, 9, 1))  # planned, not made
    c["C"] = make_dispute(  # mediation failed in time; taken in by the grid worker
        "航天路社区",
        created_at=at(2025, 5, 5),
        reporter="gridworker",
        intake="grid",
        accepted_at=at(2025, 5, 6),
        mediation_due=at(2025, 6, 5),
        concluded_at=at(2025, 6, 1),
        state="failed",
    )
    c["D"] = make_dispute(  # a party refused at triage: failed, never mediated, no deadline
        "航天路社区", created_at=at(2025, 5, 7), concluded_at=at(2025, 5, 8), state="failed"
    )
    c["E"] = make_dispute(  # withdrawn during mediation
        "航天路社区",
        created_at=at(2025, 5, 9),
        accepted_at=at(2025, 5, 10),
        mediation_due=at(2025, 6, 9),
        concluded_at=at(2025, 5, 20),
        state="withdrawn",
    )
    c["F"] = make_dispute(  # referred to the court at triage
        "航天路社区", created_at=at(2025, 6, 1), concluded_at=at(2025, 6, 2), state="referred", channel="court"
    )
    c["G"] = make_dispute(  # taken in at the town itself, waiting; a group case (ledger)
        "柳城街道", created_at=at(2025, 6, 15), people=60, risk="orange"
    )
    c["H"] = make_dispute(  # agreed in time, performance not yet due
        "航天路社区",
        created_at=at(2025, 6, 30, 23),
        type_code="labour-wages",
        accepted_at=at(2025, 6, 30, 23),
        mediation_due=at(2025, 7, 30),
        agreed_at=at(2025, 7, 10),
        concluded_at=at(2025, 7, 10),
        performance_due=date(2025, 9, 1),
        **agreed,
    )
    # Just outside the quarter (local midnight on both sides).
    c["before"] = make_dispute("航天路社区", created_at=at(2025, 3, 31, 23) + timedelta(minutes=59))
    c["after"] = make_dispute("航天路社区", created_at=at(2025, 7, 1, 0))
    # Another town, and the district itself (a big red case, mediating).
    c["K"] = make_dispute(
        "城武社区",
        created_at=at(2025, 5, 3),
        reporter="yongning",
        risk="red",
        accepted_at=at(2025, 5, 3),
        agreed_at=at(2025, 5, 20),
        concluded_at=at(2025, 5, 20),
        state="agreed",
    )
    c["L"] = make_dispute(
        "温江区", created_at=at(2025, 6, 3), reporter="duty", people=600, risk="red", state="mediating"
    )
    # Older cases for the ledger: an open one with the group signal, a closed big one.
    c["N"] = make_dispute("航天路社区", created_at=at(2024, 11, 1), signals=["group"], state="mediating")
    c["M"] = make_dispute("航天路社区", created_at=at(2024, 10, 1), people=80, state="closed")
    return c


def liucheng_stats(**kwargs):
    town = Center.objects.get(name="柳城街道")
    return dispute_stats(scope=scope("liucheng"), center=town, now=NOW, **Q2, **kwargs)


def test_every_figure_by_hand(cases):
    t = liucheng_stats()["totals"]
    counts = {k: t[k] for k in t if k != "rates"}
    assert counts == {
        "taken_in": 8,  # A B C D E F G H (not the ones a minute before or at midnight after)
        "mediated": 5,  # A B C E H
        "successful": 3,  # A B H
        "failed": 2,  # C D
        "withdrawn": 1,  # E
        "referred": 1,  # F
        "pending": 1,  # G
        "concluded": 5,  # A B H + C D
        "on_time": 4,  # A H C, D (no deadline); B agreed after its deadline
        "agreements_due": 2,  # A (June 30), B (July 1); H is due in September
        "performed": 1,  # A
        "confirmation_applied": 2,  # A B
        "confirmed": 1,  # A
        "followed_up": 1,  # A (B's visit is only planned)
    }
    rates = {name: rate["value"] for name, rate in t["rates"].items()}
    assert rates == {
        "success_rate": 0.375,
        "success_of_concluded": 0.6,
        "on_time_rate": 0.8,
        "performed_rate": 0.5,
        "confirmation_rate": 0.5,
        "follow_up_rate": 0.3333,
    }
    assert t["rates"]["success_rate"] == {"value": 0.375, "numerator": "successful", "denominator": "taken_in"}


def test_definitions_come_with_the_figures(cases):
    result = liucheng_stats()
    assert set(result["definitions"]) >= set(result["totals"]["rates"])
    assert "÷" in result["definitions"]["success_rate"]
    assert result["period"] == Q2


def test_seed_figure_is_successful_over_taken_in():
    """The seed's 98.2% is 18,405 ÷ 18,742: the definition of success_rate."""
    from disputes.selectors import _figures

    figures = _figures({"taken_in": 18742, "successful": 18405, "concluded": 18405 + 100})
    assert figures["rates"]["success_rate"]["value"] == 0.982
    assert figures["rates"]["success_of_concluded"]["value"] == 0.9946


def test_slices(cases):
    slices = liucheng_stats(by=("type", "intake", "town", "group_band", "risk"))["slices"]
    by_type = {row["name"]: (row["taken_in"], row["successful"]) for row in slices["type"]}
    assert by_type == {"邻里纠纷": (6, 1), "婚姻家庭纠纷": (1, 1), "劳动争议及欠薪纠纷": (1, 1)}
    assert slices["type"][0]["id"] == DisputeType.objects.get(code="neighbour").pk  # top-level ids
    assert {row["id"]: row["taken_in"] for row in slices["intake"]} == {"walk_in": 6, "hotline": 1, "grid": 1}
    assert [(row["name"], row["taken_in"]) for row in slices["town"]] == [("柳城街道", 8)]
    assert {row["id"]: row["taken_in"] for row in slices["group_band"]} == {"lt50": 7, "50_100": 1}
    assert {row["id"]: row["taken_in"] for row in slices["risk"]} == {"": 7, "orange": 1}
    assert slices["type"][0]["rates"]["success_rate"]["value"] == round(1 / 6, 4)


def test_district_town_slice_and_cases_above_the_towns(cases):
    district = Center.objects.get(name="温江区")
    result = dispute_stats(scope=scope("duty"), center=district, by="town", now=NOW, **Q2)
    assert result["totals"]["taken_in"] == 10  # the eight, 城武社区's, the district's own
    towns = [(row["id"] is None, row["taken_in"]) for row in result["slices"]["town"]]
    assert towns == [(False, 8), (False, 1), (True, 1)]  # 柳城街道, 永宁街道, then the district's own
    assert result["slices"]["town"][0]["name"] == "柳城街道"


@pytest.mark.parametrize(
    ("username", "taken_in"),
    [
        ("admin", 8),
        ("duty", 8),
        ("liucheng", 8),
        ("mediator", 8),  # a mediator of 柳城街道
        ("hangtianlu", 7),  # the community: not the case taken in at the town
        ("yongning", 0),  # another town
        ("gridworker", 1),  # only the case they took in
        ("volunteer", 0),
        ("police", 0),
    ],
)
def test_scope_limits_the_subtree(cases, username, taken_in):
    town = Center.objects.get(name="柳城街道")
    result = dispute_stats(scope=scope(username), center=town, now=NOW, **Q2)
    assert result["totals"]["taken_in"] == taken_in


def test_a_mediator_of_another_town_sees_nothing_of_this_town(cases):
    other = User.objects.create(
        username="mediator-yongning", role=Role.MEDIATOR, center=Center.objects.get(name="永宁街道")
    )
    mine = scope_for(other)
    town = Center.objects.get(name="柳城街道")
    assert dispute_stats(scope=mine, center=town, now=NOW, **Q2)["totals"]["taken_in"] == 0
    assert stability_ledger(scope=mine, center=town).count() == 0
    own = dispute_stats(scope=mine, now=NOW, **Q2)["totals"]
    assert (own["taken_in"], own["successful"]) == (1, 1)  # 城武社区's


def test_every_role_has_a_dispute_rule():
    assert set(DISPUTES_BY_ROLE) == set(Role.values)


def test_unknown_slice_is_refused():
    with pytest.raises(ValueError):
        dispute_stats(scope=Scope(everything=True), by="colour", **Q2)


def test_query_counts(cases, django_assert_num_queries):
    district = Center.objects.get(name="温江区")
    duty = scope("duty")
    # The scope's subtree ids, the center's subtree ids, the totals.
    with django_assert_num_queries(3):
        dispute_stats(scope=duty, center=district, now=NOW, **Q2)
    # + one per slice, + the names of types and towns.
    with django_assert_num_queries(3 + 5 + 2):
        dispute_stats(scope=duty, center=district, by=SLICES_ALL, now=NOW, **Q2)
    with django_assert_num_queries(1):
        dispute_stats(scope=Scope(everything=True), now=NOW, **Q2)


SLICES_ALL = ("type", "intake", "town", "group_band", "risk")


def test_quarterly_form_read_back(cases):
    town = Center.objects.get(name="柳城街道")
    data = quarterly_xlsx(scope=scope("liucheng"), center=town, year=2025, quarter=2, today=date(2025, 7, 5))
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["A1"].value == "四川省矛盾纠纷排查调处情况统计表"
    assert sheet["A2"].value == "填报单位：柳城街道"
    assert "2025年04月01日至2025年06月30日" in sheet["H2"].value
    assert [sheet.cell(row=3, column=c).value for c in (1, 2, 3, 6, 9, 12, 15)] == [
        "序号",
        "纠纷类型",
        "村（社区）",
        "乡镇（街道）",
        "县（市、区）",
        "合计",
        "调处成功率",
    ]
    assert [sheet.cell(row=4, column=c).value for c in range(3, 6)] == ["排查数", "调处数", "成功数"]
    assert "A1:O1" in {str(r) for r in sheet.merged_cells.ranges}

    def line(row):
        return [sheet.cell(row=row, column=c).value for c in range(2, 16)]

    # Rows 5 to 23: the 19 types in order; row 24 the total.
    names = [sheet.cell(row=r, column=2).value for r in range(5, 24)]
    assert names == list(DisputeType.objects.filter(parent=None).order_by("order").values_list("name", flat=True))
    assert line(5) == ["婚姻家庭纠纷", 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]  # B
    assert line(6) == ["邻里纠纷", 5, 3, 1, 1, 0, 0, 0, 0, 0, 6, 3, 1, pytest.approx(1 / 6, abs=1e-4)]
    assert line(9) == ["劳动争议及欠薪纠纷", 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]  # H
    assert line(7)[1:13] == [0] * 12 and line(7)[13] is None  # nothing taken in: no rate
    assert line(24) == ["合计", 7, 5, 3, 1, 0, 0, 0, 0, 0, 8, 5, 3, 0.375]
    assert sheet["O24"].number_format == "0.0%"
    assert any("制表日期：2025年07月05日" == sheet.cell(row=26, column=c).value for c in range(1, 16))


def test_quarterly_form_guards_formula_text(cases):
    """Names typed by administrators reach the form as text, never as a formula (events.export's guard)."""
    DisputeType.objects.filter(code="marriage").update(name="=1+1")
    town = Center.objects.get(name="柳城街道")
    data = quarterly_xlsx(scope=Scope(everything=True), center=town, year=2025, quarter=2)
    cell = load_workbook(io.BytesIO(data)).active["B5"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == ("=1+1", "s", True)


def test_quarterly_form_refuses_a_fifth_quarter():
    with pytest.raises(ValueError):
        quarterly_xlsx(scope=Scope(everything=True), center=Center.objects.get(name="温江区"), year=2025, quarter=5)


def test_stability_ledger(cases, django_assert_num_queries):
    town = Center.objects.get(name="柳城街道")
    liucheng = scope("liucheng")
    # The scope's subtree ids, the center's, then the rows with type, holding center and town.
    with django_assert_num_queries(3):
        rows = list(stability_ledger(scope=liucheng, center=town))
        summary = [(d.number, str(d.type), d.town_name, d.people, d.risk, d.state, d.center.name) for d in rows]
    assert [d.pk for d in rows] == [cases["G"].pk, cases["N"].pk]  # newest first; closed M left out
    assert summary[0][2:] == ("柳城街道", 60, "orange", "received", "柳城街道")
    assert summary[1][1] == "邻里纠纷 · 噪音油烟漏水纠纷" and summary[1][2] == "柳城街道"
    district = stability_ledger(scope=scope("duty"))
    assert [d.pk for d in district] == [cases["G"].pk, cases["L"].pk, cases["K"].pk, cases["N"].pk]
    assert [d.town_name for d in district] == ["柳城街道", "", "永宁街道", "柳城街道"]

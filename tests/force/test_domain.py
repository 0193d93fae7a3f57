"""The force app's rules without a database: points (exhaustive over the facts), rankings,
invitations, permissions."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from force.domain import invitations, permissions
from force.domain import points as p

STATES = ["reported", "accepted", "self_handled", "dispatched", "in_progress", "handled", "verifying", "closed",
          "rejected", "merged", "suspended"]  # fmt: skip


@pytest.mark.parametrize(
    ("state", "accepted", "by_volunteer"), list(itertools.product(STATES, [True, False], [True, False]))
)
def test_a_report_is_valid_once_taken_in_and_while_not_thrown_out(state, accepted, by_volunteer):
    valid = p.report_is_valid(p.ReportFacts(state=state, accepted=accepted, by_volunteer=by_volunteer))
    assert valid == (by_volunteer and accepted and state not in ("rejected", "merged"))


LEDGERS = [p.LedgerFacts(None, False), p.LedgerFacts(5, False), p.LedgerFacts(5, True), p.LedgerFacts(7, False)]


@pytest.mark.parametrize(("valid", "ledger", "rule"), list(itertools.product([True, False], LEDGERS, [0, 5])))
def test_the_ledger_is_brought_to_what_the_report_is_worth(valid, ledger, rule):
    entries = p.report_entries(valid, ledger, rule)
    if valid and ledger.awarded is None and rule:
        assert entries == [("report", rule)]
    elif not valid and ledger.awarded is not None and not ledger.reversed:
        assert entries == [("report_reversal", -ledger.awarded)]  # the amount awarded, not today's rule
    else:
        assert entries == []


def test_applying_the_entries_twice_changes_nothing():
    # After the award, the ledger holds it: the same facts write nothing more.
    first = p.report_entries(True, p.LedgerFacts(None, False), 5)
    assert p.report_entries(True, p.LedgerFacts(first[0][1], False), 5) == []
    reversal = p.report_entries(False, p.LedgerFacts(5, False), 5)
    assert p.report_entries(False, p.LedgerFacts(5, True), 5) == [] and reversal == [("report_reversal", -5)]


@pytest.mark.parametrize(
    ("state", "check_ins", "by_volunteer", "minimum"),
    list(itertools.product(["active", "ended", "cancelled"], [0, 1, 3], [True, False], [0, 1, 2])),
)
def test_a_patrol_earns_points_when_ended_with_enough_check_ins(state, check_ins, by_volunteer, minimum):
    rewarded = p.patrol_is_rewarded(p.PatrolFacts(state, check_ins, by_volunteer), minimum)
    assert rewarded == (by_volunteer and state == "ended" and check_ins >= minimum)


def test_equal_points_share_a_rank_and_the_next_rank_skips():
    assert p.rank([(1, 10), (2, 30), (3, 10), (4, 5), (5, 30)]) == [
        (1, 2, 30),
        (1, 5, 30),
        (3, 1, 10),
        (3, 3, 10),
        (5, 4, 5),
    ]
    assert p.rank([]) == []


NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expires", "uses_left", "revoked", "problem"),
    [
        (NOW + timedelta(seconds=1), 1, False, None),
        (NOW, 1, False, "expired"),
        (NOW - timedelta(days=1), 5, False, "expired"),
        (NOW + timedelta(days=1), 0, False, "used"),
        (NOW + timedelta(days=1), 1, True, "revoked"),
        (NOW - timedelta(days=1), 0, True, "revoked"),
    ],
)
def test_invitation_problem(expires, uses_left, revoked, problem):
    state = invitations.InvitationState(expires_at=expires, uses_left=uses_left, revoked=revoked)
    assert invitations.invitation_problem(state, NOW) == problem


TOWN, COMMUNITY, OTHER = "1/2/", "1/2/3/", "1/9/"
WORKER = permissions.ActorFacts(role="grid_worker", center_path=COMMUNITY, worker_grid_ids=frozenset({7}))
STAFF_COMMUNITY = permissions.ActorFacts(role="center_staff", center_path=COMMUNITY)
STAFF_TOWN = permissions.ActorFacts(role="center_staff", center_path=TOWN)
ADMIN = permissions.ActorFacts(role="admin", center_path=None, is_admin=True)
VOLUNTEER = permissions.ActorFacts(role="volunteer", center_path=COMMUNITY)
MEDIATOR = permissions.ActorFacts(role="mediator", center_path=COMMUNITY)
MY_GRID = permissions.InvitationFacts(grid_id=7, grid_center_path=COMMUNITY, organization_center_path=None)
OTHER_GRID = permissions.InvitationFacts(grid_id=8, grid_center_path=COMMUNITY, organization_center_path=None)
FAR_GRID = permissions.InvitationFacts(grid_id=9, grid_center_path=OTHER + "4/", organization_center_path=None)
TOWN_ORG = permissions.InvitationFacts(grid_id=None, grid_center_path=None, organization_center_path=TOWN)
MY_GRID_TOWN_ORG = permissions.InvitationFacts(grid_id=7, grid_center_path=COMMUNITY, organization_center_path=TOWN)
MISMATCH = permissions.InvitationFacts(grid_id=7, grid_center_path=COMMUNITY, organization_center_path=OTHER)
NOTHING = permissions.InvitationFacts(grid_id=None, grid_center_path=None, organization_center_path=None)

INVITE = {
    # actor: (my grid, other grid of my community, far grid, town org, my grid + town org, mismatch, nothing)
    "worker": (WORKER, [True, False, False, False, True, False, False]),
    "community staff": (STAFF_COMMUNITY, [True, True, False, False, True, False, False]),
    "town staff": (STAFF_TOWN, [True, True, False, True, True, False, False]),
    "admin": (ADMIN, [True, True, True, True, True, False, False]),
    "volunteer": (VOLUNTEER, [False] * 7),
    "mediator": (MEDIATOR, [False] * 7),
}
TARGETS = [MY_GRID, OTHER_GRID, FAR_GRID, TOWN_ORG, MY_GRID_TOWN_ORG, MISMATCH, NOTHING]


@pytest.mark.parametrize("who", INVITE)
def test_who_may_invite_where(who):
    actor, expected = INVITE[who]
    assert [permissions.may_invite(actor, t) for t in TARGETS] == expected


def test_who_may_commend_and_see_the_figures():
    assert permissions.may_recognize(STAFF_TOWN, COMMUNITY)
    assert permissions.may_recognize(STAFF_COMMUNITY, COMMUNITY)
    assert not permissions.may_recognize(STAFF_COMMUNITY, OTHER)
    assert not permissions.may_recognize(WORKER, COMMUNITY)
    assert not permissions.may_recognize(VOLUNTEER, COMMUNITY)
    assert permissions.may_recognize(ADMIN, None)
    assert [permissions.may_see_force_figures(a) for a in (STAFF_TOWN, WORKER, VOLUNTEER, ADMIN, MEDIATOR)] == [
        True,
        False,
        False,
        True,
        False,
    ]

"""Who may watch a camera for what (video.domain.access), and walls and tours
(video.domain.walls): plain facts, no database, every combination."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from video.choices import CameraStatus, Network, Purpose
from video.domain import access, walls

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
OWNER, VIEWER, CENTER, OTHER_CENTER = 7, 8, 100, 200


def consent(**kw):
    values = {
        "center_ids": frozenset({CENTER}),
        "purposes": frozenset({Purpose.ALARM}),
        "revoked": False,
        "expires_at": None,
    }
    values.update(kw)
    return access.ConsentFacts(**values)


def decide(*, network=Network.HUIYAN, status=CameraStatus.ONLINE, owner=OWNER, household=True, user=VIEWER,
           center=CENTER, in_scope=True, purpose=Purpose.ALARM, given=None, has_event=True, reason=""):  # fmt: skip
    camera = access.CameraFacts(network=network, status=status, owner_id=owner, household=household)
    viewer = access.ViewerFacts(user_id=user, center_id=center, in_scope=in_scope)
    return access.may_watch(
        camera=camera, viewer=viewer, purpose=purpose, now=NOW, consent=given, has_event=has_event, reason=reason
    )


def test_a_center_watches_a_household_camera_for_an_alarm_with_consent():
    assert decide(given=consent()) is None


def test_without_consent_a_household_camera_is_refused():
    assert decide(given=None) == access.NO_CONSENT


@pytest.mark.parametrize(
    "given",
    [
        consent(revoked=True),
        consent(expires_at=NOW),  # expired at this very moment
        consent(expires_at=NOW - timedelta(seconds=1)),
        consent(center_ids=frozenset({OTHER_CENTER})),  # another center
        consent(purposes=frozenset({Purpose.PATROL})),  # another purpose
        consent(center_ids=frozenset()),
    ],
)
def test_a_consent_that_does_not_cover_this_play_refuses_it(given):
    assert decide(given=given) == access.NO_CONSENT


def test_a_consent_until_later_allows():
    assert decide(given=consent(expires_at=NOW + timedelta(seconds=1))) is None


def test_patrol_needs_patrol_in_the_consent():
    assert decide(purpose=Purpose.PATROL, given=consent()) == access.NO_CONSENT
    assert decide(purpose=Purpose.PATROL, given=consent(purposes=frozenset({Purpose.PATROL}))) is None


def test_a_viewer_without_a_center_never_watches_a_household_camera():
    assert decide(center=None, given=consent()) == access.NO_CONSENT


def test_a_camera_that_is_not_a_households_needs_no_consent():
    assert decide(network=Network.TIANWANG, household=False, owner=None, given=None) is None


def test_an_owned_camera_of_another_network_still_needs_consent():
    assert decide(network=Network.OTHER, household=True, given=None) == access.NO_CONSENT


def test_the_owner_watches_their_own_camera_without_consent_or_scope():
    assert decide(user=OWNER, purpose=Purpose.OWN, in_scope=False, given=None, has_event=False) is None


def test_nobody_else_watches_as_owner():
    assert decide(user=VIEWER, purpose=Purpose.OWN) == access.NOT_OWNER
    assert decide(user=VIEWER, owner=None, purpose=Purpose.OWN) == access.NOT_OWNER


def test_an_alarm_needs_its_event_and_an_investigation_a_reason():
    assert decide(has_event=False, given=consent()) == access.NEEDS_EVENT
    inv = consent(purposes=frozenset({Purpose.INVESTIGATION}))
    assert decide(purpose=Purpose.INVESTIGATION, reason=" ab ", given=inv) == access.NEEDS_REASON
    assert decide(purpose=Purpose.INVESTIGATION, reason="盗窃案调查", given=inv, has_event=False) is None


@pytest.mark.parametrize("purpose", ["", "fun", None, "OWN"])
def test_an_unknown_purpose_is_refused_first(purpose):
    assert decide(purpose=purpose, in_scope=False) == access.NO_PURPOSE


def test_outside_the_scope_is_not_found_before_consent_is_looked_at():
    assert decide(in_scope=False, given=None) == access.NOT_VISIBLE


def test_an_offline_camera_is_refused_last():
    assert decide(status=CameraStatus.OFFLINE, given=consent()) == access.OFFLINE
    assert decide(status=CameraStatus.OFFLINE, given=None) == access.NO_CONSENT
    assert decide(status=CameraStatus.OFFLINE, user=OWNER, purpose=Purpose.OWN) == access.OFFLINE


def test_every_combination_is_allowed_exactly_when_each_rule_holds():
    """The whole table: allowed iff purpose known, its needs met, in scope, consent covers it for a
    household camera, and the camera is not offline (the owner's own purpose apart)."""
    cases = itertools.product(
        [Network.TIANWANG, Network.HUIYAN],
        [CameraStatus.ONLINE, CameraStatus.STALLED, CameraStatus.OFFLINE, CameraStatus.UNKNOWN],
        [True, False],  # in scope
        [Purpose.ALARM, Purpose.PATROL, Purpose.INVESTIGATION],
        [None, consent(), consent(purposes=frozenset(Purpose.values)), consent(revoked=True)],
        [True, False],  # has event
        ["", "现场核查情况"],
    )
    for network, status, in_scope, purpose, given, has_event, reason in cases:
        household = network == Network.HUIYAN
        result = decide(network=network, household=household, status=status, in_scope=in_scope, purpose=purpose,
                        given=given, has_event=has_event, reason=reason)  # fmt: skip
        needs_met = (purpose != Purpose.ALARM or has_event) and (purpose != Purpose.INVESTIGATION or reason)
        consented = not household or (given is not None and not given.revoked and purpose in given.purposes)
        expected = needs_met and in_scope and consented and status != CameraStatus.OFFLINE
        assert (result is None) == bool(expected), (
            network,
            status,
            in_scope,
            purpose,
            given,
            has_event,
            reason,
            result,
        )


@pytest.mark.parametrize(
    "centers, purposes, expires, problem",
    [
        ({1}, {Purpose.ALARM}, None, None),
        ({1}, set(), None, "no_purpose"),
        ({1}, {Purpose.OWN}, None, "bad_purpose"),
        (set(), {Purpose.ALARM}, None, "no_center"),
        ({1}, {Purpose.ALARM}, NOW, "expired"),
        ({1}, {Purpose.ALARM, Purpose.PATROL}, NOW + timedelta(days=1), None),
    ],
)
def test_a_consent_as_given(centers, purposes, expires, problem):
    assert access.consent_check(center_ids=centers, purposes=purposes, expires_at=expires, now=NOW) == problem


# --- walls and tours -----------------------------------------------------------------------------------


@pytest.mark.parametrize("tiles", [1, 4, 9, 16])
def test_the_four_wall_sizes(tiles):
    walls.check_layout(tiles, list(range(tiles)))


@pytest.mark.parametrize("tiles", [0, 2, 3, 6, 8, 12, 25])
def test_other_sizes_are_refused(tiles):
    with pytest.raises(walls.WallRuleError):
        walls.check_tiles(tiles)


def test_a_layout_uses_each_position_once_and_inside_the_wall():
    with pytest.raises(walls.WallRuleError, match="twice"):
        walls.check_layout(4, [0, 1, 1])
    with pytest.raises(walls.WallRuleError):
        walls.check_layout(4, [0, 4])
    with pytest.raises(walls.WallRuleError):
        walls.check_layout(9, [-1])


def test_a_camera_step_is_one_frame_and_a_group_fills_the_wall_chunk_by_chunk():
    steps = [
        walls.Step(cameras=(1,), dwell=10),
        walls.Step(cameras=tuple(range(100, 111)), dwell=20, group=True),  # 11 cameras on a 2×2 wall
        walls.Step(cameras=(), dwell=10, group=True),  # a group with nothing left to show
        walls.Step(cameras=(), dwell=10),  # a camera one may no longer watch
    ]
    frames = walls.frames(steps, 4)
    assert [(f.cameras, f.dwell, f.step) for f in frames] == [
        ((1,), 10, 0),
        ((100, 101, 102, 103), 20, 1),
        ((104, 105, 106, 107), 20, 1),
        ((108, 109, 110), 20, 1),
    ]


def test_frame_at_walks_the_tour_and_loops():
    frames = [walls.Frame((1,), 10, 0), walls.Frame((2,), 5, 1), walls.Frame((3,), 15, 2)]
    assert walls.frame_at(frames, 0) == (0, 10)
    assert walls.frame_at(frames, 9.5) == (0, 0.5)
    assert walls.frame_at(frames, 10) == (1, 5)
    assert walls.frame_at(frames, 14.9)[0] == 1
    assert walls.frame_at(frames, 15) == (2, 15)
    assert walls.frame_at(frames, 30) == (0, 10)  # one whole cycle later
    assert walls.frame_at(frames, 30 * 1000 + 12) == (1, 3)
    assert walls.frame_at(frames, -5) == (0, 10)  # a screen whose clock is behind the start


def test_a_tour_with_nothing_to_show_says_so():
    with pytest.raises(walls.WallRuleError):
        walls.frame_at([], 3)


@pytest.mark.parametrize("dwell, ok", [(4, False), (5, True), (3600, True), (3601, False)])
def test_dwell_times(dwell, ok):
    if ok:
        walls.check_steps([walls.Step(cameras=(1,), dwell=dwell)])
    else:
        with pytest.raises(walls.WallRuleError):
            walls.check_steps([walls.Step(cameras=(1,), dwell=dwell)])


def test_a_tour_needs_a_step():
    with pytest.raises(walls.WallRuleError):
        walls.check_steps([])

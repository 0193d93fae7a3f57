"""The pure parts: signatures, body schemas, clustering decisions (no database)."""

from datetime import UTC, datetime, time, timedelta

import pytest

from alarms.domain import clustering, schemas
from alarms.domain.clustering import Cluster, Outcome, Rule
from wenjiang_ops import signing

NOW = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


# --- signatures -----------------------------------------------------------------------------------


def test_a_good_signature_passes():
    body = b'{"a": 1}'
    assert signing.verify("s3cret", "1000", signing.sign("s3cret", 1000, body), body, now=1000.0) == 1000


@pytest.mark.parametrize(
    ("timestamp", "signature", "now", "reason"),
    [
        (None, "sha256=00", 1000.0, "unsigned"),
        ("1000", None, 1000.0, "unsigned"),
        ("yesterday", "sha256=00", 1000.0, "timestamp"),
        ("1000", None, 1000.0, "unsigned"),
        ("1000", "OK", 1000.0 + 301, "stale"),
        ("1000", "OK", 1000.0 - 301, "stale"),
        ("1000", "sha256=" + "0" * 64, 1000.0, "signature"),
    ],
)
def test_bad_signatures_are_refused_with_their_reason(timestamp, signature, now, reason):
    body = b"{}"
    if signature == "OK":
        signature = signing.sign("s3cret", timestamp, body)
    with pytest.raises(signing.BadSignature) as exc:
        signing.verify("s3cret", timestamp, signature, body, now=now)
    assert str(exc.value) == reason


def test_the_signature_covers_the_body_and_the_timestamp_and_the_key():
    good = signing.sign("k", 1000, b"{}")
    for secret, ts, body in [("k", 1000, b"{ }"), ("k", 1001, b"{}"), ("K", 1000, b"{}")]:
        assert signing.sign(secret, ts, body) != good
    with pytest.raises(signing.BadSignature):
        signing.verify("k", "1001", good, b"{}", now=1001.0)  # the timestamp moved, the signature did not


def test_a_stale_limit_of_exactly_five_minutes_passes():
    body = b"{}"
    assert signing.verify("k", "1000", signing.sign("k", 1000, body), body, now=1300.0) == 1000


# --- schemas --------------------------------------------------------------------------------------

SAMPLES = {
    "face_gate": {"similarity": 0.9},
    "fence": {"zone": "北区", "direction": "in"},
    "vehicle": {"vehicle_kind": "e_bike", "tag_id": "T0001"},
    "sand": {"site": "金马河", "volume_m3": 12.5},
    "dust": {"pm10": 180, "limit": 150},
    "waste_truck": {"plate": "川A12345", "route_deviation_m": 800},
    "other": {},
}


def envelope(**overrides):
    body = {"alarm_id": "A-1", "device": "D1", "type": "t", "occurred_at": "2026-05-01T18:00:00+08:00", "data": {}}
    body.update(overrides)
    return body


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_each_kind_takes_its_sample(kind):
    clean, errors = schemas.validate(envelope(data=SAMPLES[kind]), kind=kind, types={"t"}, now=NOW)
    assert errors == {}
    assert clean.occurred_at == datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    assert clean.data == SAMPLES[kind]


def test_every_kind_has_a_schema():
    from alarms.choices import Kind

    assert set(schemas.DATA_FIELDS) == set(Kind.values)


@pytest.mark.parametrize(
    ("kind", "data", "field"),
    [
        ("face_gate", {}, "data.similarity"),
        ("face_gate", {"similarity": 1.5}, "data.similarity"),
        ("face_gate", {"similarity": "high"}, "data.similarity"),
        ("face_gate", {"similarity": True}, "data.similarity"),
        ("fence", {"zone": "A", "direction": "up"}, "data.direction"),
        ("vehicle", {"vehicle_kind": "car", "tag_id": "x"}, "data.vehicle_kind"),
        ("vehicle", {"vehicle_kind": "e_bike"}, "data.tag_id"),
        ("dust", {"pm10": -1, "limit": 150}, "data.pm10"),
        ("dust", {"pm10": 10}, "data.limit"),
        ("waste_truck", {"plate": "川A123456789012"}, "data.plate"),
        ("sand", {"site": "  "}, "data.site"),
    ],
)
def test_bad_data_fields_are_named(kind, data, field):
    clean, errors = schemas.validate(envelope(data=data), kind=kind, types={"t"}, now=NOW)
    assert clean is None
    assert list(errors) == [field]


def test_envelope_errors_are_all_reported_at_once():
    body = {"alarm_id": "has space", "type": "nope", "occurred_at": "2026-05-01 18:00", "extra": 1, "data": []}
    clean, errors = schemas.validate(body, kind="other", types={"t"}, now=NOW)
    assert clean is None
    assert set(errors) == {"alarm_id", "device", "type", "occurred_at", "extra", "data"}
    assert "t" in errors["type"][0]  # names the known types


@pytest.mark.parametrize(
    ("moment", "problem"),
    [
        ("2026-05-01T18:00:00", "offset"),  # no offset: whose clock?
        ("2026-05-01T18:06:00+08:00", "future"),
        ("2026-04-20T18:00:00+08:00", "old"),
    ],
)
def test_times_must_carry_an_offset_and_be_plausible(moment, problem):
    _clean, errors = schemas.validate(envelope(occurred_at=moment), kind="other", types={"t"}, now=NOW)
    assert problem in errors["occurred_at"][0]


def test_a_body_that_is_not_an_object_is_refused():
    assert schemas.validate([1], kind="other", types={"t"}, now=NOW) == (
        None,
        {"detail": ["the body must be a JSON object"]},
    )


# --- clustering -----------------------------------------------------------------------------------

RULE = Rule(threshold=1, threshold_window=timedelta(minutes=10), cluster_window=timedelta(minutes=30))
NOON = time(12, 0)


def cluster(*, has_event=True, event_open=True, count=1, first=NOW, last=NOW):
    return Cluster(has_event=has_event, event_open=event_open, count=count, first_seen=first, last_seen=last)


def test_the_first_alarm_makes_an_event_at_threshold_one():
    assert clustering.decide(RULE, None, NOW, NOON) == clustering.Decision(Outcome.EVENT, new_cluster=True)


@pytest.mark.parametrize(("minutes", "outcome"), [(0, Outcome.JOIN), (30, Outcome.JOIN), (31, Outcome.EVENT)])
def test_alarms_within_the_cluster_window_join_the_open_event(minutes, outcome):
    decision = clustering.decide(RULE, cluster(), NOW + timedelta(minutes=minutes), NOON)
    assert decision.outcome == outcome
    assert decision.new_cluster == (outcome == Outcome.EVENT)


def test_the_window_counts_from_the_last_alarm_not_the_first():
    latest = cluster(first=NOW - timedelta(hours=5), last=NOW)
    assert clustering.decide(RULE, latest, NOW + timedelta(minutes=20), NOON).outcome == Outcome.JOIN


def test_a_closed_event_takes_no_more_alarms():
    decision = clustering.decide(RULE, cluster(event_open=False), NOW + timedelta(minutes=1), NOON)
    assert decision == clustering.Decision(Outcome.EVENT, new_cluster=True)


def test_a_threshold_counts_alarms_until_the_nth_within_its_window():
    rule = Rule(threshold=3, threshold_window=timedelta(minutes=10), cluster_window=timedelta(minutes=30))
    first = clustering.decide(rule, None, NOW, NOON)
    assert first == clustering.Decision(Outcome.COUNT, new_cluster=True)
    pending = cluster(has_event=False, count=1)
    assert clustering.decide(rule, pending, NOW + timedelta(minutes=5), NOON) == clustering.Decision(
        Outcome.COUNT, new_cluster=False
    )
    pending = cluster(has_event=False, count=2)
    assert clustering.decide(rule, pending, NOW + timedelta(minutes=10), NOON) == clustering.Decision(
        Outcome.EVENT, new_cluster=False
    )
    # Too late for the window: counting starts again.
    assert clustering.decide(rule, pending, NOW + timedelta(minutes=11), NOON) == clustering.Decision(
        Outcome.COUNT, new_cluster=True
    )


QUIET = Rule(
    threshold=1,
    threshold_window=timedelta(minutes=10),
    cluster_window=timedelta(minutes=30),
    quiet_from=time(22, 0),
    quiet_to=time(6, 0),
)


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        (time(21, 59), False),
        (time(22, 0), True),
        (time(23, 30), True),
        (time(0, 0), True),
        (time(5, 59), True),
        (time(6, 0), False),
    ],
)
def test_quiet_hours_across_midnight(local, quiet):
    assert clustering.in_quiet_hours(QUIET, local) is quiet
    assert (clustering.decide(QUIET, None, NOW, local).outcome == Outcome.QUIET) is quiet


def test_quiet_hours_within_a_day_and_equal_ends():
    day = Rule(1, timedelta(minutes=1), timedelta(minutes=1), quiet_from=time(12, 0), quiet_to=time(14, 0))
    assert clustering.in_quiet_hours(day, time(13, 0)) and not clustering.in_quiet_hours(day, time(14, 0))
    none = Rule(1, timedelta(minutes=1), timedelta(minutes=1), quiet_from=time(12, 0), quiet_to=time(12, 0))
    assert not clustering.in_quiet_hours(none, time(12, 0))


def test_in_quiet_hours_an_alarm_still_joins_an_open_event():
    assert clustering.decide(QUIET, cluster(), NOW + timedelta(minutes=1), time(23, 0)).outcome == Outcome.JOIN

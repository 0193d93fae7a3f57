"""The points rules as plain facts (no ORM): when a report is worth points, when a patrol is, and
what the ledger must hold for one source so that a rule never awards twice.

A report is valid once the center has taken it in — accepted, or handled on the spot (which
accepts it too) — and as long as it is not rejected or merged as a duplicate. In the event
workflow (events/domain/states.py) rejection is only possible before acceptance, but a merge is
possible after it (ACCEPTED → MERGED): that award is then cancelled by a reversal entry. Merged and
rejected are final, so a reversed report never becomes valid again."""

from __future__ import annotations

from dataclasses import dataclass

INVALID_STATES = frozenset({"rejected", "merged"})


@dataclass(frozen=True)
class ReportFacts:
    state: str
    accepted: bool  # the center took it in (accepted_at is set)
    by_volunteer: bool


def report_is_valid(facts: ReportFacts) -> bool:
    return facts.by_volunteer and facts.accepted and facts.state not in INVALID_STATES


@dataclass(frozen=True)
class LedgerFacts:
    """What the ledger already holds for one event: its award (points, or None) and whether the
    award was reversed."""

    awarded: int | None
    reversed: bool


def report_entries(valid: bool, ledger: LedgerFacts, rule_points: int) -> list[tuple[str, int]]:
    """The entries to write for one report so that the ledger says what the report is worth now:
    [("report", n)] for a first award, [("report_reversal", -n)] to cancel one, [] when the ledger
    already agrees. An award is written once and a reversal once (unique per kind and source)."""
    if valid and ledger.awarded is None and rule_points > 0:
        return [("report", rule_points)]
    if not valid and ledger.awarded is not None and not ledger.reversed:
        return [("report_reversal", -ledger.awarded)]
    return []


@dataclass(frozen=True)
class PatrolFacts:
    state: str
    check_ins: int
    by_volunteer: bool


def patrol_is_rewarded(facts: PatrolFacts, min_check_ins: int) -> bool:
    """An ended (not cancelled) patrol with at least `min_check_ins` check-ins, by a volunteer."""
    return facts.by_volunteer and facts.state == "ended" and facts.check_ins >= max(min_check_ins, 0)


def rank(rows: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """(id, points) sorted best first → (rank, id, points): equal points share a rank (1, 1, 3)."""
    ordered = sorted(rows, key=lambda r: (-r[1], r[0]))
    ranked, previous, position = [], None, 0
    for index, (key, points) in enumerate(ordered, start=1):
        if points != previous:
            position, previous = index, points
        ranked.append((position, key, points))
    return ranked

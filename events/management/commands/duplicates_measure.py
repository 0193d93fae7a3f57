"""Scores the duplicate finder (events.selectors.event_duplicates) against the demo's truth."""

import json
import time

from django.core.management.base import BaseCommand, CommandError

from events.models import DemoDuplicate, DuplicateRule, Event
from events.selectors import DUPLICATES_SHOWN, DuplicateDraft, duplicate_rules, event_duplicates


def measure(*, rules: dict, limit: int = DUPLICATES_SHOWN) -> dict:
    """Replays intake over every event, oldest first: what the accepting center would have been
    offered at the moment of each report (the events open then), against DemoDuplicate.

    - precision: offered events that are truly the same matter (the original, or another report of
      it) / every event offered;
    - recall: second reports whose original was offered / second reports (each was made while its
      original was open, so each should have been found)."""
    truth = dict(DemoDuplicate.objects.values_list("event_id", "original_id"))

    def root(pk: int) -> int:
        while pk in truth:
            pk = truth[pk]
        return pk

    offered = right = found = with_offers = 0
    events = Event.objects.only("pk", "category_id", "location", "description", "created_at").order_by("created_at")
    for event in events.iterator(chunk_size=2000):
        candidates = event_duplicates(DuplicateDraft.of(event), rules=rules, limit=limit)
        if candidates:
            with_offers += 1
        offered += len(candidates)
        right += sum(1 for c in candidates if root(c.pk) == root(event.pk))
        if event.pk in truth and truth[event.pk] in {c.pk for c in candidates}:
            found += 1
    return {
        "events": events.count(),
        "true_duplicates": len(truth),
        "offered": offered,
        "offered_right": right,
        "originals_found": found,
        "events_with_offers": with_offers,
        "precision": round(right / offered, 4) if offered else None,
        "recall": round(found / len(truth), 4) if truth else None,
    }


class Command(BaseCommand):
    help = (
        "Precision and recall of the duplicates offered at intake, over the demo year's events and the "
        "duplicates its generator made on purpose (DemoDuplicate). Last line: JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("--distance", type=int, help="Try this distance (metres) for every category.")
        parser.add_argument("--window", type=int, help="Try this window (hours) for every category.")
        parser.add_argument("--similarity", type=float, help="Try this minimum similarity for every category.")

    def handle(self, *args, distance=None, window=None, similarity=None, **options):
        if not DemoDuplicate.objects.exists():
            raise CommandError("No demo duplicates: load the demo first (manage.py seed_demo).")
        rules = duplicate_rules()
        overrides = {
            k: v for k, v in (("distance_m", distance), ("window_hours", window), ("min_similarity", similarity)) if v
        }
        if overrides:  # one rule for every category, the stored ones set aside (nothing is saved)
            rules = {None: DuplicateRule(**overrides)}
        default = rules.get(None) or DuplicateRule()
        started = time.monotonic()
        result = measure(rules=rules)
        seconds = time.monotonic() - started
        result.update(
            rules=len([k for k in rules if k is not None]),
            default={
                "distance_m": default.distance_m,
                "window_hours": default.window_hours,
                "min_similarity": default.min_similarity,
            },
            ms_per_report=round(seconds * 1000 / max(result["events"], 1), 2),
        )
        self.stdout.write(
            f"{result['events']} reports replayed, {result['true_duplicates']} made twice on purpose; "
            f"{result['offered']} duplicates offered, {result['offered_right']} right; "
            f"{result['originals_found']} originals found."
        )
        self.stdout.write(f"precision {result['precision']}, recall {result['recall']}")
        self.stdout.write(json.dumps(result, ensure_ascii=False))

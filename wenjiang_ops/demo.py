"""The whole demo, in order: the district (grids app), reference data, then events."""

from collections.abc import Callable

from events.demo import seed_events
from events.reference import load_reference
from grids.demo.seed import seed_all


def seed_demo(log: Callable[[str], None], *, events: bool = True) -> None:
    seed_all(log)
    counts = load_reference()
    log(f"event categories: {counts['categories']}, phase limits: {counts['limits']}")
    if events:
        seed_events(log)

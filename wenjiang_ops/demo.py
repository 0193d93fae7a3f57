"""The whole demo, in order: the district (grids app), reference data, then events and disputes."""

from collections.abc import Callable

from care.demo import seed_care
from clocks.models import Calendar
from disputes.demo.committees import seed_committees
from disputes.demo.year import seed_disputes
from disputes.reference import load_reference as load_dispute_reference
from events.demo import seed_events
from events.reference import CALENDARS, load_reference
from force.demo import seed_force_reference, seed_force_year
from grids.choices import Level
from grids.demo.seed import seed_all
from grids.models import Center
from patrols.demo.places import seed_places
from patrols.demo.plans import seed_plans
from patrols.demo.year import seed_patrol_year
from video.demo import seed_video


def seed_demo(log: Callable[[str], None], *, events: bool = True) -> None:
    seed_all(log)
    counts = load_reference()
    log(
        f"event categories: {counts['categories']}, phase limits: {counts['limits']}, "
        f"holidays and make-up days: {counts['special_days']}"
    )
    assign_calendars(log)
    load_dispute_reference()
    seed_committees(log)
    seed_places(log)
    seed_plans(log)
    seed_force_reference(log)  # after the event categories: duty coverage maps onto them
    seed_video(log)  # the three camera networks, 24 of them live
    if events:
        seed_events(log)
        seed_disputes(log)  # after the events: some disputes are converted from them
        seed_care(log)  # the special populations and a year of their visits
        seed_patrol_year(log)
        seed_force_year(log)  # last: the points follow from the events and patrols above


def assign_calendars(log) -> None:
    """The district's and towns' centers keep round-the-clock duty; communities work office hours.
    Only centers without a calendar get one (an administrator's choice stands)."""
    duty, office = (Calendar.objects.get(name=name) for name, _, _ in CALENDARS)
    n = Center.objects.filter(calendar__isnull=True, level=Level.COMMUNITY).update(calendar=office)
    n += Center.objects.filter(calendar__isnull=True).exclude(level=Level.COMMUNITY).update(calendar=duty)
    if n:
        log(f"calendars given to {n} centers")

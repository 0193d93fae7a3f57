from django.core.management.base import BaseCommand, CommandError

from events.figures import figures_check


class Command(BaseCommand):
    help = (
        "Proves the dashboards' counters (events_eventfigure) equal what the events table and the timeline "
        "say, key by key; --repair rewrites them from those."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="Rewrite the counters when they differ.")

    def handle(self, *args, repair=False, **options):
        wrong = figures_check(repair=repair)
        for center, bucket, start, counted, expected in wrong[:20]:
            self.stdout.write(f"  center {center} {bucket} {start}: counted {counted}, expected {expected}")
        if not wrong:
            self.stdout.write(self.style.SUCCESS("The counters equal the events table."))
        elif repair:
            self.stdout.write(self.style.WARNING(f"{len(wrong)} keys differed; the counters were rewritten."))
        else:
            raise CommandError(f"{len(wrong)} keys differ from the events table (run with --repair).")

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from grids.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD
from wenjiang_ops.demo import seed_demo


class Command(BaseCommand):
    help = "Loads the Wenjiang District demo data (deterministic; a second run changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--list-accounts", action="store_true", help="Only print the demo accounts.")
        parser.add_argument("--no-events", action="store_true", help="The district and accounts, without events.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load the demo even with DEBUG off (a demonstration or benchmark server, never production).",
        )

    def handle(self, *args, list_accounts=False, no_events=False, force=False, **options):
        if not list_accounts and not settings.DEBUG and not force:
            # Every demo account shares one published password: on a production database they would
            # be open doors, with district-wide rights among them.
            raise CommandError(
                "seed_demo refuses to run with DEBUG off: its demo accounts share one published password. "
                "On a demonstration server that is not production, run it with --force."
            )
        if not list_accounts:
            started = time.monotonic()
            with transaction.atomic():
                seed_demo(lambda line: self.stdout.write(f"  {line}"), events=not no_events)
            self.stdout.write(self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f} s."))
        self.stdout.write(f"Demo accounts (password {DEMO_PASSWORD}):")
        for account in DEMO_ACCOUNTS:
            self.stdout.write(f"  {account.username:<12} {account.note}, {account.center_name}")
        self.stdout.write("  gw<grid code> the grid worker of each comprehensive grid, e.g. gw510115001001001")
        self.stdout.write("  cs<division code> staff of each center, e.g. cs510115006000 (永宁街道)")
        self.stdout.write("  ds-<department code> staff of each department, e.g. ds-fire (温江区消防救援大队)")
        self.stdout.write("  vol<division code> a volunteer of each community, e.g. vol510115001001")
        self.stdout.write("  hx<volunteer id> the volunteers who patrol with their organization's plan")

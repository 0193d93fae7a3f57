import time

from django.core.management.base import BaseCommand
from django.db import transaction

from grids.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_all


class Command(BaseCommand):
    help = "Loads the Wenjiang District demo data (deterministic; a second run changes nothing)."

    def handle(self, *args, **options):
        started = time.monotonic()
        with transaction.atomic():
            seed_all(lambda line: self.stdout.write(f"  {line}"))
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f} s."))
        self.stdout.write(f"Demo accounts (password {DEMO_PASSWORD}):")
        for account in DEMO_ACCOUNTS:
            self.stdout.write(f"  {account.username:<12} {account.note}, {account.center_name}")

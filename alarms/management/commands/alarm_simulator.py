"""The demo's alarm sources at work: signed alarms over HTTP to the webhook, a few a minute."""

import os

from django.core.management.base import BaseCommand

from alarms.simulator import Simulator


class Command(BaseCommand):
    help = "Sends plausible, signed alarms of every demo source to the webhook (make run starts it)."

    def add_arguments(self, parser):
        port = os.environ.get("WEB_PORT", "8000")
        parser.add_argument("--url", default=os.environ.get("ALARM_SIMULATOR_URL", f"http://127.0.0.1:{port}"))
        parser.add_argument("--per-minute", type=float, default=float(os.environ.get("ALARM_SIMULATOR_RATE", "4")))
        parser.add_argument("--count", type=int, default=None, help="stop after this many alarms")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, url, per_minute, count, seed, **options):
        if per_minute <= 0:
            self.stderr.write("--per-minute must be positive")
            return
        self.stdout.write(f"alarm simulator: {per_minute:g} alarms a minute to {url}")
        Simulator(url, per_minute, seed, log=lambda line: self.stdout.write(line)).run(count=count)

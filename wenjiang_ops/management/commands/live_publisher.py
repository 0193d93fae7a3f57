"""`manage.py live_publisher`: publishes the dashboards' pushes that web and Celery workers queue
(LIVE_PUSH=queue). Run one or more; each takes what waits in the queue in batches."""

import signal
import threading

from django.core.management.base import BaseCommand

from wenjiang_ops.live.publish import publisher


class Command(BaseCommand):
    help = "Publish the live dashboards' pushes queued by the web and Celery workers."

    def handle(self, *args, **options):
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write("live publisher: waiting for pushes")
        publisher.serve(stop)
